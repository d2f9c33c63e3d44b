package dev.patchwire.stream;

import dev.patchwire.msg.Change;
import dev.patchwire.msg.History;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.FrameEncoder;
import dev.patchwire.wire.Position;
import dev.patchwire.store.ChangeLog;
import dev.patchwire.store.ConsistentRead;
import dev.patchwire.store.StoreUnavailable;
import dev.patchwire.wire.CloseCode;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscriber's stream: start (snapshot or replay), Ready, then live patches, with a bounded
 * outbox and resync after lag. Lives on one event loop, that of its socket and its {@link Fanout};
 * every method runs there, so nothing here is locked.
 *
 * <p>The fence: the subscription joins the fan-out before it reads the snapshot or the history.
 * Live changes that arrive meanwhile wait in {@code pending}; once the start is sent with seq S,
 * only those with seq greater than S go out. So no change is lost or sent twice.
 *
 * <p>The buffer ({@code --subscriber-buffer-bytes}) counts live frames held because the socket
 * would not take them (the outbox) and those waiting behind a snapshot (pending). Past it the
 * backlog is dropped and the subscriber resynced once its socket drains. Snapshot frames never
 * count: one is in flight at a time, so a collection larger than the buffer still gets through.
 */
public final class Subscription {

  private static final Logger LOG = LoggerFactory.getLogger(Subscription.class);

  private enum State { STARTING, LIVE, LAGGED, RESYNCING, CLOSED }

  private record Pending(long seq, Buffer frame) {
  }

  private final long id;
  private final StreamRequest request;
  private final StreamSink sink;
  private final Fanout fanout;
  private final Streams streams;
  private final Context context;
  /** The client's where AND the token's read grants: what this stream may send. */
  private final Filter visible;
  private long expiryTimer = -1;

  private State state = State.STARTING;
  private long lastSeq = -1;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final ArrayDeque<Buffer> outbox = new ArrayDeque<>();
  private long bufferedBytes;
  private boolean overflowed;
  private long droppedSinceResync;
  private long delivered;
  /** The close code the engine sent, for the log; 0 while open or when the client closed. */
  private short closeCode;
  /** The consistent read of the start or resync in progress, or null. */
  private ConsistentRead read;
  /** The snapshot message being written, or null. */
  private PiecewiseMessage message;
  /** What the start does next once the socket drains, or null. */
  private Runnable afterDrain;

  // Read by the stats endpoint from other threads; approximate is fine there.
  private volatile long peakBufferedBytes;
  private volatile long droppedTotal;
  private volatile long resyncs;

  Subscription(long id, StreamRequest request, StreamSink sink, Fanout fanout, Streams streams) {
    this.id = id;
    this.request = request;
    this.sink = sink;
    this.fanout = fanout;
    this.streams = streams;
    this.context = fanout.context();
    this.visible = request.visible();
    sink.drainHandler(this::onDrain);
    sink.closedHandler(this::stop);
  }

  public long id() { return id; }
  public StreamRequest request() { return request; }
  public String transport() { return sink.transport(); }
  public Filter filter() { return request.filter(); }
  /** What the fan-out matches: {@link #filter()} AND the token's read grants. */
  Filter visible() { return visible; }
  FrameEncoder encoder() { return sink.encoder(); }
  public long bufferedBytes() { return bufferedBytes; }
  public long peakBufferedBytes() { return peakBufferedBytes; }
  public long droppedTotal() { return droppedTotal; }
  public long resyncs() { return resyncs; }

  /**
   * Joins the fan-out, then sends the start: a replay when {@code since} is in this epoch and the
   * history (memory, else the durable change log) still holds everything after it, otherwise a
   * snapshot. Call on the fan-out's context.
   */
  void start() {
    LOG.debug("stream {} opened: {}, since {}", id, this, request.since());
    fanout.add(this);
    if (request.expiresAtMillis() > 0) {
      armExpiry();
    }
    if (!streams.lookup().store().shared()) {
      begin();
      return;
    }
    // Several nodes: first bring this node up to the database's head (live frames wait in
    // pending meanwhile), so that a since this node has not applied yet is answered, not taken for
    // one from the future; if the database does not answer, start from what this node has.
    streams.lookup().store().caughtUp(CATCH_UP_MILLIS).onComplete(ar -> context.runOnContext(v -> {
      if (state != State.CLOSED) {
        begin();
      }
    }));
  }

  /** How long a stream on a shared store waits for its node to catch up before it starts anyway. */
  static final long CATCH_UP_MILLIS = 5_000;

  private void begin() {
    Position since = request.since();
    if (since == null || !since.epoch().equals(streams.lookup().epoch())) {
      sendSnapshot(Start.FRESH);
      return;
    }
    History.Replay replay = streams.lookup().history().since(since.seq());
    if (replay != null && replayBytes(replay.changes()) <= ChangeLog.MAX_REPLAY_BYTES) {
      replayFromMemory(replay.changes(), 0, replay.headSeq());
      return;
    }
    if (replay != null) {
      // more to replay than a snapshot is worth, and the log would say the same
      sendSnapshot(Start.FRESH);
      return;
    }
    // One read answers both questions: whether the log covers since, and if not the snapshot.
    openRead(read -> read.logCoverage(request.collection(), since.seq())
        .onComplete(ar -> context.runOnContext(v -> {
          if (state == State.CLOSED) {
            return;
          }
          if (ar.succeeded() && ar.result().replayable()) {
            replayFromLog(read, since.seq());
          } else {
            if (ar.failed()) {
              streams.lookup().log().log(System.Logger.Level.WARNING, "change-log replay failed", ar.cause());
            }
            snapshotFrom(read, Start.FRESH);
          }
        })));
  }

  private long replayBytes(List<Change> changes) {
    long bytes = 0;
    for (Change c : changes) {
      if (c.collection().equals(request.collection())) {
        bytes += c.bytes();
      }
    }
    return bytes;
  }

  /**
   * Sends the missed changes from the history, a batch of at most about a fragment's size at a
   * time and the next once the socket has taken it; then Ready and what arrived live meanwhile.
   */
  private void replayFromMemory(List<Change> changes, int from, long headSeq) {
    if (state == State.CLOSED) {
      return;
    }
    int i = from;
    long written = 0;
    while (i < changes.size() && written < PiecewiseMessage.FRAGMENT_CHARS) {
      written += replayOne(changes.get(i++));
    }
    sink.flush();
    if (i == changes.size()) {
      resumed(headSeq);
      return;
    }
    int next = i;
    whenWritable(() -> replayFromMemory(changes, next, headSeq));
  }

  /** Sends the missed changes from the durable log, page by page, each once the socket has room. */
  private void replayFromLog(ConsistentRead read, long afterSeq) {
    read.changesAfter(request.collection(), afterSeq).onComplete(ar -> context.runOnContext(v -> {
      if (state == State.CLOSED) {
        return;
      }
      if (ar.failed()) {
        failStart("could not read the change log", ar.cause());
        return;
      }
      List<Change> page = ar.result();
      if (page.isEmpty()) {
        resumed(read.headSeq());
        return;
      }
      for (Change change : page) {
        replayOne(change);
      }
      sink.flush();
      long last = page.get(page.size() - 1).seq();
      whenWritable(() -> replayFromLog(read, last));
    }));
  }

  /** Writes one missed change if this stream sees it; the bytes written. */
  private long replayOne(Change change) {
    if (!change.collection().equals(request.collection())) {
      return 0;
    }
    Delivery d = Delivery.of(visible, change);
    if (d == Delivery.NONE) {
      return 0;
    }
    Buffer frame = sink.encoder().live(streams.lookup().epoch(), change.seq(), d.ops(change));
    sink.writeDeferred(frame);
    delivered++;
    streams.stats().countDelivery();
    return frame.length();
  }

  /** The replay is complete up to {@code headSeq}: Ready, then whatever arrived live meanwhile. */
  private void resumed(long headSeq) {
    endRead();
    lastSeq = headSeq;
    sink.write(sink.encoder().ready(streams.lookup().epoch(), lastSeq, true, request.scope()));
    goLive();
  }

  /** A live frame from the fan-out, already encoded for this transport. */
  void offer(long seq, Buffer frame) {
    switch (state) {
      case STARTING, RESYNCING -> {
        if (overflowed) {
          drop(1);
          return;
        }
        if (bufferedBytes + frame.length() > streams.lookup().subscriberBufferBytes()) {
          // Too much arrived while the snapshot was read: drop it, resync right after.
          drop(pending.size() + 1);
          pending.clear();
          bufferedBytes = 0;
          overflowed = true;
          return;
        }
        pending.add(new Pending(seq, frame));
        hold(frame.length());
      }
      case LIVE -> {
        if (seq > lastSeq) {
          lastSeq = seq;
          enqueue(frame);
        }
      }
      case LAGGED -> drop(1);
      case CLOSED -> { }
    }
  }

  /** Why a snapshot is sent: a fresh stream is followed by Ready, a resync is not. */
  private enum Start { FRESH, RESYNC }

  private void sendSnapshot(Start start) {
    openRead(read -> snapshotFrom(read, start));
  }

  /**
   * Waits for a place among the store's consistent reads (see {@code --snapshot-reads}), then
   * runs {@code then} with the read. Meanwhile the stream shows nothing but pings, and live
   * changes wait in {@code pending} as they do while a snapshot is read.
   */
  private void openRead(java.util.function.Consumer<ConsistentRead> then) {
    streams.lookup().store().openRead().onComplete(ar -> context.runOnContext(v -> {
      if (ar.failed()) {
        failStart("could not read the collection", ar.cause());
        return;
      }
      ConsistentRead r = ar.result();
      if (state == State.CLOSED) {
        r.close();
        return;
      }
      read = r;
      r.expiredHandler(() -> context.runOnContext(x -> {
        if (read == r) {
          failStart("the snapshot took longer than --snapshot-timeout", null);
        }
      }));
      then.accept(r);
    }));
  }

  /**
   * Writes the snapshot message of {@code read} in pieces as its pages come (one text message in
   * continuation frames, or one SSE event), then Ready (a fresh stream) and live.
   */
  private void snapshotFrom(ConsistentRead read, Start start) {
    long seq = read.headSeq();
    FrameEncoder encoder = sink.encoder();
    PiecewiseMessage m = new PiecewiseMessage(sink::writeFragment);
    message = m;
    m.append(encoder.snapshotHead(streams.lookup().epoch(), seq, request.collection()));
    DocsPages.write(context, read, request.collection(), visible, m, this::whenWritable)
        .onComplete(ar -> {
          if (state == State.CLOSED) {
            return;
          }
          if (ar.failed()) {
            failStart("could not read the collection", ar.cause());
            return;
          }
          endRead();
          m.append(encoder.snapshotTail(streams.lookup().epoch(), seq)).finish();
          message = null;
          lastSeq = seq;
          if (start == Start.FRESH) {
            sink.write(encoder.ready(streams.lookup().epoch(), lastSeq, false, request.scope()));
          }
          goLive();
        });
  }

  /**
   * Runs {@code next} once the socket has room: soon (in its own task, so that a long start does
   * not hold the event loop), or when it drains. The continuation is set before the check, as a
   * drain may be reported while the check runs.
   */
  private void whenWritable(Runnable next) {
    if (state == State.CLOSED) {
      return;
    }
    afterDrain = next;
    if (!sink.writeQueueFull() && afterDrain == next) {
      afterDrain = null;
      context.runOnContext(v -> next.run());
    }
  }

  /** The start failed: an error frame unless a message is half written, then close with 1011. */
  private void failStart(String why, Throwable cause) {
    if (state == State.CLOSED) {
      return;
    }
    streams.lookup().log().log(System.Logger.Level.WARNING, why + " (" + request.collection() + ")", cause);
    if (message == null || !message.started()) {
      // the database does not answer (a shared store): the client retries, as after a 503
      sink.write(sink.encoder().error(
          cause instanceof StoreUnavailable ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL, why));
    }
    close(CloseCode.INTERNAL_ERROR.code(), "snapshot failed");
  }

  /** Gives the read back, for the next one in line. */
  private void endRead() {
    if (read != null) {
      read.close();
      read = null;
    }
  }

  /** After a start or resync snapshot: the waiting live frames after its seq, then live. */
  private void goLive() {
    if (overflowed) {
      pending.clear();
      bufferedBytes = 0;
      overflowed = false;
      state = State.LIVE;
      lag();
      return;
    }
    state = State.LIVE;
    Pending p;
    bufferedBytes = 0;
    while ((p = pending.poll()) != null) {
      if (p.seq() > lastSeq) {
        lastSeq = p.seq();
        enqueue(p.frame());
      }
    }
    sink.flush();
  }

  private void enqueue(Buffer frame) {
    if (outbox.isEmpty() && !sink.writeQueueFull()) {
      deliver(frame);
      return;
    }
    if (bufferedBytes + frame.length() > streams.lookup().subscriberBufferBytes()) {
      drop(1);
      lag();
      return;
    }
    outbox.add(frame);
    hold(frame.length());
  }

  /** A live or replayed frame: written now, flushed by whoever runs this turn (fan-out or us). */
  private void deliver(Buffer frame) {
    if (sink.writeDeferred(frame)) {
      fanout.flushLater(this);
    }
    delivered++;
    streams.stats().countDelivery();
  }

  /** Sends what {@link #deliver} left unflushed; the fan-out calls it at the end of its turn. */
  void flush() {
    sink.flush();
  }

  private void hold(long bytes) {
    bufferedBytes += bytes;
    if (bufferedBytes > peakBufferedBytes) {
      peakBufferedBytes = bufferedBytes;
    }
  }

  private void onDrain() {
    if (afterDrain != null) {
      Runnable next = afterDrain;
      afterDrain = null;
      next.run();
    } else if (state == State.LIVE) {
      Buffer next;
      while (!sink.writeQueueFull() && (next = outbox.poll()) != null) {
        bufferedBytes -= next.length();
        deliver(next);
      }
      sink.flush();
    } else if (state == State.LAGGED) {
      resync();
    }
  }

  /** The subscriber fell too far behind: drop its backlog, then resync (or close on lag=close). */
  private void lag() {
    drop(outbox.size());
    outbox.clear();
    bufferedBytes = 0;
    if (request.closeOnLag()) {
      streams.stats().countLagClose();
      LOG.info("stream {} ({}) fell behind by {} messages: closed with 4008 (lag=close)", id, this,
          droppedSinceResync);
      sink.write(sink.encoder().error(ErrorCode.LAGGED,
          "the subscriber fell behind by " + droppedSinceResync + " messages"));
      close(CloseCode.LAGGED.code(), ErrorCode.LAGGED.wire());
      return;
    }
    state = State.LAGGED;
    if (!sink.writeQueueFull()) {
      resync();
    }
  }

  /**
   * Changes this stream should have had will never come (the node's tailer found the shared log
   * compacted past them): as after a lag, a Resync and a snapshot, never a silent gap.
   */
  void missedChanges() {
    if (state == State.LIVE) {
      lag();
    } else if (state == State.STARTING || state == State.RESYNCING) {
      overflowed = true;  // its live frames may have a hole: resync once its snapshot is out
    }
  }

  /** Counts live messages this subscriber will not get; the next Resync reports them. */
  private void drop(long n) {
    droppedSinceResync += n;
    droppedTotal += n;
    streams.stats().countDrops(n);
  }

  private void resync() {
    LOG.info("stream {} ({}) fell behind: {} messages dropped, resyncing with a snapshot", id, this,
        droppedSinceResync);
    state = State.RESYNCING;
    resyncs++;
    streams.stats().countResync();
    sink.write(sink.encoder().resync(droppedSinceResync));
    droppedSinceResync = 0;
    sendSnapshot(Start.RESYNC);
  }

  /**
   * The token's {@code exp} has come: the stream ends with {@code token_expired} (WebSocket 4401,
   * SSE the end of the response). The client reconnects with a fresh token, {@code since} and
   * {@code scope}, and misses nothing.
   */
  private void expire() {
    expiryTimer = -1;
    if (state == State.CLOSED) {
      return;
    }
    if (System.currentTimeMillis() < request.expiresAtMillis()) {
      armExpiry();  // a far exp is waited for in steps
      return;
    }
    if (message == null || !message.started()) {  // else the frame would land inside the snapshot
      sink.write(sink.encoder().error(ErrorCode.TOKEN_EXPIRED,
          "the stream's token has expired; reconnect with a fresh token, since and scope"));
    }
    close(CloseCode.UNAUTHORIZED.code(), ErrorCode.TOKEN_EXPIRED.wire());
  }

  /** Longest single wait for a token's exp: a timer far in the future would overflow in nanoseconds. */
  private static final long MAX_EXPIRY_WAIT_MILLIS = 24L * 3600 * 1000;

  private void armExpiry() {
    long wait = request.expiresAtMillis() - System.currentTimeMillis();
    expiryTimer = context.owner().setTimer(Math.max(1, Math.min(wait, MAX_EXPIRY_WAIT_MILLIS)), t -> expire());
  }

  /** Closes the stream with {@code code} and leaves the fan-out. Idempotent. */
  void close(short code, String reason) {
    if (state == State.CLOSED) {
      return;
    }
    closeCode = code;
    stop();
    sink.close(code, reason);
  }

  /** The socket went away: leave the fan-out, free the backlog. Idempotent. */
  void stop() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    if (expiryTimer >= 0) {
      context.owner().cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
    pending.clear();
    outbox.clear();
    bufferedBytes = 0;
    afterDrain = null;
    message = null;
    endRead();
    fanout.remove(this);
    LOG.debug("stream {} closed {}: {}, {} live messages sent, {} dropped, {} resyncs", id,
        closeCode == 0 ? "by the client" : "with " + closeCode, this, delivered, droppedTotal, resyncs);
  }

  /** For the log: transport, collection and filter. */
  @Override
  public String toString() {
    String where = request.filter().where();
    // the filter is the client's text: no control characters into a log line
    return transport() + " " + request.collection()
        + (where == null ? "" : " where=" + where.replaceAll("\\p{Cntrl}", "?"));
  }
}
