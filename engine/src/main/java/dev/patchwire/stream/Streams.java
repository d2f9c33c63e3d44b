package dev.patchwire.stream;

import dev.patchwire.msg.MsgStore;
import dev.patchwire.store.DocumentStore;

/**
 * The engine-wide side of the streams, one part per job: {@link StreamAdmission} (the open
 * streams and their limit), {@link StreamLookup} (what a subscription reads its start from) and
 * {@link StreamStats} (what an operator reads). One per engine, shared by every event loop.
 */
public final class Streams {

  private final StreamAdmission admission;
  private final StreamLookup lookup;
  private final StreamStats stats;

  public Streams(DocumentStore store, MsgStore msgStore, long subscriberBufferBytes, int maxSubscribers) {
    this.admission = new StreamAdmission(maxSubscribers);
    this.lookup = new StreamLookup(store, msgStore, subscriberBufferBytes);
    this.stats = new StreamStats(lookup, admission);
  }

  public StreamAdmission admission() { return admission; }

  public StreamLookup lookup() { return lookup; }

  public StreamStats stats() { return stats; }
}
