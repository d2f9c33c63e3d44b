package dev.patchwire.server;

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
 * A running engine: the store and its single writer, the MsgStore, and one HTTP verticle
 * (routes, fan-out, transports) per event loop, all on one port.
 */
public final class PatchwireServer {

  private final Vertx vertx;
  private final DocumentStore store;
  private final Streams streams;
  private final List<String> deployments;
  private final String storeDeployment;
  private final int port;
  private final EngineHealth health;
  private final Auth auth;
  private final List<String> collections;

  private PatchwireServer(Vertx vertx, DocumentStore store, Streams streams, String storeDeployment,
      List<String> deployments, int port, EngineHealth health, Auth auth, List<String> collections) {
    this.health = health;
    this.auth = auth;
    this.collections = List.copyOf(collections);
    this.vertx = vertx;
    this.store = store;
    this.streams = streams;
    this.storeDeployment = storeDeployment;
    this.deployments = deployments;
    this.port = port;
  }

  /** Opens the database, then serves HTTP; fails if either cannot start. */
  public static Future<PatchwireServer> start(Vertx vertx, EngineOptions options) {
    return start(vertx, options, EngineMetrics.newRegistry());
  }

  /** Like {@link #start(Vertx, EngineOptions)}, with the registry that {@code GET /metrics} serves. */
  public static Future<PatchwireServer> start(Vertx vertx, EngineOptions options,
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
          .compose(v -> deployHttp(vertx, options, shared))
          .map(http -> {
            streams.nameNode(options.nodeId() != null ? options.nodeId() : hostName() + ":" + http.port);
            return http;
          })
          .map(http -> new PatchwireServer(vertx, store, streams, storeId, http.ids, http.port,
              health, auth, shared.collections()))
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
  private static Future<Http> deployHttp(Vertx vertx, EngineOptions o, HttpVerticle.Shared shared) {
    int bindPort = o.port() == 0 ? -RANDOM_PORT_KEYS.incrementAndGet() : o.port();
    HttpVerticle.Settings settings = new HttpVerticle.Settings(o.host(), bindPort, o.maxBodyBytes(),
        o.pingIntervalMillis(), o.ssePingIntervalMillis(), o.wsCompression(), o.flushIntervalMillis(),
        o.corsOrigins(), o.allowedHosts(), o.headerTimeoutMillis(), o.bodyTimeoutMillis(),
        o.idleTimeoutMillis(), o.maxInboundFrameBytes());
    List<HttpVerticle> instances = new CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> {
          HttpVerticle v = new HttpVerticle(settings, shared);
          instances.add(v);
          return v;
        }, new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE))
        .map(id -> new Http(List.of(id), instances.get(0).actualPort()));
  }

  private static Map<String, CollectionSpec> collections(EngineOptions options) {
    Map<String, CollectionSpec> specs = new LinkedHashMap<>();
    if (options.kanban()) {
      Kanban.collections().forEach(s -> specs.put(s.name(), s));
    }
    for (String name : options.collectionNames()) {
      Path schema = options.collections().get(name);
      specs.put(name, schema == null ? CollectionSpec.schemaless(name)
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

  public int port() { return port; }

  /** This node's name: {@code --node-id}, or host name:port. */
  public String nodeId() { return streams.nodeId(); }

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
  public Future<Void> close() {
    return streams.closeAll((short) 1001, "server going away")
        .compose(v -> {
          List<Future<Void>> undeploys = new ArrayList<>();
          deployments.forEach(id -> undeploys.add(vertx.undeploy(id)));
          return Future.join(undeploys);
        })
        .eventually(() -> vertx.undeploy(storeDeployment))
        .mapEmpty();
  }
}
