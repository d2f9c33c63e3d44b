package dev.patchwire.msg;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where committed changes go: appended to the byte-bounded {@link History}, then published once
 * on the event bus, where one consumer per event loop fans them out to its subscribers.
 *
 * <p>{@link #push} is called by the single writer in seq order, after the commit. Because the
 * history append happens before the publish, a subscriber that registers for live messages and
 * then reads the history misses nothing in between (it may see a change twice and drops it by seq).
 */
public final class MsgStore {

  /** Event-bus address of committed changes. */
  public static final String ADDRESS = "patchwire.changes";

  /** Event-bus address of a gap: the seq after which changes continue, the ones before unknown. */
  public static final String GAP_ADDRESS = "patchwire.gap";

  private static final DeliveryOptions LOCAL = new DeliveryOptions()
      .setLocalOnly(true)
      .setCodecName(LocalChangeCodec.NAME);

  private final Vertx vertx;
  private final History history;
  private final AtomicLong pushed = new AtomicLong();

  public MsgStore(Vertx vertx, long historyBytes, long headSeq) {
    this.vertx = vertx;
    this.history = new History(historyBytes, headSeq);
    try {
      vertx.eventBus().registerCodec(new LocalChangeCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // a second engine on the same Vertx (tests) shares the codec
    }
  }

  public void push(Change change) {
    history.append(change);
    pushed.incrementAndGet();
    vertx.eventBus().publish(ADDRESS, change, LOCAL);
  }

  /**
   * The changes up to {@code seq} will never come (the shared change log was compacted past them
   * before this node read them): the history is dropped and every fan-out resyncs its subscribers.
   */
  public void skipTo(long seq) {
    history.skipTo(seq);
    vertx.eventBus().publish(GAP_ADDRESS, seq, new DeliveryOptions().setLocalOnly(true));
  }

  public History history() {
    return history;
  }

  public long pushed() {
    return pushed.get();
  }

  /** Passes the same immutable object to local consumers: no copy, no serialization. */
  static final class LocalChangeCodec implements MessageCodec<Change, Change> {
    static final String NAME = "patchwire-change-local";

    @Override
    public void encodeToWire(Buffer buffer, Change change) {
      throw new UnsupportedOperationException("changes are published locally only");
    }

    @Override
    public Change decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("changes are published locally only");
    }

    @Override
    public Change transform(Change change) {
      return change;
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
