package dev.patchwire.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a TCP connection may hold: a place under {@code --max-connections} and
 * {@code --max-connections-per-ip} (past either it is closed at once, before a byte is read, so
 * that file descriptors never run out), and time:
 *
 * <ul>
 *   <li>a request's head must arrive within {@code --header-timeout} of its first byte (of the
 *   connection, for the first request), so silent sockets and slowloris clients, which send a
 *   header byte now and then, are dropped;</li>
 *   <li>between requests a keep-alive connection may stay silent for {@code --idle-timeout}.</li>
 * </ul>
 *
 * A request being answered is never idle: an SSE stream is one long answer, and a WebSocket has
 * left HTTP. Both are kept alive by their pings, which also find dead peers. A request's body
 * has its own deadline (see {@link AdmittedBody}).
 *
 * <p>Vert.x has an idle timeout, but it counts any byte as activity, so a slowloris client is
 * never idle; the header deadline needs to see where a request head ends, which is why this
 * watches the connection's Netty pipeline on both sides of the HTTP decoder.
 */
final class ConnectionGuard {

  /** The connection counts, shared by every event loop. */
  static final class Limits {
    private final int max;
    private final int maxPerIp;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perIp = new ConcurrentHashMap<>();

    Limits(int max, int maxPerIp) {
      this.max = max;
      this.maxPerIp = maxPerIp;
    }

    /** Takes a place for a connection from {@code ip}; false (taking none) when a cap is reached. */
    boolean tryOpen(String ip) {
      if (open.incrementAndGet() > max) {
        open.decrementAndGet();
        return false;
      }
      boolean[] admitted = {false};
      perIp.compute(ip, (k, n) -> {
        int now = n == null ? 0 : n;
        if (now >= maxPerIp) {
          return n;
        }
        admitted[0] = true;
        return now + 1;
      });
      if (!admitted[0]) {
        open.decrementAndGet();
      }
      return admitted[0];
    }

    void closed(String ip) {
      open.decrementAndGet();
      perIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
    }

    int open() {
      return open.get();
    }
  }

  private final Limits limits;
  private final long headerTimeoutMillis;
  private final long idleTimeoutMillis;

  ConnectionGuard(Limits limits, long headerTimeoutMillis, long idleTimeoutMillis) {
    this.limits = limits;
    this.headerTimeoutMillis = headerTimeoutMillis;
    this.idleTimeoutMillis = idleTimeoutMillis;
  }

  /** For {@code HttpServer.connectionHandler}: admits or closes a new connection, and watches it. */
  void opened(HttpConnection connection) {
    if (!(connection instanceof HttpServerConnection internal)) {
      return;
    }
    Channel channel = internal.channelHandlerContext().channel();
    String ip = connection.remoteAddress() == null || connection.remoteAddress().hostAddress() == null
        ? "" : connection.remoteAddress().hostAddress();
    if (!limits.tryOpen(ip)) {
      channel.close();
      return;
    }
    connection.closeHandler(v -> limits.closed(ip));
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get("httpDecoder") == null || pipeline.get("httpEncoder") == null) {
      return;  // not HTTP/1.x: nothing to watch
    }
    Watch watch = new Watch(channel);
    pipeline.addBefore("httpDecoder", "patchwire-bytes-in", watch.bytes);
    pipeline.addAfter("httpEncoder", "patchwire-messages", watch.messages);
    watch.arm(headerTimeoutMillis);
  }

  /** One connection's state, touched only on its event loop. */
  private final class Watch {
    private final Channel channel;
    private int heads;
    private int requestsRead;
    private int responses;
    private boolean idle;
    private boolean upgraded;
    private ScheduledFuture<?> deadline;

    Watch(Channel channel) {
      this.channel = channel;
    }

    void arm(long millis) {
      disarm();
      deadline = channel.eventLoop().schedule(() -> {
        channel.close();
      }, millis, TimeUnit.MILLISECONDS);
    }

    void disarm() {
      if (deadline != null) {
        deadline.cancel(false);
        deadline = null;
      }
    }

    /** All requests read in full and answered: the connection waits for the next one. */
    void settle() {
      if (!upgraded && heads == requestsRead && heads == responses) {
        idle = true;
        arm(idleTimeoutMillis);
      }
    }

    /** Raw bytes, before the decoder: the first byte after idleness starts the header deadline. */
    final ChannelInboundHandlerAdapter bytes = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (idle && !upgraded) {
          idle = false;
          arm(headerTimeoutMillis);
        }
        ctx.fireChannelRead(msg);
      }
    };

    /** Decoded requests coming in, responses going out. */
    final ChannelDuplexHandler messages = new ChannelDuplexHandler() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!upgraded) {
          if (msg instanceof HttpRequest) {
            heads++;
            idle = false;
            disarm();  // the head is in: the request's body and answer have their own bounds
          }
          if (msg instanceof LastHttpContent) {
            requestsRead++;
            settle();
          }
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!upgraded) {
          int status = msg instanceof HttpResponse r ? r.status().code() : 0;
          if (status == 101) {
            upgraded = true;  // a WebSocket from now on: its pings keep it, close frames end it
            disarm();
          } else if (msg instanceof LastHttpContent && !(status >= 100 && status < 200)) {
            responses++;
            if (heads > requestsRead) {
              arm(headerTimeoutMillis);  // answered before its body came: the rest must not dawdle
            } else {
              settle();
            }
          }
        }
        ctx.write(msg, promise);
      }
    };
  }
}
