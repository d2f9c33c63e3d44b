package dev.patchwire.stream;

import dev.patchwire.json.Json;
import dev.patchwire.store.Snapshot;
import java.util.List;

/** The collection map {@code {"<id>": doc, ...}} of a snapshot, from the stored texts as they are. */
public final class SnapshotJson {

  private SnapshotJson() {
  }

  /** The documents of {@code snap} that match {@code filter}, joined without re-serializing them. */
  public static String docs(Snapshot snap, Filter filter) {
    StringBuilder sb = new StringBuilder(64 + snap.docs().size() * 256).append('{');
    appendEntries(sb, snap.docs(), filter, true);
    return sb.append('}').toString();
  }

  /**
   * Appends the {@code "<id>":doc} members of the documents that match {@code filter}, each but
   * the very first of the map after a comma; returns whether the map still has no member. Pages
   * appended one after another make exactly the text {@link #docs} makes of them all.
   */
  public static boolean appendEntries(StringBuilder sb, List<Snapshot.StoredDoc> docs, Filter filter,
      boolean first) {
    for (Snapshot.StoredDoc doc : docs) {
      if (!filter.isAll() && !filter.matches(Json.parse(doc.json()))) {
        continue;
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append(Json.quote(doc.id())).append(':').append(doc.json());
    }
    return first;
  }
}
