package dev.patchwire;

import dev.patchwire.impl.PatchwireImpl;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * A patchwire engine inside a Vert.x application: JSON documents in an embedded H2 database,
 * every change streamed as JSON Patch (docs/protocol.md) to WebSocket and SSE clients and to
 * Java code. Everything outside this package is internal.
 *
 * <pre>{@code
 * Patchwire pw = Patchwire.create(vertx, new PatchwireOptions().addCollection("notes"));
 * pw.mount(router, "/sync");          // /sync/api/collections/notes/docs, .../stream/ws, .../stream/sse
 * pw.put("notes", "n1", new JsonObject().put("text", "hello"));   // the committed "EPOCH:SEQ"
 * }</pre>
 */
public interface Patchwire {

  /** Opens the database in {@link PatchwireOptions#getDataDir()}; every call waits for that. */
  static Patchwire create(Vertx vertx, PatchwireOptions options) {
    return new PatchwireImpl(vertx, options);
  }

  /** The engine's version, as built. */
  static String version() {
    return PatchwireImpl.version();
  }

  /** Completes when the database is open (and fails if it cannot be). */
  Future<Void> ready();

  /**
   * Adds the REST API and both stream endpoints under {@code prefix} on an application's router
   * ({@code prefix + "/api/collections/{c}/docs"}, {@code .../stream/ws}, {@code .../stream/sse},
   * {@code prefix + "/health"}): a web client's {@code baseUrl} is the server's address plus the
   * prefix. Call it on the event loop whose HTTP server serves the router (a verticle's start);
   * the routes are in place when the future completes.
   */
  Future<Void> mount(Router router, String prefix);

  /** Serves the engine on its own HTTP server, on {@link PatchwireOptions#getHost()}; 0 picks a free port. */
  Future<Integer> listen(int port);

  /** Creates or replaces a document; the committed position {@code EPOCH:SEQ}. */
  Future<String> put(String collection, String id, JsonObject doc);

  /** Applies an RFC 6902 patch atomically; the committed position. */
  Future<String> patch(String collection, String id, JsonArray patch);

  /** Deletes a document; the committed position. */
  Future<String> delete(String collection, String id);

  /**
   * A stream of one collection, as a WebSocket client gets it: the snapshot (or, with
   * {@code since}, the missed changes), Ready, then every live patch, each message the JSON
   * object of docs/protocol.md. {@code where} is {@code field:value} or null; {@code since}
   * is {@code EPOCH:SEQ} or null. The handler runs on an event loop: do not block it. The
   * future completes once the stream is open, before its snapshot is read: a write made then
   * may already be in the snapshot; wait for Ready to know where the stream stands.
   */
  Future<Stream> subscribe(String collection, String where, String since, Handler<JsonObject> handler);

  /** Closes every stream (1001), stops serving, closes the database. */
  Future<Void> close();

  /** An open {@link #subscribe} stream. */
  interface Stream {

    /** Stops it; no message follows. */
    void close();

    /** Completes when the stream ends, by {@link #close()} or by the engine (its close code). */
    Future<Integer> ended();
  }
}
