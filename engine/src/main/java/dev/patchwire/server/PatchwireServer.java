package dev.patchwire.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** A running engine: database, MsgStore, HTTP routes and streams. Skeleton, being built. */
public final class PatchwireServer {

  public static Future<PatchwireServer> start(Vertx vertx, EngineOptions options) {
    return Future.failedFuture("not built yet");
  }

  public int port() { return 0; }

  public String epoch() { return ""; }

  /** Closes WebSocket streams with 1001, ends SSE streams, stops HTTP and closes the database. */
  public Future<Void> close() { return Future.succeededFuture(); }
}
