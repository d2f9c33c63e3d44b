package dev.patchwire.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.jdbcclient.JDBCConnectOptions;
import io.vertx.jdbcclient.JDBCConnection;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * Embedded H2 under {@code --data}: one node, whose single writer is the only one to assign
 * seqs (its own counter), and whose commits go straight to the MsgStore.
 */
final class H2Dialect implements StoreDialect {

  /** H2's own isolation level beyond JDBC's (org.h2.engine.Constants.TRANSACTION_SNAPSHOT). */
  static final int H2_TRANSACTION_SNAPSHOT = 6;

  private final Path dataDir;
  private final JDBCConnectOptions connect;

  H2Dialect(Path dataDir) {
    this.dataDir = dataDir;
    // WRITE_DELAY=0: every commit reaches the file before we answer (a 2xx survives kill -9).
    // OPTIMIZE_REUSE_RESULTS=FALSE: H2 may otherwise hand a prepared statement the cached result
    // of a parameterless subquery, such as the MAX(seq) that fences snapshots and replays, from
    // before another session's commit: the fence would lag its own rows (seen by the torture test).
    // DB_CLOSE_ON_EXIT=FALSE: our own shutdown closes the database after the streams.
    String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("patchwire")
        + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;OPTIMIZE_REUSE_RESULTS=FALSE";
    this.connect = new JDBCConnectOptions().setJdbcUrl(url).setUser("sa").setPassword("");
  }

  Path dataDir() { return dataDir; }

  /** The JDBC URL, user {@code sa} with no password, for the reads on plain JDBC ({@link JdbcReads}). */
  String jdbcUrl() { return connect.getJdbcUrl(); }

  @Override
  public String name() { return "h2"; }

  @Override
  public String describe() { return dataDir.toAbsolutePath().toString(); }

  @Override
  public Pool pool(Vertx vertx, String name, int size, boolean waitForever) {
    PoolOptions options = new PoolOptions().setMaxSize(size).setName(name);
    if (waitForever) {
      options.setConnectionTimeout(0);
    }
    return JDBCPool.pool(vertx, connect, options);
  }

  @Override
  public Future<String> createSchema(SqlConnection conn) {
    return conn.query(
            "CREATE TABLE IF NOT EXISTS pw_meta (k VARCHAR(64) PRIMARY KEY, v VARCHAR(4096) NOT NULL)")
        .execute()
        .compose(r -> conn.query("CREATE TABLE IF NOT EXISTS pw_docs ("
            + " coll VARCHAR(64) NOT NULL, id VARCHAR(1024) NOT NULL, body JSON NOT NULL,"
            + " seq BIGINT NOT NULL, PRIMARY KEY (coll, id))").execute())
        .compose(r -> conn.query("CREATE TABLE IF NOT EXISTS pw_changes ("
            + " seq BIGINT PRIMARY KEY, coll VARCHAR(64) NOT NULL, doc_id VARCHAR(1024) NOT NULL,"
            + " kind VARCHAR(8) NOT NULL, patch JSON, after_doc JSON, before_fields JSON,"
            + " bytes INT NOT NULL, committed_at TIMESTAMP WITH TIME ZONE NOT NULL)").execute())
        .compose(r -> conn.query("SELECT v FROM pw_meta WHERE k = 'epoch'").execute())
        .compose(rows -> {
          if (rows.iterator().hasNext()) {
            return Future.succeededFuture(rows.iterator().next().getString(0));
          }
          String epoch = StorePools.newEpoch();
          return conn.preparedQuery("INSERT INTO pw_meta (k, v) VALUES ('epoch', ?)")
              .execute(Tuple.of(epoch)).map(epoch);
        });
  }

  /** H2 takes JDBC's {@code ?}; a JSON column takes text with {@code FORMAT JSON}. */
  @Override
  public String sql(String statement) {
    return statement.replace("?::json", "? FORMAT JSON");
  }

  /** The single writer owns the seqs: its own counter, no statement. */
  @Override
  public Future<Long> lockSeq(SqlConnection conn, long localSeq) {
    return Future.succeededFuture(localSeq);
  }

  @Override
  public Future<Void> advanceSeq(SqlConnection conn, long topSeq) {
    return Future.succeededFuture();
  }

  @Override
  public boolean shared() { return false; }

  /**
   * SNAPSHOT isolation: at the transaction's first statement H2 takes the view of every table at
   * once (SessionLocal.startStatementWithinTransaction), and every later statement reads it.
   */
  @Override
  public Future<Transaction> beginSnapshot(SqlConnection conn) {
    return ((JDBCConnection) conn).setTransactionIsolation(H2_TRANSACTION_SNAPSHOT)
        .compose(v -> conn.begin());
  }

  @Override
  public String sqlState(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException sql) {
        return sql.getSQLState() == null ? "" : sql.getSQLState();
      }
    }
    return null;
  }

  @Override
  public String olderThanSql() {
    return "SELECT COALESCE(MAX(seq), 0) FROM pw_changes"
        + " WHERE committed_at < DATEADD(SECOND, ?, CURRENT_TIMESTAMP)";
  }

  @Override
  public long olderThanArg(Duration age) {
    return -age.toSeconds();
  }

  /** One node: nobody else compacts. Runs on the read pool, one transaction per statement. */
  @Override
  public Future<Long> compactAlone(Pool pool, Function<SqlClient, Future<Long>> compaction) {
    return compaction.apply(pool);
  }
}
