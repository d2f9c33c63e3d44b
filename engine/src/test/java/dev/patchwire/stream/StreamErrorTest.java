package dev.patchwire.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.WireSchemas;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Closed;
import dev.patchwire.testing.WsRecorder.Frame;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import dev.patchwire.testing.TestServer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PROTOCOL.md 3: a bad parameter or an unknown collection never leaves a silent socket. WebSocket:
 * upgrade accepted, {@code {"error":{...}}}, close 4400 / 4404. SSE: the HTTP status and the JSON
 * error body.
 */
@DisplayName("A stream request that cannot be served")
class StreamErrorTest extends StreamTestBase {

  @BeforeEach
  void startServer() {
    start();
  }

  @ParameterizedTest(name = "where={0}")
  @ValueSource(strings = {"status", "", ":todo", "%3Atodo"})
  @DisplayName("with a malformed where gets an error frame with bad_where and close 4400 on WebSocket")
  void malformedWhereOnWebSocket(String where) {
    WsRecorder ws = ws("tasks", "where=" + where);
    expectErrorThenClose(ws, "bad_where", 4400);
  }

  @ParameterizedTest(name = "where={0}")
  @ValueSource(strings = {"status", "", ":todo", "%3Atodo"})
  @DisplayName("with a malformed where gets HTTP 400 and a JSON bad_where error on SSE")
  void malformedWhereOnSse(String where) {
    SseRecorder sse = sse("tasks", "where=" + where);
    expectHttpError(sse, 400, "bad_where");
  }

  @ParameterizedTest(name = "collection {0}")
  @ValueSource(strings = {"nosuch", "Tasks", "items2"})
  @DisplayName("for an unknown collection gets an error frame with unknown_collection and close 4404 on WebSocket")
  void unknownCollectionOnWebSocket(String collection) {
    expectErrorThenClose(ws(collection, null), "unknown_collection", 4404);
  }

  @ParameterizedTest(name = "collection {0}")
  @ValueSource(strings = {"nosuch", "Tasks", "items2"})
  @DisplayName("for an unknown collection gets HTTP 404 and a JSON unknown_collection error on SSE")
  void unknownCollectionOnSse(String collection) {
    expectHttpError(sse(collection, null), 404, "unknown_collection");
  }

  @Test
  @DisplayName("beyond --max-subscribers gets close 4429 on WebSocket and HTTP 429 on SSE, while open streams keep working")
  void tooManySubscribers() throws InterruptedException {
    stopServer();
    start(TestServer.defaults().setMaxSubscribers(2));
    WsRecorder a = ws("items", null);
    expectSnapshotAndReady(a, "items");
    SseRecorder b = sse("items", null);
    assertEquals(200, b.status());
    b.nextEvent(WAIT);
    b.nextEvent(WAIT);

    expectErrorThenClose(ws("items", null), "too_many_subscribers", 4429);
    expectHttpError(sse("items", null), 429, "too_many_subscribers");

    long seq = rest.put("items", "x", Rest.obj("v", 1)).expect(201).seq();
    assertEquals(seq, a.nextFrame(WAIT).seq(), "the open WebSocket still gets live frames");
    assertEquals(seq, b.nextEvent(WAIT).seq(), "the open SSE stream still gets live events");
    a.close();
    // The slot is free once the server has seen the close, which happens after close() returns.
    long until = System.nanoTime() + WAIT.toNanos();
    while (server.server().streams().admission().openCount() > 1 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertEquals(1, server.server().streams().admission().openCount(), "the closed WebSocket gave its slot back");
    expectSnapshotAndReady(ws("items", null), "items");
  }

  private void expectErrorThenClose(WsRecorder ws, String code, int closeCode) {
    Frame f = ws.nextFrame(WAIT);
    assertTrue(f.isError(), "first frame is an error: " + f);
    assertEquals(code, f.json().getJsonObject("error").getString("code"), "error code in " + f);
    Closed c = ws.awaitClose(WAIT);
    assertEquals((short) closeCode, c.code(), "close code (reason " + c.reason() + ")");
    assertTrue(ws.received().size() == 1, "only the error frame: " + ws.received());
  }

  private void expectHttpError(SseRecorder sse, int status, String code) {
    assertEquals(status, sse.status(), "HTTP status; body " + sse.body());
    String ct = sse.header("content-type");
    assertTrue(ct != null && ct.startsWith("application/json"), "JSON error body, Content-Type " + ct);
    JsonNode body = Rest.parse(sse.body());
    WireSchemas.assertValidErrorBody(new JsonObject(sse.body()));
    assertEquals(code, body.path("error").path("code").asText(), "error code in " + sse.body());
  }
}
