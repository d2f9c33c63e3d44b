package dev.patchwire.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Not the engine: a bare broadcast server with the engine's wire shape, to measure on this machine
 * what the socket-write strategy alone costs per delivery. LoadRun drives it like the engine
 * ({@code --server-main dev.patchwire.bench.BroadcastProto --server-arg --coalesce}).
 *
 * <p>Like the engine: one writer assigns seqs and publishes each change once on the event bus,
 * one consumer per event loop builds the frame once and hands the same bytes to every socket of
 * its loop. The difference under test is only the write:
 * <ul>
 *   <li>default: {@code ServerWebSocket.writeFrame} per socket, which Vert.x flushes at once
 *       (one {@code write} syscall per frame per subscriber), as the engine does today;
 *   <li>{@code --coalesce}: the frame goes to the Netty pipeline without a flush, the socket is
 *       marked, and one task queued behind the work already waiting on the loop flushes every
 *       marked socket. When the loop is idle that is right after the dispatch (no added latency);
 *       when changes queue up, several frames leave in one syscall.
 * </ul>
 * No snapshot content, no filters, no history, no back-pressure: a measuring device only.
 */
public final class BroadcastProto {

  private static final String ADDRESS = "proto.changes";

  private record Change(long seq, Buffer frame) {
  }

  private BroadcastProto() {
  }

  public static void main(String[] args) throws Exception {
    int port = 0;
    boolean coalesce = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--coalesce" -> coalesce = true;
        default -> { } // the engine's flags (--data, --collection...) are accepted and ignored
      }
    }
    // the engine's transport choice (native epoll where it loads), so that the two compare
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    vertx.eventBus().registerCodec(new LocalCodec());
    Context writer = vertx.getOrCreateContext();
    long[] seq = {0};
    int bindPort = port == 0 ? -1 : port;
    boolean mode = coalesce;
    List<Loop> loops = new java.util.concurrent.CopyOnWriteArrayList<>();
    String id = vertx.deployVerticle(() -> {
      Loop l = new Loop(bindPort, mode, writer, seq);
      loops.add(l);
      return l;
    }, new DeploymentOptions().setInstances(2 * Runtime.getRuntime().availableProcessors()))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.out.println("broadcast prototype (" + (coalesce ? "coalesced flushes" : "flush per frame")
        + ", transport " + (vertx.isNativeTransportEnabled() ? "native" : "nio")
        + ") listening on http://127.0.0.1:" + loops.get(0).actualPort + " deployment " + id);
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close()));
  }

  /** One HTTP server instance, its event loop's sockets and its consumer. */
  private static final class Loop extends VerticleBase {
    private final int port;
    private final boolean coalesce;
    private final Context writer;
    private final long[] seq;
    private final List<ServerWebSocket> sockets = new ArrayList<>();
    private final Set<ChannelHandlerContext> dirty = new LinkedHashSet<>();
    private boolean flushQueued;
    private long lastSeq;
    volatile int actualPort;

    Loop(int port, boolean coalesce, Context writer, long[] seq) {
      this.port = port;
      this.coalesce = coalesce;
      this.writer = writer;
      this.seq = seq;
    }

    @Override
    public Future<?> start() {
      vertx.eventBus().<Change>localConsumer(ADDRESS, m -> dispatch(m.body()));
      return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
          .requestHandler(req -> {
            if (req.path().endsWith("/stream/ws")) {
              req.toWebSocket().onSuccess(this::open);
            } else if (req.method() == HttpMethod.PUT) {
              req.body().onSuccess(body -> write(req.path(), body, req));
            } else if (req.path().equals("/api/stats")) {
              req.response().end("{\"totals\":{\"drops\":0,\"resyncs\":0}}");
            } else {
              req.response().setStatusCode(404).end();
            }
          })
          .listen()
          .onSuccess(s -> actualPort = s.actualPort());
    }

    private void open(ServerWebSocket ws) {
      sockets.add(ws);
      ws.closeHandler(v -> sockets.remove(ws));
      ws.writeTextMessage("{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/bench\",\"value\":{}}],\"seq\":"
          + lastSeq + ",\"epoch\":\"proto\",\"snapshot\":true}");
      ws.writeTextMessage("{\"Ready\":true,\"epoch\":\"proto\",\"seq\":" + lastSeq + ",\"resumed\":false}");
    }

    private void write(String path, Buffer body, io.vertx.core.http.HttpServerRequest req) {
      String docId = path.substring(path.lastIndexOf('/') + 1);
      writer.runOnContext(v -> {
        long s = ++seq[0];
        Buffer frame = Buffer.buffer("{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/bench/" + docId
            + "\",\"value\":" + body.toString(StandardCharsets.UTF_8) + "}],\"seq\":" + s + "}");
        vertx.eventBus().publish(ADDRESS, new Change(s, frame),
            new DeliveryOptions().setLocalOnly(true).setCodecName(LocalCodec.NAME));
        // answered on the connection's own loop: ended from the writer's context, a later
        // request on the same keep-alive connection (LoadRun's GET /api/stats) went unanswered
        context.runOnContext(x -> req.response().putHeader("Patchwire-Seq", "proto:" + s).end());
      });
    }

    private void dispatch(Change change) {
      lastSeq = change.seq();
      ByteBuf bytes = ((BufferInternal) change.frame()).getByteBuf();
      for (int i = 0, n = sockets.size(); i < n; i++) {
        ServerWebSocket ws = sockets.get(i);
        if (!coalesce) {
          ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, bytes.duplicate(), true));
          continue;
        }
        ChannelHandlerContext ctx = ((WebSocketInternal) ws).channelHandlerContext();
        ctx.write(new TextWebSocketFrame(bytes.duplicate()));
        dirty.add(ctx);
      }
      if (coalesce && !flushQueued && !dirty.isEmpty()) {
        flushQueued = true;
        context.runOnContext(v -> flushAll());
      }
    }

    private void flushAll() {
      flushQueued = false;
      for (ChannelHandlerContext ctx : dirty) {
        ctx.flush();
      }
      dirty.clear();
    }
  }

  /** Passes the change object itself to local consumers. */
  private static final class LocalCodec implements MessageCodec<Change, Change> {
    static final String NAME = "proto-local";

    @Override
    public void encodeToWire(Buffer buffer, Change c) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Change decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Change transform(Change c) {
      return c;
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
