package dev.patchwire.stream;

import dev.patchwire.msg.History;
import dev.patchwire.store.DocumentStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters an operator reads (drops, resyncs, lag closes, deliveries), this node's name, and
 * the body of {@code GET /api/stats}.
 */
public final class StreamStats {

  private final StreamLookup lookup;
  private final StreamAdmission admission;
  private final AtomicLong drops = new AtomicLong();
  private final AtomicLong resyncs = new AtomicLong();
  private final AtomicLong lagCloses = new AtomicLong();
  private final LongAdder deliveries = new LongAdder();
  private volatile String nodeId = "";

  StreamStats(StreamLookup lookup, StreamAdmission admission) {
    this.lookup = lookup;
    this.admission = admission;
  }

  /** This node's name (see {@code --node-id}), set once it listens. */
  public void nameNode(String id) { nodeId = id; }

  public String nodeId() { return nodeId; }

  void countDrops(long n) { drops.addAndGet(n); }
  void countResync() { resyncs.incrementAndGet(); }
  void countLagClose() { lagCloses.incrementAndGet(); }
  void countDelivery() { deliveries.increment(); }

  public long deliveries() { return deliveries.sum(); }
  public long drops() { return drops.get(); }
  public long resyncs() { return resyncs.get(); }
  public long lagCloses() { return lagCloses.get(); }

  /** The numbers of {@code GET /api/stats}. */
  public JsonObject toJson() {
    DocumentStore store = lookup.store();
    History h = lookup.history();
    JsonArray subs = new JsonArray();
    int ws = 0;
    for (Subscription s : admission.open()) {
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
    long open = admission.openCount();
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
        .put("subscriberBufferBytes", lookup.subscriberBufferBytes())
        .put("snapshotReads", new JsonObject()
            .put("open", store.readsOpen())
            .put("waiting", store.readsWaiting()))
        .put("subscribers", subs)
        .put("totals", new JsonObject()
            .put("open", open)
            .put("ws", ws)
            .put("sse", open - ws)
            .put("pushed", lookup.msgStore().pushed())
            .put("deliveries", deliveries.sum())
            .put("drops", drops.get())
            .put("resyncs", resyncs.get())
            .put("lagCloses", lagCloses.get()));
  }
}
