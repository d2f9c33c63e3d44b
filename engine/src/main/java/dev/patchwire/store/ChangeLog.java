package dev.patchwire.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.msg.Change;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
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

  static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS pw_changes ("
      + " seq BIGINT PRIMARY KEY, coll VARCHAR(64) NOT NULL, doc_id VARCHAR(1024) NOT NULL,"
      + " kind VARCHAR(8) NOT NULL, patch JSON, after_doc JSON, before_fields JSON,"
      + " bytes INT NOT NULL, committed_at TIMESTAMP WITH TIME ZONE NOT NULL)";

  private static final String INSERT = "INSERT INTO pw_changes"
      + " (seq, coll, doc_id, kind, patch, after_doc, before_fields, bytes, committed_at)"
      + " VALUES (?, ?, ?, ?, ? FORMAT JSON, ? FORMAT JSON, ? FORMAT JSON, ?, CURRENT_TIMESTAMP)";

  /**
   * One statement, so one coherent view: the head and the oldest seq kept, and the collection's
   * changes after a position, at most a limit of them.
   */
  private static final String SINCE = "SELECT h.head, h.oldest, c.seq, c.doc_id,"
      + " CAST(c.patch AS VARCHAR), CAST(c.after_doc AS VARCHAR), CAST(c.before_fields AS VARCHAR)"
      + " FROM (SELECT COALESCE(MAX(seq), 0) AS head, COALESCE(MIN(seq), 0) AS oldest FROM pw_changes) h"
      + " LEFT JOIN (SELECT * FROM pw_changes WHERE seq > ? AND coll = ? ORDER BY seq LIMIT ?) c ON TRUE"
      + " ORDER BY c.seq";

  /** The most changes a resume replays from the log; past that a snapshot is cheaper. */
  public static final int MAX_REPLAY = 10_000;

  /**
   * The most bytes of log rows a resume reads; past that a snapshot is sent. Without it, one
   * client resuming from an old position over large documents could load the whole log at once.
   */
  public static final long MAX_REPLAY_BYTES = 16L << 20;

  private static final String SIZE = "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM pw_changes"
      + " WHERE seq > ? AND coll = ?";

  /** What {@link #since} found. {@code changes} is null when the log cannot replay the position. */
  public record Replay(long headSeq, List<Change> changes) {
  }

  private ChangeLog() {
  }

  /** Adds the row of a change; runs in the writer's transaction. */
  static Future<?> insert(SqlClient conn, Change change, String afterJson, String opsJson) {
    String beforeFields = change.before() == null ? null : Json.write(scalarFields(change.before()));
    int bytes = 64 + change.docId().length() + len(afterJson) + len(opsJson) + len(beforeFields);
    return conn.preparedQuery(INSERT).execute(Tuple.from(new Object[] {
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

  /**
   * The changes of {@code collection} after {@code seq}, up to the log's head. {@code changes} is
   * null when the log has lost some of them (compacted), when {@code seq} is ahead of the head, or
   * when there are more than {@link #MAX_REPLAY} or {@link #MAX_REPLAY_BYTES} of them (checked
   * first, by a query that reads only their sizes).
   */
  static Future<Replay> since(Pool pool, String collection, long seq) {
    return pool.preparedQuery(SIZE).execute(Tuple.of(seq, collection)).compose(size -> {
      Row r = size.iterator().next();
      if (r.getLong(0) > MAX_REPLAY || r.getLong(1) > MAX_REPLAY_BYTES) {
        return Future.succeededFuture(new Replay(0, null));
      }
      return read(pool, collection, seq);
    });
  }

  private static Future<Replay> read(Pool pool, String collection, long seq) {
    return pool.preparedQuery(SINCE).execute(Tuple.of(seq, collection, MAX_REPLAY + 1)).map(rows -> {
      long head = 0;
      long oldest = 0;
      List<Change> changes = new ArrayList<>();
      for (Row row : rows) {
        head = row.getLong(0);
        oldest = row.getLong(1);
        Long s = row.getLong(2);
        if (s != null) {
          changes.add(rebuild(s, collection, row.getString(3), row.getString(4), row.getString(5),
              row.getString(6)));
        }
      }
      boolean complete = seq <= head && (head == 0 || seq >= oldest - 1) && changes.size() <= MAX_REPLAY;
      return new Replay(head, complete ? changes : null);
    });
  }

  private static Change rebuild(long seq, String collection, String docId, String ops, String after,
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
   * survives. Runs on the read pool (autocommit: one transaction per delete), beside the writer,
   * never in its way, and deletes in chunks of at most {@link #COMPACT_CHUNK} rows and
   * {@link #COMPACT_CHUNK_BYTES}.
   */
  static Future<Long> compact(Pool pool, Duration maxAge, long maxBytes) {
    String byBytes = "SELECT COALESCE(MAX(seq), 0) FROM (SELECT seq, SUM(bytes) OVER (ORDER BY seq DESC)"
        + " AS newer FROM pw_changes) WHERE newer > ?";
    String byAge = "SELECT COALESCE(MAX(seq), 0) FROM pw_changes"
        + " WHERE committed_at < DATEADD(SECOND, ?, CURRENT_TIMESTAMP)";
    return pool.preparedQuery(byBytes).execute(Tuple.of(maxBytes))
        .compose(a -> pool.preparedQuery(byAge).execute(Tuple.of(-maxAge.toSeconds()))
            .map(b -> Math.max(a.iterator().next().getLong(0), b.iterator().next().getLong(0))))
        .compose(cut -> cut <= 0 ? Future.succeededFuture(0L) : deleteUpTo(pool, cut, 0));
  }

  private static Future<Long> deleteUpTo(Pool pool, long cut, long deleted) {
    return pool.preparedQuery(COMPACT_NEXT).execute(Tuple.of(cut)).compose(rows -> {
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
      return pool.preparedQuery(COMPACT_DELETE).execute(Tuple.of(upTo))
          .compose(r -> r.rowCount() == 0 ? Future.succeededFuture(deleted)
              : deleteUpTo(pool, cut, deleted + r.rowCount()));
    });
  }
}
