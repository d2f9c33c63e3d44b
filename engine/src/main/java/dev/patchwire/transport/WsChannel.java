package dev.patchwire.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.impl.WebSocketImplBase;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.concurrent.TimeUnit;

/**
 * The one place the WebSocket fast path reaches below Vert.x's public API: the socket's Netty
 * channel context and a Buffer's bytes. Everything here relies on Vert.x internals of 5.0.x,
 * which {@code WsChannelTest} holds to what this class assumes, so that an upgrade that changes
 * them fails there, loudly, and not as slow or lost frames:
 *
 * <ul>
 *   <li>a server WebSocket is a {@code WebSocketImplBase} whose {@code channelHandlerContext()}
 *       sits behind Netty's WebSocket frame encoder, so a frame written there reaches the wire;
 *   <li>{@code BufferInternal.getByteBuf()} is a slice sharing the Buffer's memory that writing
 *       neither consumes nor frees, so one encoded frame can go to every subscriber;
 *   <li>nothing below flushes on its own: written frames wait for {@link #flush()} (the coalesced
 *       writes of docs/architecture.md);
 *   <li>an empty write queued behind pending frames completes once the socket took them all (the
 *       drain probe).
 * </ul>
 *
 * <p>Why below Vert.x: it flushes every write made outside a socket read, one system call per
 * frame per subscriber; and frames held in its own write queue could be overtaken by these.
 */
final class WsChannel {

  private final ChannelHandlerContext ctx;

  private WsChannel(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** The channel of an upgraded server WebSocket; fails at once if Vert.x no longer exposes it. */
  static WsChannel of(ServerWebSocket ws) {
    if (!(ws instanceof WebSocketImplBase<?> impl)) {
      throw new IllegalStateException("Vert.x's ServerWebSocket is no longer a WebSocketImplBase ("
          + ws.getClass().getName() + "): the WebSocket fast path (transport/WsChannel) needs updating");
    }
    ChannelHandlerContext ctx = impl.channelHandlerContext();
    if (ctx == null) {
      throw new IllegalStateException("Vert.x's WebSocket has no channel context: transport/WsChannel needs updating");
    }
    return new WsChannel(ctx);
  }

  /** Writes one whole text message of {@code frame}'s bytes (shared, not copied), unflushed. */
  void write(Buffer frame) {
    ctx.write(new TextWebSocketFrame(true, 0, bytes(frame)), ctx.voidPromise());
  }

  /** Writes and flushes one whole text message. */
  void writeAndFlush(Buffer frame) {
    ctx.writeAndFlush(new TextWebSocketFrame(true, 0, bytes(frame)), ctx.voidPromise());
  }

  /**
   * Writes and flushes one frame of a fragmented text message (RFC 6455 5.4): a text frame
   * first, continuation frames after it, the last one final.
   */
  void writeFragment(Buffer fragment, boolean first, boolean last) {
    ByteBuf bytes = bytes(fragment);
    WebSocketFrame frame = first ? new TextWebSocketFrame(last, 0, bytes)
        : new ContinuationWebSocketFrame(last, 0, bytes);
    ctx.writeAndFlush(frame, ctx.voidPromise());
  }

  /** Hands what was written to the kernel. */
  void flush() {
    ctx.flush();
  }

  /** False while Netty's outbound buffer is past its high-water mark. */
  boolean isWritable() {
    return ctx.channel().isWritable();
  }

  /**
   * Queues an empty write behind everything pending, flushed; {@code onDrained} runs once the
   * socket has taken all of it (not at all if the connection fails first).
   */
  void probeDrain(Runnable onDrained, Runnable onFailed) {
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
      if (f.isSuccess()) {
        onDrained.run();
      } else {
        onFailed.run();
      }
    });
  }

  /**
   * Sends a close frame straight to the channel, flushed (Vert.x closes right after an inbound
   * protocol error, and a close queued behind its deferred flush would be lost), then gives the
   * client a moment to answer it before closing the connection: closing at once while the client
   * is still sending makes the kernel reset the connection, and the client then sees 1006
   * instead of the close frame (seen under load). The client's answering close ends it sooner.
   */
  void closeNow(int code, String reason) {
    ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(sent ->
        ctx.executor().schedule(() -> ctx.close(), CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS));
  }

  /** How long {@link #closeNow} waits for the client's answering close frame. */
  static final long CLOSE_GRACE_MILLIS = 1_000;

  /** A Buffer's bytes as a Netty buffer sharing its memory (see the class comment). */
  static ByteBuf bytes(Buffer buffer) {
    return ((BufferInternal) buffer).getByteBuf();
  }
}
