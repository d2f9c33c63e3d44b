package dev.patchwire.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.Rest;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Closed;
import dev.patchwire.testing.WsRecorder.Frame;
import io.vertx.core.http.WebSocketConnectOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cross-site WebSocket hijacking: browsers apply no CORS to WebSockets, so the engine checks the
 * upgrade's {@code Origin}. No {@code Origin} (no browser), the engine's own origin, a
 * {@code --cors-origin} origin or any under {@code *} get their stream; any other page gets
 * {@code {"error":{"code":"origin_not_allowed"}}} and close 4403, and nothing else.
 */
@DisplayName("A WebSocket stream opened from a web page")
class WebSocketOriginTest extends StreamTestBase {

  private static final String FOREIGN = "https://evil.example";

  /** Each write changes the document, so each has a live frame. */
  private int writes;

  @Test
  @DisplayName("without Origin (Node, wscat, tests) gets its stream")
  void noOrigin() {
    start();
    expectWorkingStream(connect(null).setAllowOriginHeader(false));
  }

  @Test
  @DisplayName("from the engine's own origin (the board it serves) gets its stream, however the origin is cased")
  void sameOrigin() {
    start();
    // The Vert.x client sends Origin http://127.0.0.1:PORT with Host 127.0.0.1:PORT, as a browser would.
    expectWorkingStream(connect(null));
    expectWorkingStream(connect("http://127.0.0.1:" + server.port()));
    expectWorkingStream(connect("HTTP://127.0.0.1:" + server.port()));
  }

  @ParameterizedTest(name = "Origin: {0}")
  @ValueSource(strings = {FOREIGN, "http://localhost:3000", "null", "http://127.0.0.1:1", "https://127.0.0.1:PORT"})
  @DisplayName("from any other origin, without --cors-origin, gets origin_not_allowed and close 4403")
  void foreignOrigin(String origin) {
    start();
    String o = origin.replace("PORT", String.valueOf(server.port()));
    expectRefused(connect(o), o);
  }

  @Test
  @DisplayName("from a foreign origin is refused before anything else: an unknown collection or a bad where are not told")
  void refusedFirst() {
    start();
    expectRefused(ws(connect(FOREIGN), "nosuch", null), FOREIGN);
    expectRefused(ws(connect(FOREIGN), "tasks", "where=status"), FOREIGN);
  }

  @Test
  @DisplayName("refused does not take a subscriber place")
  void refusedTakesNoPlace() {
    start(TestServer.defaults().setMaxSubscribers(1));
    for (int i = 0; i < 3; i++) {
      expectRefused(connect(FOREIGN), FOREIGN);
    }
    expectWorkingStream(connect(null));
  }

  @Test
  @DisplayName("from an origin listed with --cors-origin gets its stream; others are still refused")
  void listedOrigin() {
    start(TestServer.defaults().setCorsOrigins("HTTP://LocalHost:3000, https://app.example.com:443"));
    expectWorkingStream(connect("http://localhost:3000"));
    expectWorkingStream(connect("https://app.example.com"));
    expectWorkingStream(connect(null));
    expectRefused(connect(FOREIGN), FOREIGN);
    expectRefused(connect("http://localhost:3001"), "http://localhost:3001");
    expectRefused(connect("null"), "null");
  }

  @ParameterizedTest(name = "Origin: {0}")
  @ValueSource(strings = {FOREIGN, "null"})
  @DisplayName("from any origin under --cors-origin * gets its stream")
  void anyOrigin(String origin) {
    start(TestServer.defaults().setCorsOrigins("*"));
    expectWorkingStream(connect(origin));
  }

  @Test
  @DisplayName("behind a TLS proxy that keeps Host and says X-Forwarded-Proto: https, from the page's https origin gets its stream")
  void forwardedProto() {
    start();
    String https = "https://127.0.0.1:" + server.port();
    expectWorkingStream(connect(https).addHeader("X-Forwarded-Proto", "https"));
    expectRefused(connect("http://127.0.0.1:" + server.port()).addHeader("X-Forwarded-Proto", "https"),
        "http://127.0.0.1:" + server.port());
  }

  /** An upgrade of "items" on this test's server with this Origin (null: the client's own). */
  private WebSocketConnectOptions connect(String origin) {
    WebSocketConnectOptions o = new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(server.port()).setURI(wsPath("items", null));
    if (origin != null) {
      o.addHeader("Origin", origin);
    }
    return o;
  }

  private WebSocketConnectOptions ws(WebSocketConnectOptions o, String collection, String query) {
    return o.setURI(wsPath(collection, query));
  }

  private void expectWorkingStream(WebSocketConnectOptions o) {
    WsRecorder ws = track(WsRecorder.connect(clients, o));
    expectSnapshotAndReady(ws, "items");
    long seq = rest.put("items", "x", Rest.obj("v", ++writes)).seq();
    assertEquals(seq, ws.nextFrame(WAIT).seq(), "a live frame arrives");
    ws.close();
  }

  private void expectRefused(WebSocketConnectOptions o, String origin) {
    WsRecorder ws = track(WsRecorder.connect(clients, o));
    Frame f = ws.nextFrame(WAIT);
    assertTrue(f.isError(), "first frame is an error: " + f);
    assertEquals("origin_not_allowed", f.json().getJsonObject("error").getString("code"), "error code in " + f);
    String message = f.json().getJsonObject("error").getString("message");
    assertTrue(message.contains(origin) && message.contains("--cors-origin"),
        "the message names the origin and --cors-origin: " + message);
    Closed c = ws.awaitClose(WAIT);
    assertEquals((short) 4403, c.code(), "close code (reason " + c.reason() + ")");
    assertEquals("origin_not_allowed", c.reason(), "close reason");
    assertEquals(1, ws.received().size(), "only the error frame: " + ws.received());
    ws.assertExhausted(QUIET_MILLIS);
  }
}
