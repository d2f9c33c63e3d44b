package dev.patchwire.stream;

import dev.patchwire.msg.Change;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.wire.FrameEncoder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The subscribers of one event loop, and the one event-bus consumer that feeds them.
 *
 * <p>A change is matched against the filters of the subscribers it may concern only: those of its
 * collection indexed under the value of a field their filter requires, in its before or after
 * document, plus those without such a field (see {@link SubscriberIndex}). It is encoded at most
 * once per kind of delivery (patch, add, remove) and transport: every subscriber that needs the
 * same frame gets the same bytes.
 */
public final class Fanout {

  private static final int SLOTS = 4;
  /** Changes dispatched in one event-loop task before the rest wait for the next one. */
  static final int MAX_CHANGES_PER_TURN = 64;

  private final Context context;
  private final Map<String, SubscriberIndex<Subscription>> byCollection = new HashMap<>();
  /** The candidates of the change being dispatched (reused: one dispatch at a time). */
  private final List<Subscription> candidates = new ArrayList<>();
  private final List<Subscription> removedWhileDispatching = new ArrayList<>();
  private boolean dispatching;
  private MessageConsumer<Change> consumer;
  private MessageConsumer<Long> gaps;
  /** Changes received and not yet dispatched; drained in one task. */
  private final ArrayDeque<Change> incoming = new ArrayDeque<>();
  private boolean drainScheduled;
  /** Subscriptions with frames written but not flushed in this turn. */
  private final List<Subscription> unflushed = new ArrayList<>();
  private final Streams streams;

  /** How long a change may wait so that more join it in the same flush; 0 sends at once. */
  private final long flushIntervalMillis;

  /** Create on the event loop it serves (a verticle's start). */
  public Fanout(Context context, Streams streams) {
    this(context, streams, 0);
  }

  /**
   * @param flushIntervalMillis 0: a change goes out in the next task (frames still coalesce when
   *     the loop is behind); N: the first change waits up to N ms for others, so each socket gets
   *     them in one write — less CPU per delivery for up to N ms more latency
   */
  public Fanout(Context context, Streams streams, long flushIntervalMillis) {
    if (flushIntervalMillis < 0) {
      throw new IllegalArgumentException("flush interval must be 0 or more, got " + flushIntervalMillis);
    }
    this.context = context;
    this.streams = streams;
    this.flushIntervalMillis = flushIntervalMillis;
  }

  /** Starts consuming the MsgStore's changes on this fan-out's context. */
  public Future<Void> listen() {
    consumer = context.owner().eventBus().localConsumer(MsgStore.ADDRESS, msg -> receive(msg.body()));
    gaps = context.owner().eventBus().localConsumer(MsgStore.GAP_ADDRESS, msg -> gap());
    streams.admission().register(this);
    return Future.all(consumer.completion(), gaps.completion()).mapEmpty();
  }

  /** Changes were lost before this node read them (see {@link MsgStore#skipTo}): resync everyone. */
  private void gap() {
    List<Subscription> all = new ArrayList<>();
    byCollection.values().forEach(index -> all.addAll(index.all()));
    all.forEach(Subscription::missedChanges);
  }

  public Context context() {
    return context;
  }

  void add(Subscription s) {
    byCollection.computeIfAbsent(s.request().collection(), c -> new SubscriberIndex<>()).add(s, s.visible());
    streams.admission().opened(s);
  }

  void remove(Subscription s) {
    if (dispatching) {
      removedWhileDispatching.add(s);
    } else {
      SubscriberIndex<Subscription> subs = byCollection.get(s.request().collection());
      if (subs != null) {
        subs.remove(s, s.visible());
        if (subs.isEmpty()) {
          byCollection.remove(s.request().collection());
        }
      }
    }
    streams.admission().closed(s);
  }

  /**
   * Queues a change and, once per turn, schedules the drain. When the loop is busy, the changes
   * that arrive meanwhile are already queued by the time the drain runs, so each socket gets all
   * of its frames in one flush, one system call, instead of one per frame. When it is idle, a
   * change goes out at once, as before: coalescing adds no delay.
   */
  private void receive(Change change) {
    incoming.add(change);
    if (!drainScheduled) {
      drainScheduled = true;
      if (flushIntervalMillis == 0) {
        context.runOnContext(v -> drainIncoming());
      } else {
        context.owner().setTimer(flushIntervalMillis, t -> drainIncoming());
      }
    }
  }

  /**
   * Dispatches what has queued up, at most {@link #MAX_CHANGES_PER_TURN}, then flushes. A longer
   * backlog continues in a later task, so the loop's sockets, timers and handshakes are never
   * starved by one long turn.
   */
  private void drainIncoming() {
    drainScheduled = false;
    Change change;
    int n = 0;
    while (n++ < MAX_CHANGES_PER_TURN && (change = incoming.poll()) != null) {
      dispatch(change);
    }
    for (int i = 0, m = unflushed.size(); i < m; i++) {
      unflushed.get(i).flush();
    }
    unflushed.clear();
    if (!incoming.isEmpty()) {
      drainScheduled = true;
      context.runOnContext(v -> drainIncoming());
    }
  }

  /** {@code s} wrote without flushing; flush it at the end of this turn. */
  void flushLater(Subscription s) {
    unflushed.add(s);
  }

  void dispatch(Change change) {
    SubscriberIndex<Subscription> subs = byCollection.get(change.collection());
    if (subs == null) {
      return;
    }
    subs.candidates(change.before(), change.after(), candidates);
    Buffer[] frames = new Buffer[SLOTS * 4];
    dispatching = true;
    try {
      for (int i = 0, n = candidates.size(); i < n; i++) {
        Subscription s = candidates.get(i);
        Delivery d = Delivery.of(s.visible(), change);
        if (d == Delivery.NONE) {
          continue;
        }
        FrameEncoder encoder = s.encoder();
        int slot = d.ordinal() * SLOTS + encoder.slot();
        Buffer frame = frames[slot];
        if (frame == null) {
          frame = encoder.live(streams.lookup().epoch(), change.seq(), d.ops(change));
          frames[slot] = frame;
        }
        s.offer(change.seq(), frame);
      }
    } finally {
      dispatching = false;
      candidates.clear();
      for (Subscription s : removedWhileDispatching) {
        subs.remove(s, s.visible());
      }
      if (subs.isEmpty()) {
        byCollection.remove(change.collection());
      }
      removedWhileDispatching.clear();
    }
  }

  /** Opens a subscription for a socket served by this event loop. Call on this context. */
  public void open(StreamRequest request, StreamSink sink) {
    new Subscription(streams.lookup().nextId(), request, sink, this, streams).start();
  }

  /** Closes every stream of this loop with {@code code} (1001 at shutdown). */
  public Future<Void> closeAll(short code, String reason) {
    return Future.future(p -> context.runOnContext(v -> {
      List<Subscription> all = new ArrayList<>();
      byCollection.values().forEach(subs -> all.addAll(subs.all()));
      all.forEach(s -> s.close(code, reason));
      if (consumer != null) {
        consumer.unregister();
        gaps.unregister();
      }
      p.complete();
    }));
  }
}
