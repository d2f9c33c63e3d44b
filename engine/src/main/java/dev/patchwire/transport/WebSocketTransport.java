package dev.patchwire.transport;

import dev.patchwire.auth.Auth;
import dev.patchwire.auth.AuthFailure;
import dev.patchwire.auth.Origins;
import dev.patchwire.stream.Fanout;
import dev.patchwire.stream.StreamSink;
import dev.patchwire.stream.Streams;
import dev.patchwire.wire.CloseCode;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.FrameEncoder;
import dev.patchwire.wire.HttpErrors;
import dev.patchwire.wire.WsFrames;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code GET /api/collections/{c}/stream/ws}: upgrades, then hands the socket to the fan-out.
 * A refused stream still upgrades, sends its error frame and closes with a 4xxx code, because a
 * browser cannot read the status of a refused handshake.
 *
 * <p>Browsers apply no CORS to WebSockets, so any page could open a stream to an engine on
 * localhost and read every document: an upgrade whose {@code Origin} is neither this engine's own
 * nor one {@code --cors-origin} allows is refused with {@code origin_not_allowed} and 4403 (see
 * {@link Origins#admits}).
 */
public final class WebSocketTransport {

  private static final Buffer EMPTY = Buffer.buffer();
  private static final long REFUSAL_CLOSE_DELAY_MILLIS = 50;

  private final Vertx vertx;
  private final Streams streams;
  private final Fanout fanout;
  private final Origins origins;
  private final Auth auth;
  private final int maxInboundBytes;
  private final Set<ServerWebSocket> sockets = new HashSet<>();

  /**
   * One per event loop; pings its own sockets every {@code pingIntervalMillis}; {@code origins}
   * says which pages may open streams; {@code auth} checks the token after that; a client message
   * over {@code maxInboundBytes} closes its stream with 1009.
   */
  public WebSocketTransport(Vertx vertx, Streams streams, Fanout fanout, long pingIntervalMillis,
      Origins origins, Auth auth, int maxInboundBytes) {
    this.vertx = vertx;
    this.maxInboundBytes = maxInboundBytes;
    this.streams = streams;
    this.fanout = fanout;
    this.origins = origins;
    this.auth = auth;
    vertx.setPeriodic(pingIntervalMillis, id -> {
      for (ServerWebSocket ws : sockets) {
        if (!ws.writeQueueFull()) {
          ws.writePing(EMPTY);
        }
      }
    });
  }

  /** The path this transport serves; the collection is its one parameter. */
  public static final Pattern PATH = Pattern.compile("/api/collections/([^/]+)/stream/ws");

  /**
   * Handles an upgrade request for {@link #PATH}. It takes the server's own request, not the
   * router's: vertx-web wraps the socket it upgrades, and the fan-out needs the real one to write
   * below Vert.x (see {@link WsSink}).
   */
  public void handle(HttpServerRequest request, String collection) {
    if (!origins.admits(request)) {
      upgrade(request, StreamOpening.originNotAllowed(request.getHeader("Origin")));
      return;
    }
    // The origin check comes first, the token after it. vertx-auth-jwt verifies synchronously,
    // so the upgrade still happens in the request's own handler.
    String token;
    try {
      token = auth.enabled() ? Auth.token(request) : null;
    } catch (IllegalArgumentException e) {
      upgrade(request, StreamOpening.badRequest("the query string is not valid percent-encoding"));
      return;
    }
    auth.authenticate(token).onComplete(ar -> upgrade(request, ar.succeeded()
        ? StreamOpening.read(collection, request.params(), streams, null, ar.result())
        : StreamOpening.unauthorized(ar.cause() instanceof AuthFailure f ? f
            : AuthFailure.unauthorized("the token could not be checked"))));
  }

  private void upgrade(HttpServerRequest request, StreamOpening opening) {
    request.toWebSocket().onComplete(ar -> {
      if (ar.failed()) {
        if (opening.refusal == null) {
          streams.admission().release();
        }
        return;
      }
      ServerWebSocket ws = ar.result();
      WsChannel channel = WsChannel.of(ws);
      limitInbound(ws, channel);
      if (opening.refusal != null) {
        sendRefusal(ws, opening.refusal);
        return;
      }
      sockets.add(ws);
      fanout.open(opening.request, new WsSink(ws, channel));
    });
  }

  /**
   * Upgrades a request the engine's access policy refused before looking at it, sends the error
   * frame and closes with {@code closeCode}.
   */
  public void refuse(HttpServerRequest request, CloseCode closeCode, ErrorCode code, String message) {
    StreamOpening opening = StreamOpening.refusedBy(code, closeCode, message);
    request.toWebSocket().onSuccess(ws -> sendRefusal(ws, opening.refusal));
  }

  private void sendRefusal(ServerWebSocket ws, StreamOpening.Refusal r) {
    // Close a moment after the error frame: a client that sets its handlers once its
    // handshake has completed would otherwise find the socket already closed.
    ws.writeTextMessage(WsFrames.errorJsonFrame(r.code(), r.message()))
        .onComplete(v -> vertx.setTimer(REFUSAL_CLOSE_DELAY_MILLIS,
            t -> ws.close(r.closeCode().code(), r.code().wire())));
  }

  /**
   * The engine expects nothing from a stream's client, so what it sends is dropped, but only up
   * to {@code maxInboundBytes} a message: a longer one closes the stream with 1009 (message too
   * big). Netty refuses a single frame past the limit before buffering it; the frames of a
   * fragmented message are counted here.
   */
  private void limitInbound(ServerWebSocket ws, WsChannel channel) {
    long[] messageBytes = {0};
    ws.frameHandler(frame -> {
      if (frame.isText() || frame.isBinary()) {
        messageBytes[0] = 0;
      } else if (!frame.isContinuation()) {
        return;  // ping, pong, close: at most 125 bytes each
      }
      messageBytes[0] += frame.binaryData().length();
      if (messageBytes[0] > maxInboundBytes) {
        messageBytes[0] = Long.MIN_VALUE;  // close once
        tooBig(channel);
      }
    });
    ws.exceptionHandler(e -> {
      if (e instanceof CorruptedWebSocketFrameException c
          && c.closeStatus().code() == CloseCode.MESSAGE_TOO_BIG.code()) {
        tooBig(channel);  // Netty refused one frame past the limit; Vert.x closes right after
      }
    });
  }

  /** Closes with 1009, straight through the channel (see {@link WsChannel#closeNow}). */
  private void tooBig(WsChannel channel) {
    channel.closeNow(CloseCode.MESSAGE_TOO_BIG.code(),
        "a client message may hold at most " + maxInboundBytes + " bytes");
  }

  /**
   * The server's own request under vertx-web's wrapper, for an upgrade from an application's
   * router (see {@code Patchwire.mount}): vertx-web offers no way back, and the sink writes below
   * Vert.x on the real socket (a socket upgraded through the wrapper sent the client nothing).
   */
  public static HttpServerRequest unwrap(HttpServerRequest request) {
    for (Class<?> c = request.getClass(); c != null; c = c.getSuperclass()) {
      if (c.getName().equals("io.vertx.core.internal.http.HttpServerRequestWrapper")) {
        try {
          java.lang.reflect.Field delegate = c.getDeclaredField("delegate");
          delegate.setAccessible(true);
          return unwrap((HttpServerRequest) delegate.get(request));
        } catch (ReflectiveOperationException | RuntimeException e) {
          throw new IllegalStateException("cannot reach the request under " + request.getClass().getName(), e);
        }
      }
    }
    return request;
  }

  /** A request to {@link #PATH} that is no upgrade: say what the endpoint wants. */
  public static void notAnUpgrade(RoutingContext ctx) {
    HttpErrors.send(ctx, ErrorCode.BAD_REQUEST, "this endpoint expects a WebSocket upgrade", null);
  }

  /**
   * A WebSocket as a stream sink. Frames are shared buffers, written without copying. Deferred
   * writes go straight to the socket's Netty pipeline, below Vert.x ({@link WsChannel}), because
   * Vert.x flushes every write made outside a read; the fan-out flushes once per turn instead.
   */
  private final class WsSink implements StreamSink {
    private final ServerWebSocket ws;
    private final WsChannel channel;
    private boolean unflushed;
    private Runnable onDrain = () -> { };
    private boolean drainProbe;

    WsSink(ServerWebSocket ws, WsChannel channel) {
      this.ws = ws;
      this.channel = channel;
    }

    @Override
    public FrameEncoder encoder() {
      return WsFrames.INSTANCE;
    }

    @Override
    public String transport() {
      return "ws";
    }

    /**
     * Every frame takes the same path, straight to the Netty pipeline: Vert.x queues a write of
     * its own while the socket is full, and a frame held there could be overtaken by one written
     * below it. The same encoded bytes go to every subscriber, wrapped, never re-encoded.
     */
    @Override
    public void write(Buffer frame) {
      channel.writeAndFlush(frame);
      unflushed = false;
    }

    @Override
    public boolean writeDeferred(Buffer frame) {
      channel.write(frame);
      boolean first = !unflushed;
      unflushed = true;
      return first;
    }

    /**
     * One text message in several frames (RFC 6455 5.4): a text frame, then continuation frames,
     * the last one final. Written below Vert.x like every other frame, so that nothing overtakes
     * them; Vert.x's pings may come between them, as control frames may.
     */
    @Override
    public void writeFragment(Buffer fragment, boolean first, boolean last) {
      channel.writeFragment(fragment, first, last);
      unflushed = false;
    }

    @Override
    public void flush() {
      if (unflushed) {
        unflushed = false;
        channel.flush();
      }
    }

    /**
     * Full when Netty's outbound buffer is past its high-water mark (Vert.x's own queue never
     * sees the frames written below it). Finding it full arms a drain probe: an empty write
     * queued behind everything pending, whose completion means the socket took it all.
     */
    @Override
    public boolean writeQueueFull() {
      if (!channel.isWritable() && unflushed) {
        // Full of frames not yet flushed this turn: hand them to the kernel before calling the
        // reader slow. Coalescing batches up to the high-water mark, never past it.
        flush();
      }
      if (channel.isWritable() && !ws.writeQueueFull()) {
        return false;
      }
      if (!drainProbe) {
        drainProbe = true;
        channel.probeDrain(() -> {
          drainProbe = false;
          onDrain.run();
        }, () -> drainProbe = false);
      }
      return true;
    }

    @Override
    public void drainHandler(Runnable onDrain) {
      this.onDrain = onDrain;
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
