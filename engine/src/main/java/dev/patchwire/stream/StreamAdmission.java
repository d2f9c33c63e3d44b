package dev.patchwire.stream;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which streams are open, engine-wide, and whether one more may open: the
 * {@code --max-subscribers} limit, the open subscriptions of every event loop, and closing them
 * all at shutdown.
 */
public final class StreamAdmission {

  private final int maxSubscribers;
  private final AtomicInteger admitted = new AtomicInteger();
  private final Map<Long, Subscription> open = new ConcurrentHashMap<>();
  private final List<Fanout> fanouts = new CopyOnWriteArrayList<>();

  StreamAdmission(int maxSubscribers) {
    this.maxSubscribers = maxSubscribers;
  }

  /**
   * Reserves a place for a new stream; false when {@code --max-subscribers} are open. A reserved
   * place is given back by {@link #release()} if the stream never opens.
   */
  public boolean admit() {
    if (admitted.incrementAndGet() > maxSubscribers) {
      admitted.decrementAndGet();
      return false;
    }
    return true;
  }

  public void release() { admitted.decrementAndGet(); }

  void register(Fanout fanout) { fanouts.add(fanout); }

  void opened(Subscription s) { open.put(s.id(), s); }

  /** A subscription that ends gives its admitted place back. */
  void closed(Subscription s) {
    if (open.remove(s.id()) != null) {
      admitted.decrementAndGet();
    }
  }

  /** The open subscriptions, for {@code GET /api/stats}. */
  Collection<Subscription> open() { return open.values(); }

  public long openCount() { return open.size(); }

  /** Open streams of one transport, "ws" or "sse". */
  public long openCount(String transport) {
    return open.values().stream().filter(s -> s.transport().equals(transport)).count();
  }

  /** Closes every stream on every event loop, e.g. with 1001 at shutdown. */
  public Future<Void> closeAll(short code, String reason) {
    List<Future<Void>> all = new ArrayList<>();
    fanouts.forEach(f -> all.add(f.closeAll(code, reason)));
    return Future.all(all).mapEmpty();
  }
}
