package dev.patchwire.msg;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.json.Patches;
import dev.patchwire.json.Pointer;

/**
 * One committed change of one document: the unit of the MsgStore, its history and the fan-out.
 *
 * <p>Immutable once built (the writer hands it over and never touches it again), so every event
 * loop can read it without locks. The JSON text of each patch form is made once, here, and shared
 * by every subscriber that needs it.
 */
public final class Change {

  /** What happened to the document. */
  public enum Kind { CREATE, UPDATE, DELETE }

  private final long seq;
  private final String collection;
  private final String docId;
  private final Kind kind;
  private final ObjectNode before;
  private final ObjectNode after;
  private final String afterJson;
  /** Pointer of the document inside the stream's document, e.g. {@code /tasks/a~1b}. */
  private final String pointer;
  /** The update's operations, paths under {@link #pointer}; null unless kind is UPDATE. */
  private final String patchOps;
  private final int bytes;
  // Made on first use; a race makes the same immutable String twice, which is harmless.
  private String addOps;
  private String removeOps;

  /**
   * @param before the document before the change, null for a create
   * @param after the document after it, null for a delete
   * @param afterJson {@code after} as JSON text, as written to the database (null for a delete)
   * @param beforeJsonLength length of the previous document's text, for the byte count
   * @param docOps for an update, the operations relative to the document (from {@link Patches#diff})
   */
  public Change(long seq, String collection, String docId, ObjectNode before, ObjectNode after,
      String afterJson, int beforeJsonLength, ArrayNode docOps) {
    this.seq = seq;
    this.collection = collection;
    this.docId = docId;
    this.before = before;
    this.after = after;
    this.afterJson = afterJson;
    this.kind = before == null ? Kind.CREATE : after == null ? Kind.DELETE : Kind.UPDATE;
    this.pointer = Pointer.of(collection, docId);
    this.patchOps = kind == Kind.UPDATE ? Json.write(Patches.prefixed(pointer, docOps)) : null;
    if (kind == Kind.CREATE) {
      addOps = makeAddOps();
    } else if (kind == Kind.DELETE) {
      removeOps = makeRemoveOps();
    }
    // What this change holds in memory, approximately: its texts and its two trees (~ their text).
    this.bytes = 96 + 2 * (collection.length() + docId.length())
        + beforeJsonLength + (afterJson == null ? 0 : 2 * afterJson.length())
        + (patchOps == null ? 0 : patchOps.length());
  }

  public long seq() { return seq; }
  public String collection() { return collection; }
  public String docId() { return docId; }
  public Kind kind() { return kind; }
  /** The document before the change, or null. Do not modify. */
  public ObjectNode before() { return before; }
  /** The document after the change, or null. Do not modify. */
  public ObjectNode after() { return after; }
  /** Approximate bytes held for this change; what the history counts. */
  public int bytes() { return bytes; }

  /** Operations of an update, as a JSON array text; only for {@link Kind#UPDATE}. */
  public String patchOps() {
    if (patchOps == null) {
      throw new IllegalStateException("a " + kind + " has no update patch");
    }
    return patchOps;
  }

  /** {@code [{"op":"add","path":"/c/id","value":doc}]}: the document enters a stream. */
  public String addOps() {
    String s = addOps;
    if (s == null) {
      s = makeAddOps();
      addOps = s;
    }
    return s;
  }

  /** {@code [{"op":"remove","path":"/c/id"}]}: the document leaves a stream. */
  public String removeOps() {
    String s = removeOps;
    if (s == null) {
      s = makeRemoveOps();
      removeOps = s;
    }
    return s;
  }

  private String makeAddOps() {
    if (afterJson == null) {
      throw new IllegalStateException("a delete adds nothing");
    }
    return "[{\"op\":\"add\",\"path\":" + Json.quote(pointer) + ",\"value\":" + afterJson + "}]";
  }

  private String makeRemoveOps() {
    return "[{\"op\":\"remove\",\"path\":" + Json.quote(pointer) + "}]";
  }

  @Override
  public String toString() {
    return "Change{" + seq + " " + kind + " " + collection + "/" + docId + "}";
  }
}
