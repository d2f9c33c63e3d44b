package dev.patchwire.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.TestPostgres;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads while the node cannot reach PostgreSQL (a cluster of this test's own, stopped and started
 * again): GET of one document, GET of a collection and /health answer 503 at once, never 500 and
 * never a hang; a stream opened meanwhile is refused as unavailable (SSE: 503; WebSocket: an
 * {@code unavailable} error frame and close 1011, reconnect with backoff), not left waiting; once
 * PostgreSQL is back every read answers again and a stream gets its snapshot and Ready.
 */
class DatabaseDownTest {

  static final Duration WAIT = Duration.ofSeconds(30);
  /** Longest a read may take to answer while the database is down. */
  static final long ANSWER_MILLIS = 10_000;

  static TestPostgres pg;
  static Vertx clients;

  @BeforeAll
  static void start() {
    Assumptions.assumeTrue(TestPostgres.binaries() != null, "PostgreSQL is not installed");
    pg = TestPostgres.start();
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (clients != null) {
      clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (pg != null) {
      pg.stop();
    }
  }

  /** The status of a GET, which must come within {@link #ANSWER_MILLIS}. */
  static Rest.Response timed(Rest rest, String path) {
    long t0 = System.nanoTime();
    Rest.Response r = rest.send("GET", path, null, null);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms < ANSWER_MILLIS, "GET " + path + " took " + ms + " ms while the database was down");
    return r;
  }

  static void assertUnavailable(Rest.Response r) {
    assertEquals(503, r.status(), r.method() + " " + r.uri() + ": " + r.body());
    assertEquals("unavailable", r.json().path("error").path("code").asText(), r.body());
  }

  @Test
  void readsAnswer503WhileTheDatabaseIsDownThenServeAgain() throws Exception {
    try (TestServer server = TestServer.start(TestServer.defaults().setDatabaseUrl(pg.newDatabaseUrl()))) {
      Rest rest = new Rest(server.baseUrl());
      rest.put("items", "x", Rest.obj("v", 1)).ok();
      String one = Rest.doc("items", "x");
      String all = Rest.docs("items");
      pg.stopServer();
      try {
        // until the node notices (its next query), a read may still come from a pooled answer
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end && timed(rest, "/health").status() != 503) {
          Thread.sleep(100);
        }
        Rest.Response health = timed(rest, "/health");
        assertEquals(503, health.status(), health.body());
        assertEquals("DOWN", health.json().path("database").asText(), health.body());
        assertUnavailable(timed(rest, one));
        assertUnavailable(timed(rest, all));
        assertUnavailable(timed(rest, all + "?where=v:1"));

        SseRecorder sse = SseRecorder.open(server.port(), "/api/collections/items/stream/sse");
        try {
          assertEquals(503, sse.status(), "SSE open while the database is down: " + sse.status() + " " + sse.body());
          assertEquals("unavailable", Rest.parse(sse.body()).path("error").path("code").asText(), sse.body());
        } finally {
          sse.close();
        }

        try (WsRecorder ws = WsRecorder.connect(clients, server.port(), "/api/collections/items/stream/ws")) {
          WsRecorder.Frame f = ws.nextFrame(Duration.ofMillis(ANSWER_MILLIS));
          assertTrue(f.isError(), "WebSocket open while the database is down: " + f);
          assertEquals("unavailable", f.json().getJsonObject("error").getString("code"), f.toString());
          WsRecorder.Closed c = ws.awaitClose(Duration.ofMillis(ANSWER_MILLIS));
          assertEquals((short) 1011, c.code(), "close " + c);
        }
      } finally {
        pg.startServer();
      }

      // back: every read answers, /health is UP, a stream starts
      long end = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < end && timed(rest, "/health").status() != 200) {
        Thread.sleep(200);
      }
      assertEquals(200, timed(rest, "/health").status(), "no /health 200 after PostgreSQL came back");
      assertEquals(1, rest.get("items", "x").expect(200).json().path("v").asInt());
      JsonNode docs = rest.list("items").expect(200).json().get("items");
      assertTrue(docs.has("x"), "the collection after the restart: " + docs);
      try (WsRecorder ws = WsRecorder.connect(clients, server.port(), "/api/collections/items/stream/ws")) {
        ws.awaitFrame(WsRecorder.Frame::isReady, WAIT);
      }
      SseRecorder sse = SseRecorder.open(server.port(), "/api/collections/items/stream/sse");
      try {
        assertEquals(200, sse.status());
        sse.awaitEvent(e -> "json_patch".equals(e.event()), WAIT);
      } finally {
        sse.close();
      }
    }
  }
}
