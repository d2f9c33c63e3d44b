package dev.patchwire.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.wire.StrictDocument;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A stream client that forgives nothing: it applies every {@code JsonPatch} to a document that
 * starts at {@code {}}, strictly as RFC 6902 says, and fails the test on anything a conforming
 * server must never send. The rules are {@link StrictDocument}'s, the same the replay tool holds
 * recordings to.
 *
 * <p>Invariants it checks on each message:
 * <ul>
 *   <li>every patch applies cleanly under RFC 6902 to the letter ({@code Patches.apply}, which
 *       {@code StrictPatcherConformanceTest} holds to the same suite and corner cases as
 *       {@link #applyPatch}): a {@code replace} or {@code remove} of a missing member is an error,
 *       pointers are RFC 6901 ({@code ~} only as {@code ~0}/{@code ~1}), only indexes under arrays;</li>
 *   <li>a snapshot is exactly one {@code add} of the whole collection at {@code /c}; it is always
 *       applied, whatever its seq, and the stream continues from its seq;</li>
 *   <li>a live message has a seq strictly greater than the last one applied (PROTOCOL.md 3.1
 *       "N strictly increasing") and only touches paths under {@code /c/}.</li>
 * </ul>
 */
public final class StrictPatcher {

  private final String collection;
  private final StrictDocument held;
  private int applied;

  public StrictPatcher(String collection) {
    this.collection = collection;
    this.held = new StrictDocument(collection);
  }

  /** Applies a WebSocket frame that carries {@code JsonPatch} (a snapshot or a live change). */
  public StrictPatcher applyWs(JsonObject frame) {
    if (!frame.containsKey("JsonPatch")) {
      fail("not a JsonPatch frame: " + frame.encode());
    }
    JsonNode patch = Rest.parse(frame.getJsonArray("JsonPatch").encode());
    Object seq = frame.getValue("seq");
    if (!(seq instanceof Number)) {
      fail("JsonPatch frame without a numeric seq: " + frame.encode());
    }
    return apply(patch, ((Number) seq).longValue(), Boolean.TRUE.equals(frame.getValue("snapshot")));
  }

  /**
   * Applies a SSE {@code json_patch} event. SSE carries only the patch array, so a snapshot is
   * recognised by its shape: a single {@code add} at {@code /c}, which no live change can produce.
   */
  public StrictPatcher applySse(SseRecorder.Event event) {
    if (!"json_patch".equals(event.event())) {
      fail("not a json_patch event: " + event);
    }
    JsonNode patch = Rest.parse(event.data());
    return apply(patch, event.seq(), isSnapshotPatch(patch));
  }

  /** True when {@code patch} is the snapshot shape {@code [{"op":"add","path":"/c","value":{..}}]}. */
  public boolean isSnapshotPatch(JsonNode patch) {
    return held.isSnapshotShape(patch);
  }

  /** Applies a snapshot or a live change under {@link StrictDocument}'s rules; fails the test on a violation. */
  public StrictPatcher apply(JsonNode patch, long seq, boolean snapshot) {
    JsonNode before = held.document();
    try {
      if (snapshot) {
        held.snapshot(patch, seq);
      } else {
        held.live(patch, seq);
      }
    } catch (StrictDocument.Violation e) {
      fail(e.getMessage() + "\n  patch " + patch + "\n  to " + abbreviate(before), e);
    }
    applied++;
    return this;
  }

  /** Why a patch does not apply; the message names the operation. */
  public static final class PatchError extends RuntimeException {
    PatchError(String message) {
      super(message);
    }
  }

  /**
   * RFC 6902 applied to a copy of {@code doc}, with RFC 6901 pointers, to the letter: no
   * "replace means add", no silent remove of a missing member, {@code ~} only as {@code ~0} and
   * {@code ~1} (decoded {@code ~1} first), only decimal indexes (or {@code -} for add) under arrays.
   * Written here rather than borrowed from zjsonpatch because both of its releases bend RFC 6901
   * (0.6.2 decodes {@code ~2} as {@code =} and reads {@code k=v} under arrays as a lookup; 0.4.16
   * decodes {@code ~01} as {@code /}), and a test oracle must not share the engine's library bugs.
   * Proven against the shared conformance suite by {@code StrictPatcherConformanceTest}. Kept
   * beside the engine's {@code Patches.apply} as an independent reference where the engine's
   * own application is what a test checks (RequestFuzzTest's PATCH model, NestedConvergenceTest).
   */
  public static JsonNode applyPatch(JsonNode doc, JsonNode patch) {
    if (patch == null || !patch.isArray()) {
      throw new PatchError("a patch is an array, got " + patch);
    }
    JsonNode result = doc.deepCopy();
    for (JsonNode op : patch) {
      result = applyOp(result, op);
    }
    return result;
  }

  private static JsonNode applyOp(JsonNode doc, JsonNode op) {
    if (!op.isObject() || !op.path("op").isTextual()) {
      throw new PatchError("not an operation: " + op);
    }
    String name = op.get("op").asText();
    List<String> path = pointer(op, "path");
    switch (name) {
      case "add" -> {
        return add(doc, path, value(op), op);
      }
      case "remove" -> {
        get(doc, path, op);
        return remove(doc, path, op);
      }
      case "replace" -> {
        get(doc, path, op);
        if (path.isEmpty()) {
          return value(op);
        }
        return add(remove(doc, path, op), path, value(op), op);
      }
      case "move" -> {
        List<String> from = pointer(op, "from");
        if (path.size() > from.size() && path.subList(0, from.size()).equals(from)) {
          throw new PatchError("move into its own child: " + op);
        }
        JsonNode v = get(doc, from, op);
        return add(remove(doc, from, op), path, v, op);
      }
      case "copy" -> {
        JsonNode v = get(doc, pointer(op, "from"), op).deepCopy();
        return add(doc, path, v, op);
      }
      case "test" -> {
        if (!equalJson(get(doc, path, op), value(op))) {
          throw new PatchError("test failed: " + op);
        }
        return doc;
      }
      default -> throw new PatchError("unknown op: " + op);
    }
  }

  private static JsonNode value(JsonNode op) {
    if (!op.has("value")) {
      throw new PatchError("no value: " + op);
    }
    return op.get("value").deepCopy();
  }

  /** The unescaped reference tokens of an RFC 6901 pointer. */
  private static List<String> pointer(JsonNode op, String member) {
    JsonNode p = op.get(member);
    if (p == null || !p.isTextual()) {
      throw new PatchError("no '" + member + "' pointer: " + op);
    }
    String text = p.asText();
    if (!RFC6901.matcher(text).matches()) {
      throw new PatchError("'" + member + "' is not an RFC 6901 pointer (only ~0 and ~1 escape): " + op);
    }
    List<String> tokens = new ArrayList<>();
    if (!text.isEmpty()) {
      for (String t : text.substring(1).split("/", -1)) {
        tokens.add(t.replace("~1", "/").replace("~0", "~"));
      }
    }
    return tokens;
  }

  private static JsonNode get(JsonNode doc, List<String> path, JsonNode op) {
    JsonNode cur = doc;
    for (String t : path) {
      cur = child(cur, t, op);
      if (cur == null) {
        throw new PatchError("path does not exist: " + op);
      }
    }
    return cur;
  }

  private static JsonNode child(JsonNode node, String token, JsonNode op) {
    if (node.isObject()) {
      return node.get(token);
    }
    if (node.isArray()) {
      return node.get(index(node, token, false, op));
    }
    return null;
  }

  private static int index(JsonNode array, String token, boolean forAdd, JsonNode op) {
    if (!ARRAY_INDEX.matcher(token).matches()) {
      throw new PatchError("'" + token + "' is not an array index: " + op);
    }
    int i = Integer.parseInt(token);
    if (i > array.size() || (!forAdd && i == array.size())) {
      throw new PatchError("index " + i + " out of bounds: " + op);
    }
    return i;
  }

  private static JsonNode add(JsonNode doc, List<String> path, JsonNode value, JsonNode op) {
    if (path.isEmpty()) {
      return value;
    }
    JsonNode parent = get(doc, path.subList(0, path.size() - 1), op);
    String last = path.get(path.size() - 1);
    if (parent.isObject()) {
      ((ObjectNode) parent).set(last, value);
    } else if (parent.isArray()) {
      ArrayNode a = (ArrayNode) parent;
      if ("-".equals(last)) {
        a.add(value);
      } else {
        a.insert(index(a, last, true, op), value);
      }
    } else {
      throw new PatchError("parent is not a container: " + op);
    }
    return doc;
  }

  private static JsonNode remove(JsonNode doc, List<String> path, JsonNode op) {
    if (path.isEmpty()) {
      return NullNode.getInstance();
    }
    JsonNode parent = get(doc, path.subList(0, path.size() - 1), op);
    String last = path.get(path.size() - 1);
    if (parent.isObject()) {
      if (!parent.has(last)) {
        throw new PatchError("member does not exist: " + op);
      }
      ((ObjectNode) parent).remove(last);
    } else if (parent.isArray()) {
      ((ArrayNode) parent).remove(index(parent, last, false, op));
    } else {
      throw new PatchError("parent is not a container: " + op);
    }
    return doc;
  }

  /** JSON equality: numbers by value, objects regardless of member order. */
  public static boolean equalJson(JsonNode a, JsonNode b) {
    return a.equals((x, y) -> {
      if (x.equals(y)) {
        return 0;
      }
      if (x.isNumber() && y.isNumber()) {
        return x.decimalValue().compareTo(y.decimalValue());
      }
      return 1;
    }, b);
  }

  private static final Pattern RFC6901 = Pattern.compile("(/([^/~]|~[01])*)*");
  private static final Pattern ARRAY_INDEX = Pattern.compile("0|[1-9][0-9]{0,8}");

  /** The whole client document, e.g. {@code {"items":{...}}}. */
  public JsonNode document() {
    return held.document();
  }

  /** The id-keyed map under {@code /c}; an empty object before the first snapshot. */
  public ObjectNode docs() {
    JsonNode c = held.document().get(collection);
    if (c == null) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!c.isObject()) {
      fail("/" + collection + " is not an object: " + c);
    }
    return (ObjectNode) c;
  }

  public long lastSeq() {
    return held.seq();
  }

  public int applied() {
    return applied;
  }

  static String abbreviate(JsonNode node) {
    try {
      String s = Rest.MAPPER.writeValueAsString(node);
      return s.length() > 600 ? s.substring(0, 600) + "...(" + s.length() + " chars)" : s;
    } catch (JsonProcessingException e) {
      return String.valueOf(node);
    }
  }
}
