package dev.patchwire.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.json.Json;
import dev.patchwire.json.PatchException;
import dev.patchwire.json.Patches;

/**
 * One collection's document as a strict client holds it (PROTOCOL.md 3.1), starting at
 * {@code {}}: a snapshot is exactly one {@code add} of the whole collection at {@code /c}; a live
 * change has a seq strictly greater than the position held and touches only paths under
 * {@code /c/}; every patch applies by RFC 6902 to the letter ({@link Patches#apply}, held to the
 * json-patch-tests suite). The one checker of these rules, for the replay tool
 * ({@code tools/Replayer}, which adds the rules of phases and epochs) and the stream tests'
 * {@code StrictPatcher}; anything a conforming server must never send throws {@link Violation}.
 */
public final class StrictDocument {

  /** A message a conforming server must never send; the message says which rule it breaks. */
  public static final class Violation extends RuntimeException {
    Violation(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final String collection;
  private JsonNode document = Json.object();
  private long seq = -1;

  public StrictDocument(String collection) {
    this.collection = collection;
  }

  /** {@code [{"op":"add","path":"/c","value":...}]}: no live change has this shape. */
  public boolean isSnapshotShape(JsonNode patch) {
    return patch != null && patch.isArray() && patch.size() == 1
        && "add".equals(patch.get(0).path("op").asText())
        && ("/" + collection).equals(patch.get(0).path("path").asText());
  }

  /** Applies a snapshot, whatever its seq; the position becomes {@code seq}. */
  public void snapshot(JsonNode patch, long seq) {
    if (!isSnapshotShape(patch) || !patch.get(0).path("value").isObject()) {
      throw new Violation("a snapshot must be exactly [{op:add,path:/" + collection + ",value:{...}}], got "
          + patch, null);
    }
    document = apply(patch, seq);
    this.seq = seq;
  }

  /** Applies a live change at {@code seq}; the position becomes {@code seq}. */
  public void live(JsonNode patch, long seq) {
    if (seq <= this.seq) {
      throw new Violation("live seq " + seq + " is not greater than the position held, " + this.seq, null);
    }
    if (patch == null || !patch.isArray()) {
      throw new Violation("a JsonPatch that is not an array: " + patch, null);
    }
    for (JsonNode op : patch) {
      if (!op.path("path").asText("").startsWith("/" + collection + "/")) {
        throw new Violation("a live operation outside /" + collection + "/ at seq " + seq + ": " + op, null);
      }
    }
    document = apply(patch, seq);
    this.seq = seq;
  }

  /** Moves the position to {@code seq} without a change (a Ready at or after the position held). */
  public void moveTo(long seq) {
    this.seq = seq;
  }

  /** The whole client document, e.g. {@code {"tasks":{...}}}. */
  public JsonNode document() {
    return document;
  }

  /** The position held: the seq of the last snapshot, live change or Ready; -1 before any. */
  public long seq() {
    return seq;
  }

  private JsonNode apply(JsonNode patch, long seq) {
    try {
      return Patches.apply(document, patch);
    } catch (PatchException e) {
      throw new Violation("the patch at seq " + seq + " does not apply (RFC 6902): " + e.getMessage(), e);
    }
  }
}
