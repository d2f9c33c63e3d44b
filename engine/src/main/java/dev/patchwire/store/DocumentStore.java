package dev.patchwire.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.DocLimits;
import dev.patchwire.json.Json;
import dev.patchwire.json.Patches;
import dev.patchwire.msg.Change;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The documents and their change log (in H2, or in PostgreSQL shared by several nodes: see
 * {@link StoreDialect}), and this node's single writer that gives every change its seq.
 *
 * <p>Writes are queued on this verticle's context and committed by one writer, in order: for
 * each, read the current document, compute and validate the new one, then write the document
 * and its change row. The writes waiting together share one transaction (group commit). After
 * the commit the changes go to the publisher (the MsgStore), in seq order. A refused write
 * writes and publishes nothing.
 *
 * <p>Reads run from any context. A single document is one SQL statement over both tables, and H2
 * (MVStore, READ COMMITTED) gives one statement a coherent view, so the seq it reports is exactly
 * the last change its document contains. A collection or a change-log replay is read in pages
 * within one {@link ConsistentRead} (one SNAPSHOT transaction, so the same guarantee), on a pool
 * of its own whose size bounds how many such reads run at once: the others wait their turn.
 */
public final class DocumentStore extends VerticleBase {

  private static final String GET_SQL =
      "SELECT h.head, CAST(d.body AS VARCHAR), d.seq"
          + " FROM (SELECT COALESCE(MAX(seq), 0) AS head FROM pw_changes) h"
          + " LEFT JOIN pw_docs d ON d.coll = ? AND d.id = ?";

  private final StoreDialect dialect;
  /** On PostgreSQL, what brings every node's changes to the publisher; null on H2. */
  private ChangeTailer tailer;
  private Pool tailPool;
  private LongConsumer onGap = seq -> { };
  private long compactTimer = -1;
  private final Map<String, CollectionSpec> collections;
  /** Reads: snapshots, single documents, change-log replays, compaction. */
  private Pool pool;
  /** The single writer's own connection, so that reads queueing for the pool never delay a commit. */
  private Pool writePool;
  /**
   * Consistent reads (snapshots, GET of a collection, change-log replays), each holding one
   * connection for as long as it lasts: the pool's size is how many run at once, its wait queue
   * (first come, first served, no timeout) holds the others.
   */
  private Pool snapshotPool;
  private final Reads reads;
  private final AtomicInteger readsOpen = new AtomicInteger();
  private final AtomicInteger readsWaiting = new AtomicInteger();
  private String epoch;
  /** Seq of the last committed change; only the writer touches it after start. */
  private long lastSeq;
  private volatile long committedSeq;
  private Consumer<Change> publisher = change -> { };
  /** Set once the writer met a failure of unknown outcome; from then on it refuses writes. */
  private volatile StoreUnavailable broken;
  private Consumer<Throwable> onFatal = e -> { };

  /** The most writes one transaction commits together. */
  static final int MAX_BATCH = 256;
  /**
   * The most change bytes one transaction takes before the rest of the batch waits for the next
   * one (a single larger write still goes alone): H2 writes a transaction's pages into one
   * chunk, so 256 writes of large documents would need hundreds of MB of heap at once.
   */
  static final long MAX_BATCH_BYTES = 8L << 20;

  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  /** Writes taken and not yet answered; bounded by {@link #maxQueued}. */
  private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
  private volatile int maxQueued = Integer.MAX_VALUE;
  private boolean writing;
  /** committed transactions, and the most change bytes one of them held (for the tests) */
  private long commits;
  private long largestCommitBytes;

  private record Queued(Write write, Promise<WriteResult> promise) {
  }

  private final Retention retention;
  /** How large a document may grow; see {@link #limitDocuments}. */
  private DocLimits docLimits = DocLimits.NONE;

  /** How much of the change log to keep, and how often to trim it. */
  public record Retention(Duration maxAge, long maxBytes, long compactEveryMillis) {
  }

  /**
   * How many consistent reads run at once, and how long one may last (then it is closed, so that
   * a client that stops reading its snapshot cannot keep its place forever).
   */
  public record Reads(int concurrent, long timeoutMillis) {

    public static final Reads DEFAULT = new Reads(4, 60_000);

    public Reads {
      if (concurrent <= 0 || timeoutMillis <= 0) {
        throw new IllegalArgumentException("snapshot reads and their timeout must be positive");
      }
    }
  }

  public DocumentStore(Path dataDir, Map<String, CollectionSpec> collections, Retention retention) {
    this(dataDir, collections, retention, Reads.DEFAULT);
  }

  public DocumentStore(Path dataDir, Map<String, CollectionSpec> collections, Retention retention,
      Reads reads) {
    this(dataDir, null, collections, retention, reads);
  }

  /**
   * @param databaseUrl {@code postgresql://USER[:PASSWORD]@HOST:PORT/DB} to share one PostgreSQL
   *     with other nodes; null for H2 under {@code dataDir}
   */
  public DocumentStore(Path dataDir, String databaseUrl, Map<String, CollectionSpec> collections,
      Retention retention, Reads reads) {
    this.dialect = databaseUrl == null ? new H2Dialect(dataDir) : new PgDialect(databaseUrl);
    this.collections = Map.copyOf(collections);
    this.retention = retention;
    this.reads = reads;
  }

  @Override
  public Future<?> start() throws Exception {
    if (dialect instanceof H2Dialect h2) {
      Files.createDirectories(h2.dataDir());
    }
    pool = dialect.pool(vertx, "patchwire-read", 4, false);
    writePool = dialect.pool(vertx, "patchwire-write", 1, false);
    // Every use of this pool is a transaction (ConsistentRead), so the autocommit bug below does
    // not reach it; no timeout on the wait, a read waits for its turn however long the queue.
    snapshotPool = dialect.pool(vertx, "patchwire-snapshot", reads.concurrent(), true);
    // Only the writer's pool may ever run a transaction: vertx-jdbc-client 5.0.x leaves a pooled
    // connection in autocommit=false after withTransaction (vert-x3/vertx-jdbc-client#356), so a
    // read-pool connection that once ran one would run every later statement, compaction's
    // DELETEs included, in a transaction never committed. Its undo log then grows without bound,
    // and H2 writes the whole of it into every chunk: an OutOfMemoryError that closes the database.
    return writePool.withTransaction(conn -> dialect.createSchema(conn)
        .compose(e -> {
          epoch = e;
          // on PostgreSQL equal to pw_head.seq in the same view: seqs have no holes
          return conn.query("SELECT COALESCE(MAX(seq), 0) FROM pw_changes").execute();
        })
        .map(rows -> {
          lastSeq = rows.iterator().next().getLong(0);
          committedSeq = lastSeq;
          return null;
        }))
        .onSuccess(v -> {
          compactLog();
          compactTimer = vertx.setPeriodic(retention.compactEveryMillis(), id -> compactLog());
        });
  }

  /** "h2" or "postgresql". */
  public String kind() { return dialect.name(); }

  /** Where the data lives: the H2 folder, or the PostgreSQL URL without its password. */
  public String location() { return dialect.describe(); }

  /** True when this node shares its database with others (PostgreSQL). */
  public boolean shared() { return dialect.shared(); }

  private void compactLog() {
    compactNow().onFailure(e -> System.getLogger(DocumentStore.class.getName())
            .log(System.Logger.Level.WARNING, "change-log compaction failed", e));
  }

  /**
   * Begins a consistent read (see {@link ConsistentRead}) once one of the
   * {@link Reads#concurrent()} places is free; reads wait in the order they asked. Call from the
   * context that will use the read. The caller must close it.
   */
  public Future<ConsistentRead> openRead() {
    readsWaiting.incrementAndGet();
    return snapshotPool.getConnection()
        .onComplete(ar -> readsWaiting.decrementAndGet())
        .compose(conn -> {
          readsOpen.incrementAndGet();
          return ConsistentRead.begin(vertx, dialect, conn, reads.timeoutMillis(), readsOpen::decrementAndGet);
        })
        .recover(this::unreachable);
  }

  /** Consistent reads running now. */
  public int readsOpen() { return readsOpen.get(); }

  /** Consistent reads waiting for a place. */
  public int readsWaiting() { return readsWaiting.get(); }

  /** How many transactions the writer committed, for the tests of this package. */
  long commits() {
    return commits;
  }

  /** The most change bytes one committed transaction held, for the tests of this package. */
  long largestCommitBytes() {
    return largestCommitBytes;
  }

  /** The read pool, for the tests of this package. */
  Pool readPool() {
    return pool;
  }

  /** Removes change-log rows past the retention now; the count removed. */
  public Future<Long> compactNow() {
    return dialect.compactAlone(pool,
        client -> ChangeLog.compact(client, dialect, retention.maxAge(), retention.maxBytes()));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(compactTimer);
    Future<Void> tail = tailer == null ? Future.succeededFuture()
        : Future.join(tailer.stop(), tailPool.close()).mapEmpty();
    return pool == null ? tail
        : Future.join(tail, pool.close(), writePool.close(), snapshotPool.close());
  }

  /** A new epoch: random, so that two fresh databases never share one. No ':' in it. */
  static String newEpoch() {
    byte[] b = new byte[6];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  public String epoch() { return epoch; }

  /**
   * Seq of the newest committed change this node has published: on H2 its writer's last commit,
   * on PostgreSQL the last change its tailer applied (another node may have committed more).
   */
  public long committedSeq() { return tailer != null ? tailer.applied() : committedSeq; }

  public boolean hasCollection(String name) { return collections.containsKey(name); }

  /**
   * Holds every document a write leaves to {@code limits} (PUT and POST bodies after their
   * defaults, patches while they apply): past them the write is refused with
   * {@code document_too_large} or {@code nesting_too_deep}. Set once before the first write; no
   * limits by default.
   */
  public void limitDocuments(DocLimits limits) {
    this.docLimits = limits;
  }

  /** The limits every document a write leaves is held to. */
  public DocLimits docLimits() {
    return docLimits;
  }

  /**
   * Where committed changes go, in seq order, starting after {@link #committedSeq()} as it is
   * now. Set once before the first write. On PostgreSQL this starts the tailer, which publishes
   * every node's changes, this one's included.
   */
  public void publishTo(Consumer<Change> publisher) {
    this.publisher = publisher;
    if (dialect instanceof PgDialect pg) {
      tailPool = dialect.pool(vertx, "patchwire-tail", 1, false);
      tailer = new ChangeTailer(context, tailPool, PgSubscriber.subscriber(vertx, pg.connectOptions()),
          lastSeq, publisher, seq -> onGap.accept(seq));
      context.runOnContext(v -> tailer.start());
    }
  }

  /**
   * Called with the seq the tailer continues from when it found the log compacted past what this
   * node had applied (PostgreSQL only): the changes in between cannot be told, so the history
   * must be dropped and the subscribers resynced.
   */
  public void onLogGap(LongConsumer onGap) {
    this.onGap = onGap;
  }

  /**
   * Completes once this node has published every change committed (by any node) before the
   * call: on H2 at once, on PostgreSQL once the tailer has applied the database's head as read
   * now. A stream waits for it before it answers from memory, so that a client sees on any node
   * what was acknowledged before it connected, as on one node. Fails after {@code timeoutMillis}
   * or when the database does not answer.
   */
  public Future<Void> caughtUp(long timeoutMillis) {
    ChangeTailer t = tailer;
    if (t == null) {
      return Future.succeededFuture();
    }
    return pool.query("SELECT seq FROM pw_head WHERE id = 1").execute().compose(rows -> {
      long head = rows.iterator().next().getLong(0);
      Promise<Void> p = Promise.promise();
      context.runOnContext(v -> t.awaitApplied(head, timeoutMillis).onComplete(p));
      return p.future();
    });
  }

  /** The tailer's numbers (PostgreSQL), or null on H2. */
  public TailStats tailStats() {
    ChangeTailer t = tailer;
    return t == null ? null : new TailStats(t.applied(), t.lagChanges(), t.lagMillis(),
        t.notifications(), t.polls(), t.gaps());
  }

  /** See {@link ChangeTailer}: applied seq, lag in changes and ms, wake-ups, compaction gaps. */
  public record TailStats(long appliedSeq, long lagChanges, long lagMillis, long notifications,
      long polls, long gaps) {
  }

  /**
   * Called once, on the writer's context, when a database failure leaves the outcome of a commit
   * unknown. {@code Main} exits so that a supervisor restarts the engine on its durable state.
   */
  public void onFatal(Consumer<Throwable> onFatal) {
    this.onFatal = onFatal;
  }

  /** Past this many writes waiting for an answer, new ones fail with {@link StoreOverloaded}. */
  public void limitQueue(int maxQueued) {
    this.maxQueued = maxQueued;
  }

  /** The failure that stopped the writer, or null while it takes writes. */
  public Throwable failure() {
    StoreUnavailable b = broken;
    return b == null ? null : b.getCause();
  }

  /** True while the writer takes writes. */
  public boolean writable() {
    return broken == null;
  }

  /**
   * Queues a write; the future fails with {@link WriteRejected} when it is refused, and with
   * {@link StoreUnavailable} once the writer has stopped, and with {@link StoreOverloaded} when
   * its queue is full.
   */
  public Future<WriteResult> write(Write write) {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    if (pending.incrementAndGet() > maxQueued) {
      pending.decrementAndGet();
      return Future.failedFuture(new StoreOverloaded(
          "the writer has " + maxQueued + " writes waiting (--max-queued-writes); retry in a moment"));
    }
    Promise<WriteResult> promise = Promise.promise();
    promise.future().onComplete(ar -> pending.decrementAndGet());
    context.runOnContext(v -> {
      if (broken != null) {
        promise.fail(broken);
        return;
      }
      queue.add(new Queued(write, promise));
      drain();
    });
    return promise.future();
  }

  /** One write's result, and the change it committed (null when it changed nothing). */
  private record Done(WriteResult result, Change change) {
  }

  /**
   * Group commit: every write waiting when the previous transaction ended goes into the next
   * one, in order, each seeing the ones before it. A refused write is simply left out (nothing
   * of it was written: every check runs before its SQL). The answers go out and the changes are
   * published only after the commit, so a 2xx is always durable. Once the batch's changes pass
   * MAX_BATCH_BYTES, the writes after them go back to the head of the queue, in order, for the
   * next transaction.
   *
   * <p>A failure before the commit leaves nothing committed, so its outcome is known. When it
   * belongs to one write (see {@link OneWriteFailed}), the transaction is rolled back, that write
   * alone is refused, and the others go back to the head of the queue, in order, for the next
   * transaction. Only a failure the database reports for the batch as a whole, or for the commit
   * itself (whose outcome is unknown), stops the writer.
   */
  private void drain() {
    if (writing || queue.isEmpty()) {
      return;
    }
    writing = true;
    List<Queued> batch = new ArrayList<>(Math.min(queue.size(), MAX_BATCH));
    while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
      batch.add(queue.poll());
    }
    List<AsyncResult<Done>> results = new ArrayList<>(batch.size());
    long[] batchSeq = {lastSeq};  // the seq of the batch's newest change so far
    long[] baseSeq = {lastSeq};
    long[] batchBytes = {0};
    writePool.withTransaction(conn -> {
      Future<Void> chain = dialect.lockSeq(conn, lastSeq).map(base -> {
        baseSeq[0] = base;
        batchSeq[0] = base;
        return null;
      });
      for (Queued q : batch) {
        chain = chain.compose(v -> {
          if (batchBytes[0] >= MAX_BATCH_BYTES) {
            return Future.succeededFuture();  // left for the next transaction (results stays a prefix)
          }
          Future<Done> one;
          try {
            one = perform(conn, q.write(), batchSeq[0] + 1);
          } catch (WriteRejected e) {
            one = Future.failedFuture(e);
          } catch (RuntimeException e) {
            one = Future.failedFuture(new OneWriteFailed(-1, e));  // our own code failed on this input
          }
          int index = results.size();
          return one.transform(ar -> {
            if (ar.failed() && ar.cause() instanceof OneWriteFailed f) {
              return Future.failedFuture(new OneWriteFailed(index, f.getCause()));
            }
            if (ar.failed() && !(ar.cause() instanceof WriteRejected)) {
              return Future.failedFuture(OneWriteFailed.isTheWrites(dialect.sqlState(ar.cause()))
                  ? new OneWriteFailed(index, ar.cause()) : ar.cause());
            }
            if (ar.succeeded() && ar.result().change() != null) {
              batchSeq[0]++;
              batchBytes[0] += ar.result().change().bytes();
            }
            results.add(ar);
            return Future.succeededFuture();
          });
        });
      }
      return chain.compose(v -> batchSeq[0] > baseSeq[0]
          ? dialect.advanceSeq(conn, batchSeq[0]) : Future.succeededFuture());
    }).onComplete(tx -> {
      if (tx.failed() && tx.cause() instanceof OneWriteFailed one) {
        refuseOneAndRetryTheRest(batch, one);
        return;
      }
      if (tx.failed() && dialect.shared()) {
        // PostgreSQL: the seqs come from the database, this node keeps no state a failed commit
        // could leave wrong; the batch answers 503 (outcome unknown if the commit itself failed)
        // and the writer goes on once the database answers again.
        StoreUnavailable down = new StoreUnavailable("the database is unavailable: "
            + tx.cause().getMessage(), tx.cause());
        System.getLogger(DocumentStore.class.getName()).log(System.Logger.Level.WARNING,
            "a commit failed; its writes answer 503: " + tx.cause().getMessage());
        batch.forEach(q -> q.promise().fail(down));
        writing = false;
        drain();
        return;
      }
      if (tx.failed() && broken == null) {
        broken = new StoreUnavailable("the database failed during a commit; the engine must restart",
            tx.cause());
        System.getLogger(DocumentStore.class.getName()).log(System.Logger.Level.ERROR,
            "writer stopped: a commit failed with an unknown outcome", tx.cause());
        queue.forEach(q -> q.promise().fail(broken));
        queue.clear();
        onFatal.accept(tx.cause());
      }
      if (tx.succeeded()) {
        commits++;
        largestCommitBytes = Math.max(largestCommitBytes, batchBytes[0]);
        for (int i = batch.size() - 1; i >= results.size(); i--) {
          queue.addFirst(batch.get(i));
        }
      }
      for (int i = 0; i < batch.size(); i++) {
        Promise<WriteResult> promise = batch.get(i).promise();
        if (tx.failed()) {
          promise.fail(broken);
          continue;
        }
        if (i >= results.size()) {
          continue;  // back in the queue
        }
        AsyncResult<Done> r = results.get(i);
        if (r.failed()) {
          promise.fail(r.cause());
          continue;
        }
        Change change = r.result().change();
        if (change != null) {
          lastSeq = change.seq();
          if (tailer != null) {
            tailer.committed(lastSeq);  // the tailer publishes it, in order with other nodes' changes
          } else {
            committedSeq = lastSeq;
            publisher.accept(change);
          }
        }
        promise.complete(r.result().result());
      }
      writing = false;
      if (tailer != null && tx.succeeded()) {
        tailer.wake();
      }
      if (broken == null) {
        drain();
      }
    });
  }

  /**
   * A failure that belongs to the write at {@code index} of its batch: the database refused that
   * write's data (SQL state class 22, data exception, or 23, integrity constraint: a value too
   * long, text that is no valid UTF-8), or the engine's own code failed on that input.
   */
  private static final class OneWriteFailed extends RuntimeException {
    final int index;

    OneWriteFailed(int index, Throwable cause) {
      super(cause.getMessage(), cause, false, false);
      this.index = index;
    }

    static boolean isTheWrites(String sqlState) {
      return sqlState != null && (sqlState.startsWith("22") || sqlState.startsWith("23"));
    }
  }

  /**
   * The batch was rolled back because of one write: refuse that one (422 {@code store_rejected},
   * or 500 when our own code failed) and queue the rest again, in order, ahead of newer writes.
   */
  private void refuseOneAndRetryTheRest(List<Queued> batch, OneWriteFailed one) {
    Throwable cause = one.getCause();
    System.getLogger(DocumentStore.class.getName()).log(System.Logger.Level.WARNING,
        "a write was refused inside its transaction; the rest of its batch is retried", cause);
    for (int i = batch.size() - 1; i >= 0; i--) {
      if (i != one.index) {
        queue.addFirst(batch.get(i));
      }
    }
    Promise<WriteResult> refused = batch.get(one.index).promise();
    if (dialect.sqlState(cause) != null) {
      refused.fail(new WriteRejected(WriteRejected.Reason.STORE_REJECTED,
          "the database refused this document: " + cause.getMessage()));
    } else {
      refused.fail(cause);
    }
    writing = false;
    drain();
  }

  /** Reads the current document and applies one write to it, inside the batch's transaction. */
  private Future<Done> perform(SqlConnection conn, Write write, long seq) {
    CollectionSpec spec = WriteRules.collection(collections, write);
    String named = WriteRules.id(write);
    String id = named == null ? UUID.randomUUID().toString() : named;
    return conn.preparedQuery(dialect.sql("SELECT CAST(body AS VARCHAR), seq FROM pw_docs WHERE coll = ? AND id = ?"))
        .execute(Tuple.of(spec.name(), id))
        .compose(rows -> {
          String beforeJson = null;
          long version = -1;
          if (rows.iterator().hasNext()) {
            Row row = rows.iterator().next();
            beforeJson = row.getString(0);
            version = row.getLong(1);
          }
          try {
            return apply(conn, spec, id, write, beforeJson, version, seq);
          } catch (WriteRejected e) {
            throw e;
          } catch (RuntimeException e) {
            throw new OneWriteFailed(-1, e);  // our own code failed on this input: this write alone
          }
        });
  }

  /** Computes the new document by the {@link WriteRules} and writes it; runs inside the transaction. */
  private Future<Done> apply(SqlConnection conn, CollectionSpec spec, String id, Write write,
      String beforeJson, long version, long seq) {
    ObjectNode before = beforeJson == null ? null : (ObjectNode) Json.parse(beforeJson);
    WriteRules.Effect effect = WriteRules.apply(spec, id, write, before, version, docLimits, Instant.now());
    if (effect.unchanged()) {
      return Future.succeededFuture(new Done(
          new WriteResult(WriteResult.Outcome.UNCHANGED, before, seq - 1, version), null));
    }
    ObjectNode after = effect.after();
    String afterJson = effect.afterJson();

    Change change;
    Future<RowSet<Row>> docWrite;
    String opsJson = null;
    WriteResult result;
    if (before == null) {
      change = new Change(seq, spec.name(), id, null, after, afterJson, 0, null);
      docWrite = conn.preparedQuery(dialect.sql("INSERT INTO pw_docs (coll, id, body, seq) VALUES (?, ?, ?::json, ?)"))
          .execute(Tuple.of(spec.name(), id, afterJson, seq));
      result = new WriteResult(WriteResult.Outcome.CREATED, after, seq, seq);
    } else if (after == null) {
      change = new Change(seq, spec.name(), id, before, null, null, beforeJson.length(), null);
      docWrite = conn.preparedQuery(dialect.sql("DELETE FROM pw_docs WHERE coll = ? AND id = ?"))
          .execute(Tuple.of(spec.name(), id));
      result = new WriteResult(WriteResult.Outcome.DELETED, null, seq, version);
    } else {
      ArrayNode ops = Patches.diff(before, after);
      opsJson = Json.write(ops);
      change = new Change(seq, spec.name(), id, before, after, afterJson, beforeJson.length(), ops);
      docWrite = conn.preparedQuery(dialect.sql("UPDATE pw_docs SET body = ?::json, seq = ? WHERE coll = ? AND id = ?"))
          .execute(Tuple.of(afterJson, seq, spec.name(), id));
      result = new WriteResult(WriteResult.Outcome.UPDATED, after, seq, seq);
    }
    String finalOpsJson = opsJson;
    return docWrite
        .compose(r -> ChangeLog.insert(conn, dialect, change, afterJson, finalOpsJson))
        .map(r -> new Done(result, change));
  }

  /**
   * The whole collection as of one seq, in memory: for small collections and tests only (streams
   * and {@code GET .../docs} write the pages of a {@link #openRead} as they come).
   */
  public Future<Snapshot> snapshot(String collection) {
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

  /** One document (null doc when absent) with the store's seq at the time of the read. */
  public Future<Snapshot> get(String collection, String id) {
    return pool.preparedQuery(dialect.sql(GET_SQL)).execute(Tuple.of(collection, id)).map(rows -> {
      Row row = rows.iterator().next();
      String json = row.getString(1);
      List<Snapshot.StoredDoc> docs = json == null ? List.of()
          : List.of(new Snapshot.StoredDoc(id, json, row.getLong(2)));
      return new Snapshot(row.getLong(0), docs);
    }).recover(this::unreachable);
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

  /** True when the database answers a trivial query. */
  public Future<Boolean> ping() {
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    return pool.query("SELECT 1").execute().map(r -> true);
  }
}
