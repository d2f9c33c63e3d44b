package dev.patchwire.transport;

import dev.patchwire.http.HttpErrors;
import dev.patchwire.stream.Fanout;
import dev.patchwire.stream.FrameEncoder;
import dev.patchwire.stream.StreamSink;
import dev.patchwire.stream.Streams;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code GET /api/collections/{c}/stream/ws}: upgrades, then hands the socket to the fan-out.
 * A refused stream still upgrades, sends its error frame and closes with a 4xxx code, because a
 * browser cannot read the status of a refused handshake.
 */
public final class WebSocketTransport {

  private static final Buffer EMPTY = Buffer.buffer();

  private final Streams streams;
  private final Fanout fanout;
  private final Set<ServerWebSocket> sockets = new HashSet<>();

  /** One per event loop; pings its own sockets every {@code pingIntervalMillis}. */
  public WebSocketTransport(Vertx vertx, Streams streams, Fanout fanout, long pingIntervalMillis) {
    this.streams = streams;
    this.fanout = fanout;
    vertx.setPeriodic(pingIntervalMillis, id -> {
      for (ServerWebSocket ws : sockets) {
        if (!ws.writeQueueFull()) {
          ws.writePing(EMPTY);
        }
      }
    });
  }

  public void handle(RoutingContext ctx) {
    if (!ctx.request().canUpgradeToWebSocket()) {
      HttpErrors.send(ctx, 400, "bad_request", "this endpoint expects a WebSocket upgrade", null);
      return;
    }
    StreamOpening opening = StreamOpening.read(ctx, streams, null);
    ctx.request().toWebSocket().onComplete(ar -> {
      if (ar.failed()) {
        if (opening.refusal == null) {
          streams.release();
        }
        return;
      }
      ServerWebSocket ws = ar.result();
      if (opening.refusal != null) {
        StreamOpening.Refusal r = opening.refusal;
        ws.writeTextMessage(WsFrames.errorJsonFrame(r.code(), r.message()));
        ws.close(r.closeCode(), r.code());
        return;
      }
      sockets.add(ws);
      fanout.open(opening.request, new WsSink(ws));
    });
  }

  /** A WebSocket as a stream sink; frames are shared buffers, written without copying. */
  private final class WsSink implements StreamSink {
    private final ServerWebSocket ws;

    WsSink(ServerWebSocket ws) {
      this.ws = ws;
    }

    @Override
    public FrameEncoder encoder() {
      return WsFrames.INSTANCE;
    }

    @Override
    public String transport() {
      return "ws";
    }

    @Override
    public void write(Buffer frame) {
      // The same encoded bytes go to every subscriber: wrap them, do not re-encode the text.
      ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT,
          ((BufferInternal) frame).getByteBuf(), true));
    }

    @Override
    public boolean writeQueueFull() {
      return ws.writeQueueFull();
    }

    @Override
    public void drainHandler(Runnable onDrain) {
      ws.drainHandler(v -> onDrain.run());
    }

    @Override
    public void closedHandler(Runnable onClosed) {
      ws.closeHandler(v -> {
        sockets.remove(ws);
        onClosed.run();
      });
    }

    @Override
    public void close(short code, String reason) {
      sockets.remove(ws);
      ws.close(code, reason);
    }
  }
}
