package dev.patchwire.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every read of the store, from any context. A single document is one SQL statement over both
 * tables, and one statement sees one coherent state (H2's MVStore at READ COMMITTED, PostgreSQL's
 * statement snapshot), so the seq it reports is exactly the last change its document contains. A
 * collection or a change-log replay is read in pages within one {@link ConsistentRead} (one
 * snapshot transaction, so the same guarantee), on a pool of its own whose size bounds how many
 * such reads run at once: the others wait their turn, first come, first served.
 *
 * <p>A read that fails without an answer from a shared database becomes
 * {@link StoreUnavailable} (a 503), since an unreachable PostgreSQL is a shared store's usual
 * trouble, not a fault of the engine.
 */
final class DocumentReads {

  private static final String GET_SQL =
      "SELECT h.head, CAST(d.body AS VARCHAR), d.seq"
          + " FROM (SELECT COALESCE(MAX(seq), 0) AS head FROM pw_changes) h"
          + " LEFT JOIN pw_docs d ON d.coll = ? AND d.id = ?";

  private final Vertx vertx;
  private final StoreDialect dialect;
  /** Plain statements only (autocommit): single documents, the head, the health probe. */
  private final Pool pool;
  /** One connection per consistent read, for as long as it lasts. */
  private final Pool snapshotPool;
  /** On H2, the consistent reads on plain JDBC instead of {@link #snapshotPool}; null on PostgreSQL. */
  private final JdbcReads jdbcReads;
  private final long timeoutMillis;
  private final AtomicInteger readsOpen = new AtomicInteger();
  private final AtomicInteger readsWaiting = new AtomicInteger();

  DocumentReads(Vertx vertx, StoreDialect dialect, Pool pool, Pool snapshotPool, JdbcReads jdbcReads,
      long timeoutMillis) {
    this.vertx = vertx;
    this.dialect = dialect;
    this.pool = pool;
    this.snapshotPool = snapshotPool;
    this.jdbcReads = jdbcReads;
    this.timeoutMillis = timeoutMillis;
  }

  /** See {@link DocumentStore#openRead}. */
  Future<ConsistentRead> openRead() {
    readsWaiting.incrementAndGet();
    if (jdbcReads != null) {
      Context caller = Vertx.currentContext();
      AtomicBoolean placed = new AtomicBoolean();
      Runnable onPlace = () -> {
        if (placed.compareAndSet(false, true)) {
          readsWaiting.decrementAndGet();
          readsOpen.incrementAndGet();
        }
      };
      return ConsistentRead.begin(vertx, caller != null ? caller : vertx.getOrCreateContext(), jdbcReads,
          timeoutMillis, onPlace, () -> {
            if (placed.get()) {
              readsOpen.decrementAndGet();
            } else {
              readsWaiting.decrementAndGet();
            }
          });
    }
    return snapshotPool.getConnection()
        .onComplete(ar -> readsWaiting.decrementAndGet())
        .compose(conn -> {
          readsOpen.incrementAndGet();
          return ConsistentRead.begin(vertx, dialect, conn, timeoutMillis, readsOpen::decrementAndGet);
        })
        .recover(this::unreachable);
  }

  /** Consistent reads running now. */
  int readsOpen() { return readsOpen.get(); }

  /** Consistent reads waiting for a place. */
  int readsWaiting() { return readsWaiting.get(); }

  /** See {@link DocumentStore#snapshot}. */
  Future<Snapshot> snapshot(String collection) {
    return openRead().compose(read -> {
      List<Snapshot.StoredDoc> docs = new ArrayList<>();
      return allDocs(read, collection, null, docs)
          .map(v -> new Snapshot(read.headSeq(), docs))
          .onComplete(ar -> read.close());
    });
  }

  private static Future<Void> allDocs(ConsistentRead read, String collection, String after,
      List<Snapshot.StoredDoc> into) {
    return read.docsAfter(collection, after).compose(page -> {
      if (page.isEmpty()) {
        return Future.succeededFuture();
      }
      into.addAll(page);
      return allDocs(read, collection, page.get(page.size() - 1).id(), into);
    });
  }

  /** See {@link DocumentStore#get}. */
  Future<Snapshot> get(String collection, String id) {
    return pool.preparedQuery(dialect.sql(GET_SQL)).execute(Tuple.of(collection, id)).map(rows -> {
      Row row = rows.iterator().next();
      String json = row.getString(1);
      List<Snapshot.StoredDoc> docs = json == null ? List.of()
          : List.of(new Snapshot.StoredDoc(id, json, row.getLong(2)));
      return new Snapshot(row.getLong(0), docs);
    }).recover(this::unreachable);
  }

  /** PostgreSQL: the database's head, {@code pw_head.seq}, as committed now by any node. */
  Future<Long> sharedHead() {
    return pool.query("SELECT seq FROM pw_head WHERE id = 1").execute()
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /** True when the database answers a trivial query. */
  Future<Boolean> ping() {
    return pool.query("SELECT 1").execute().map(r -> true);
  }

  /**
   * A read that failed without an answer from the database (it is down or unreachable: a shared
   * store's usual trouble) becomes {@link StoreUnavailable}, a 503, rather than a 500.
   */
  private <T> Future<T> unreachable(Throwable e) {
    if (dialect.shared() && dialect.sqlState(e) == null) {
      return Future.failedFuture(new StoreUnavailable("the database does not answer: " + e.getMessage(), e));
    }
    return Future.failedFuture(e);
  }
}
