package dev.patchwire.store;

import dev.patchwire.msg.Change;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On PostgreSQL, the one way changes reach this node's MsgStore, its own writes included: reads
 * {@code pw_changes} after the last seq applied, in seq order, in batches, and publishes each row.
 * A NOTIFY on {@link PgDialect#CHANNEL} (one LISTEN connection, reconnected) or this node's own
 * commit wakes it; a poll every {@link #POLL_MILLIS} wakes it too, so a lost notification, a
 * dropped LISTEN connection or a restart of PostgreSQL costs latency, never a change.
 *
 * <p>Seqs have no holes (see {@link PgDialect}), so a first row past {@code applied + 1} means the
 * log was compacted past what this node applied: the node cannot tell what it missed, and says so
 * to {@link #onGap} (the MsgStore drops its history, every subscriber resyncs), never a silent gap.
 *
 * <p>Runs on the store's context; nothing here is shared with other threads but the counters.
 */
final class ChangeTailer {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeTailer.class);

  static final long POLL_MILLIS = 1_000;
  /** Rows one read takes; a longer backlog is read again at once. */
  static final int BATCH = 512;

  private static final String NEXT = "SELECT seq, coll, doc_id, patch, after_doc, before_fields, committed_at"
      + " FROM pw_changes WHERE seq > $1 ORDER BY seq LIMIT " + BATCH;

  private final Context context;
  private final Pool pool;
  private final PgSubscriber subscriber;
  private final Consumer<Change> publisher;
  private final LongConsumer onGap;

  private volatile long applied;
  /** The highest seq this node heard of (notifications, its own commits, the polls). */
  private volatile long knownHead;
  private volatile long lagMillis;
  private volatile long notifications;
  private volatile long polls;
  private volatile long gaps;
  private boolean reading;
  private boolean again;
  private boolean failing;
  private long timer = -1;
  private boolean stopped;
  /** Who waits for a seq to be applied, in the order they asked. */
  private final java.util.ArrayDeque<Waiter> waiters = new java.util.ArrayDeque<>();

  private record Waiter(long seq, io.vertx.core.Promise<Void> promise, long timer) {
  }

  ChangeTailer(Context context, Pool pool, PgSubscriber subscriber, long applied,
      Consumer<Change> publisher, LongConsumer onGap) {
    this.context = context;
    this.pool = pool;
    this.subscriber = subscriber;
    this.applied = applied;
    this.knownHead = applied;
    this.publisher = publisher;
    this.onGap = onGap;
  }

  /** Listens and starts the poll; call on the store's context. */
  void start() {
    subscriber.reconnectPolicy(attempts -> 500L);  // forever, every 500 ms
    subscriber.channel(PgDialect.CHANNEL)
        .subscribeHandler(v -> wake())   // (re)connected: what was sent meanwhile is in the log
        .handler(payload -> {
          notifications++;
          heard(payload);
          wake();
        });
    subscriber.connect().onFailure(e -> LOG.warn("LISTEN {} failed; polling every {} ms until it connects: {}",
        PgDialect.CHANNEL, POLL_MILLIS, e.getMessage()));
    timer = context.owner().setPeriodic(POLL_MILLIS, id -> {
      polls++;
      wake();
    });
    wake();
  }

  private void heard(String payload) {
    try {
      committed(Long.parseLong(payload));
    } catch (NumberFormatException ignored) {
      // not ours: still a wake-up
    }
  }

  /** A commit up to {@code seq} is known (this node's own, or notified). */
  void committed(long seq) {
    if (seq > knownHead) {
      knownHead = seq;
    }
  }

  /** Reads what is new now, or right after the read in progress. */
  void wake() {
    if (stopped) {
      return;
    }
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    again = false;
    pool.preparedQuery(NEXT).execute(Tuple.of(applied)).onComplete(ar -> {
      reading = false;
      if (ar.failed()) {
        if (!failing) {
          failing = true;
          LOG.warn("reading the change log failed; retrying at the next poll: {}", ar.cause().getMessage());
        }
        return;
      }
      if (failing) {
        failing = false;
        LOG.info("reading the change log again, from seq {}", applied);
      }
      int n = 0;
      for (Row row : ar.result()) {
        n++;
        apply(row);
      }
      release();
      if (again || n == BATCH) {
        wake();
      }
    });
  }

  private void apply(Row row) {
    long seq = row.getLong(0);
    if (seq != applied + 1) {
      gaps++;
      LOG.warn("the change log was compacted past this node's seq {} (next row {}): resyncing every"
          + " subscriber of this node", applied, seq);
      applied = seq - 1;
      onGap.accept(applied);
    }
    Change change = ChangeLog.rebuild(seq, row.getString(1), row.getString(2), row.getString(3),
        row.getString(4), row.getString(5));
    publisher.accept(change);
    applied = seq;
    committed(seq);
    OffsetDateTime at = row.getOffsetDateTime(6);
    if (at != null) {
      lagMillis = Math.max(0, System.currentTimeMillis() - at.toInstant().toEpochMilli());
    }
  }

  /**
   * Completes once this node has applied {@code seq}, or fails after {@code timeoutMillis}; call
   * on the store's context.
   */
  Future<Void> awaitApplied(long seq, long timeoutMillis) {
    if (applied >= seq) {
      return Future.succeededFuture();
    }
    committed(seq);
    io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
    long t = context.owner().setTimer(timeoutMillis, id -> promise.tryFail(
        new java.util.concurrent.TimeoutException("seq " + seq + " not applied within " + timeoutMillis + " ms")));
    waiters.add(new Waiter(seq, promise, t));
    wake();
    return promise.future();
  }

  private void release() {
    Waiter w;
    while ((w = waiters.peek()) != null && (w.seq() <= applied || w.promise().future().isComplete())) {
      waiters.poll();
      context.owner().cancelTimer(w.timer());
      w.promise().tryComplete();
    }
  }

  long applied() { return applied; }

  /** Changes committed (as far as this node knows) and not yet applied here. */
  long lagChanges() { return Math.max(0, knownHead - applied); }

  /** Commit to apply delay of the last change applied, in ms. */
  long lagMillis() { return lagMillis; }

  long notifications() { return notifications; }

  long polls() { return polls; }

  long gaps() { return gaps; }

  Future<Void> stop() {
    stopped = true;
    context.owner().cancelTimer(timer);
    return subscriber.close();
  }
}
