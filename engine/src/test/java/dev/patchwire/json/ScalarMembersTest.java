package dev.patchwire.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A filtered snapshot tests each stored document's top-level scalars read by
 * {@link Json#scalarMembers} instead of its whole tree: they must be the very nodes
 * {@link Json#parse} gives (same node types, so numbers compare as before).
 */
class ScalarMembersTest {

  private static final List<String> DOCS = List.of(
      "{}",
      "{\"id\":\"a\",\"n\":1,\"big\":12345678901,\"huge\":123456789012345678901234567890}",
      "{\"f\":1.0,\"g\":0.1,\"e\":1e2,\"exact\":1.00000000000000000001,\"inf\":1e400,\"neg\":-0.0}",
      "{\"s\":\"\\u00e9\\ud83d\\ude00\\\"\\n\",\"t\":true,\"u\":false,\"z\":null}",
      "{\"a\":[1,[2,[3,{\"b\":[]}]],{}],\"o\":{\"p\":{\"q\":[null,\"x\",2.5]}},\"after\":\"x\"}",
      "{\"k\":1,\"k\":{\"nested\":true}}",
      "{\"k\":{\"nested\":true},\"k\":\"last\"}");

  @Test
  @DisplayName("the top-level scalars are the nodes of the whole tree, nothing else")
  void sameAsTree() {
    for (String text : DOCS) {
      ObjectNode expected = Json.object();
      Iterator<Map.Entry<String, JsonNode>> it = Json.parse(text).fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getValue().isValueNode()) {
          expected.set(f.getKey(), f.getValue());
        }
      }
      ObjectNode got = Json.scalarMembers(text);
      assertEquals(expected, got, text);
      it = expected.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> f = it.next();
        assertEquals(f.getValue().getClass(), got.get(f.getKey()).getClass(), text + " " + f.getKey());
      }
    }
  }

  @Test
  @DisplayName("text that is no object is refused")
  void notAnObject() {
    assertThrows(IllegalArgumentException.class, () -> Json.scalarMembers("[1]"));
    assertThrows(IllegalArgumentException.class, () -> Json.scalarMembers("{\"a\":"));
  }
}
