package dev.patchwire.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.Jwt;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A token that expires while its stream is open ends the stream at {@code exp} (no grace):
 * WebSocket {@code {"error":{"code":"token_expired"}}} and close 4401, SSE {@code event: error}
 * and the end of the response. A reconnect with a fresh token, {@code since} (or Last-Event-ID)
 * and {@code scope} gets exactly what was written meanwhile.
 */
@DisplayName("A token expiring on an open stream")
class TokenExpiryTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  @DisplayName("ends a WebSocket with token_expired and 4401 and an SSE stream with event error; a fresh token resumes and loses nothing")
  void expiresAndResumes() throws Exception {
    Vertx clients = Vertx.vertx();
    try (TestServer server = TestServer.start(TestServer.defaults().setJwtSecret(Jwt.SECRET))) {
      Rest admin = new Rest(server.baseUrl(), Jwt.token("admin", 600, GrantScopeTest.ADMIN_PW));
      admin.put("tasks", "t1", GrantScopeTest.task("42", "one")).ok();
      long exp = Jwt.now(4);   // 3-4 s: room for the set-up on a loaded machine
      String shortLived = Jwt.hs256("{\"sub\":\"u42\",\"exp\":" + exp + ",\"pw\":" + GrantScopeTest.P42_PW + "}");
      String path = "/api/collections/tasks/stream/";
      WsRecorder ws = WsRecorder.connect(clients, server.port(), path + "ws?access_token=" + shortLived);
      SseRecorder sse = SseRecorder.open(server.port(), path + "sse?access_token=" + shortLived);
      ws.nextFrame(WAIT);
      String scope = ws.nextFrame(WAIT).json().getString("scope");
      sse.nextEvent(WAIT);
      sse.nextEvent(WAIT);

      long live = admin.patch("tasks", "t1", Rest.patch(Rest.op("replace", "/title", "live"))).ok().seq();
      assertEquals(live, ws.nextFrame(WAIT).seq());
      assertEquals(live, sse.nextEvent(WAIT).seq());

      WsRecorder.Frame expired = ws.nextFrame(WAIT);
      long endedAt = System.currentTimeMillis();
      assertEquals("token_expired", expired.json().getJsonObject("error").getString("code"), "" + expired);
      assertEquals((short) 4401, ws.awaitClose(WAIT).code());
      assertTrue(endedAt >= exp * 1000 - 50 && endedAt < exp * 1000 + 1500,
          "ended at exp (" + (endedAt - exp * 1000) + " ms from it)");
      SseRecorder.Event error = sse.nextEvent(WAIT);
      assertEquals("error", error.event());
      assertEquals("token_expired", error.json().path("code").asText(), error.data());
      sse.awaitEnd(WAIT);

      // meanwhile, while nobody listens
      List<Long> missed = List.of(
          admin.patch("tasks", "t1", Rest.patch(Rest.op("replace", "/title", "missed 1"))).ok().seq(),
          admin.post("tasks", GrantScopeTest.task("42", "missed 2")).ok().seq());

      // the old token is refused now; a fresh one with since and scope resumes
      try (WsRecorder stale = WsRecorder.connect(clients, server.port(), path + "ws?access_token=" + shortLived)) {
        assertEquals("unauthorized", stale.nextFrame(WAIT).json().getJsonObject("error").getString("code"));
        assertEquals((short) 4401, stale.awaitClose(WAIT).code());
      }
      String fresh = Jwt.token("u42", 600, GrantScopeTest.P42_PW);
      String resume = "&since=" + server.epoch() + ":" + live + "&scope=" + scope;
      try (WsRecorder again = WsRecorder.connect(clients, server.port(), path + "ws?access_token=" + fresh + resume);
          SseRecorder sseAgain = SseRecorder.open(server.port(), path + "sse?access_token=" + fresh + "&scope=" + scope,
              server.epoch() + ":" + live)) {
        for (long seq : missed) {
          assertEquals(seq, again.nextFrame(WAIT).seq());
          assertEquals(seq, sseAgain.nextEvent(WAIT).seq());
        }
        assertTrue(again.nextFrame(WAIT).json().getBoolean("resumed"));
        assertTrue(sseAgain.nextEvent(WAIT).json().path("resumed").asBoolean());
        again.assertExhausted(200);
      }
      ws.close();
      sse.close();
    } finally {
      clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
