package dev.patchwire.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.patchwire.testing.WireSchemas;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal WebSocket subscriber on one collection, to prove what a write did or did not emit.
 * {@link #open} returns after the snapshot and Ready; every frame is checked against the wire
 * schema on arrival.
 */
final class StreamWatch implements AutoCloseable {

  private static final long WAIT_MILLIS = 10_000;

  private final String collection;
  private final HttpClient http = HttpClient.newHttpClient();
  private final LinkedBlockingQueue<Object> frames = new LinkedBlockingQueue<>();
  private WebSocket ws;
  private long readySeq;

  private StreamWatch(String collection) {
    this.collection = collection;
  }

  static StreamWatch open(int port, String collection) {
    StreamWatch w = new StreamWatch(collection);
    URI uri = URI.create("ws://127.0.0.1:" + port + "/api/collections/" + collection + "/stream/ws");
    try {
      w.ws = w.http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
          .buildAsync(uri, w.listener()).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("cannot open " + uri + ": " + e, e);
    }
    JsonObject first = w.next();
    assertTrue(first.getBoolean("snapshot", false), "a fresh stream starts with a snapshot: " + first.encode());
    assertEquals("/" + collection, first.getJsonArray("JsonPatch").getJsonObject(0).getString("path"));
    JsonObject ready = w.next();
    assertTrue(ready.getBoolean("Ready", false), "Ready follows the snapshot: " + ready.encode());
    assertEquals(first.getLong("seq"), ready.getLong("seq"), "Ready names the snapshot's seq");
    w.readySeq = ready.getLong("seq");
    return w;
  }

  long readySeq() {
    return readySeq;
  }

  private WebSocket.Listener listener() {
    return new WebSocket.Listener() {
      private final StringBuilder partial = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
          String text = partial.toString();
          partial.setLength(0);
          try {
            frames.add(WireSchemas.assertValidWsFrame(text));
          } catch (AssertionError e) {
            frames.add(e);
          }
        }
        socket.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
        frames.add(new AssertionError(collection + " stream closed " + statusCode + " " + reason));
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public void onError(WebSocket socket, Throwable error) {
        frames.add(new AssertionError(collection + " stream failed: " + error, error));
      }
    };
  }

  /** The next frame, waiting up to 10 s. */
  JsonObject next() {
    Object f;
    try {
      f = frames.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    if (f == null) {
      fail("no frame on " + collection + " within " + WAIT_MILLIS + " ms");
    }
    if (f instanceof AssertionError e) {
      throw e;
    }
    return (JsonObject) f;
  }

  /**
   * Asserts that the next frame is the live frame of the change at {@code seq}: so nothing was
   * emitted between the frames already taken and that change.
   */
  JsonObject expectLive(long seq, String context) {
    JsonObject f = next();
    if (!f.containsKey("JsonPatch") || f.containsKey("snapshot") || f.getLong("seq") != seq) {
      fail(context + ": expected the live frame of seq " + seq + " next on " + collection + ", got " + f.encode());
    }
    return f;
  }

  /** Frames received and not yet taken, without waiting. */
  int pending() {
    return frames.size();
  }

  @Override
  public void close() {
    if (ws != null) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null);
      ws.abort();
    }
  }
}
