package dev.patchwire.store;

import dev.patchwire.msg.Change;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * One read of the store as of one seq, done page by page: a connection of the snapshot pool in
 * an H2 {@code SNAPSHOT} transaction. At a SNAPSHOT transaction's first statement H2 takes the
 * view of every table at once (SessionLocal.startStatementWithinTransaction), and every later
 * statement of the transaction reads that view: the head seq read first and every page of
 * documents or changes read afterwards, however long after, describe the same committed state,
 * whatever the writer or the compaction commits meanwhile. So a snapshot read in pages is fenced
 * by its seq exactly as the one statement it replaces was.
 *
 * <p>Each page holds at most {@link #PAGE_BYTES} of JSON text (one larger row goes alone): the
 * sizes of the next rows are read first, then only as many rows as fit. A collection of any size
 * is thus read with bounded memory. H2 reads a whole row to tell its size, so the sizes are asked
 * for only a little more rows than the last page held ({@link #window}), not always
 * {@link #PAGE_ROWS}.
 *
 * <p>On H2 the statements run on plain JDBC on a worker thread ({@link JdbcReads}), on
 * PostgreSQL on the read's vertx-pg-client connection; the rows are the same column values.
 *
 * <p>A read must be {@link #close closed}: that rolls back (nothing was written) and gives the
 * connection to the next read in line. A read still open {@code timeoutMillis} after it began is
 * closed by a timer, and its {@link #expiredHandler} runs, so that a client that stops reading
 * cannot hold a place forever.
 */
public final class ConsistentRead {

  /** The most JSON text one page holds, unless a single row is larger. */
  public static final long PAGE_BYTES = 256L << 10;
  /** The most rows one page holds. */
  static final int PAGE_ROWS = 256;
  /** The fewest rows whose sizes are read for a page. */
  static final int MIN_WINDOW = 16;

  private static final String HEAD = "SELECT COALESCE(MAX(seq), 0), COALESCE(MIN(seq), 0) FROM pw_changes";
  // ORDER BY coll, id (not id alone) lets H2 read the primary key in order and stop at the LIMIT.
  private static final String DOC_SIZES = "SELECT id, OCTET_LENGTH(body) FROM pw_docs"
      + " WHERE coll = ? AND id > ? ORDER BY coll, id LIMIT ?";
  private static final String DOCS = "SELECT id, CAST(body AS VARCHAR), seq FROM pw_docs"
      + " WHERE coll = ? AND id > ? AND id <= ? ORDER BY coll, id";

  /**
   * Where a read's statements run, one after another, in its one transaction: its rows are the
   * column values of each row (texts, numbers as Long or Integer, nulls).
   */
  interface Statements {
    Future<List<Object[]>> query(String sql, Object[] args);

    /** Rolls the transaction back and gives the connection back; completes when done. */
    Future<Void> end();
  }

  private final Vertx vertx;
  private final Statements statements;
  private final long headSeq;
  private final long oldestSeq;
  private final Runnable onClosed;
  private long timer = -1;
  private boolean closed;
  private Runnable expiredHandler = () -> { };
  /** How many rows' sizes the next page of documents, and of changes, reads. */
  private int docsWindow = MIN_WINDOW;
  int changesWindow = MIN_WINDOW;
  /**
   * The key of the last document, or change, when a page was seen to end the collection (fewer
   * rows than its window, all of them taken): the page after it is empty without asking.
   */
  private List<String> docsEndAt;
  List<Object> changesEndAt;

  private ConsistentRead(Vertx vertx, Statements statements, long headSeq, long oldestSeq,
      Runnable onClosed) {
    this.vertx = vertx;
    this.statements = statements;
    this.headSeq = headSeq;
    this.oldestSeq = oldestSeq;
    this.onClosed = onClosed;
  }

  /**
   * Begins a read on {@code conn} (a snapshot-pool connection of PostgreSQL, closed here if
   * anything fails): the dialect's snapshot transaction, whose first statement reads the head.
   */
  static Future<ConsistentRead> begin(Vertx vertx, StoreDialect dialect, SqlConnection conn,
      long timeoutMillis, Runnable onClosed) {
    return dialect.beginSnapshot(conn)
        .compose(tx -> {
          Statements st = new SqlStatements(dialect, conn, tx);
          return st.query(HEAD, new Object[0]).map(rows -> start(vertx, st, rows, timeoutMillis, onClosed));
        })
        .onFailure(e -> {
          conn.close();
          onClosed.run();
        });
  }

  /**
   * Begins a read on H2 once {@code reads} has a place (see {@link JdbcReads}; {@code onPlace}
   * runs then): SNAPSHOT isolation, then the head read, the transaction's first statement;
   * completes on {@code context}.
   */
  static Future<ConsistentRead> begin(Vertx vertx, Context context, JdbcReads reads, long timeoutMillis,
      Runnable onPlace, Runnable onClosed) {
    return reads.acquire(context).compose(session -> {
      onPlace.run();
      JdbcStatements st = new JdbcStatements(context, session);
      return context.executeBlocking(() -> {
        session.beginSnapshot();
        return session.query(HEAD, new Object[0]);
      }, false).map(rows -> start(vertx, st, rows, timeoutMillis, onClosed))
          .onFailure(e -> st.end().onComplete(v -> onClosed.run()));
    }, e -> {
      onClosed.run();
      return Future.failedFuture(e);
    });
  }

  private static ConsistentRead start(Vertx vertx, Statements st, List<Object[]> head, long timeoutMillis,
      Runnable onClosed) {
    Object[] r = head.get(0);
    ConsistentRead read = new ConsistentRead(vertx, st, longAt(r, 0), longAt(r, 1), onClosed);
    read.timer = vertx.setTimer(timeoutMillis, t -> read.expire());
    return read;
  }

  /** Column {@code i} of a row as a long (the databases answer Integer or Long). */
  static long longAt(Object[] row, int i) {
    return ((Number) row[i]).longValue();
  }

  /** Seq of the newest change this read sees: it holds exactly the changes up to it. */
  public long headSeq() { return headSeq; }

  /** Seq of the oldest change the log still holds (0 when it is empty). */
  public long oldestSeq() { return oldestSeq; }

  public boolean isClosed() { return closed; }

  /** Runs once if the read is closed by its timeout rather than by its user. */
  public void expiredHandler(Runnable handler) {
    this.expiredHandler = handler;
  }

  /**
   * The next documents of {@code collection} in id order after {@code afterId} (null: from the
   * first), at most {@link #PAGE_BYTES} of them; an empty list after the last one.
   */
  public Future<List<Snapshot.StoredDoc>> docsAfter(String collection, String afterId) {
    // Ids are never empty, so '' sorts before every one of them.
    String after = afterId == null ? "" : afterId;
    if (List.of(collection, after).equals(docsEndAt)) {
      return Future.succeededFuture(List.of());
    }
    int window = docsWindow;
    return query(DOC_SIZES, collection, after, window).compose(sizes -> {
      String upTo = lastThatFits(sizes, row -> (String) row[0], row -> longAt(row, 1));
      if (upTo == null) {
        return Future.succeededFuture(List.of());
      }
      if (sizes.size() < window && upTo.equals(lastKey(sizes, row -> (String) row[0]))) {
        docsEndAt = List.of(collection, upTo);
      }
      return query(DOCS, collection, after, upTo).map(rows -> {
        docsWindow = window(rows.size());
        List<Snapshot.StoredDoc> docs = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
          docs.add(new Snapshot.StoredDoc((String) row[0], (String) row[1], longAt(row, 2)));
        }
        return docs;
      });
    });
  }

  /** Whether the log holds every change of {@code collection} after {@code seq}, and how many. */
  public Future<ChangeLog.Coverage> logCoverage(String collection, long seq) {
    return ChangeLog.coverage(this, collection, seq);
  }

  /**
   * The next changes of {@code collection} after {@code afterSeq}, up to {@link #headSeq()}, in
   * seq order, at most {@link #PAGE_BYTES} of them; an empty list after the last one.
   */
  public Future<List<Change>> changesAfter(String collection, long afterSeq) {
    return ChangeLog.page(this, collection, afterSeq);
  }

  /** The key of the last of {@code rows}. */
  static <K> K lastKey(List<Object[]> rows, java.util.function.Function<Object[], K> key) {
    K last = null;
    for (Object[] row : rows) {
      last = key.apply(row);
    }
    return last;
  }

  /** Rows to ask the sizes of after a page of {@code rows}: twice as many, within bounds. */
  static int window(int rows) {
    return Math.max(MIN_WINDOW, Math.min(PAGE_ROWS, 2 * rows + 1));
  }

  /** Runs one statement of this read; fails once the read is closed. */
  Future<List<Object[]>> query(String sql, Object... args) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("the read is closed"));
    }
    return statements.query(sql, args);
  }

  /**
   * Of rows in order with their sizes, the key of the last one that still fits in a page (the
   * first always does); null when there are none.
   */
  static <K> K lastThatFits(List<Object[]> rows, java.util.function.Function<Object[], K> key,
      java.util.function.ToLongFunction<Object[]> size) {
    K last = null;
    long sum = 0;
    for (Object[] row : rows) {
      sum += size.applyAsLong(row);
      if (last != null && sum > PAGE_BYTES) {
        break;
      }
      last = key.apply(row);
    }
    return last;
  }

  /** Ends the read: rolls back and gives the connection back. Idempotent. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    vertx.cancelTimer(timer);
    statements.end().onComplete(v -> onClosed.run());
  }

  private void expire() {
    if (!closed) {
      close();
      expiredHandler.run();
    }
  }
  /** PostgreSQL: the statements on the read's connection, in its transaction. */
  private static final class SqlStatements implements Statements {
    private final StoreDialect dialect;
    private final SqlConnection conn;
    private final Transaction tx;

    SqlStatements(StoreDialect dialect, SqlConnection conn, Transaction tx) {
      this.dialect = dialect;
      this.conn = conn;
      this.tx = tx;
    }

    @Override
    public Future<List<Object[]>> query(String sql, Object[] args) {
      return conn.preparedQuery(dialect.sql(sql)).execute(Tuple.from(args)).map(rows -> {
        List<Object[]> out = new ArrayList<>(rows.size());
        for (Row row : rows) {
          Object[] values = new Object[row.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = row.getValue(i);
          }
          out.add(values);
        }
        return out;
      });
    }

    @Override
    public Future<Void> end() {
      return tx.rollback().transform(ar -> conn.close());
    }
  }

  /**
   * H2: the statements on the read's own JDBC session, each on a worker thread, each after the
   * one before (so that the end never runs beside a statement still reading).
   */
  private static final class JdbcStatements implements Statements {
    private final Context context;
    private final JdbcReads.Session session;
    private Future<?> last = Future.succeededFuture();

    JdbcStatements(Context context, JdbcReads.Session session) {
      this.context = context;
      this.session = session;
    }

    @Override
    public synchronized Future<List<Object[]>> query(String sql, Object[] args) {
      Future<List<Object[]>> rows = last.transform(ar -> context.executeBlocking(() -> session.query(sql, args), false));
      last = rows;
      return rows;
    }

    @Override
    public synchronized Future<Void> end() {
      Future<Void> ended = last.transform(ar -> context.executeBlocking(() -> {
        session.end();
        return null;
      }, false));
      last = ended;
      return ended;
    }
  }
}
