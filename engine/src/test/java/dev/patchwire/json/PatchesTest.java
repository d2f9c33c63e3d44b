package dev.patchwire.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** JSON Pointer edges that both zjsonpatch lines get wrong, and that ids and member names hit. */
class PatchesTest {

  @ParameterizedTest(name = "member \"{0}\"")
  @ValueSource(strings = {"~1", "~0", "~01", "~10", "a=b", "~2", "/", "a/b~c", "", " ", "-", "0", "~"})
  @DisplayName("a diff of any member name applies back to the same document")
  void diffRoundTrips(String name) {
    JsonNode before = Json.object().put(name, 1).put("other", "x");
    JsonNode after = Json.object().put(name, 2).put("other", "x");
    JsonNode ops = Patches.diff(before, after);
    assertEquals(after, Patches.apply(before, ops), "diff " + ops);
    assertEquals(Pointer.of(name), ops.get(0).get("path").textValue(), "RFC 6901 escaping of " + name);
  }

  @Test
  @DisplayName("pointers unescape ~1 before ~0, and refuse any other escape")
  void pointerEscapes() {
    JsonNode op = Json.object();
    assertEquals(List.of("~1"), Patches.parsePointer("/~01", op));
    assertEquals(List.of("/0"), Patches.parsePointer("/~10", op));
    assertEquals(List.of("a/b", "~"), Patches.parsePointer("/a~1b/~0", op));
    assertEquals(List.of(""), Patches.parsePointer("/", op));
    assertEquals(List.of(), Patches.parsePointer("", op));
    for (String bad : List.of("/~2", "/~", "a", "/a~b")) {
      PatchException e = assertThrows(PatchException.class, () -> Patches.parsePointer(bad, op), bad);
      assertEquals(PatchException.Kind.INVALID, e.kind());
    }
  }

  @Test
  @DisplayName("the document handed in is never changed, even by a patch that fails halfway")
  void inputUntouched() {
    JsonNode doc = Json.parse("{\"a\":[1,2],\"b\":{\"c\":1}}");
    JsonNode copy = doc.deepCopy();
    Patches.apply(doc, Json.parse("[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":3},{\"op\":\"remove\",\"path\":\"/b/c\"}]"));
    assertThrows(PatchException.class, () -> Patches.apply(doc,
        Json.parse("[{\"op\":\"remove\",\"path\":\"/b\"},{\"op\":\"test\",\"path\":\"/a\",\"value\":0}]")));
    assertEquals(copy, doc);
  }
}
