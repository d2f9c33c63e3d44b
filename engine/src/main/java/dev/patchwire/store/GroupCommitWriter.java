package dev.patchwire.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.DocLimits;
import dev.patchwire.json.Json;
import dev.patchwire.json.Patches;
import dev.patchwire.msg.Change;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * This node's single writer, which gives every change its seq. Writes are queued on the store's
 * context and committed in order on a connection of its own: for each, read the current
 * document, apply the {@link WriteRules}, then write the document and its change row. The writes
 * waiting together share one transaction (group commit). After the commit the changes go to the
 * publisher (the MsgStore) in seq order, or on PostgreSQL to the {@link ChangeTailer}, which
 * publishes every node's changes in order. A refused write writes and publishes nothing.
 *
 * <p>Everything but {@link #write}'s admission and the read-only getters runs on the store's
 * context.
 */
final class GroupCommitWriter {

  /** The most writes one transaction commits together. */
  static final int MAX_BATCH = 256;
  /**
   * The most change bytes one transaction takes before the rest of the batch waits for the next
   * one (a single larger write still goes alone): H2 writes a transaction's pages into one
   * chunk, so 256 writes of large documents would need hundreds of MB of heap at once.
   */
  static final long MAX_BATCH_BYTES = 8L << 20;

  private final StoreDialect dialect;
  private final Map<String, CollectionSpec> collections;
  private Context context;
  /** The writer's own connection, so that reads queueing for theirs never delay a commit. */
  private Pool pool;
  /** On PostgreSQL, what publishes the committed changes; null on H2. */
  private ChangeTailer tailer;
  /** Seq of the last committed change; only the writer touches it after start. */
  private long lastSeq;
  private volatile long committedSeq;
  private Consumer<Change> publisher = change -> { };
  /** Set once the writer met a failure of unknown outcome; from then on it refuses writes. */
  private volatile StoreUnavailable broken;
  private Consumer<Throwable> onFatal = e -> { };

  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  /** Writes taken and not yet answered; bounded by {@link #maxQueued}. */
  private final AtomicInteger pending = new AtomicInteger();
  private volatile int maxQueued = Integer.MAX_VALUE;
  private boolean writing;
  /** committed transactions, and the most change bytes one of them held (for the tests) */
  private long commits;
  private long largestCommitBytes;
  /** How large a document may grow; see {@link #limitDocuments}. */
  private DocLimits docLimits = DocLimits.NONE;

  private record Queued(Write write, Promise<WriteResult> promise) {
  }

  GroupCommitWriter(StoreDialect dialect, Map<String, CollectionSpec> collections) {
    this.dialect = dialect;
    this.collections = collections;
  }

  /** Begins to write on {@code context}, with {@code pool}'s one connection, after {@code lastSeq}. */
  void start(Context context, Pool pool, long lastSeq) {
    this.context = context;
    this.pool = pool;
    this.lastSeq = lastSeq;
    this.committedSeq = lastSeq;
  }

  /** Seq of the last change this writer committed (or found at start). */
  long lastSeq() {
    return lastSeq;
  }

  /** Seq of the last change this writer published (H2). */
  long committedSeq() {
    return committedSeq;
  }

  /** Where committed changes go, in seq order (H2). Set once before the first write. */
  void publishTo(Consumer<Change> publisher) {
    this.publisher = publisher;
  }

  /** On PostgreSQL: tell {@code tailer} of each commit instead; it publishes. */
  void publishThrough(ChangeTailer tailer) {
    this.tailer = tailer;
  }

  /** See {@link DocumentStore#limitDocuments}. */
  void limitDocuments(DocLimits limits) {
    this.docLimits = limits;
  }

  DocLimits docLimits() {
    return docLimits;
  }

  /** See {@link DocumentStore#onFatal}. */
  void onFatal(Consumer<Throwable> onFatal) {
    this.onFatal = onFatal;
  }

  /** Past this many writes waiting for an answer, new ones fail with {@link StoreOverloaded}. */
  void limitQueue(int maxQueued) {
    this.maxQueued = maxQueued;
  }

  /** What stopped the writer, or null while it takes writes. */
  StoreUnavailable broken() {
    return broken;
  }

  /** How many transactions the writer committed, for the tests of this package. */
  long commits() {
    return commits;
  }

  /** The most change bytes one committed transaction held, for the tests of this package. */
  long largestCommitBytes() {
    return largestCommitBytes;
  }

  /**
   * Queues a write; the future fails with {@link WriteRejected} when it is refused, and with
   * {@link StoreUnavailable} once the writer has stopped, and with {@link StoreOverloaded} when
   * its queue is full.
   */
  Future<WriteResult> write(Write write) {
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
    pool.withTransaction(conn -> {
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
        System.getLogger(GroupCommitWriter.class.getName()).log(System.Logger.Level.WARNING,
            "a commit failed; its writes answer 503: " + tx.cause().getMessage());
        batch.forEach(q -> q.promise().fail(down));
        writing = false;
        drain();
        return;
      }
      if (tx.failed() && broken == null) {
        broken = new StoreUnavailable("the database failed during a commit; the engine must restart",
            tx.cause());
        System.getLogger(GroupCommitWriter.class.getName()).log(System.Logger.Level.ERROR,
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
    System.getLogger(GroupCommitWriter.class.getName()).log(System.Logger.Level.WARNING,
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
}
