package dev.patchwire.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Records everything one stream WebSocket receives, in order: each text frame parsed as JSON (and
 * checked against the wire schema as it arrives), then the close code and reason. Tests take the
 * events one by one and assert the exact sequence, like OkHttp's WebSocketRecorder.
 *
 * <p>Ping frames are counted apart, since they come on a timer and would make exact sequences
 * flaky. The {@link WebSocketClient} is held in a field: a Vert.x 5 client that nothing references
 * is closed by the garbage collector, connections and all.
 */
public final class WsRecorder implements AutoCloseable {

  public static final Duration TIMEOUT = Duration.ofSeconds(15);

  /** One received text frame, with the moment it was handed to the recorder. */
  public record Frame(JsonObject json, String text, long nanos) {

    public boolean isPatch() { return json.containsKey("JsonPatch"); }
    public boolean isSnapshot() { return isPatch() && Boolean.TRUE.equals(json.getValue("snapshot")); }
    public boolean isLive() { return isPatch() && !isSnapshot(); }
    public boolean isReady() { return json.containsKey("Ready"); }
    public boolean isResync() { return json.containsKey("Resync"); }
    public boolean isError() { return json.containsKey("error"); }
    public boolean isFinished() { return json.containsKey("finished"); }

    /** The frame's seq; fails when it has none. */
    public long seq() {
      Object s = json.getValue("seq");
      if (!(s instanceof Number)) {
        fail("frame has no numeric seq: " + text);
      }
      return ((Number) s).longValue();
    }

    public String epoch() { return json.getString("epoch"); }

    /** The {@code JsonPatch} array as a Jackson tree. */
    public JsonNode patch() { return Rest.parse(json.getJsonArray("JsonPatch").encode()); }

    @Override
    public String toString() {
      return text.length() > 400 ? text.substring(0, 400) + "...(" + text.length() + " chars)" : text;
    }
  }

  /** The close frame (code and reason are null when the connection died without one). */
  public record Closed(Short code, String reason, long nanos) {}

  private final String uri;
  private final WebSocketClient client;
  private final ClientWebSocket ws;
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private final List<Frame> received = new CopyOnWriteArrayList<>();
  private final List<Throwable> violations = new CopyOnWriteArrayList<>();
  private final AtomicInteger pings = new AtomicInteger();
  private final Set<Frame> validated =
      Collections.newSetFromMap(new IdentityHashMap<>());
  private volatile boolean closed;

  private WsRecorder(String uri, WebSocketClient client) {
    this.uri = uri;
    this.client = client;
    this.ws = client.webSocket();
  }

  /** Connects to {@code uri} (path and query) on 127.0.0.1 and waits until the upgrade is done. */
  public static WsRecorder connect(Vertx vertx, int port, String uri) {
    return connect(vertx, port, uri, new WebSocketClientOptions());
  }

  /**
   * Like {@link #connect(Vertx, int, String)} with client options, e.g. a small
   * {@code setReceiveBufferSize} so that a paused reader pushes back on the server quickly.
   */
  public static WsRecorder connect(Vertx vertx, int port, String uri, WebSocketClientOptions options) {
    return connect(vertx, options, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri));
  }

  /**
   * Like {@link #connect(Vertx, int, String)} with the handshake as the test shapes it, e.g. an
   * {@code Origin} header of its own, or none ({@code setAllowOriginHeader(false)}; by default
   * the Vert.x client sends {@code Origin} as a browser on the engine's own origin would).
   */
  public static WsRecorder connect(Vertx vertx, WebSocketConnectOptions connect) {
    return connect(vertx, new WebSocketClientOptions(), connect);
  }

  private static WsRecorder connect(Vertx vertx, WebSocketClientOptions options, WebSocketConnectOptions connect) {
    String uri = connect.getURI();
    WebSocketClientOptions o = new WebSocketClientOptions(options)
        .setMaxFrameSize(16 << 20)
        .setMaxMessageSize(256 << 20);
    WsRecorder r = new WsRecorder(uri, vertx.createWebSocketClient(o));
    r.ws.textMessageHandler(r::onText);
    r.ws.frameHandler(frame -> {
      if (frame.isPing()) {
        r.pings.incrementAndGet();
      }
    });
    r.ws.closeHandler(v -> {
      r.closed = true;
      r.events.add(new Closed(r.ws.closeStatusCode(), r.ws.closeReason(), System.nanoTime()));
    });
    r.ws.exceptionHandler(t -> { /* a dropped connection shows up as a Closed without code */ });
    try {
      r.ws.connect(connect)
          .toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      r.client.close();
      throw new AssertionError("WebSocket upgrade to " + uri + " failed: " + e, e);
    }
    return r;
  }

  /**
   * Runs on the client's event loop: only parse and record. Schema validation is slower and is
   * done by the thread that takes the frame (or by {@link #close()} for frames never taken), so
   * that many recorders on one client Vert.x do not delay each other's handshakes and frames.
   */
  private void onText(String text) {
    long now = System.nanoTime();
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (RuntimeException e) {
      violations.add(new AssertionError("text frame is not a JSON object: " + text, e));
      return;
    }
    Frame f = new Frame(json, text, now);
    received.add(f);
    events.add(f);
  }

  private synchronized void validate(Frame f) {
    if (validated.add(f) && !VALID_TEXTS.contains(f.text())) {
      try {
        WireSchemas.assertValidWsFrame(f.json());
        remember(f.text());
      } catch (Throwable t) {
        violations.add(new AssertionError("frame violates the wire schema: " + f.text() + "\n  " + t, t));
      }
    }
  }

  /**
   * Texts already found valid. Schema validation costs about a millisecond a frame, and the
   * engine sends the very same text to every subscriber of a stream; the same text is valid
   * again, so checking it once is exact, not a shortcut.
   */
  private static final Set<String> VALID_TEXTS = ConcurrentHashMap.newKeySet();

  private static void remember(String text) {
    if (VALID_TEXTS.size() > 50_000) {
      VALID_TEXTS.clear();
    }
    VALID_TEXTS.add(text);
  }

  public String uri() { return uri; }

  /** The next event, a frame or the close; fails after {@code timeout}. */
  public Object nextEvent(Duration timeout) {
    assertNoViolations();
    try {
      Object e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (e == null) {
        fail("no frame within " + timeout.toMillis() + " ms on " + uri + " (received so far: " + received.size() + ")");
      }
      if (e instanceof Frame f) {
        validate(f);
      }
      assertNoViolations();
      return e;
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new AssertionError(ie);
    }
  }

  public Frame nextFrame() {
    return nextFrame(TIMEOUT);
  }

  /** The next frame; fails on a close or a timeout. */
  public Frame nextFrame(Duration timeout) {
    Object e = nextEvent(timeout);
    if (e instanceof Closed c) {
      fail("expected a frame on " + uri + " but the socket closed with " + c.code() + " " + c.reason());
    }
    return (Frame) e;
  }

  /** Skips frames until one matches; fails on a close or a timeout. */
  public Frame awaitFrame(Predicate<Frame> p, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail("no matching frame within " + timeout.toMillis() + " ms on " + uri);
      }
      Frame f = nextFrame(Duration.ofNanos(left));
      if (p.test(f)) {
        return f;
      }
    }
  }

  /** Skips frames until a JsonPatch frame with seq at least {@code seq}. */
  public Frame awaitSeq(long seq, Duration timeout) {
    return awaitFrame(f -> f.isPatch() && f.seq() >= seq, timeout);
  }

  /** The close; fails when a frame comes first. */
  public Closed awaitClose(Duration timeout) {
    Object e = nextEvent(timeout);
    if (e instanceof Frame f) {
      fail("expected the close on " + uri + " but got frame " + f);
    }
    return (Closed) e;
  }

  /** Collects every frame into {@code frames} until the close, which it returns. */
  public Closed drainUntilClose(List<Frame> frames, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail("no close within " + timeout.toMillis() + " ms on " + uri + " after " + frames.size() + " frames");
      }
      Object e = nextEvent(Duration.ofNanos(left));
      if (e instanceof Closed c) {
        return c;
      }
      frames.add((Frame) e);
    }
  }

  /** Fails when anything (frame or close) arrives within {@code quietMillis}. */
  public void assertExhausted(long quietMillis) {
    assertNoViolations();
    try {
      Object e = events.poll(quietMillis, TimeUnit.MILLISECONDS);
      if (e instanceof Frame f) {
        validate(f);
      }
      if (e != null) {
        fail("expected nothing more on " + uri + " but got " + e);
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new AssertionError(ie);
    }
    assertNoViolations();
  }

  /** Frames received but not yet taken by next/await. */
  public List<Object> pending() {
    return new ArrayList<>(events);
  }

  /** Every text frame received so far, taken or not. */
  public List<Frame> received() {
    return List.copyOf(received);
  }

  public int pings() {
    return pings.get();
  }

  /** Stops reading: Vert.x stops reading the socket once its small inbound queue fills. */
  public void pause() {
    ws.pause();
  }

  public void resume() {
    ws.resume();
  }

  public boolean isClosed() {
    return closed;
  }

  public void assertNoViolations() {
    if (!violations.isEmpty()) {
      AssertionError e = new AssertionError(violations.size() + " bad frame(s) on " + uri + ": "
          + violations.get(0).getMessage(), violations.get(0));
      throw e;
    }
  }

  /** Closes the socket (if still open) and the client, then checks every frame received against the schema. */
  @Override
  public void close() {
    for (Frame f : received) {
      validate(f);
    }
    try {
      if (!closed) {
        ws.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    } catch (Exception ignored) {
      // already gone
    } finally {
      client.close();
    }
    assertNoViolations();
  }
}
