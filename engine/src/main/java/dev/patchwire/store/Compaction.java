package dev.patchwire.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

/**
 * Trims the change log to its {@link DocumentStore.Retention} (age and bytes, see
 * {@link ChangeLog#compact}): once at start, then every {@code compactEveryMillis}, on the read
 * pool (autocommit, one transaction per delete), beside the writer and never in its way. On
 * PostgreSQL one node at a time compacts (an advisory lock, {@link StoreDialect#compactAlone}); a
 * node that finds it taken skips the round.
 */
final class Compaction {

  private static final System.Logger LOG = System.getLogger(Compaction.class.getName());

  private final Vertx vertx;
  private final StoreDialect dialect;
  private final Pool pool;
  private final DocumentStore.Retention retention;
  private long timer = -1;

  Compaction(Vertx vertx, StoreDialect dialect, Pool pool, DocumentStore.Retention retention) {
    this.vertx = vertx;
    this.dialect = dialect;
    this.pool = pool;
    this.retention = retention;
  }

  /** Compacts now, and from then on every {@code compactEveryMillis}. */
  void start() {
    compactLogged();
    timer = vertx.setPeriodic(retention.compactEveryMillis(), id -> compactLogged());
  }

  void stop() {
    vertx.cancelTimer(timer);
  }

  /** Removes change-log rows past the retention now; the count removed (0 when another node runs one). */
  Future<Long> compactNow() {
    return dialect.compactAlone(pool,
        client -> ChangeLog.compact(client, dialect, retention.maxAge(), retention.maxBytes()));
  }

  private void compactLogged() {
    compactNow().onFailure(e -> LOG.log(System.Logger.Level.WARNING, "change-log compaction failed", e));
  }
}
