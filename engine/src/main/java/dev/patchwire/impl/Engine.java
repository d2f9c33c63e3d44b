package dev.patchwire.impl;

import dev.patchwire.http.EngineHealth;
import dev.patchwire.auth.Auth;
import dev.patchwire.http.HttpVerticle;
import dev.patchwire.http.WriteAdmission;
import dev.patchwire.json.DocLimits;
import dev.patchwire.kanban.Kanban;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.store.CollectionSpec;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.stream.Streams;
import dev.patchwire.wire.CloseCode;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running engine behind {@link PatchwireImpl}: the store and its single writer, the MsgStore,
 * the streams, and the HTTP verticles of each {@link #listen} (routes, fan-out, transports, one
 * per event loop, all on one port). Internal: applications use {@link dev.patchwire.Patchwire};
 * the server's Main reads the parts it logs from here.
 */
public final class Engine {

  private final Vertx vertx;
  private final DocumentStore store;
  private final Streams streams;
  private final List<String> deployments = new CopyOnWriteArrayList<>();
  private final String storeDeployment;
  private volatile int port = -1;
  private final EngineHealth health;
  private final Auth auth;
  private final List<String> collections;
  private final EngineOptions options;
  private final HttpVerticle.Shared shared;

  private Engine(Vertx vertx, DocumentStore store, Streams streams, String storeDeployment,
      EngineHealth health, Auth auth, EngineOptions options, HttpVerticle.Shared shared) {
    this.health = health;
    this.auth = auth;
    this.collections = List.copyOf(shared.collections());
    this.vertx = vertx;
    this.store = store;
    this.streams = streams;
    this.storeDeployment = storeDeployment;
    this.options = new EngineOptions(options);
    this.shared = shared;
  }

  /**
   * Opens the database and the streams, serving nothing yet: then {@link #listen} on a port of
   * its own, or {@link #routes} on an application's router, or both.
   */
  static Future<Engine> open(Vertx vertx, EngineOptions options,
      PrometheusMeterRegistry registry) {
    Map<String, CollectionSpec> specs;
    Auth auth;
    try {
      specs = collections(options);
      auth = Auth.create(vertx, options.authSettings());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    DocumentStore store = new DocumentStore(options.dataDir(), options.databaseUrl(), specs,
        new DocumentStore.Retention(
        options.logRetentionAge(), options.logRetentionBytes(), options.logCompactIntervalMillis()),
        new DocumentStore.Reads(options.snapshotReads(), options.snapshotTimeoutMillis()));
    store.limitQueue(options.maxQueuedWrites());
    EngineHealth health = new EngineHealth();
    // An OutOfMemoryError thrown in any handler reaches here: /health says so from then on.
    vertx.exceptionHandler(health::failed);
    store.onFatal(health::failed);
    store.limitDocuments(DocLimits.forBytes(options.maxDocBytes()));
    return vertx.deployVerticle(store).compose(storeId -> {
      MsgStore msgStore = new MsgStore(vertx, options.historyBytes(), store.committedSeq());
      store.onLogGap(msgStore::skipTo);
      store.publishTo(msgStore::push);
      Streams streams = new Streams(store, msgStore, options.subscriberBufferBytes(),
          options.maxSubscribers());
      Future<Void> seeded = options.kanban() && options.seedDemo()
          ? Kanban.seedIfEmpty(store) : Future.succeededFuture();
      Timer writeTimer = EngineMetrics.bind(registry, streams, msgStore, store);
      HttpVerticle.Shared shared = new HttpVerticle.Shared(store, streams,
          new ArrayList<>(specs.keySet()), registry, writeTimer,
          new WriteAdmission(options.maxWriteBytesInFlight()),
          new HttpVerticle.Connections(options.maxConnections(), options.maxConnectionsPerIp()), health,
          auth);
      return seeded
          .map(v -> {
            if (options.nodeId() != null) {
              streams.stats().nameNode(options.nodeId());
            }
            return new Engine(vertx, store, streams, storeId, health, auth, options, shared);
          })
          .recover(e -> vertx.undeploy(storeId).transform(x -> Future.failedFuture(e)));
    });
  }

  private record Http(List<String> ids, int port) {
  }

  /** Tells engines sharing one Vertx apart when each asks for a random port. */
  private static final AtomicInteger RANDOM_PORT_KEYS = new AtomicInteger();

  /**
   * One HTTP verticle per event loop, all on one port. Port 0 becomes a negative port, which is
   * Vert.x's way of letting several instances share one random port.
   */
  private static Future<Http> deployHttp(Vertx vertx, EngineOptions o, HttpVerticle.Shared shared,
      String host, int port) {
    int bindPort = port == 0 ? -RANDOM_PORT_KEYS.incrementAndGet() : port;
    HttpVerticle.Settings settings = settings(o, host, bindPort);
    List<HttpVerticle> instances = new CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> {
          HttpVerticle v = new HttpVerticle(settings, shared);
          instances.add(v);
          return v;
        }, new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE))
        .map(id -> new Http(List.of(id), instances.get(0).actualPort()));
  }

  private static HttpVerticle.Settings settings(EngineOptions o, String host, int bindPort) {
    return new HttpVerticle.Settings(host, bindPort, o.maxBodyBytes(),
        o.pingIntervalMillis(), o.ssePingIntervalMillis(), o.wsCompression(), o.flushIntervalMillis(),
        o.corsOrigins(), o.allowedHosts(), o.headerTimeoutMillis(), o.bodyTimeoutMillis(),
        o.idleTimeoutMillis(), o.maxInboundFrameBytes());
  }

  /**
   * Serves HTTP on {@code host:port} (0: a free port), one verticle per event loop; the port it got.
   */
  Future<Integer> listen(String host, int port) {
    return deployHttp(vertx, options, shared, host, port).map(http -> {
      deployments.addAll(http.ids());
      if (this.port < 0) {
        this.port = http.port();
        if (options.nodeId() == null) {
          streams.stats().nameNode(hostName() + ":" + http.port());
        }
      }
      return http.port();
    });
  }

  /**
   * The engine's routes (REST, both streams, health, metrics; no board) for an application's
   * router, on the current event loop: its own fan-out, listening once the future completes.
   * Call it on the event loop whose HTTP server serves the router (a verticle's start).
   */
  Future<io.vertx.ext.web.Router> routes() {
    io.vertx.core.Context context = vertx.getOrCreateContext();
    dev.patchwire.stream.Fanout fanout = new dev.patchwire.stream.Fanout(context, streams,
        options.flushIntervalMillis());
    HttpVerticle.Routes routes = HttpVerticle.routes(vertx, settings(options, options.host(), 0),
        shared, fanout, false);
    return fanout.listen().map(v -> routes.router());
  }

  /** The store, for in-process writes and reads (the library API). */
  DocumentStore store() { return store; }

  private static Map<String, CollectionSpec> collections(EngineOptions options) {
    Map<String, CollectionSpec> specs = new LinkedHashMap<>();
    if (options.kanban()) {
      Kanban.collections().forEach(s -> specs.put(s.name(), s));
    }
    for (String name : options.collectionNames()) {
      Path schema = options.collections().get(name);
      JsonObject inline = options.inlineSchema(name);
      specs.put(name, inline != null ? CollectionSpec.withSchema(name, inline)
          : schema == null ? CollectionSpec.schemaless(name)
          : CollectionSpec.withSchema(name, readSchema(schema)));
    }
    return specs;
  }

  private static JsonObject readSchema(Path file) {
    try {
      return new JsonObject(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read schema " + file, e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("schema " + file + " is not a JSON object: " + e.getMessage(), e);
    }
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }

  /** The port of the first {@link #listen}, -1 before. */
  public int port() { return port; }

  /** This node's name: {@code --node-id}, or host name:port. */
  public String nodeId() { return streams.stats().nodeId(); }

  /** "h2 in DIR" or "postgresql://USER@HOST:PORT/DB". */
  public String storeDescription() {
    return store.kind().equals("h2") ? "H2 in " + store.location() : store.location();
  }

  public String epoch() { return store.epoch(); }

  /** The seq of the last committed change. */
  public long committedSeq() { return store.committedSeq(); }

  /** The collections this engine serves. */
  public List<String> collections() { return collections; }

  public Streams streams() { return streams; }

  /** The engine's auth, off or on: its {@link Auth#describe} is part of the start-up line. */
  public Auth auth() { return auth; }

  /** See {@link DocumentStore#onFatal}: the writer stopped, the process should restart. */
  public void onFatal(java.util.function.Consumer<Throwable> handler) {
    store.onFatal(handler.andThen(health::failed));
  }

  /** Closes WebSocket streams with 1001, ends SSE streams, stops HTTP and closes the database. */
  Future<Void> close() {
    return streams.admission().closeAll(CloseCode.GOING_AWAY.code(), "server going away")
        .compose(v -> {
          List<Future<Void>> undeploys = new ArrayList<>();
          deployments.forEach(id -> undeploys.add(vertx.undeploy(id)));
          return Future.join(undeploys);
        })
        .eventually(() -> vertx.undeploy(storeDeployment))
        .mapEmpty();
  }
}
