package dev.patchwire.transport;

import dev.patchwire.auth.Access;
import dev.patchwire.stream.Fanout;
import dev.patchwire.stream.StreamSink;
import dev.patchwire.stream.Streams;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.FrameEncoder;
import dev.patchwire.wire.HttpErrors;
import dev.patchwire.wire.SseFrames;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code GET /api/collections/{c}/stream/sse}: Server-Sent Events. A refused stream gets its
 * HTTP status and JSON error body (an EventSource does not retry a non-200 answer).
 */
public final class SseTransport {

  private static final Buffer PING = Buffer.buffer(":ping\n\n");
  private static final Buffer PREAMBLE = Buffer.buffer("retry: 1000\n\n");

  private final Streams streams;
  private final Fanout fanout;
  private final Set<SseSink> sinks = new HashSet<>();

  /** One per event loop; sends {@code :ping} to its own streams every {@code pingIntervalMillis}. */
  public SseTransport(Vertx vertx, Streams streams, Fanout fanout, long pingIntervalMillis) {
    this.streams = streams;
    this.fanout = fanout;
    vertx.setPeriodic(pingIntervalMillis, id -> {
      for (SseSink s : sinks) {
        s.ping();
      }
    });
  }

  public void handle(RoutingContext ctx) {
    StreamOpening opening = StreamOpening.read(ctx.pathParam("c"), ctx.queryParams(), streams,
        ctx.request().getHeader("Last-Event-ID"), Access.of(ctx));
    if (opening.refusal != null) {
      StreamOpening.Refusal r = opening.refusal;
      HttpErrors.send(ctx, r.code(), r.message(), null);
      return;
    }
    // several nodes: while the database does not answer, a 503 the client retries, rather than
    // a 200 whose stream ends in an error event (one trivial query per stream on a shared store)
    streams.lookup().storeAnswers().onComplete(ar -> {
      if (ar.failed()) {
        ctx.response().putHeader("Retry-After", "1");
        HttpErrors.send(ctx, ErrorCode.UNAVAILABLE, "the database does not answer; retry shortly", null);
      } else if (!ctx.response().closed()) {
        start(ctx, opening);
      }
    });
  }

  private void start(RoutingContext ctx, StreamOpening opening) {
    HttpServerResponse response = ctx.response()
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    response.write(PREAMBLE);
    SseSink sink = new SseSink(response);
    sinks.add(sink);
    fanout.open(opening.request, sink);
  }

  private final class SseSink implements StreamSink {
    private final HttpServerResponse response;
    /** True between the first and the last part of an event written in parts. */
    private boolean midEvent;

    SseSink(HttpServerResponse response) {
      this.response = response;
    }

    /** A {@code :ping} comment, unless the socket is full or it would land inside an event. */
    void ping() {
      if (!midEvent && !response.writeQueueFull()) {
        write(PING);
      }
    }

    @Override
    public FrameEncoder encoder() {
      return SseFrames.INSTANCE;
    }

    @Override
    public String transport() {
      return "sse";
    }

    @Override
    public void write(Buffer frame) {
      if (!response.ended() && !response.closed()) {
        response.write(frame);
      }
    }

    /** An event's parts are HTTP chunks of one response: SSE has no framing of its own. */
    @Override
    public void writeFragment(Buffer fragment, boolean first, boolean last) {
      midEvent = !last;
      write(fragment);
    }

    /** Vert.x flushes each response write; SSE streams do without coalescing. */
    @Override
    public boolean writeDeferred(Buffer frame) {
      write(frame);
      return false;
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean writeQueueFull() {
      return response.writeQueueFull();
    }

    @Override
    public void drainHandler(Runnable onDrain) {
      response.drainHandler(v -> onDrain.run());
    }

    @Override
    public void closedHandler(Runnable onClosed) {
      Runnable gone = () -> {
        sinks.remove(this);
        onClosed.run();
      };
      response.closeHandler(v -> gone.run());
      response.endHandler(v -> gone.run());
    }

    @Override
    public void close(short code, String reason) {
      sinks.remove(this);
      if (!response.ended() && !response.closed()) {
        response.end();
      }
    }
  }
}
