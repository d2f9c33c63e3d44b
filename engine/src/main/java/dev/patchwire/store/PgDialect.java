package dev.patchwire.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.function.Function;

/**
 * Several nodes on one PostgreSQL (vertx-pg-client). The seqs come from the counter row
 * {@code pw_head(id = 1, epoch, seq)}: each writer transaction, at READ COMMITTED, locks it with
 * its first statement and sets it to its last seq with its last one, so the row lock is held to
 * the commit. Two transactions that commit changes thus run one after the other, and seq order is
 * commit order: a reader that sees seq N sees every change below it, and a rollback (a kill -9
 * included) takes its seqs back with it, so there are no holes. A SEQUENCE would not do (its
 * values become visible out of commit order), nor would REPEATABLE READ writers (they fail with
 * serialization errors under contention).
 *
 * <p>Documents and change rows are {@code text}: the engine writes only JSON it serialized itself
 * and hands those exact bytes to subscribers, so the database need not parse them again.
 */
final class PgDialect implements StoreDialect {

  /** Channel of the wake-up NOTIFY each commit sends; its payload is the commit's top seq. */
  static final String CHANNEL = "pw_changes";
  /** Advisory lock keys: schema creation, and compaction (one node at a time). */
  private static final long SCHEMA_LOCK = 0x7077_0001L;
  private static final long COMPACT_LOCK = 0x7077_0002L;

  /**
   * Session settings, so that a node cut off mid-transaction cannot hold the counter row for long:
   * the server ends a transaction idle for 10 s, a statement waits at most 5 s for a lock (then the
   * write answers 503), and the server's TCP keepalives find a dead peer in about 10 + 3 x 5 s.
   */
  static final java.util.Map<String, String> SESSION = java.util.Map.of(
      "idle_in_transaction_session_timeout", "10000",
      "lock_timeout", "5000",
      "tcp_keepalives_idle", "10",
      "tcp_keepalives_interval", "5",
      "tcp_keepalives_count", "3",
      "client_min_messages", "warning");
  /** How long connecting may take before the attempt fails (and a write answers 503). */
  static final int CONNECT_TIMEOUT_MILLIS = 3_000;

  private final PgConnectOptions connect;

  PgDialect(String url) {
    connect = connectOptions(url);
  }

  /** The options of a {@code postgresql://USER[:PASSWORD]@HOST:PORT/DB} URL with our session settings. */
  static PgConnectOptions connectOptions(String url) {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    SESSION.forEach(options::addProperty);
    options.addProperty("application_name", "patchwire");
    return options;
  }

  PgConnectOptions connectOptions() {
    return connect;
  }

  @Override
  public String name() { return "postgresql"; }

  @Override
  public String describe() {
    return "postgresql://" + connect.getUser() + "@" + connect.getHost() + ":" + connect.getPort()
        + "/" + connect.getDatabase();
  }

  @Override
  public Pool pool(Vertx vertx, String name, int size, boolean waitForever) {
    PoolOptions options = new PoolOptions().setMaxSize(size).setName(name);
    if (waitForever) {
      options.setConnectionTimeout(0);
    }
    return PgBuilder.pool()
        .with(options)
        .with(new NetClientOptions().setTcpKeepAlive(true).setConnectTimeout(CONNECT_TIMEOUT_MILLIS))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }

  @Override
  public Future<String> createSchema(SqlConnection conn) {
    // CREATE TABLE IF NOT EXISTS races with itself across sessions: nodes starting at once take turns
    return conn.query("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")").execute()
        .compose(r -> conn.query("CREATE TABLE IF NOT EXISTS pw_head ("
            + " id INT PRIMARY KEY, epoch VARCHAR(64) NOT NULL, seq BIGINT NOT NULL)").execute())
        .compose(r -> conn.query("CREATE TABLE IF NOT EXISTS pw_docs ("
            + " coll VARCHAR(64) NOT NULL, id VARCHAR(1024) NOT NULL, body TEXT NOT NULL,"
            + " seq BIGINT NOT NULL, PRIMARY KEY (coll, id))").execute())
        .compose(r -> conn.query("CREATE TABLE IF NOT EXISTS pw_changes ("
            + " seq BIGINT PRIMARY KEY, coll VARCHAR(64) NOT NULL, doc_id VARCHAR(1024) NOT NULL,"
            + " kind VARCHAR(8) NOT NULL, patch TEXT, after_doc TEXT, before_fields TEXT,"
            + " bytes INT NOT NULL, committed_at TIMESTAMP WITH TIME ZONE NOT NULL)").execute())
        .compose(r -> conn.preparedQuery("INSERT INTO pw_head (id, epoch, seq) VALUES (1, $1, 0)"
            + " ON CONFLICT (id) DO NOTHING").execute(Tuple.of(StorePools.newEpoch())))
        .compose(r -> conn.query("SELECT epoch FROM pw_head WHERE id = 1").execute())
        .map(rows -> rows.iterator().next().getString(0));
  }

  /** {@code ?} becomes {@code $1}, {@code $2}...; the statements hold no other question mark. */
  @Override
  public String sql(String statement) {
    String s = statement.replace("?::json", "?");
    StringBuilder out = new StringBuilder(s.length() + 16);
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '?') {
        out.append('$').append(++n);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Locks the counter row first: held to the commit, it orders this transaction among all nodes'. */
  @Override
  public Future<Long> lockSeq(SqlConnection conn, long localSeq) {
    return conn.query("UPDATE pw_head SET seq = seq WHERE id = 1 RETURNING seq").execute()
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /** Moves the counter to the batch's last seq and wakes every node's tailer (delivered at commit). */
  @Override
  public Future<Void> advanceSeq(SqlConnection conn, long topSeq) {
    return conn.preparedQuery("UPDATE pw_head SET seq = $1 WHERE id = 1").execute(Tuple.of(topSeq))
        .compose(r -> conn.preparedQuery("SELECT pg_notify('" + CHANNEL + "', $1)")
            .execute(Tuple.of(Long.toString(topSeq))))
        .mapEmpty();
  }

  @Override
  public boolean shared() { return true; }

  /**
   * REPEATABLE READ, READ ONLY: PostgreSQL takes the transaction's snapshot at its first
   * statement (the head read) and every later page reads it. Without the session's 10 s idle
   * timeout: a read waits between pages while its slow client drains (the server killed a 50 MB
   * GET's read mid-body), it holds no lock, and --snapshot-timeout ends it.
   */
  @Override
  public Future<Transaction> beginSnapshot(SqlConnection conn) {
    return conn.begin().compose(tx -> conn.query(
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute()
        .compose(r -> conn.query("SET LOCAL idle_in_transaction_session_timeout = 0").execute())
        .map(tx));
  }

  @Override
  public String sqlState(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return pg.getSqlState() == null ? "" : pg.getSqlState();
      }
    }
    return null;
  }

  @Override
  public String olderThanSql() {
    return "SELECT COALESCE(MAX(seq), 0) FROM pw_changes"
        + " WHERE committed_at < CURRENT_TIMESTAMP - make_interval(secs => CAST(? AS BIGINT))";
  }

  @Override
  public long olderThanArg(Duration age) {
    return age.toSeconds();
  }

  /**
   * One node at a time: a session advisory lock, tried (a node that finds it taken skips this
   * round), on the connection that then runs the compaction.
   */
  @Override
  public Future<Long> compactAlone(Pool pool, Function<SqlClient, Future<Long>> compaction) {
    return pool.getConnection().compose(conn -> conn
        .query("SELECT pg_try_advisory_lock(" + COMPACT_LOCK + ")").execute()
        .compose(rows -> {
          if (!rows.iterator().next().getBoolean(0)) {
            return Future.succeededFuture(0L);
          }
          return compaction.apply(conn).eventually(() ->
              conn.query("SELECT pg_advisory_unlock(" + COMPACT_LOCK + ")").execute());
        })
        .eventually(conn::close));
  }
}
