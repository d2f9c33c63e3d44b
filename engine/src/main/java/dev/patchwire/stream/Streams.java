package dev.patchwire.stream;

import dev.patchwire.msg.History;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.store.DocumentStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Engine-wide side of the streams: what every subscription needs (store, history, epoch,
 * buffer size), the open-stream limit, and the counters an operator reads.
 */
public final class Streams {

  private static final System.Logger LOG = System.getLogger(Streams.class.getName());

  private final DocumentStore store;
  private final MsgStore msgStore;
  /** How many bytes of live frames one subscriber may have buffered ({@code --subscriber-buffer-bytes}). */
  private final long subscriberBufferBytes;
  private final int maxSubscribers;
  private final List<Fanout> fanouts = new CopyOnWriteArrayList<>();
  private final Map<Long, Subscription> open = new ConcurrentHashMap<>();
  private final AtomicInteger admitted = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong drops = new AtomicLong();
  private final AtomicLong resyncs = new AtomicLong();
  private final AtomicLong lagCloses = new AtomicLong();
  private final LongAdder deliveries = new LongAdder();
  private volatile String nodeId = "";

  public Streams(DocumentStore store, MsgStore msgStore, long subscriberBufferBytes, int maxSubscribers) {
    this.store = store;
    this.msgStore = msgStore;
    this.subscriberBufferBytes = subscriberBufferBytes;
    this.maxSubscribers = maxSubscribers;
  }

  /** This node's name (see {@code --node-id}), set once it listens. */
  public void nameNode(String id) { nodeId = id; }

  public String nodeId() { return nodeId; }

  DocumentStore store() { return store; }

  /**
   * Succeeds when a stream opened now can read its start: at once on a store of this node alone,
   * once the database answers a trivial query on a shared one (fails while it does not).
   */
  public Future<Boolean> storeAnswers() {
    return store.shared() ? store.ping() : Future.succeededFuture(true);
  }
  History history() { return msgStore.history(); }
  String epoch() { return store.epoch(); }
  long subscriberBufferBytes() { return subscriberBufferBytes; }
  System.Logger log() { return LOG; }
  long nextId() { return ids.incrementAndGet(); }

  public boolean hasCollection(String name) { return store.hasCollection(name); }

  void register(Fanout fanout) { fanouts.add(fanout); }

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

  void opened(Subscription s) { open.put(s.id(), s); }

  void closed(Subscription s) {
    if (open.remove(s.id()) != null) {
      admitted.decrementAndGet();
    }
  }

  void countDrops(long n) { drops.addAndGet(n); }
  void countResync() { resyncs.incrementAndGet(); }
  void countLagClose() { lagCloses.incrementAndGet(); }
  void countDelivery() { deliveries.increment(); }

  public long openCount() { return open.size(); }

  /** Open streams of one transport, "ws" or "sse". */
  public long openCount(String transport) {
    return open.values().stream().filter(s -> s.transport().equals(transport)).count();
  }

  public long deliveries() { return deliveries.sum(); }
  public long drops() { return drops.get(); }
  public long resyncs() { return resyncs.get(); }
  public long lagCloses() { return lagCloses.get(); }

  /** Closes every stream on every event loop, e.g. with 1001 at shutdown. */
  public Future<Void> closeAll(short code, String reason) {
    List<Future<Void>> all = new ArrayList<>();
    fanouts.forEach(f -> all.add(f.closeAll(code, reason)));
    return Future.all(all).mapEmpty();
  }

  /** The numbers of {@code GET /api/stats}. */
  public JsonObject stats() {
    History h = msgStore.history();
    JsonArray subs = new JsonArray();
    int ws = 0;
    for (Subscription s : open.values()) {
      if ("ws".equals(s.transport())) {
        ws++;
      }
      // The field names of /api/stats are public (docs/protocol.md): "retainedBytes" is what the
      // code calls bufferedBytes, kept as it was.
      subs.add(new JsonObject()
          .put("id", s.id())
          .put("transport", s.transport())
          .put("collection", s.request().collection())
          .put("where", s.filter().where())
          .put("retainedBytes", s.bufferedBytes())
          .put("peakRetainedBytes", s.peakBufferedBytes())
          .put("dropped", s.droppedTotal())
          .put("resyncs", s.resyncs()));
    }
    JsonObject node = new JsonObject().put("id", nodeId).put("store", store.kind())
        .put("appliedSeq", store.committedSeq());
    DocumentStore.TailStats tail = store.tailStats();
    if (tail != null) {
      node.put("tailLagChanges", tail.lagChanges()).put("tailLagMillis", tail.lagMillis())
          .put("notifications", tail.notifications()).put("polls", tail.polls())
          .put("logGaps", tail.gaps());
    }
    return new JsonObject()
        .put("epoch", store.epoch())
        .put("seq", store.committedSeq())
        .put("node", node)
        .put("history", new JsonObject()
            .put("bytes", h.bytes())
            .put("maxBytes", h.maxBytes())
            .put("entries", h.size())
            .put("oldestSeq", h.oldestSeq())
            .put("evicted", h.evicted()))
        .put("subscriberBufferBytes", subscriberBufferBytes)
        .put("snapshotReads", new JsonObject()
            .put("open", store.readsOpen())
            .put("waiting", store.readsWaiting()))
        .put("subscribers", subs)
        .put("totals", new JsonObject()
            .put("open", open.size())
            .put("ws", ws)
            .put("sse", open.size() - ws)
            .put("pushed", msgStore.pushed())
            .put("deliveries", deliveries.sum())
            .put("drops", drops.get())
            .put("resyncs", resyncs.get())
            .put("lagCloses", lagCloses.get()));
  }
}
