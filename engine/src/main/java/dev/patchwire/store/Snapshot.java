package dev.patchwire.store;

import java.util.List;

/**
 * A collection as of one seq: it holds exactly the changes with seq at most {@link #seq()}.
 *
 * @param docs the documents, with their JSON text as stored (shared, never re-serialized)
 */
public record Snapshot(long seq, List<StoredDoc> docs) {

  /** One document: its id, its JSON text, and the seq of its last change. */
  public record StoredDoc(String id, String json, long version) {
  }
}
