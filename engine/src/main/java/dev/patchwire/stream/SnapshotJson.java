package dev.patchwire.stream;

import dev.patchwire.json.Json;
import dev.patchwire.store.Snapshot;

/** The collection map {@code {"<id>": doc, ...}} of a snapshot, from the stored texts as they are. */
public final class SnapshotJson {

  private SnapshotJson() {
  }

  /** The documents of {@code snap} that match {@code filter}, joined without re-serializing them. */
  public static String docs(Snapshot snap, Filter filter) {
    StringBuilder sb = new StringBuilder(64 + snap.docs().size() * 256).append('{');
    boolean first = true;
    for (Snapshot.StoredDoc doc : snap.docs()) {
      if (!filter.isAll() && !filter.matches(Json.parse(doc.json()))) {
        continue;
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append(Json.quote(doc.id())).append(':').append(doc.json());
    }
    return sb.append('}').toString();
  }
}
