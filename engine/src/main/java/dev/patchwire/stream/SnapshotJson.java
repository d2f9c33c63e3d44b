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
      // a filter tests top-level scalars only: no need to build the rest of the document's tree
      if (!filter.isAll() && !filter.matches(Json.scalarMembers(doc.json()))) {
        continue;
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      appendQuoted(sb, doc.id()).append(':').append(doc.json());
    }
    return first;
  }

  /**
   * {@code s} as a JSON string, exactly as {@link Json#quote} writes it; most ids need no escape
   * and are appended as they are, without a trip through Jackson per id.
   */
  static StringBuilder appendQuoted(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        return sb.append(Json.quote(s));
      }
    }
    return sb.append('"').append(s).append('"');
  }
}
