package dev.patchwire.stream;

import dev.patchwire.msg.History;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.store.DocumentStore;
import io.vertx.core.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every subscription looks up to start and to run: the store, the history, the epoch, the
 * subscriber buffer's size, its next id.
 */
public final class StreamLookup {

  private static final System.Logger LOG = System.getLogger(Streams.class.getName());

  private final DocumentStore store;
  private final MsgStore msgStore;
  /** How many bytes of live frames one subscriber may have buffered ({@code --subscriber-buffer-bytes}). */
  private final long subscriberBufferBytes;
  private final AtomicLong ids = new AtomicLong();

  StreamLookup(DocumentStore store, MsgStore msgStore, long subscriberBufferBytes) {
    this.store = store;
    this.msgStore = msgStore;
    this.subscriberBufferBytes = subscriberBufferBytes;
  }

  DocumentStore store() { return store; }
  MsgStore msgStore() { return msgStore; }
  History history() { return msgStore.history(); }
  String epoch() { return store.epoch(); }
  long subscriberBufferBytes() { return subscriberBufferBytes; }
  System.Logger log() { return LOG; }
  long nextId() { return ids.incrementAndGet(); }

  public boolean hasCollection(String name) { return store.hasCollection(name); }

  /**
   * Succeeds when a stream opened now can read its start: at once on a store of this node alone,
   * once the database answers a trivial query on a shared one (fails while it does not).
   */
  public Future<Boolean> storeAnswers() {
    return store.shared() ? store.ping() : Future.succeededFuture(true);
  }
}
