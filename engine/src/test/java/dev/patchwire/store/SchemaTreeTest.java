package dev.patchwire.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.kanban.Kanban;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The schema validator is handed the document's tree as plain maps and lists instead of a re-parse
 * of the text the writer serialized from it: it must see exactly the values, and the Java types,
 * that {@code new JsonObject(Json.write(tree))} gave it, or a schema could judge a document
 * differently.
 */
class SchemaTreeTest {

  private static final List<String> DOCS = List.of(
      "{}",
      "{\"id\":\"a\",\"n\":1,\"big\":12345678901,\"huge\":123456789012345678901234567890}",
      "{\"f\":1.0,\"g\":0.1,\"e\":1e2,\"exact\":1.00000000000000000001,\"inf\":1e400,\"neg\":-0.0}",
      "{\"s\":\"\\u00e9\\ud83d\\ude00\\\"\\n\",\"t\":true,\"u\":false,\"z\":null}",
      "{\"a\":[1,[2,[3,{\"b\":[]}]],{}],\"o\":{\"p\":{\"q\":[null,\"x\",2.5]}}}");

  @Test
  @DisplayName("the tree walk gives the validator what the Vert.x decoder gives it, types included")
  void sameAsDecoder() {
    for (String text : DOCS) {
      ObjectNode tree = (ObjectNode) Json.parse(text);
      assertEquals(new JsonObject(Json.write(tree)).getMap(), CollectionSpec.plainObject(tree), text);
    }
  }

  @Test
  @DisplayName("numbers the engine put into a tree itself get the types their text would have")
  void builtTrees() {
    ObjectNode doc = Json.object().put("small", 5L).put("long", 1L << 40)
        .put("bigint", new BigInteger("123456789012345678901234567890"))
        .put("d", 2.0).put("dec", new java.math.BigDecimal("0.25"));
    assertEquals(new JsonObject(Json.write(doc)).getMap(), CollectionSpec.plainObject(doc));
  }

  @Test
  @DisplayName("a schema violation reports the same details as before")
  void sameErrors() {
    CollectionSpec tasks = Kanban.collections().stream().filter(s -> s.name().equals(Kanban.TASKS))
        .findFirst().orElseThrow();
    ObjectNode bad = Json.object().put("id", "t").put("title", 42).put("status", "nope");
    WriteRejected e = org.junit.jupiter.api.Assertions.assertThrows(WriteRejected.class, () -> tasks.validate(bad));
    assertEquals(WriteRejected.Reason.SCHEMA_VIOLATION, e.reason());
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("document does not match the schema of tasks: "),
        e.getMessage());
  }
}
