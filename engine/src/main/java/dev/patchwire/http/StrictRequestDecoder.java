package dev.patchwire.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Vert.x's HTTP/1.1 request decoder, made strict where Netty is lenient by default:
 *
 * <ul>
 *   <li>{@code Content-Length} together with {@code Transfer-Encoding: chunked} is refused
 *       (request smuggling: a proxy in front may frame the body by the other header). Netty drops
 *       the {@code Content-Length} and reads on; its documented hook
 *       {@link #handleTransferEncodingChunkedWithContentLength} may instead fail the message, which
 *       Vert.x then hands to the server's invalid-request handler (400).
 *   <li>A malformed chunk (a bad chunk size) gets a 400 answer before the connection closes.
 *       Netty marks the chunk failed and Vert.x closes the connection at once, answering nothing,
 *       and no response written from a Vert.x handler at that point would be flushed in time: so
 *       this decoder, which is the one to know, writes a short JSON 400 itself. (If a response to
 *       that request was already under way, the client has broken the framing anyway.)
 * </ul>
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  private static final byte[] BAD_CHUNK = response(
      "{\"error\":{\"code\":\"bad_request\",\"message\":\"the chunked body is malformed\"}}");

  private boolean answered;

  private StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  /**
   * Puts this decoder in place of Vert.x's on a new HTTP/1.x connection. Only safe before the
   * connection reads, which is when Vert.x calls the connection handler with h2c off.
   */
  static void install(HttpConnection connection, HttpServerOptions options) {
    if (connection instanceof Http1xServerConnection http1 && !options.isHttp2ClearTextEnabled()) {
      ChannelPipeline pipeline = http1.channelHandlerContext().pipeline();
      if (pipeline.get("httpDecoder") instanceof HttpRequestDecoder) {
        pipeline.replace("httpDecoder", "httpDecoder", new StrictRequestDecoder(options));
      }
    }
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("a request must not carry both Content-Length and "
        + "Transfer-Encoding: chunked");
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    int from = out.size();
    super.decode(ctx, buffer, out);
    for (int i = from; i < out.size() && !answered; i++) {
      if (out.get(i) instanceof HttpContent content && !(content instanceof HttpMessage)
          && content.decoderResult().isFailure()) {
        answered = true;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(BAD_CHUNK)).addListener(ChannelFutureListener.CLOSE);
      }
    }
  }

  private static byte[] response(String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\n"
        + "content-length: " + body.length + "\r\nconnection: close\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }
}
