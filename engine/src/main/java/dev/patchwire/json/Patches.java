package dev.patchwire.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.DiffFlags;
import com.flipkart.zjsonpatch.JsonDiff;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * RFC 6902 application, strictly, and diffing (zjsonpatch).
 *
 * <p>Application is our own, in one small class, because both zjsonpatch lines decode JSON
 * Pointers wrongly at the edges RFC 6901 defines: 0.4.16 turns {@code ~01} into {@code /} (it
 * unescapes {@code ~0} first), and 0.6.2 reads {@code ~02} as {@code =} and writes {@code =} as
 * {@code ~2}. Ids may contain {@code ~} and {@code /}, so the engine cannot live with either.
 * zjsonpatch 0.4.16 still makes the diffs: its encoding is right. The RFC test suite and
 * pointer-escaping tests hold both to the letter.
 */
public final class Patches {

  /** Plain add/remove/replace only: every client can apply them, and none needs a source value. */
  private static final EnumSet<DiffFlags> DIFF = EnumSet.of(
      DiffFlags.OMIT_MOVE_OPERATION, DiffFlags.OMIT_COPY_OPERATION, DiffFlags.OMIT_VALUE_ON_REMOVE);

  private static final Set<String> OPS = Set.of("add", "remove", "replace", "move", "copy", "test");
  private static final Pattern INDEX = Pattern.compile("0|[1-9][0-9]{0,9}");

  private Patches() {
  }

  /** Applies {@code patch} to a copy of {@code doc}, atomically; the input is never changed. */
  public static JsonNode apply(JsonNode doc, JsonNode patch) {
    validate(patch);
    JsonNode root = doc.deepCopy();
    for (JsonNode op : patch) {
      root = applyOne(root, op);
    }
    return root;
  }

  /** Checks the patch document's shape before anything is applied. */
  public static void validate(JsonNode patch) {
    if (patch == null || !patch.isArray()) {
      throw invalid("a JSON Patch must be an array");
    }
    for (JsonNode op : patch) {
      if (!op.isObject()) {
        throw invalid("every operation must be an object: " + op);
      }
      JsonNode name = op.get("op");
      if (name == null || !name.isTextual() || !OPS.contains(name.textValue())) {
        throw invalid("unknown or missing 'op': " + op);
      }
      pointer(op, "path");
      String n = name.textValue();
      if ((n.equals("add") || n.equals("replace") || n.equals("test")) && !op.has("value")) {
        throw invalid(n + " needs a 'value': " + op);
      }
      if (n.equals("move") || n.equals("copy")) {
        pointer(op, "from");
      }
    }
  }

  private static List<String> pointer(JsonNode op, String member) {
    JsonNode p = op.get(member);
    if (p == null || !p.isTextual()) {
      throw invalid("operation needs a JSON Pointer '" + member + "': " + op);
    }
    return parsePointer(p.textValue(), op);
  }

  /** RFC 6901: "" is the whole document; otherwise "/"-separated tokens with ~1 and ~0 unescaped. */
  static List<String> parsePointer(String pointer, JsonNode op) {
    List<String> tokens = new ArrayList<>();
    if (pointer.isEmpty()) {
      return tokens;
    }
    if (pointer.charAt(0) != '/') {
      throw invalid("a JSON Pointer starts with '/': '" + pointer + "' in " + op);
    }
    StringBuilder token = new StringBuilder();
    for (int i = 1; i <= pointer.length(); i++) {
      char c = i < pointer.length() ? pointer.charAt(i) : '/';
      if (c == '/') {
        tokens.add(token.toString());
        token.setLength(0);
      } else if (c == '~') {
        char next = i + 1 < pointer.length() ? pointer.charAt(i + 1) : ' ';
        if (next == '0') {
          token.append('~');
        } else if (next == '1') {
          token.append('/');
        } else {
          throw invalid("'~' must be followed by 0 or 1 in '" + pointer + "' in " + op);
        }
        i++;
      } else {
        token.append(c);
      }
    }
    return tokens;
  }

  private static JsonNode applyOne(JsonNode root, JsonNode op) {
    List<String> path = parsePointer(op.get("path").textValue(), op);
    switch (op.get("op").textValue()) {
      case "add":
        return add(root, path, op.get("value").deepCopy(), op);
      case "remove":
        remove(root, path, op);
        return root;
      case "replace":
        get(root, path, op);
        if (path.isEmpty()) {
          return op.get("value").deepCopy();
        }
        remove(root, path, op);
        return add(root, path, op.get("value").deepCopy(), op);
      case "move": {
        List<String> from = parsePointer(op.get("from").textValue(), op);
        if (path.size() > from.size() && path.subList(0, from.size()).equals(from)) {
          throw conflict("cannot move a value into itself: " + op);
        }
        JsonNode value = get(root, from, op);
        if (from.equals(path)) {
          return root;
        }
        remove(root, from, op);
        return add(root, path, value, op);
      }
      case "copy": {
        JsonNode value = get(root, parsePointer(op.get("from").textValue(), op), op).deepCopy();
        return add(root, path, value, op);
      }
      case "test": {
        JsonNode actual = get(root, path, op, PatchException.Kind.TEST_FAILED);
        if (!op.get("value").equals(NUMBERS_BY_VALUE, actual)) {
          throw new PatchException(PatchException.Kind.TEST_FAILED,
              "test failed: expected " + op.get("value") + " but found " + actual + " in " + op, null);
        }
        return root;
      }
      default:
        throw invalid("unknown op: " + op);
    }
  }

  private static JsonNode add(JsonNode root, List<String> path, JsonNode value, JsonNode op) {
    if (path.isEmpty()) {
      return value;
    }
    JsonNode parent = get(root, path.subList(0, path.size() - 1), op);
    String last = path.get(path.size() - 1);
    if (parent.isObject()) {
      ((ObjectNode) parent).set(last, value);
    } else if (parent.isArray()) {
      ArrayNode array = (ArrayNode) parent;
      if (last.equals("-")) {
        array.add(value);
      } else {
        int index = index(last, op);
        if (index > array.size()) {
          throw conflict("index " + index + " is past the end of the array in " + op);
        }
        array.insert(index, value);
      }
    } else {
      throw conflict("cannot add into a " + parent.getNodeType() + " in " + op);
    }
    return root;
  }

  private static void remove(JsonNode root, List<String> path, JsonNode op) {
    if (path.isEmpty()) {
      throw conflict("cannot remove the whole document: " + op);
    }
    JsonNode parent = get(root, path.subList(0, path.size() - 1), op);
    String last = path.get(path.size() - 1);
    if (parent.isObject() && parent.has(last)) {
      ((ObjectNode) parent).remove(last);
    } else if (parent.isArray()) {
      int index = index(last, op);
      if (index >= parent.size()) {
        throw conflict("no element " + index + " to remove in " + op);
      }
      ((ArrayNode) parent).remove(index);
    } else {
      throw conflict("nothing at '" + op.get("path").textValue() + "' to remove in " + op);
    }
  }

  private static JsonNode get(JsonNode root, List<String> path, JsonNode op) {
    return get(root, path, op, PatchException.Kind.CONFLICT);
  }

  /** The value at {@code path}; a missing one fails with {@code kind}. */
  private static JsonNode get(JsonNode root, List<String> path, JsonNode op, PatchException.Kind kind) {
    JsonNode node = root;
    for (String token : path) {
      JsonNode next = null;
      if (node.isObject()) {
        next = node.get(token);
      } else if (node.isArray() && INDEX.matcher(token).matches()) {
        long i = Long.parseLong(token);
        next = i < node.size() ? node.get((int) i) : null;
      }
      if (next == null) {
        throw new PatchException(kind, "path does not exist: " + op, null);
      }
      node = next;
    }
    return node;
  }

  private static int index(String token, JsonNode op) {
    if (!INDEX.matcher(token).matches()) {
      throw invalid("'" + token + "' is not an array index in " + op);
    }
    long i = Long.parseLong(token);
    if (i > Integer.MAX_VALUE) {
      throw conflict("index " + token + " is past the end of the array in " + op);
    }
    return (int) i;
  }

  /** JSON equality with numbers compared by value (RFC 6902 4.6: 1 equals 1.0). */
  private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue());
    }
    return a.equals(b) ? 0 : 1;
  };

  private static PatchException invalid(String message) {
    return new PatchException(PatchException.Kind.INVALID, message, null);
  }

  private static PatchException conflict(String message) {
    return new PatchException(PatchException.Kind.CONFLICT, message, null);
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
}
