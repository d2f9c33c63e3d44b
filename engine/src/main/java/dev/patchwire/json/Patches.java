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
    return apply(doc, patch, DocLimits.NONE);
  }

  /**
   * Like {@link #apply(JsonNode, JsonNode)}, holding the document to {@code limits} after every
   * operation: a patch that would build a document past them fails at the first operation that
   * crosses one ({@link PatchException.Kind#TOO_LARGE}, {@code TOO_DEEP}, {@code TOO_COSTLY}),
   * before the next one runs.
   */
  public static JsonNode apply(JsonNode doc, JsonNode patch, DocLimits limits) {
    validate(patch);
    Tally tally = new Tally(limits, DocLimits.measure(doc, Long.MAX_VALUE));
    JsonNode root = doc.deepCopy();
    for (JsonNode op : patch) {
      root = applyOne(root, op, tally);
    }
    return root;
  }

  /**
   * The running size of the document being patched, kept up to date by every operation from the
   * sizes of what it adds and removes (each measured once, never the whole document again).
   */
  private static final class Tally {
    private final DocLimits limits;
    private long bytes;
    private long nodes;
    private long work;

    Tally(DocLimits limits, DocLimits.Size start) {
      this.limits = limits;
      this.bytes = start.bytes();
      this.nodes = start.nodes();
    }

    /** Measures a value about to be added, refusing it as soon as it cannot fit. */
    DocLimits.Size measureAdded(JsonNode value, int parentLevels, JsonNode op) {
      long room = limits.maxBytes() == Long.MAX_VALUE ? Long.MAX_VALUE
          : Math.max(0, limits.maxBytes() - bytes) + 1;
      DocLimits.Size size = DocLimits.measure(value, room);
      charge(size.bytes(), op);
      if (parentLevels + size.depth() > limits.maxDepth()) {
        throw new PatchException(PatchException.Kind.TOO_DEEP, "the document would nest more than "
            + limits.maxDepth() + " levels of arrays and objects after " + brief(op), null);
      }
      return size;
    }

    /** Measures a value about to be removed. */
    DocLimits.Size measureRemoved(JsonNode value, JsonNode op) {
      DocLimits.Size size = DocLimits.measure(value, Long.MAX_VALUE);
      charge(size.bytes(), op);
      return size;
    }

    private void charge(long measured, JsonNode op) {
      work += measured;
      if (work > limits.maxWorkBytes()) {
        throw new PatchException(PatchException.Kind.TOO_COSTLY, "the patch adds, copies, moves and "
            + "removes more than " + limits.maxWorkBytes() + " bytes of values in all (at " + brief(op) + ")", null);
      }
    }

    void change(long deltaBytes, long deltaNodes, JsonNode op) {
      bytes += deltaBytes;
      nodes += deltaNodes;
      if (bytes > limits.maxBytes() || nodes > limits.maxNodes()) {
        throw new PatchException(PatchException.Kind.TOO_LARGE, "the document would be larger than "
            + (bytes > limits.maxBytes() ? limits.maxBytes() + " bytes" : limits.maxNodes() + " values")
            + " after " + brief(op), null);
      }
    }
  }

  /** An operation for a message: its op and path, never its (maybe huge) value. */
  private static String brief(JsonNode op) {
    String path = op.path("path").asText();
    return op.path("op").asText() + " " + (path.length() > 100 ? path.substring(0, 100) + "..." : path);
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

  private static JsonNode applyOne(JsonNode root, JsonNode op, Tally tally) {
    List<String> path = parsePointer(op.get("path").textValue(), op);
    switch (op.get("op").textValue()) {
      case "add":
        return add(root, path, op.get("value").deepCopy(), op, tally, null);
      case "remove":
        remove(root, path, op, tally);
        return root;
      case "replace":
        get(root, path, op);
        if (path.isEmpty()) {
          JsonNode value = op.get("value");
          DocLimits.Size size = tally.measureAdded(value, 0, op);
          tally.change(size.bytes() - tally.bytes, size.nodes() - tally.nodes, op);
          return value.deepCopy();
        }
        remove(root, path, op, tally);
        return add(root, path, op.get("value").deepCopy(), op, tally, null);
      case "move": {
        List<String> from = parsePointer(op.get("from").textValue(), op);
        if (path.size() > from.size() && path.subList(0, from.size()).equals(from)) {
          throw conflict("cannot move a value into itself: " + op);
        }
        JsonNode value = get(root, from, op);
        if (from.equals(path)) {
          return root;
        }
        DocLimits.Size moved = remove(root, from, op, tally);
        return add(root, path, value, op, tally, moved);
      }
      case "copy": {
        JsonNode source = get(root, parsePointer(op.get("from").textValue(), op), op);
        DocLimits.Size size = tally.measureAdded(source, Math.max(0, path.size()), op);
        return add(root, path, source.deepCopy(), op, tally, size);
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

  /**
   * Adds {@code value} at {@code path} and counts it; {@code size} is its size when the caller
   * measured it already (copy, move), else null.
   */
  private static JsonNode add(JsonNode root, List<String> path, JsonNode value, JsonNode op, Tally tally,
      DocLimits.Size size) {
    if (size == null) {
      size = tally.measureAdded(value, path.size(), op);
    } else if (path.size() + size.depth() > tally.limits.maxDepth()) {
      tally.measureAdded(value, path.size(), op);  // refuses it with the depth message
    }
    if (path.isEmpty()) {
      tally.change(size.bytes() - tally.bytes, size.nodes() - tally.nodes, op);
      return value;
    }
    JsonNode parent = get(root, path.subList(0, path.size() - 1), op);
    String last = path.get(path.size() - 1);
    if (parent.isObject()) {
      JsonNode replaced = parent.get(last);
      if (replaced != null) {
        DocLimits.Size old = tally.measureRemoved(replaced, op);
        tally.change(-old.bytes(), -old.nodes(), op);
      } else {
        tally.change(DocLimits.stringBytes(last) + 2, 0, op);
      }
      tally.change(size.bytes(), size.nodes(), op);
      ((ObjectNode) parent).set(last, value);
    } else if (parent.isArray()) {
      ArrayNode array = (ArrayNode) parent;
      int index = last.equals("-") ? array.size() : index(last, op);
      if (index > array.size()) {
        throw conflict("index " + index + " is past the end of the array in " + op);
      }
      tally.change(size.bytes() + 1, size.nodes(), op);
      array.insert(index, value);
    } else {
      throw conflict("cannot add into a " + parent.getNodeType() + " in " + op);
    }
    return root;
  }

  /** Removes the value at {@code path}, counts it, and returns its size. */
  private static DocLimits.Size remove(JsonNode root, List<String> path, JsonNode op, Tally tally) {
    if (path.isEmpty()) {
      throw conflict("cannot remove the whole document: " + op);
    }
    JsonNode parent = get(root, path.subList(0, path.size() - 1), op);
    String last = path.get(path.size() - 1);
    JsonNode removed;
    long overhead;
    if (parent.isObject() && parent.has(last)) {
      removed = ((ObjectNode) parent).remove(last);
      overhead = DocLimits.stringBytes(last) + 2;
    } else if (parent.isArray()) {
      int index = index(last, op);
      if (index >= parent.size()) {
        throw conflict("no element " + index + " to remove in " + op);
      }
      removed = ((ArrayNode) parent).remove(index);
      overhead = 1;
    } else {
      throw conflict("nothing at '" + op.get("path").textValue() + "' to remove in " + op);
    }
    DocLimits.Size size = tally.measureRemoved(removed, op);
    tally.change(-size.bytes() - overhead, -size.nodes(), op);
    return size;
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

  /**
   * The most values an array pair may hold for zjsonpatch to diff it: its array diff is a longest
   * common subsequence, whose cost grows with the product of the lengths (two different arrays of
   * 60,000 numbers kept the writer busy for 80 s). A larger array that changed is replaced whole.
   */
  static final int MAX_DIFFED_ARRAY_VALUES = 2_000;

  /**
   * The operations that turn {@code before} into {@code after}: add, remove and replace only.
   * Objects are compared member by member here (in time linear in their size); a pair of arrays
   * goes to zjsonpatch when both are small enough, else a changed array is replaced whole.
   */
  public static ArrayNode diff(JsonNode before, JsonNode after) {
    ArrayNode ops = Json.array();
    diff(before, after, "", ops);
    return ops;
  }

  private static void diff(JsonNode before, JsonNode after, String path, ArrayNode ops) {
    if (before.equals(after)) {
      return;
    }
    if (before.isObject() && after.isObject()) {
      // in zjsonpatch's order: the old members as they come (removed or compared), then the new
      for (var it = before.fields(); it.hasNext(); ) {
        var member = it.next();
        String child = path + "/" + escape(member.getKey());
        JsonNode now = after.get(member.getKey());
        if (now == null) {
          ops.addObject().put("op", "remove").put("path", child);
        } else {
          diff(member.getValue(), now, child, ops);
        }
      }
      for (var it = after.fields(); it.hasNext(); ) {
        var member = it.next();
        if (!before.has(member.getKey())) {
          ops.addObject().put("op", "add").put("path", path + "/" + escape(member.getKey()))
              .set("value", member.getValue().deepCopy());
        }
      }
      return;
    }
    if (before.isArray() && after.isArray() && valuesAtMost(before, MAX_DIFFED_ARRAY_VALUES)
        && valuesAtMost(after, MAX_DIFFED_ARRAY_VALUES)) {
      ops.addAll(prefixed(path, (ArrayNode) JsonDiff.asJson(before, after, DIFF)));
      return;
    }
    ops.addObject().put("op", "replace").put("path", path).set("value", after.deepCopy());
  }

  /** RFC 6901 escaping of one pointer segment: {@code ~} as {@code ~0}, {@code /} as {@code ~1}. */
  static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }

  private static boolean valuesAtMost(JsonNode node, int max) {
    return DocLimits.measure(node, Long.MAX_VALUE, max).nodes() <= max;
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
