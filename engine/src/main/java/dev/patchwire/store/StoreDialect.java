package dev.patchwire.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.time.Duration;

/**
 * What differs between the databases the store runs on: how to connect, the schema, how a
 * transaction gets its seqs, how a consistent read is isolated, and what a failure means.
 * Everything else (the writer, the write rules, the reads, the change log) is the same SQL on
 * both, written with {@code ?} parameters that {@link #sql} turns into the database's own.
 *
 * <p>{@link H2Dialect}: embedded, one node, the writer's own counter gives the seqs and its
 * commits are published in-process. {@link PgDialect}: several nodes on one PostgreSQL, a counter
 * row gives the seqs in commit order across all of them, and every node reads the changes back
 * from the log ({@link ChangeTailer}), its own included.
 */
interface StoreDialect {

  /** "h2" or "postgresql", for the start-up line and {@code /api/stats}. */
  String name();

  /** Where the data lives, for the start-up line (no password). */
  String describe();

  /** A pool of {@code size} connections; {@code waitForever}: no timeout on waiting for one. */
  Pool pool(Vertx vertx, String name, int size, boolean waitForever);

  /**
   * Creates the tables if need be and reads (or creates) the epoch, in one transaction of
   * {@code conn}: several nodes may start at once on one database.
   */
  Future<String> createSchema(SqlConnection conn);

  /** The statement with its {@code ?} parameters written as the database wants them. */
  String sql(String statement);

  /**
   * First statement of a writer's transaction: the seq the batch's changes follow.
   * {@code localSeq} is the seq of this writer's last commit.
   */
  Future<Long> lockSeq(SqlConnection conn, long localSeq);

  /** Last statement of a writer's transaction that committed changes up to {@code topSeq}. */
  Future<Void> advanceSeq(SqlConnection conn, long topSeq);

  /** True when other nodes write too: the changes reach the MsgStore through the log. */
  boolean shared();

  /** Begins the transaction of a {@link ConsistentRead}: one view of every table until its end. */
  Future<Transaction> beginSnapshot(SqlConnection conn);

  /** The SQL state of a database failure in {@code cause}'s chain, or null. */
  String sqlState(Throwable cause);

  /** The change-log retention by age: the newest seq committed more than {@code age} ago. */
  String olderThanSql();

  /** Seconds argument of {@link #olderThanSql()} for {@code age}. */
  long olderThanArg(Duration age);

  /**
   * Runs one compaction on this node if no other node runs one now (an advisory lock on
   * PostgreSQL); {@code compaction} gets the connection to run it on. 0 when it did not run.
   */
  Future<Long> compactAlone(Pool pool, java.util.function.Function<io.vertx.sqlclient.SqlClient, Future<Long>> compaction);
}
