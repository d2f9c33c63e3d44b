package dev.patchwire.http;

import dev.patchwire.auth.Auth;
import dev.patchwire.auth.Origins;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.stream.Fanout;
import dev.patchwire.stream.Streams;
import dev.patchwire.transport.SseTransport;
import dev.patchwire.transport.WebSocketTransport;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.HttpErrors;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.regex.Matcher;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP server instance on one event loop: the routes, and this loop's fan-out and
 * transports. The engine deploys one per event loop, all sharing the same port.
 */
public final class HttpVerticle extends VerticleBase {

  /**
   * Where and how to listen. {@code port} may be negative: a random port shared by instances.
   * {@code corsOrigins}: see {@code EngineOptions.corsOrigins}; empty for no CORS (and WebSockets
   * from same-origin pages only). {@code allowedHosts}: see {@code EngineOptions.allowedHosts}.
   * The timeouts: see {@link ConnectionGuard} and {@link AdmittedBody}.
   * {@code maxInboundFrameBytes}: see {@code --max-inbound-frame-bytes}.
   */
  public record Settings(String host, int port, long maxBodyBytes, long pingMillis, long ssePingMillis,
      boolean wsCompression, long flushIntervalMillis, List<String> corsOrigins,
      List<String> allowedHosts, long headerTimeoutMillis, long bodyTimeoutMillis,
      long idleTimeoutMillis, int maxInboundFrameBytes) {

    public Settings {
      corsOrigins = List.copyOf(corsOrigins);
      allowedHosts = List.copyOf(allowedHosts);
    }
  }

  /**
   * What every instance shares: the store, the streams, the meters, the write budget, the
   * connection counts, the health state and the auth.
   */
  public record Shared(DocumentStore store, Streams streams, List<String> collections,
      PrometheusMeterRegistry registry, Timer writeTimer, WriteAdmission admission,
      Connections connections, EngineHealth health, Auth auth) {
  }

  /** The open connections of all instances, with their caps (see {@link ConnectionGuard}). */
  public static final class Connections {
    private final ConnectionGuard.Limits limits;

    public Connections(int max, int maxPerIp) {
      this.limits = new ConnectionGuard.Limits(max, maxPerIp);
    }

    public int open() {
      return limits.open();
    }
  }

  private final Settings settings;
  private final Shared shared;
  private HttpServer server;

  public HttpVerticle(Settings settings, Shared shared) {
    this.settings = settings;
    this.shared = shared;
  }

  @Override
  public Future<?> start() {
    Fanout fanout = new Fanout(context, shared.streams(), settings.flushIntervalMillis());
    ConnectionGuard guard = new ConnectionGuard(shared.connections().limits,
        settings.headerTimeoutMillis(), settings.idleTimeoutMillis());
    shared.health().probeThisLoop(vertx);
    Routes routes = routes(vertx, settings, shared, fanout, true);
    Router router = routes.router();
    WebSocketTransport ws = routes.ws();
    AccessPolicy policy = routes.policy();

    // Clients send nothing on a stream (PROTOCOL.md 3): inbound frames are bounded by
    // --max-inbound-frame-bytes in Netty's decoder, and messages by WebSocketTransport.
    // HTTP/1.1 only (no h2c upgrade, which no browser uses): the request decoder is then in place
    // before the first byte arrives, so StrictRequestDecoder can take its place.
    HttpServerOptions options = new HttpServerOptions()
        .setHost(settings.host())
        .setPort(settings.port())
        .setHttp2ClearTextEnabled(false)
        .setPerMessageWebSocketCompressionSupported(settings.wsCompression())
        .setPerFrameWebSocketCompressionSupported(settings.wsCompression())
        .setMaxWebSocketFrameSize(settings.maxInboundFrameBytes())
        .setMaxWebSocketMessageSize(settings.maxInboundFrameBytes());
    server = vertx.createHttpServer(options);
    server.invalidRequestHandler(HttpVerticle::invalidRequest);
    return fanout.listen()
        .compose(v -> server.connectionHandler(connection -> {
          guard.opened(connection);
          StrictRequestDecoder.install(connection, options);
        }).requestHandler(request -> {
          // Stream upgrades bypass the router: see WebSocketTransport.handle.
          Matcher m = WebSocketTransport.PATH.matcher(request.path());
          boolean upgrade = m.matches() && request.method() == HttpMethod.GET && request.canUpgradeToWebSocket();
          AccessPolicy.Refusal refusal = policy.check(request);
          String badTarget = refusal == null ? RequestTarget.problem(request.uri()) : null;
          if (badTarget != null) {
            HttpErrors.send(request.response(), ErrorCode.BAD_REQUEST, badTarget, null);
          } else if (refusal != null && upgrade) {
            ws.refuse(request, refusal.closeCode(), refusal.code(), refusal.message());
          } else if (refusal != null) {
            HttpErrors.send(request.response(), refusal.code(), refusal.message(), null);
          } else if (upgrade) {
            ws.handle(request, m.group(1));
          } else {
            router.handle(request);
          }
        }).listen());
  }

  /** The engine's routes, and what the engine's own server needs of them. */
  public record Routes(Router router, WebSocketTransport ws, AccessPolicy policy) {
  }

  /**
   * The engine's routes (REST, both streams, health, metrics) for the event loop of
   * {@code fanout}. {@code standalone}: for the engine's own server, which checks hosts and takes
   * WebSocket upgrades before the router, and serves the board; otherwise for an application's
   * router, which then does both itself.
   */
  public static Routes routes(Vertx vertx, Settings settings, Shared shared, Fanout fanout,
      boolean standalone) {
    DocumentStore store = shared.store();
    Streams streams = shared.streams();
    long maxBodyBytes = settings.maxBodyBytes();
    RestApi rest = new RestApi(store, shared.writeTimer(), shared.auth());
    AuthHandler auth = new AuthHandler(shared.auth());
    Origins origins = Origins.forCorsOrigins(settings.corsOrigins());
    AccessPolicy policy = new AccessPolicy(settings.allowedHosts(), origins);
    WebSocketTransport ws = new WebSocketTransport(vertx, streams, fanout, settings.pingMillis(), origins,
        shared.auth(), settings.maxInboundFrameBytes());
    SseTransport sse = new SseTransport(vertx, streams, fanout, settings.ssePingMillis());

    Router router = Router.router(vertx);
    if (!standalone) {
      // on an application's router: the checks the engine's own server makes before its router
      router.route().handler(ctx -> {
        if (((io.vertx.core.internal.ContextInternal) io.vertx.core.Vertx.currentContext()).nettyEventLoop()
            != ((io.vertx.core.internal.ContextInternal) fanout.context()).nettyEventLoop()) {
          // streams live on their socket's event loop, with that loop's fan-out
          errorOr(ctx, ErrorCode.INTERNAL, "patchwire was mounted on another event loop than the one"
              + " serving this router: call mount where the HTTP server is created (a verticle's start)");
          return;
        }
        // the server's own request: vertx-web's wrapper does not carry its authority
        HttpServerRequest raw = WebSocketTransport.unwrap(ctx.request());
        AccessPolicy.Refusal refusal = policy.check(raw);
        String badTarget = refusal == null ? RequestTarget.problem(raw.uri()) : null;
        if (badTarget != null) {
          HttpErrors.send(ctx.response(), ErrorCode.BAD_REQUEST, badTarget, null);
        } else if (refusal != null && raw.canUpgradeToWebSocket()) {
          ws.refuse(raw, refusal.closeCode(), refusal.code(), refusal.message());
        } else if (refusal != null) {
          HttpErrors.send(ctx.response(), refusal.code(), refusal.message(), null);
        } else {
          ctx.next();
        }
      });
    }
    // CORS first, so that every answer below, errors included, carries its headers.
    Cors cors = Cors.forOrigins(settings.corsOrigins(), origins);
    if (cors != null) {
      router.route("/api/*").handler(cors);
      router.route("/health").handler(cors);
    }
    router.route("/api/*").handler(RestApi::refuseDotSegments);
    // Auth after the host, origin and CORS checks: every API call needs a token when a key is set.
    router.route("/api/*").handler(auth::authenticate);
    String docs = "/api/collections/:c/docs";
    AdmittedBody body = new AdmittedBody(shared.admission(), maxBodyBytes, settings.bodyTimeoutMillis());
    // the token's write grant and write budget are checked before a body is read
    router.post(docs).handler(rest::mayWrite).handler(body).handler(rest::create);
    router.get(docs).handler(rest::list);
    router.get(docs + "/:id").handler(rest::getOne);
    router.put(docs + "/:id").handler(rest::mayWrite).handler(body).handler(rest::put);
    router.patch(docs + "/:id").handler(rest::mayWrite).handler(body).handler(rest::patch);
    router.delete(docs + "/:id").handler(rest::mayWrite).handler(rest::delete);
    // ".../docs/" names a document by an empty id: say so rather than "method not allowed".
    for (var method : List.of(HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE)) {
      router.route(method, docs + "/").handler(ctx ->
          errorOr(ctx, ErrorCode.BAD_ID, "a document id must not be empty"));
    }
    // The engine's own server takes upgrades before the router; an application's router sees them.
    router.get("/api/collections/:c/stream/ws").handler(ctx -> {
      if (ctx.request().canUpgradeToWebSocket()) {
        ws.handle(WebSocketTransport.unwrap(ctx.request()), ctx.pathParam("c"));
      } else {
        WebSocketTransport.notAnUpgrade(ctx);
      }
    });
    router.get("/api/collections/:c/stream/sse").handler(sse::handle);
    router.get("/api/collections").handler(ctx -> ctx.json(
        new JsonObject().put("collections", new JsonArray(shared.collections()))));
    router.get("/api/stats").handler(auth::requireAdmin).handler(ctx -> {
      if (policy.mayReadOperatorData(ctx.request())) {
        ctx.json(streams.stats().toJson());
      } else {
        errorOr(ctx, ErrorCode.ORIGIN_NOT_ALLOWED,
            "operator data is not served to pages of a foreign origin (see --cors-origin)");
      }
    });
    router.get("/health").handler(ctx -> health(shared, ctx));
    router.get("/metrics").handler(auth::authenticate).handler(auth::requireAdmin)
        .handler(PrometheusScrapingHandler.create(shared.registry()));
    if (standalone) {
      board(router);
    }
    router.errorHandler(400, ctx -> errorOr(ctx, ErrorCode.BAD_REQUEST, "the request is malformed"));
    router.errorHandler(403, ctx -> errorOr(ctx, ErrorCode.ORIGIN_NOT_ALLOWED,
        "the request's Origin header is not an origin this engine allows (see --cors-origin)"));
    router.errorHandler(404, ctx -> errorOr(ctx, ErrorCode.NOT_FOUND, "no such resource"));
    router.errorHandler(405, ctx -> errorOr(ctx, ErrorCode.METHOD_NOT_ALLOWED, "method not allowed here"));
    router.errorHandler(413, ctx -> errorOr(ctx, ErrorCode.BODY_TOO_LARGE,
        "the body is larger than " + maxBodyBytes + " bytes"));
    router.errorHandler(500, ctx -> {
      if (ctx.failure() != null) {
        RestApi.fail(ctx, ctx.failure());
      } else {
        errorOr(ctx, ErrorCode.INTERNAL, "the server could not complete the request");
      }
    });
    return new Routes(router, ws, policy);
  }

  /** The kanban board (the web client's jar, when it is on the class path), at {@code /}. */
  private static void board(Router router) {
    // The board (web-client, built by Vite): hashed asset names never change content, so they
    // may be cached for good; index.html must be re-checked or an upgrade is never seen.
    // (A StaticHandler on a wildcard route resolves the path after the route's prefix.)
    router.get("/assets/*").handler(
        StaticHandler.create("webroot/assets").setMaxAgeSeconds(365L * 24 * 3600));
    router.get("/*").handler(ctx -> {
      ctx.response().putHeader("Cache-Control", "no-cache");
      ctx.next();
    }).handler(StaticHandler.create("webroot").setCachingEnabled(false));
  }

  @Override
  public Future<?> stop() {
    // Give streams closed with 1001 a moment to send their close frames.
    return server == null ? Future.succeededFuture() : server.shutdown(2, TimeUnit.SECONDS);
  }

  /** The port this instance listens on (the real one when 0 was asked for). */
  public int actualPort() {
    return server.actualPort();
  }

  /**
   * 200 and {@code "status":"UP"} when the engine can serve; else 503, {@code "DOWN"} and the
   * reasons in {@code problems} (see {@link EngineHealth#problems}, plus {@code database_down}).
   */
  private static void health(Shared shared, RoutingContext ctx) {
    DocumentStore store = shared.store();
    long asked = System.nanoTime();
    store.ping().onComplete(ar -> {
      if (ar.failed()) {
        shared.health().failed(ar.cause());
      }
      List<String> problems = new java.util.ArrayList<>(shared.health().problems(store.writable()));
      if (ar.failed() && store.writable()) {
        problems.add("database_down");
      }
      boolean up = problems.isEmpty();
      JsonObject status = new JsonObject()
          .put("status", up ? "UP" : "DOWN")
          .put("problems", new JsonArray(problems))
          .put("database", ar.succeeded() ? "UP" : "DOWN")
          .put("writer", store.writable() ? "UP" : "STOPPED")
          .put("eventLoopMillis", (System.nanoTime() - asked) / 1_000_000.0)
          .put("subscribers", shared.streams().admission().openCount())
          .put("connections", shared.connections().open())
          .put("writeBytesInFlight", shared.admission().inFlight())
          .put("seq", store.committedSeq())
          .put("epoch", store.epoch())
          .put("node", shared.streams().stats().nodeId())
          .put("store", store.kind());
      ctx.response().setStatusCode(up ? 200 : 503);
      ctx.json(status);
    });
  }

  /**
   * A request Netty's decoder could not read (see {@link StrictRequestDecoder}): the statuses of
   * Vert.x's default handler (414 for a long request line, 431 for long headers, else 400), with
   * a JSON body, then the connection closes, since its framing cannot be trusted any more.
   */
  private static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ErrorCode code = cause instanceof TooLongHttpLineException ? ErrorCode.URI_TOO_LONG
        : cause instanceof TooLongHttpHeaderException ? ErrorCode.HEADERS_TOO_LARGE : ErrorCode.BAD_REQUEST;
    String message = cause instanceof IllegalArgumentException && cause.getMessage() != null
        ? cause.getMessage() : "the request cannot be read as HTTP/1.1";
    request.response().putHeader("Connection", "close");
    HttpErrors.send(request.response(), code, message, null);
    request.connection().close();  // after the answer: Vert.x flushes before it closes
  }

  private static void errorOr(RoutingContext ctx, ErrorCode code, String message) {
    HttpErrors.send(ctx, code, message, null);
  }
}
