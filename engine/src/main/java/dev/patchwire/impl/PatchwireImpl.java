package dev.patchwire.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.Patchwire;
import dev.patchwire.PatchwireException;
import dev.patchwire.PatchwireOptions;
import dev.patchwire.http.RestApi;
import dev.patchwire.json.Json;
import dev.patchwire.store.Write;
import dev.patchwire.store.WriteRejected;
import dev.patchwire.store.WriteResult;
import dev.patchwire.stream.Fanout;
import dev.patchwire.stream.Filter;
import dev.patchwire.stream.StreamRequest;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.Position;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.file.Path;
import java.util.function.Supplier;

/** {@link Patchwire} on the {@link Engine}: the store, the streams, the HTTP routes. */
public final class PatchwireImpl implements Patchwire {

  /** Where {@link #listen} binds. */
  private final String host;
  private final Future<Engine> engine;
  /** The event loop of the Java subscribers' fan-out. */
  private final Context context;
  private Future<Fanout> javaFanout;

  public PatchwireImpl(Vertx vertx, PatchwireOptions options) {
    this(vertx, options.getHost(), open(vertx, () -> engineOptions(new PatchwireOptions(options)),
        EngineMetrics.newRegistry()));
  }

  /**
   * The server's way in, for what only {@code patchwire.jar} has: every setting of
   * {@link EngineOptions} (the kanban collections and demo seed, auth, PostgreSQL, the limits)
   * and the registry {@code /metrics} serves, which holds Vert.x's own meters when {@code vertx}
   * was built by {@link EngineMetrics#vertx}. Internal, like this package.
   */
  public static PatchwireImpl forServer(Vertx vertx, EngineOptions options, PrometheusMeterRegistry registry) {
    EngineOptions copy = new EngineOptions(options);
    return new PatchwireImpl(vertx, copy.host(), open(vertx, () -> copy, registry));
  }

  private PatchwireImpl(Vertx vertx, String host, Future<Engine> engine) {
    this.host = host;
    this.engine = engine;
    this.context = vertx.getOrCreateContext();
  }

  /** Opens the engine; a setting that cannot be used becomes the failed future of {@link #ready}. */
  private static Future<Engine> open(Vertx vertx, Supplier<EngineOptions> options,
      PrometheusMeterRegistry registry) {
    try {
      return Engine.open(vertx, options.get(), registry);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * The open engine, for what only the server shows (its start-up and shutdown lines) and does
   * (exit on a fatal database error); completes with {@link #ready}.
   */
  public Future<Engine> engine() {
    return engine;
  }

  public static String version() {
    return Version.current();
  }

  /** The library's options as the server's: no kanban demo, the port given to {@link #listen}. */
  static EngineOptions engineOptions(PatchwireOptions o) {
    EngineOptions e = new EngineOptions()
        .setKanban(false)
        .setSeedDemo(false)
        .setDataDir(Path.of(o.getDataDir()))
        .setHost(o.getHost())
        .setHistoryBytes(o.getHistoryBytes())
        .setSubscriberBufferBytes(o.getSubscriberBufferBytes())
        .setMaxBodyBytes(o.getMaxBodyBytes());
    if (o.getCorsOrigins() != null) {
      e.setCorsOrigins(o.getCorsOrigins());
    }
    if (o.getAllowedHosts() != null) {
      e.setAllowedHosts(o.getAllowedHosts());
    }
    o.getCollections().forEach((name, schema) -> {
      if (schema == null) {
        e.addCollection(name, (Path) null);
      } else {
        e.addCollectionWithSchema(name, schema);
      }
    });
    return e;
  }

  @Override
  public Future<Void> ready() {
    return engine.mapEmpty();
  }

  @Override
  public Future<Void> mount(Router router, String prefix) {
    String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    if (!p.isEmpty() && !p.startsWith("/")) {
      return Future.failedFuture(new IllegalArgumentException("prefix must start with /, got '" + prefix + "'"));
    }
    return engine.compose(Engine::routes).map(routes -> {
      router.route(p + "/*").subRouter(routes);
      return null;
    });
  }

  @Override
  public Future<Integer> listen(int port) {
    return engine.compose(s -> s.listen(host, port));
  }

  @Override
  public Future<String> put(String collection, String id, JsonObject doc) {
    return write(id, () -> new Write.Put(collection, id, (ObjectNode) tree(doc.encode()), null));
  }

  @Override
  public Future<String> patch(String collection, String id, JsonArray patch) {
    return write(id, () -> new Write.Patch(collection, id, tree(patch.encode()), null));
  }

  @Override
  public Future<String> delete(String collection, String id) {
    return write(id, () -> new Write.Delete(collection, id, null));
  }

  private Future<String> write(String id, Supplier<Write> write) {
    String problem = RestApi.idProblem(id);
    if (problem != null) {
      return Future.failedFuture(new PatchwireException(ErrorCode.BAD_ID.wire(), problem));
    }
    return engine.compose(s -> {
      Write w = write.get();
      if (!s.store().hasCollection(w.collection())) {
        return Future.failedFuture(new PatchwireException(ErrorCode.UNKNOWN_COLLECTION.wire(),
            "no collection named '" + w.collection() + "'"));
      }
      return s.store().write(w).map((WriteResult r) -> s.epoch() + ":" + r.seq());
    }).recover(e -> Future.failedFuture(e instanceof WriteRejected r
        ? new PatchwireException(r.reason().code().wire(), r.getMessage()) : e));
  }

  private static JsonNode tree(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Override
  public Future<Stream> subscribe(String collection, String where, String since, Handler<JsonObject> handler) {
    return engine.compose(s -> {
      if (!s.store().hasCollection(collection)) {
        return Future.failedFuture(new PatchwireException(ErrorCode.UNKNOWN_COLLECTION.wire(),
            "no collection named '" + collection + "'"));
      }
      Filter filter;
      try {
        filter = Filter.parse(where);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(new PatchwireException(ErrorCode.BAD_WHERE.wire(), e.getMessage()));
      }
      StreamRequest request = new StreamRequest(collection, filter, Position.parse(since), false);
      return fanout(s).compose(fanout -> {
        if (!s.streams().admission().admit()) {
          return Future.failedFuture(new PatchwireException(ErrorCode.TOO_MANY_SUBSCRIBERS.wire(),
              "the engine has too many open streams"));
        }
        Promise<Stream> opened = Promise.promise();
        context.runOnContext(v -> {
          JavaSink sink = new JavaSink(context, handler);
          fanout.open(request, sink);
          opened.complete(sink);
        });
        return opened.future();
      });
    });
  }

  private synchronized Future<Fanout> fanout(Engine s) {
    if (javaFanout == null) {
      Promise<Fanout> p = Promise.promise();
      context.runOnContext(v -> {
        Fanout f = new Fanout(context, s.streams());
        f.listen().map(x -> f).onComplete(p);
      });
      javaFanout = p.future();
    }
    return javaFanout;
  }

  @Override
  public Future<Void> close() {
    // Not on the engine's context: the caller's next step is often vertx.close(), and a future
    // bound to a closed event loop can no longer hand on its result (close().eventually(vertx::close)
    // would never complete).
    Promise<Void> closed = Promise.promise();
    engine.transform(ar -> ar.succeeded() ? ar.result().close() : Future.succeededFuture())
        .onComplete(closed);
    return closed.future();
  }
}
