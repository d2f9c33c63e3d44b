package dev.patchwire.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What one write may cost: the document limits a patch is held to as it runs, and the diff's bound. */
@DisplayName("Document limits")
class DocLimitsTest {

  private static final DocLimits LIMITS = DocLimits.forBytes(64 * 1024);

  private static JsonNode json(String text) {
    return Json.parse(text);
  }

  @Test
  @DisplayName("measures compact JSON: bytes within a few percent, every value, and depth")
  void measures() {
    String text = "{\"a\":[1,2,{\"b\":\"h\\u00e9\"}],\"c\":null,\"d\":true}";
    DocLimits.Size size = DocLimits.measure(json(text), Long.MAX_VALUE);
    assertTrue(Math.abs(size.bytes() - Json.write(json(text)).length()) <= 8, size + " for " + text);
    assertEquals(8, size.nodes());
    assertEquals(3, size.depth());
  }

  @Test
  @DisplayName("the copy amplification stops at the first copy past the byte limit, within milliseconds")
  void copyAmplification() {
    ObjectNode doc = Json.object().put("s", "x".repeat(1000));
    ArrayNode patch = Json.array();
    patch.addObject().put("op", "add").put("path", "/b").set("value", Json.array());
    patch.addObject().put("op", "copy").put("from", "/s").put("path", "/b/-");
    for (int i = 0; i < 14; i++) {
      patch.addObject().put("op", "copy").put("from", "/b").put("path", "/b/-");
    }
    long started = System.nanoTime();
    PatchException e = assertThrows(PatchException.class, () -> Patches.apply(doc, patch, LIMITS));
    assertEquals(PatchException.Kind.TOO_LARGE, e.kind(), e.getMessage());
    assertTrue(System.nanoTime() - started < 1_000_000_000L, "refused in well under a second");
    assertTrue(e.getMessage().contains("copy /b/-"), e.getMessage());
  }

  @Test
  @DisplayName("adds and removes are both counted: a patch that stays under the limit applies")
  void addThenRemove() {
    ObjectNode doc = Json.object().put("s", "x".repeat(40_000));
    ArrayNode patch = Json.array();
    patch.addObject().put("op", "copy").put("from", "/s").put("path", "/t");  // 80 KB now: too large
    assertEquals(PatchException.Kind.TOO_LARGE,
        assertThrows(PatchException.class, () -> Patches.apply(doc, patch, LIMITS)).kind());
    ArrayNode moved = Json.array();
    for (int i = 0; i < 10; i++) {
      moved.addObject().put("op", "move").put("from", i % 2 == 0 ? "/s" : "/t").put("path", i % 2 == 0 ? "/t" : "/s");
    }
    moved.addObject().put("op", "remove").put("path", "/s");
    moved.addObject().put("op", "add").put("path", "/s").put("value", "y".repeat(40_000));
    JsonNode result = Patches.apply(doc, moved, LIMITS);
    assertEquals(40_000, result.get("s").textValue().length());
  }

  @Test
  @DisplayName("counts values, depth and work as well as bytes")
  void valuesDepthAndWork() {
    ObjectNode doc = Json.object();
    doc.set("a", Json.array());
    ArrayNode many = Json.array();
    for (int i = 0; i < 200; i++) {
      many.addObject().put("op", "add").put("path", "/a/-").set("value", json("[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]"));
    }
    assertEquals(PatchException.Kind.TOO_LARGE,
        assertThrows(PatchException.class, () -> Patches.apply(doc, many, DocLimits.forBytes(64 * 1024))).kind(),
        "10,000 values are more than 64 KiB / 8");
    ArrayNode deeper = Json.array();
    deeper.addObject().put("op", "add").put("path", "/d").set("value", Json.object());
    for (int i = 0; i < 70; i++) {
      deeper.addObject().put("op", "copy").put("from", "/d").put("path", "/d/d");
    }
    assertEquals(PatchException.Kind.TOO_DEEP,
        assertThrows(PatchException.class, () -> Patches.apply(doc, deeper, LIMITS)).kind());
    ObjectNode big = Json.object().put("s", "z".repeat(20_000));
    ArrayNode costly = Json.array();
    for (int i = 0; i < 60; i++) {
      costly.addObject().put("op", "copy").put("from", "/s").put("path", "/c");
      costly.addObject().put("op", "remove").put("path", "/c");
    }
    assertEquals(PatchException.Kind.TOO_COSTLY,
        assertThrows(PatchException.class, () -> Patches.apply(big, costly, LIMITS)).kind());
  }

  @Test
  @DisplayName("a diff of two large different arrays replaces the array in milliseconds instead of an 80 s subsequence search")
  void diffOfLargeArrays() {
    ArrayNode a = Json.array();
    ArrayNode b = Json.array();
    for (int i = 0; i < 60_000; i++) {
      a.add(i);
      b.add(100_000 + i);
    }
    ObjectNode before = Json.object().put("id", "x");
    before.set("a", a);
    ObjectNode after = Json.object().put("id", "x");
    after.set("a", b);
    long started = System.nanoTime();
    ArrayNode ops = Patches.diff(before, after);
    assertTrue(System.nanoTime() - started < 2_000_000_000L, "diffed in " + (System.nanoTime() - started) / 1_000_000 + " ms");
    assertEquals(1, ops.size(), "one replace of the array");
    assertEquals("/a", ops.get(0).get("path").textValue());
    assertEquals(after, Patches.apply(before, ops));
    ObjectNode small = Json.object().put("id", "x");
    small.set("a", json("[1,2,3]"));
    ObjectNode smallAfter = Json.object().put("id", "x");
    smallAfter.set("a", json("[1,2,4]"));
    assertEquals("[{\"op\":\"replace\",\"path\":\"/a/2\",\"value\":4}]", Json.write(Patches.diff(small, smallAfter)),
        "a small array still gets a precise diff");
  }
}
