package dev.patchwire.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.CompatibilityFlags;
import com.flipkart.zjsonpatch.DiffFlags;
import com.flipkart.zjsonpatch.InvalidJsonPatchException;
import com.flipkart.zjsonpatch.JsonDiff;
import com.flipkart.zjsonpatch.JsonPatch;
import com.flipkart.zjsonpatch.JsonPatchApplicationException;
import com.flipkart.zjsonpatch.JsonPatchTestFailedException;
import java.util.EnumSet;

/** RFC 6902 application and diffing, strictly, on top of zjsonpatch. */
public final class Patches {

  /** RFC 6902 to the letter: removing a missing member fails; no "replace means add". */
  private static final EnumSet<CompatibilityFlags> STRICT =
      EnumSet.of(CompatibilityFlags.FORBID_REMOVE_MISSING_OBJECT);

  /** Plain add/remove/replace only: every client can apply them, and none needs a source value. */
  private static final EnumSet<DiffFlags> DIFF = EnumSet.of(
      DiffFlags.OMIT_MOVE_OPERATION, DiffFlags.OMIT_COPY_OPERATION, DiffFlags.OMIT_VALUE_ON_REMOVE);

  private Patches() {
  }

  /** Applies {@code patch} to a copy of {@code doc}; the input is never changed. */
  public static JsonNode apply(JsonNode doc, JsonNode patch) {
    validate(patch);
    try {
      return JsonPatch.apply(patch, doc, STRICT);
    } catch (JsonPatchTestFailedException e) {
      throw new PatchException(PatchException.Kind.TEST_FAILED, e.getMessage(), e);
    } catch (InvalidJsonPatchException e) {
      throw new PatchException(PatchException.Kind.INVALID, e.getMessage(), e);
    } catch (JsonPatchApplicationException e) {
      throw new PatchException(PatchException.Kind.CONFLICT, e.getMessage(), e);
    } catch (RuntimeException e) {
      // zjsonpatch reports a few malformed inputs (bad array index text) as plain runtime errors
      throw new PatchException(PatchException.Kind.INVALID, String.valueOf(e.getMessage()), e);
    }
  }

  /** Checks the patch document's shape before anything is applied. */
  public static void validate(JsonNode patch) {
    if (patch == null || !patch.isArray()) {
      throw new PatchException(PatchException.Kind.INVALID, "a JSON Patch must be an array", null);
    }
    for (JsonNode op : patch) {
      if (!op.isObject()) {
        throw new PatchException(PatchException.Kind.INVALID, "every operation must be an object", null);
      }
      JsonNode path = op.get("path");
      if (path == null || !path.isTextual() || !isPointer(path.textValue())) {
        throw new PatchException(PatchException.Kind.INVALID,
            "operation has no valid JSON Pointer 'path': " + op, null);
      }
      JsonNode from = op.get("from");
      String name = op.path("op").asText("");
      if ((name.equals("move") || name.equals("copy"))
          && (from == null || !from.isTextual() || !isPointer(from.textValue()))) {
        throw new PatchException(PatchException.Kind.INVALID,
            name + " needs a valid JSON Pointer 'from': " + op, null);
      }
    }
    try {
      JsonPatch.validate(patch, STRICT);
    } catch (InvalidJsonPatchException e) {
      throw new PatchException(PatchException.Kind.INVALID, e.getMessage(), e);
    } catch (JsonPatchApplicationException e) {
      throw new PatchException(PatchException.Kind.INVALID, e.getMessage(), e);
    }
  }

  private static boolean isPointer(String p) {
    if (p.isEmpty()) {
      return true;
    }
    if (p.charAt(0) != '/') {
      return false;
    }
    for (int i = 0; i < p.length(); i++) {
      if (p.charAt(i) == '~') {
        char next = i + 1 < p.length() ? p.charAt(i + 1) : ' ';
        if (next != '0' && next != '1') {
          return false;
        }
      }
    }
    return true;
  }

  /** The operations that turn {@code before} into {@code after}: add, remove and replace only. */
  public static ArrayNode diff(JsonNode before, JsonNode after) {
    return (ArrayNode) JsonDiff.asJson(before, after, DIFF);
  }

  /** Copies {@code ops} with every path (and from) moved under {@code prefix}, e.g. {@code /tasks/42}. */
  public static ArrayNode prefixed(String prefix, ArrayNode ops) {
    ArrayNode out = Json.array();
    for (JsonNode op : ops) {
      ObjectNode copy = ((ObjectNode) op).deepCopy();
      copy.put("path", prefix + op.get("path").textValue());
      if (op.has("from")) {
        copy.put("from", prefix + op.get("from").textValue());
      }
      out.add(copy);
    }
    return out;
  }

  /** True when every operation is a {@code test}: such a patch can change nothing. */
  public static boolean onlyTests(JsonNode patch) {
    for (JsonNode op : patch) {
      if (!"test".equals(op.path("op").asText())) {
        return false;
      }
    }
    return true;
  }
}
