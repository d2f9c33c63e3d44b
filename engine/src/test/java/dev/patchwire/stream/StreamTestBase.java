package dev.patchwire.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.impl.EngineOptions;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * What every stream test needs: a client-side Vert.x (apart from the server's, so that stopping
 * the server does not stop the clients), one engine per test on real sockets, a REST client, and
 * recorders that are closed after the test whatever happened.
 */
abstract class StreamTestBase {

  static final Duration WAIT = Duration.ofSeconds(15);
  /** How long "nothing more arrives" is watched for. */
  static final long QUIET_MILLIS = 300;

  static Vertx clients;

  TestServer server;
  Rest rest;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeAll
  static void startClients() {
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stopClients() throws Exception {
    clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void cleanUp() {
    AssertionError first = null;
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (AssertionError e) {
        first = first == null ? e : first;
      } catch (Exception ignored) {
        // best effort
      }
    }
    closeables.clear();
    stopServer();
    if (first != null) {
      throw first;
    }
  }

  void start() {
    start(TestServer.defaults());
  }

  void start(EngineOptions options) {
    server = TestServer.start(options);
    rest = new Rest(server.baseUrl());
  }

  /** Closes the engine (idempotent). */
  void stopServer() {
    if (server != null) {
      TestServer s = server;
      server = null;
      s.close();
    }
  }

  void restartServer() {
    TestServer s = server;
    server = null;
    server = s.restart();
    rest = new Rest(server.baseUrl());
  }

  static String wsPath(String collection, String query) {
    return "/api/collections/" + collection + "/stream/ws" + (query == null || query.isEmpty() ? "" : "?" + query);
  }

  static String ssePath(String collection, String query) {
    return "/api/collections/" + collection + "/stream/sse" + (query == null || query.isEmpty() ? "" : "?" + query);
  }

  WsRecorder ws(String collection, String query) {
    return track(WsRecorder.connect(clients, server.port(), wsPath(collection, query)));
  }

  SseRecorder sse(String collection, String query) {
    return track(SseRecorder.open(server.port(), ssePath(collection, query)));
  }

  SseRecorder sse(String collection, String query, String lastEventId) {
    return track(SseRecorder.open(server.port(), ssePath(collection, query), lastEventId));
  }

  <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  /**
   * Takes the start of a fresh stream, a snapshot and then Ready with resumed:false at the same
   * seq and epoch, applies the snapshot and returns the patcher.
   */
  StrictPatcher expectSnapshotAndReady(WsRecorder ws, String collection) {
    Frame snap = ws.nextFrame(WAIT);
    assertTrue(snap.isSnapshot(), "first frame must be a snapshot, got " + snap);
    assertEquals(server.epoch(), snap.epoch(), "snapshot epoch");
    Frame ready = ws.nextFrame(WAIT);
    assertReady(ready, snap.seq(), false);
    StrictPatcher p = new StrictPatcher(collection);
    p.applyWs(snap.json());
    return p;
  }

  void assertReady(Frame ready, long seq, boolean resumed) {
    assertTrue(ready.isReady(), "expected Ready, got " + ready);
    assertEquals(new JsonObject().put("Ready", true).put("epoch", server.epoch()).put("seq", seq).put("resumed", resumed),
        ready.json(), "Ready frame");
  }

  /** The collection map the REST API returns, {@code GET /api/collections/{c}/docs[?where]}. */
  ObjectNode restDocs(String collection, String where) {
    JsonNode body = (where == null ? rest.list(collection) : rest.list(collection, where)).expect(200).json();
    JsonNode map = body.get(collection);
    assertTrue(map != null && map.isObject(), "GET list has no object under '" + collection + "': " + body);
    return (ObjectNode) map;
  }

  /** The REST seq of the store right now (GET list's Patchwire-Seq). */
  long restSeq(String collection) {
    return rest.list(collection).expect(200).seq();
  }

  /**
   * Fails unless both trees are equal as JSON values: numbers compare by value (Jackson would tell
   * an int 1 from a long 1), everything else exactly.
   */
  static void assertDocs(JsonNode expected, JsonNode actual, String what) {
    if (!expected.equals(NUMBERS_BY_VALUE, actual)) {
      throw new AssertionError(what + "\n  expected: " + shorten(expected) + "\n  actual:   " + shorten(actual));
    }
  }

  static boolean equalDocs(JsonNode expected, JsonNode actual) {
    return expected.equals(NUMBERS_BY_VALUE, actual);
  }

  private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
    if (a.equals(b)) {
      return 0;
    }
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue());
    }
    return 1;
  };

  static String shorten(JsonNode n) {
    String s = n.toString();
    return s.length() > 2000 ? s.substring(0, 2000) + "...(" + s.length() + " chars)" : s;
  }
}
