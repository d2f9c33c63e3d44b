package dev.patchwire.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The store's connection pools, one per job, and the schema they open on.
 *
 * <p>Only the writer's pool may ever run a read-write transaction: vertx-jdbc-client 5.0.x leaves
 * a pooled connection in autocommit=false after {@code withTransaction}
 * (vert-x3/vertx-jdbc-client#356), so a read-pool connection that once ran one would run every
 * later statement, compaction's DELETEs included, in a transaction never committed. Its undo log
 * then grows without bound, and H2 writes the whole of it into every chunk: an OutOfMemoryError
 * that closes the database. The schema is therefore created on the writer's pool too.
 */
final class StorePools {

  /** Plain statements (autocommit): single documents, the head, compaction, the health probe. */
  final Pool read;
  /** The single writer's own connection, so that reads queueing for theirs never delay a commit. */
  final Pool write;
  /**
   * Consistent reads (snapshots, GET of a collection, change-log replays), each holding one
   * connection for as long as it lasts: the pool's size is how many run at once, its wait queue
   * (first come, first served, no timeout) holds the others. Every use of it is a transaction
   * ({@link ConsistentRead}), so the autocommit bug above does not reach it.
   */
  final Pool snapshot;
  /**
   * On H2 the consistent reads run on plain JDBC instead ({@link JdbcReads}: as many sessions,
   * the same first-come queue, and no transaction of vertx-jdbc-client at all); then
   * {@link #snapshot} is null. Null on PostgreSQL.
   */
  final JdbcReads jdbcReads;

  /** What the schema held when the store started: its epoch and the seq of its last change. */
  record Schema(String epoch, long headSeq) {
  }

  private StorePools(Pool read, Pool write, Pool snapshot, JdbcReads jdbcReads) {
    this.read = read;
    this.write = write;
    this.snapshot = snapshot;
    this.jdbcReads = jdbcReads;
  }

  /** The pools of a store with {@code snapshotReads} consistent reads at once. */
  static StorePools open(Vertx vertx, StoreDialect dialect, int snapshotReads) throws IOException {
    if (dialect instanceof H2Dialect h2) {
      Files.createDirectories(h2.dataDir());
    }
    Pool read = dialect.pool(vertx, "patchwire-read", 4, false);
    Pool write = dialect.pool(vertx, "patchwire-write", 1, false);
    if (dialect instanceof H2Dialect h2) {
      return new StorePools(read, write, null, new JdbcReads(vertx, h2.jdbcUrl(), snapshotReads));
    }
    // no timeout on the wait: a read waits for its turn however long the queue
    return new StorePools(read, write, dialect.pool(vertx, "patchwire-snapshot", snapshotReads, true), null);
  }

  /**
   * Creates the tables if need be (several nodes may start at once on one database) and reads
   * the epoch and the head, in one transaction of the writer's pool.
   */
  Future<Schema> createSchema(StoreDialect dialect) {
    return write.withTransaction(conn -> dialect.createSchema(conn)
        .compose(epoch -> conn.query("SELECT COALESCE(MAX(seq), 0) FROM pw_changes").execute()
            // on PostgreSQL equal to pw_head.seq in the same view: seqs have no holes
            .map(rows -> new Schema(epoch, rows.iterator().next().getLong(0)))));
  }

  Future<Void> close() {
    return Future.join(read.close(), write.close(),
        jdbcReads != null ? jdbcReads.close() : snapshot.close()).mapEmpty();
  }

  /** A new epoch: random, so that two fresh databases never share one. No ':' in it. */
  static String newEpoch() {
    byte[] b = new byte[6];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
