package dev.patchwire.store;

import dev.patchwire.msg.Change;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
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

  private final Vertx vertx;
  private final StoreDialect dialect;
  private final SqlConnection conn;
  private final Transaction tx;
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

  private ConsistentRead(Vertx vertx, StoreDialect dialect, SqlConnection conn, Transaction tx, long headSeq, long oldestSeq,
      Runnable onClosed) {
    this.vertx = vertx;
    this.dialect = dialect;
    this.conn = conn;
    this.tx = tx;
    this.headSeq = headSeq;
    this.oldestSeq = oldestSeq;
    this.onClosed = onClosed;
  }

  /**
   * Begins a read on {@code conn} (a snapshot-pool connection, closed here if anything fails):
   * SNAPSHOT isolation, then the transaction, whose first statement reads the head.
   */
  static Future<ConsistentRead> begin(Vertx vertx, StoreDialect dialect, SqlConnection conn,
      long timeoutMillis, Runnable onClosed) {
    return dialect.beginSnapshot(conn)
        .compose(tx -> conn.query(HEAD).execute().map(rows -> {
          Row r = rows.iterator().next();
          ConsistentRead read = new ConsistentRead(vertx, dialect, conn, tx, r.getLong(0), r.getLong(1), onClosed);
          read.timer = vertx.setTimer(timeoutMillis, t -> read.expire());
          return read;
        }))
        .onFailure(e -> {
          conn.close();
          onClosed.run();
        });
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
    return query(DOC_SIZES, Tuple.of(collection, after, window)).compose(sizes -> {
      String upTo = lastThatFits(sizes, row -> row.getString(0), row -> row.getLong(1));
      if (upTo == null) {
        return Future.succeededFuture(List.of());
      }
      if (sizes.size() < window && upTo.equals(lastKey(sizes, row -> row.getString(0)))) {
        docsEndAt = List.of(collection, upTo);
      }
      return query(DOCS, Tuple.of(collection, after, upTo)).map(rows -> {
        docsWindow = window(rows.size());
        List<Snapshot.StoredDoc> docs = new ArrayList<>(rows.size());
        for (Row row : rows) {
          docs.add(new Snapshot.StoredDoc(row.getString(0), row.getString(1), row.getLong(2)));
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
  static <K> K lastKey(RowSet<Row> rows, java.util.function.Function<Row, K> key) {
    K last = null;
    for (Row row : rows) {
      last = key.apply(row);
    }
    return last;
  }

  /** Rows to ask the sizes of after a page of {@code rows}: twice as many, within bounds. */
  static int window(int rows) {
    return Math.max(MIN_WINDOW, Math.min(PAGE_ROWS, 2 * rows + 1));
  }

  /** Runs one statement of this read; fails once the read is closed. */
  Future<RowSet<Row>> query(String sql, Tuple args) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("the read is closed"));
    }
    return conn.preparedQuery(dialect.sql(sql)).execute(args);
  }

  /**
   * Of rows in order with their sizes, the key of the last one that still fits in a page (the
   * first always does); null when there are none.
   */
  static <K> K lastThatFits(RowSet<Row> rows, java.util.function.Function<Row, K> key,
      java.util.function.ToLongFunction<Row> size) {
    K last = null;
    long sum = 0;
    for (Row row : rows) {
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
    tx.rollback().onComplete(ar -> conn.close().onComplete(v -> onClosed.run()));
  }

  private void expire() {
    if (!closed) {
      close();
      expiredHandler.run();
    }
  }
}
