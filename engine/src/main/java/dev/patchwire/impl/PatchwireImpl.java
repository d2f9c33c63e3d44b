package dev.patchwire.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.Patchwire;
import dev.patchwire.PatchwireException;
import dev.patchwire.PatchwireOptions;
import dev.patchwire.http.RestApi;
import dev.patchwire.json.Json;
import dev.patchwire.server.EngineMetrics;
import dev.patchwire.server.EngineOptions;
import dev.patchwire.server.PatchwireServer;
import dev.patchwire.server.Version;
import dev.patchwire.store.Write;
import dev.patchwire.store.WriteRejected;
import dev.patchwire.store.WriteResult;
import dev.patchwire.stream.Fanout;
import dev.patchwire.stream.Filter;
import dev.patchwire.stream.StreamRequest;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.Position;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.file.Path;

/** {@link Patchwire} on the engine's server parts: the store, the streams, the HTTP routes. */
public final class PatchwireImpl implements Patchwire {

  private final Vertx vertx;
  private final PatchwireOptions options;
  private final Future<PatchwireServer> server;
  /** The event loop of the Java subscribers' fan-out. */
  private final Context context;
  private Future<Fanout> javaFanout;

  public PatchwireImpl(Vertx vertx, PatchwireOptions options) {
    this.vertx = vertx;
    this.options = new PatchwireOptions(options);
    EngineOptions engine;
    Future<PatchwireServer> opened;
    try {
      engine = engineOptions(this.options);
      opened = PatchwireServer.open(vertx, engine, EngineMetrics.newRegistry());
    } catch (RuntimeException e) {
      opened = Future.failedFuture(e);
    }
    this.server = opened;
    this.context = vertx.getOrCreateContext();
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
    return server.mapEmpty();
  }

  @Override
  public Future<Void> mount(Router router, String prefix) {
    String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    if (!p.isEmpty() && !p.startsWith("/")) {
      return Future.failedFuture(new IllegalArgumentException("prefix must start with /, got '" + prefix + "'"));
    }
    return server.compose(PatchwireServer::routes).map(routes -> {
      router.route(p + "/*").subRouter(routes);
      return null;
    });
  }

  @Override
  public Future<Integer> listen(int port) {
    return server.compose(s -> s.listen(options.getHost(), port));
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

  private Future<String> write(String id, java.util.function.Supplier<Write> write) {
    String problem = RestApi.idProblem(id);
    if (problem != null) {
      return Future.failedFuture(new PatchwireException(ErrorCode.BAD_ID.wire(), problem));
    }
    return server.compose(s -> {
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
    return server.compose(s -> {
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

  private synchronized Future<Fanout> fanout(PatchwireServer s) {
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
    server.transform(ar -> ar.succeeded() ? ar.result().close() : Future.succeededFuture())
        .onComplete(closed);
    return closed.future();
  }
}
