package dev.patchwire.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * How large a document may grow: its compact JSON size in bytes, its count of values (each
 * object, array, string, number, boolean and null is one) and its nesting depth. A patch is held
 * to them while its operations run, so that a few hundred bytes of {@code copy} operations cannot
 * build a huge document before anyone measures it; {@code maxWorkBytes} bounds the bytes one
 * patch may copy, move and remove in all, so that it cannot keep the writer busy either.
 */
public record DocLimits(long maxBytes, long maxNodes, int maxDepth, long maxWorkBytes) {

  /** No limits: for tools and tests that apply trusted patches. */
  public static final DocLimits NONE = new DocLimits(Long.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE,
      Long.MAX_VALUE);

  /**
   * The engine's limits for documents of at most {@code maxBytes}: a value for every 8 bytes (a
   * value costs 50 to 100 bytes of heap once parsed, and the writer parses the current document
   * for every patch), {@link StrictJson#MAX_DEPTH} levels, and 16 times the byte limit of work.
   */
  public static DocLimits forBytes(long maxBytes) {
    return new DocLimits(maxBytes, Math.max(1024, maxBytes / 8), StrictJson.MAX_DEPTH,
        Math.multiplyExact(Math.min(maxBytes, Long.MAX_VALUE / 32), 16));
  }

  /** The size of a value, as far as it was measured: stops once {@code bytes} pass the budget. */
  public record Size(long bytes, long nodes, int depth) {
  }

  /**
   * Measures {@code node}'s compact JSON: bytes (UTF-8, escapes counted roughly), values and
   * depth (a scalar is 0, {@code []} is 1). Stops early once more than {@code budget} bytes are
   * counted, so measuring a huge value costs no more than the budget.
   */
  public static Size measure(JsonNode node, long budget) {
    return measure(node, budget, Long.MAX_VALUE);
  }

  /** Like {@link #measure(JsonNode, long)}, stopping also once more than {@code maxNodes} are counted. */
  public static Size measure(JsonNode node, long budget, long maxNodes) {
    long[] acc = new long[2];
    int depth = measure(node, budget, maxNodes, acc, 0);
    return new Size(acc[0], acc[1], depth);
  }

  private static int measure(JsonNode node, long budget, long maxNodes, long[] acc, int level) {
    acc[1]++;
    if (acc[0] > budget || acc[1] > maxNodes) {
      return level;
    }
    if (node.isObject()) {
      acc[0] += 2;
      int deepest = level + 1;
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields();
          it.hasNext() && acc[0] <= budget && acc[1] <= maxNodes; ) {
        Map.Entry<String, JsonNode> e = it.next();
        acc[0] += stringBytes(e.getKey()) + 2;  // the name, ':' and ','
        deepest = Math.max(deepest, measure(e.getValue(), budget, maxNodes, acc, level + 1));
      }
      return deepest;
    }
    if (node.isArray()) {
      acc[0] += 2;
      int deepest = level + 1;
      for (int i = 0; i < node.size() && acc[0] <= budget && acc[1] <= maxNodes; i++) {
        acc[0] += 1;  // ','
        deepest = Math.max(deepest, measure(node.get(i), budget, maxNodes, acc, level + 1));
      }
      return deepest;
    }
    if (node.isTextual()) {
      acc[0] += stringBytes(node.textValue());
    } else if (node.isNumber()) {
      acc[0] += node.asText().length();
    } else {
      acc[0] += 5;  // true, false, null
    }
    return level;
  }

  /** A JSON string's bytes: quotes, UTF-8, and the escapes of the characters JSON must escape. */
  static long stringBytes(String s) {
    long n = 2;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20) {
        n += 6;
      } else if (c == '"' || c == '\\') {
        n += 2;
      } else if (c < 0x80) {
        n += 1;
      } else if (c < 0x800 || Character.isSurrogate(c)) {
        n += 2;  // a surrogate pair is 4 bytes in all
      } else {
        n += 3;
      }
    }
    return n;
  }
}
