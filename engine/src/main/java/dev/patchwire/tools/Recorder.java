package dev.patchwire.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.json.Json;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Records one stream (WebSocket or SSE) into a {@link RecordingWriter}: every message with its
 * arrival time, until the server closes it, {@link #stop} is called, or a limit is reached.
 *
 * <pre>{@code
 * Recorder r = Recorder.start(vertx, StreamUrl.parse("ws://127.0.0.1:8080/api/collections/tasks/stream/ws"),
 *     new RecordingWriter(System.out), Recorder.Limits.NONE);
 * r.done().join();
 * }</pre>
 */
public final class Recorder implements Tap.Sink {

  /**
   * When to stop on our own. {@code duration} null and {@code maxFrames} 0 mean never;
   * {@code receiveBufferBytes} above 0 sets the socket's SO_RCVBUF, so that a paused recorder
   * makes the server see a slow consumer quickly.
   */
  public record Limits(Duration duration, long maxFrames, int receiveBufferBytes) {
    public static final Limits NONE = new Limits(null, 0, 0);
  }

  private final Vertx vertx;
  private final RecordingWriter out;
  private final Limits limits;
  private final CompletableFuture<String> done = new CompletableFuture<>();
  private Tap tap;
  private long frames;
  private boolean ended;
  private long timer = -1;

  private Recorder(Vertx vertx, RecordingWriter out, Limits limits) {
    this.vertx = vertx;
    this.out = out;
    this.limits = limits;
  }

  /** Writes the header and connects; the recording runs on {@code vertx}'s event loop. */
  public static Recorder start(Vertx vertx, StreamUrl url, RecordingWriter out, Limits limits) {
    Recorder r = new Recorder(vertx, out, limits);
    out.header(url);
    synchronized (r) {
      r.tap = url.transport().equals("ws")
          ? new WsTap(vertx, url, limits.receiveBufferBytes(), r)
          : new SseTap(vertx, url, limits.receiveBufferBytes(), r);
      if (r.ended) {
        r.tap.close();
      } else if (limits.duration() != null) {
        r.timer = vertx.setTimer(Math.max(1, limits.duration().toMillis()), id -> r.stop("duration"));
      }
    }
    return r;
  }

  /** Completes with the kind of the last line ({@code closed}, {@code stopped}, ...) once it is written. */
  public CompletableFuture<String> done() {
    return done;
  }

  /** Messages recorded so far (WebSocket frames or SSE events; not comments). */
  public synchronized long frames() {
    return frames;
  }

  public synchronized void pause() {
    tap.pause();
  }

  public synchronized void resume() {
    tap.resume();
  }

  /** Ends the recording with {@code {"stopped": why}} and closes the connection. Idempotent. */
  public void stop(String why) {
    ended("stopped", Json.MAPPER.getNodeFactory().textNode(why));
  }

  @Override
  public synchronized void received(String kind, JsonNode value, boolean frame) {
    if (ended) {
      return;
    }
    out.entry(kind, value);
    if (frame && ++frames == limits.maxFrames()) {
      stop("frames");
    }
  }

  @Override
  public void ended(String kind, JsonNode value) {
    Tap closing;
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      out.entry(kind, value);
      closing = tap;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
    if (closing != null) {
      closing.close();
    }
    done.complete(kind);
  }
}
