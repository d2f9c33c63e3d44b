package dev.patchwire.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.msg.Change;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The durable change log, {@code pw_changes}: one row per committed change, written in the same
 * transaction as the document. It is the cold tier behind the in-memory history: a client that
 * resumes from a position the history no longer holds (after a restart, say) is replayed from
 * here. Each row keeps what a filtered stream needs to rebuild its frame: the update's
 * operations, the document after, and the top-level scalar fields before (filters only look at
 * those).
 */
public final class ChangeLog {

  private static final String INSERT = "INSERT INTO pw_changes"
      + " (seq, coll, doc_id, kind, patch, after_doc, before_fields, bytes, committed_at)"
      + " VALUES (?, ?, ?, ?, ?::json, ?::json, ?::json, ?, CURRENT_TIMESTAMP)";

  /** The most changes a resume replays from the log; past that a snapshot is cheaper. */
  public static final int MAX_REPLAY = 10_000;

  /**
   * The most bytes of log rows a resume replays; past that a snapshot is cheaper and is sent. The
   * replay itself is read page by page (see {@link ConsistentRead}), so this bounds the work, not
   * the memory.
   */
  public static final long MAX_REPLAY_BYTES = 16L << 20;

  private static final String SIZE = "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM pw_changes"
      + " WHERE seq > ? AND coll = ?";

  private static final String PAGE_SIZES = "SELECT seq, bytes FROM pw_changes"
      + " WHERE seq > ? AND seq <= ? AND coll = ? ORDER BY seq LIMIT ?";

  private static final String PAGE = "SELECT seq, doc_id, CAST(patch AS VARCHAR),"
      + " CAST(after_doc AS VARCHAR), CAST(before_fields AS VARCHAR) FROM pw_changes"
      + " WHERE seq > ? AND seq <= ? AND coll = ? ORDER BY seq";

  /**
   * What the log of one read holds after a position: {@code replayable} when it has every change
   * after it (none compacted away, the position not ahead of the head) and few enough of them
   * ({@link #MAX_REPLAY}, {@link #MAX_REPLAY_BYTES}) that a replay is cheaper than a snapshot.
   */
  public record Coverage(boolean replayable, long changes, long bytes) {
  }

  private ChangeLog() {
  }

  /** Adds the row of a change; runs in the writer's transaction. */
  static Future<?> insert(SqlClient conn, StoreDialect dialect, Change change, String afterJson,
      String opsJson) {
    String beforeFields = change.before() == null ? null : Json.write(scalarFields(change.before()));
    int bytes = 64 + change.docId().length() + len(afterJson) + len(opsJson) + len(beforeFields);
    return conn.preparedQuery(dialect.sql(INSERT)).execute(Tuple.from(new Object[] {
        change.seq(), change.collection(), change.docId(), change.kind().name(), opsJson, afterJson,
        beforeFields, bytes}));
  }

  private static int len(String s) {
    return s == null ? 0 : s.length();
  }

  /** The top-level members that a {@code where} filter can match: strings, numbers, booleans, null. */
  static ObjectNode scalarFields(ObjectNode doc) {
    ObjectNode out = Json.object();
    Iterator<Map.Entry<String, JsonNode>> it = doc.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      if (f.getValue().isValueNode()) {
        out.set(f.getKey(), f.getValue());
      }
    }
    return out;
  }

  /** See {@link ConsistentRead#logCoverage}: read in the read's own view. */
  static Future<Coverage> coverage(ConsistentRead read, String collection, long seq) {
    long head = read.headSeq();
    if (seq > head || (head > 0 && seq < read.oldestSeq() - 1)) {
      return Future.succeededFuture(new Coverage(false, 0, 0));
    }
    return read.query(SIZE, seq, collection).map(rows -> {
      Object[] r = rows.get(0);
      long n = ConsistentRead.longAt(r, 0);
      long bytes = ConsistentRead.longAt(r, 1);
      return new Coverage(n <= MAX_REPLAY && bytes <= MAX_REPLAY_BYTES, n, bytes);
    });
  }

  /** See {@link ConsistentRead#changesAfter}: the sizes of the next rows first, then the rows that fit. */
  static Future<List<Change>> page(ConsistentRead read, String collection, long afterSeq) {
    if (List.of(collection, afterSeq).equals(read.changesEndAt)) {
      return Future.succeededFuture(List.of());
    }
    int window = read.changesWindow;
    return read.query(PAGE_SIZES, afterSeq, read.headSeq(), collection, window).compose(sizes -> {
      Long upTo = ConsistentRead.lastThatFits(sizes, row -> ConsistentRead.longAt(row, 0),
          row -> ConsistentRead.longAt(row, 1));
      if (upTo == null) {
        return Future.succeededFuture(List.of());
      }
      if (sizes.size() < window && upTo.equals(ConsistentRead.lastKey(sizes, row -> ConsistentRead.longAt(row, 0)))) {
        read.changesEndAt = List.of(collection, upTo);
      }
      return read.query(PAGE, afterSeq, upTo, collection).map(rows -> {
        read.changesWindow = ConsistentRead.window(rows.size());
        List<Change> changes = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
          changes.add(rebuild(ConsistentRead.longAt(row, 0), collection, (String) row[1], (String) row[2],
              (String) row[3], (String) row[4]));
        }
        return changes;
      });
    });
  }

  static Change rebuild(long seq, String collection, String docId, String ops, String after,
      String beforeFields) {
    ObjectNode before = beforeFields == null ? null : (ObjectNode) Json.parse(beforeFields);
    ObjectNode afterDoc = after == null ? null : (ObjectNode) Json.parse(after);
    ArrayNode docOps = ops == null ? null : (ArrayNode) Json.parse(ops);
    return new Change(seq, collection, docId, before, afterDoc, after, len(beforeFields), docOps);
  }

  /** Rows one compaction delete removes, at most. */
  static final int COMPACT_CHUNK = 64;

  /**
   * Bytes of rows (their {@code bytes}) one compaction delete removes, at most; a larger row goes
   * alone. Each delete is its own transaction, and while it runs H2 keeps the rows it removes in
   * the transaction's undo log, which the writer's next commit serializes into its chunk, all of
   * it at once: 64 rows of a 400 KB document would be 80 MB there.
   */
  static final long COMPACT_CHUNK_BYTES = 4L << 20;

  private static final String COMPACT_NEXT = "SELECT seq, bytes FROM pw_changes WHERE seq <= ?"
      + " AND seq < (SELECT MAX(seq) FROM pw_changes) ORDER BY seq LIMIT " + COMPACT_CHUNK;

  private static final String COMPACT_DELETE = "DELETE FROM pw_changes WHERE seq <= ?"
      + " AND seq < (SELECT MAX(seq) FROM pw_changes)";

  /**
   * Deletes the oldest rows beyond the retention: older than {@code maxAge}, or beyond
   * {@code maxBytes} counted from the newest. The newest row always stays, so the head seq
   * survives. Runs on {@code pool} (autocommit: one transaction per delete), beside the writer,
   * never in its way, and deletes in chunks of at most {@link #COMPACT_CHUNK} rows and
   * {@link #COMPACT_CHUNK_BYTES}.
   */
  static Future<Long> compact(SqlClient pool, StoreDialect dialect, Duration maxAge, long maxBytes) {
    String byBytes = "SELECT COALESCE(MAX(seq), 0) FROM (SELECT seq, SUM(bytes) OVER (ORDER BY seq DESC)"
        + " AS newer FROM pw_changes) t WHERE newer > ?";
    return pool.preparedQuery(dialect.sql(byBytes)).execute(Tuple.of(maxBytes))
        .compose(a -> pool.preparedQuery(dialect.sql(dialect.olderThanSql()))
            .execute(Tuple.of(dialect.olderThanArg(maxAge)))
            .map(b -> Math.max(a.iterator().next().getLong(0), b.iterator().next().getLong(0))))
        .compose(cut -> cut <= 0 ? Future.succeededFuture(0L) : deleteUpTo(pool, dialect, cut, 0));
  }

  private static Future<Long> deleteUpTo(SqlClient pool, StoreDialect dialect, long cut, long deleted) {
    return pool.preparedQuery(dialect.sql(COMPACT_NEXT)).execute(Tuple.of(cut)).compose(rows -> {
      long upTo = -1;
      long sum = 0;
      for (Row row : rows) {
        sum += row.getInteger(1);
        if (upTo >= 0 && sum > COMPACT_CHUNK_BYTES) {
          break;
        }
        upTo = row.getLong(0);
      }
      if (upTo < 0) {
        return Future.succeededFuture(deleted);
      }
      return pool.preparedQuery(dialect.sql(COMPACT_DELETE)).execute(Tuple.of(upTo))
          .compose(r -> r.rowCount() == 0 ? Future.succeededFuture(deleted)
              : deleteUpTo(pool, dialect, cut, deleted + r.rowCount()));
    });
  }
}
