package dev.patchwire.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.hostile.RawHttp.Answer;
import dev.patchwire.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP server as a whole against hostile clients (issue 9, classes 3, 4, 6 and 7), over raw
 * sockets so that every byte is what an attacker would send: Host and Origin rules (DNS
 * rebinding, cross-site writes, operator data), the write budget and the writer's queue,
 * connection caps, and the header, body and idle timeouts. Timeouts are short here (flags), so the
 * whole class takes a few seconds.
 */
@DisplayName("The HTTP server against hostile clients")
class ServerLimitsTest {

  static final long HEADER_TIMEOUT = 800;
  static final long IDLE_TIMEOUT = 1_200;
  static final long BODY_TIMEOUT = 800;
  static final long BUDGET = 64 * 1024;

  private static TestServer server;
  private static int port;

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.defaults()
        .setHeaderTimeoutMillis(HEADER_TIMEOUT)
        .setIdleTimeoutMillis(IDLE_TIMEOUT)
        .setBodyTimeoutMillis(BODY_TIMEOUT)
        .setMaxBodyBytes(BUDGET)
        .setMaxWriteBytesInFlight(BUDGET)
        .setMaxConnectionsPerIp(20)
        .setPingIntervalMillis(300)
        .setSsePingIntervalMillis(300));
    port = server.port();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static final String FOREIGN = "https://evil.example";

  /** name, raw request (PORT is replaced), expected status, expected error code (null: none). */
  static Stream<Arguments> rows() {
    String items = "/api/collections/items/docs";
    return Stream.of(
        // --- Host (DNS rebinding): only the engine's own names
        row("foreign Host", get("/api/collections", "evil.example"), 421, "misdirected_request"),
        row("foreign Host with the engine's port", get("/api/collections", "evil.example:PORT"), 421, "misdirected_request"),
        row("foreign Host on /health", get("/health", "evil.example:PORT"), 421, "misdirected_request"),
        row("foreign Host on /metrics", get("/metrics", "evil.example:PORT"), 421, "misdirected_request"),
        row("foreign Host on the board", get("/", "evil.example:PORT"), 421, "misdirected_request"),
        row("foreign Host on an SSE stream", get("/api/collections/items/stream/sse", "evil.example:PORT"), 421, "misdirected_request"),
        row("foreign Host is refused before the collection is looked up", get("/api/collections/nope/docs", "evil.example"), 421, "misdirected_request"),
        row("a name that starts with 127.0.0.1", get("/api/collections", "127.0.0.1.evil.example:PORT"), 421, "misdirected_request"),
        row("a name that ends with localhost", get("/api/collections", "evillocalhost:PORT"), 421, "misdirected_request"),
        row("Host localhost", get("/api/collections", "localhost:PORT"), 200, null),
        row("Host 127.0.0.1", get("/api/collections", "127.0.0.1:PORT"), 200, null),
        row("Host [::1]", get("/api/collections", "[::1]:PORT"), 200, null),
        row("Host in upper case with a trailing dot", get("/api/collections", "LOCALHOST.:PORT"), 200, null),
        row("no Host", "GET /api/collections HTTP/1.1\r\n\r\n", 400, "bad_request"),
        row("two Hosts", "GET /api/collections HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n", 400, "bad_request"),
        row("a malformed Host", get("/api/collections", "local host"), 400, "bad_request"),
        row("a Host with a path", get("/api/collections", "localhost/x"), 400, "bad_request"),
        row("a Host port out of range", get("/api/collections", "localhost:99999"), 400, "bad_request"),
        row("a write to a foreign Host", write("PUT", items + "/rebound", "evil.example:PORT", null, "application/json", "{}"), 421, "misdirected_request"),
        // --- Origin: writes from foreign pages, whatever their content type
        row("POST text/plain from a foreign page", write("POST", items, "127.0.0.1:PORT", FOREIGN, "text/plain", "{\"id\":\"f1\"}"), 403, "origin_not_allowed"),
        row("POST form from a foreign page", write("POST", items, "127.0.0.1:PORT", FOREIGN, "application/x-www-form-urlencoded", "a=b"), 403, "origin_not_allowed"),
        row("POST JSON from a foreign page", write("POST", items, "127.0.0.1:PORT", FOREIGN, "application/json", "{\"id\":\"f2\"}"), 403, "origin_not_allowed"),
        row("PUT from a foreign page", write("PUT", items + "/f3", "127.0.0.1:PORT", FOREIGN, "application/json", "{}"), 403, "origin_not_allowed"),
        row("PATCH from a foreign page", write("PATCH", items + "/f4", "127.0.0.1:PORT", FOREIGN, "application/json-patch+json", "[]"), 403, "origin_not_allowed"),
        row("DELETE from a foreign page", write("DELETE", items + "/f5", "127.0.0.1:PORT", FOREIGN, null, null), 403, "origin_not_allowed"),
        row("POST from a sandboxed page (Origin null)", write("POST", items, "127.0.0.1:PORT", "null", "text/plain", "{}"), 403, "origin_not_allowed"),
        row("POST from another port of the engine's host", write("POST", items, "127.0.0.1:PORT", "http://127.0.0.1:1", "application/json", "{}"), 403, "origin_not_allowed"),
        row("POST from the engine's own origin", write("POST", items, "127.0.0.1:PORT", "http://127.0.0.1:PORT", "application/json", "{\"id\":\"own\"}"), 201, null),
        row("POST from localhost's own origin", write("POST", items, "localhost:PORT", "http://localhost:PORT", "application/json", "{\"id\":\"own2\"}"), 201, null),
        row("POST without Origin (no browser)", write("POST", items, "127.0.0.1:PORT", null, "application/json", "{\"id\":\"cli\"}"), 201, null),
        row("a read from a foreign page is served (CORS keeps the answer from it)", origin("GET", items, FOREIGN), 200, null),
        // --- operator data
        row("/api/stats for a foreign page", origin("GET", "/api/stats", FOREIGN), 403, "origin_not_allowed"),
        row("/api/stats for a sandboxed page", origin("GET", "/api/stats", "null"), 403, "origin_not_allowed"),
        row("/api/stats without Origin", get("/api/stats", "127.0.0.1:PORT"), 200, null),
        row("/api/stats for the engine's own page", origin("GET", "/api/stats", "http://127.0.0.1:PORT"), 200, null),
        // --- methods: any name is answered, none becomes a label
        row("an unknown method", "M00001 / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405, "method_not_allowed"),
        row("an unknown method on the API", "FROB /api/collections/items/docs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405, "method_not_allowed"),
        // --- bodies: size declared up front
        row("a declared body over the limit is refused before it is read",
            "PUT " + items + "/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + (BUDGET + 1) + "\r\n\r\n", 413, "body_too_large"),
        row("Expect: 100-continue over the limit is refused before the body is sent",
            "PUT " + items + "/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
                + (BUDGET + 1) + "\r\n\r\n", 413, "body_too_large"));
  }

  private static Arguments row(String name, String request, int status, String code) {
    return Arguments.of(name, request, status, code);
  }

  private static String get(String path, String host) {
    return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  }

  private static String origin(String method, String path, String origin) {
    return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\nOrigin: " + origin + "\r\n\r\n";
  }

  private static String write(String method, String path, String host, String origin, String type, String body) {
    StringBuilder r = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
    if (origin != null) {
      r.append("Origin: ").append(origin).append("\r\n");
    }
    if (type != null) {
      r.append("Content-Type: ").append(type).append("\r\n");
    }
    byte[] b = body == null ? new byte[0] : body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    r.append("Content-Length: ").append(b.length).append("\r\n\r\n").append(body == null ? "" : body);
    return r.toString();
  }

  @ParameterizedTest(name = "{0}: {2} {3}")
  @MethodSource("rows")
  @DisplayName("each hostile request gets its exact status and error code, and a refusal changes nothing")
  void hostileRequest(String name, String request, int status, String code) {
    long seqBefore = seq();
    Answer a = RawHttp.exchange(port, request.replace("PORT", String.valueOf(port)));
    assertEquals(status, a.status(), name + ": " + a);
    if (code != null) {
      assertEquals(code, new JsonObject(a.body()).getJsonObject("error").getString("code"), name + ": " + a.body());
    }
    if (status >= 400) {
      assertEquals(seqBefore, seq(), name + ": a refused request changed the store");
    }
    assertEquals(200, RawHttp.exchange(port, get("/health", "127.0.0.1")).status(), "unhealthy after " + name);
  }

  private static long seq() {
    return new JsonObject(RawHttp.exchange(port, get("/health", "127.0.0.1")).body()).getLong("seq");
  }

  @Test
  @DisplayName("a WebSocket to a foreign Host gets misdirected_request, then close 4403")
  void webSocketForeignHost() throws Exception {
    try (RawHttp c = RawHttp.open(port)) {
      c.send("GET /api/collections/items/stream/ws HTTP/1.1\r\nHost: evil.example:" + port
          + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      assertTrue(c.readHead().startsWith("HTTP/1.1 101"));
      RawHttp.WsFrame error = c.readWsFrame();
      assertEquals(1, error.opcode());
      assertEquals("misdirected_request", new JsonObject(error.text()).getJsonObject("error").getString("code"));
      RawHttp.WsFrame close = c.readWsFrame();
      assertEquals(8, close.opcode());
      assertEquals(4403, close.closeCode());
    }
  }

  @Test
  @DisplayName("a silent connection is closed within the header timeout")
  void silentConnection() {
    try (RawHttp c = RawHttp.open(port)) {
      long closed = c.millisUntilClosed(HEADER_TIMEOUT + 2_000);
      assertTrue(closed >= 0, "a silent connection stayed open");
      assertTrue(closed >= HEADER_TIMEOUT - 200, "closed too early: " + closed + " ms");
    }
  }

  @Test
  @DisplayName("a slowloris client (a header byte now and then) is dropped at the header timeout")
  void slowloris() {
    try (RawHttp c = RawHttp.open(port)) {
      long start = System.nanoTime();
      c.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
      long elapsed = -1;
      // Generous upper bound: timers run late on a loaded machine; never dropped is the failure.
      while ((System.nanoTime() - start) / 1_000_000 < HEADER_TIMEOUT + 10_000) {
        try {
          c.out.write('a');
          c.out.flush();
        } catch (java.io.IOException e) {
          elapsed = (System.nanoTime() - start) / 1_000_000;
          break;
        }
        if (c.millisUntilClosed(100) >= 0) {
          elapsed = (System.nanoTime() - start) / 1_000_000;
          break;
        }
      }
      assertTrue(elapsed >= 0, "the slowloris client was never dropped");
      assertTrue(elapsed >= HEADER_TIMEOUT - 200 && elapsed < HEADER_TIMEOUT + 10_000, "dropped after " + elapsed + " ms");
    }
  }

  @Test
  @DisplayName("a keep-alive connection is closed after the idle timeout, not before")
  void keepAliveIdle() {
    try (RawHttp c = RawHttp.open(port)) {
      c.send(get("/health", "127.0.0.1"));
      assertEquals(200, c.readAnswer().status());
      long closed = c.millisUntilClosed(IDLE_TIMEOUT + 2_000);
      assertTrue(closed >= IDLE_TIMEOUT - 200, "closed after " + closed + " ms (idle timeout " + IDLE_TIMEOUT + ")");
    }
  }

  @Test
  @DisplayName("the second request on a keep-alive connection has its own header timeout")
  void slowSecondHead() throws Exception {
    try (RawHttp c = RawHttp.open(port)) {
      c.send(get("/health", "127.0.0.1"));
      assertEquals(200, c.readAnswer().status());
      c.send("GET /health HTTP/1.1\r\n");  // and never the rest
      long closed = c.millisUntilClosed(HEADER_TIMEOUT + 2_000);
      assertTrue(closed >= 0 && closed < HEADER_TIMEOUT + 1_000, "closed after " + closed + " ms");
    }
  }

  @Test
  @DisplayName("an SSE stream and a WebSocket stream outlive the idle timeout while the server pings")
  void streamsAreNotIdle() throws Exception {
    try (RawHttp sse = RawHttp.open(port); RawHttp ws = RawHttp.open(port)) {
      sse.send(get("/api/collections/items/stream/sse", "127.0.0.1"));
      assertTrue(sse.readHead().startsWith("HTTP/1.1 200"));
      ws.send("GET /api/collections/items/stream/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      assertTrue(ws.readHead().startsWith("HTTP/1.1 101"));
      CompletableFuture<Long> wsClosed = CompletableFuture.supplyAsync(() -> ws.millisUntilClosed(3 * IDLE_TIMEOUT));
      assertEquals(-1, sse.millisUntilClosed(3 * IDLE_TIMEOUT), "the SSE stream was cut");
      assertEquals(-1, wsClosed.get(), "the WebSocket stream was cut");
    }
  }

  @Test
  @DisplayName("a body that dawdles gets 408 request_timeout and releases its share of the write budget")
  void slowBody() {
    try (RawHttp c = RawHttp.open(port)) {
      c.send("PUT /api/collections/items/docs/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + BUDGET + "\r\n\r\n{\"a\":");
      Answer a = c.readAnswer();
      assertEquals(408, a.status(), a.toString());
      assertEquals("request_timeout", new JsonObject(a.body()).getJsonObject("error").getString("code"));
    }
    assertEquals(0, new JsonObject(RawHttp.exchange(port, get("/health", "127.0.0.1")).body())
        .getLong("writeBytesInFlight"));
  }

  @Test
  @DisplayName("past the write budget a write gets 503 overloaded with Retry-After before its body is read (declared or chunked)")
  void overBudget() {
    try (RawHttp holder = RawHttp.open(port)) {
      // Takes the whole budget and sends its body slowly.
      holder.send("PUT /api/collections/items/docs/holder HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + BUDGET + "\r\n\r\n{");
      waitFor(() -> new JsonObject(RawHttp.exchange(port, get("/health", "127.0.0.1")).body())
          .getLong("writeBytesInFlight") == BUDGET);
      long seqBefore = seq();
      for (String request : List.of(
          write("PUT", "/api/collections/items/docs/late", "127.0.0.1", null, "application/json", "{\"n\":1}"),
          "PUT /api/collections/items/docs/late HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              + "Transfer-Encoding: chunked\r\n\r\n7\r\n{\"n\":1}\r\n0\r\n\r\n",
          "PUT /api/collections/items/docs/late HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              + "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n")) {
        Answer a = RawHttp.exchange(port, request);
        assertEquals(503, a.status(), request + " -> " + a);
        assertEquals("overloaded", new JsonObject(a.body()).getJsonObject("error").getString("code"));
        assertNotNull(a.header("Retry-After"), a.toString());
      }
      assertEquals(seqBefore, seq());
      // Reads and small answers still go through.
      assertEquals(200, RawHttp.exchange(port, get("/api/collections/items/docs", "127.0.0.1")).status());
    }
    waitFor(() -> new JsonObject(RawHttp.exchange(port, get("/health", "127.0.0.1")).body())
        .getLong("writeBytesInFlight") == 0);
    assertEquals(201, RawHttp.exchange(port, write("PUT", "/api/collections/items/docs/after", "127.0.0.1", null,
        "application/json", "{\"n\":1}")).status());
  }

  @Test
  @DisplayName("past --max-connections-per-ip a client's new connections are closed at once; other clients are served")
  void perIpCap() {
    List<RawHttp> held = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        held.add(RawHttp.open("127.0.0.5", port));
      }
      waitFor(() -> new JsonObject(RawHttp.exchange(port, get("/health", "127.0.0.1")).body())
          .getInteger("connections") >= 21);
      try (RawHttp extra = RawHttp.open("127.0.0.5", port)) {
        long closed = extra.millisUntilClosed(500);
        assertTrue(closed >= 0 && closed < 400, "the connection over the cap stayed open: " + closed);
      }
      assertEquals(200, RawHttp.exchange(port, get("/health", "127.0.0.1")).status());
    } finally {
      held.forEach(RawHttp::close);
    }
  }

  @Test
  @DisplayName("past --max-connections new connections are closed at once; --max-queued-writes bounds the writer's queue")
  void connectionCapAndQueue() throws Exception {
    try (TestServer small = TestServer.start(TestServer.defaults().setMaxConnections(4).setMaxQueuedWrites(1))) {
      int p = small.port();
      List<CompletableFuture<Answer>> writes = new ArrayList<>();
      List<RawHttp> five = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          five.add(RawHttp.open(p));
        }
        // The event loops take connections in parallel, so which one is last is not known.
        Thread.sleep(300);
        long closed = five.stream().filter(s -> s.millisUntilClosed(50) >= 0).count();
        assertEquals(1, closed, "connections closed at once with 4 allowed and 5 opened");
      } finally {
        five.forEach(RawHttp::close);
      }
      // The writer's queue: many writes at once, one may wait; the others are refused cleanly.
      waitFor(() -> {
        try (RawHttp probe = RawHttp.open(p)) {
          probe.send(get("/health", "127.0.0.1"));
          return probe.readAnswer().status() == 200;
        } catch (AssertionError notYet) {
          return false;
        }
      });
      List<RawHttp> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          sockets.add(RawHttp.open(p));
        }
        for (int round = 0; round < 10; round++) {
          for (int i = 0; i < sockets.size(); i++) {
            sockets.get(i).send(write("PUT", "/api/collections/items/docs/q" + round + "-" + i, "127.0.0.1", null,
                "application/json", "{\"n\":" + round + "}"));
          }
          for (RawHttp s : sockets) {
            RawHttp.Answer ans = s.readAnswer();
            writes.add(CompletableFuture.completedFuture(ans));
            if (ans.header("Connection") != null && ans.header("Connection").equals("close")) {
              fail("a queue refusal need not close the connection: " + ans);
            }
          }
        }
      } finally {
        sockets.forEach(RawHttp::close);
      }
      long refused = writes.stream().map(CompletableFuture::join).filter(w -> w.status() == 503).count();
      for (CompletableFuture<Answer> w : writes) {
        Answer ans = w.join();
        assertTrue(ans.status() == 201 || ans.status() == 503, ans.toString());
        if (ans.status() == 503) {
          assertEquals("overloaded", new JsonObject(ans.body()).getJsonObject("error").getString("code"));
          assertNotNull(ans.header("Retry-After"));
        }
      }
      assertTrue(refused > 0, "30 concurrent writes never found the queue of 1 full");
    }
  }

  private static void fail(String message) {
    throw new AssertionError(message);
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  @DisplayName("/health says which: 200 UP with no problems while the engine serves")
  void healthUp() {
    JsonObject h = new JsonObject(RawHttp.exchange(port, get("/health", "127.0.0.1")).body());
    assertEquals("UP", h.getString("status"));
    assertTrue(h.getJsonArray("problems").isEmpty());
    assertFalse(h.getString("writer").isEmpty());
  }
}
