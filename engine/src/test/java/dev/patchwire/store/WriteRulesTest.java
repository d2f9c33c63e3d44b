package dev.patchwire.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.DocLimits;
import dev.patchwire.json.Json;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The write rules alone, without a database: each test names one rule and the answer it gives,
 * including which rule wins when a write breaks two.
 */
@DisplayName("The write rules")
class WriteRulesTest {

  private static final CollectionSpec ITEMS = CollectionSpec.schemaless("items");
  private static final Instant NOW = Instant.parse("2026-12-04T12:00:00.123456Z");
  /** A document as stored: id first, at ETag "7". */
  private static final ObjectNode STORED = doc("{\"id\":\"a\",\"n\":1,\"team\":\"red\"}");
  private static final long VERSION = 7;

  private static ObjectNode doc(String json) {
    return (ObjectNode) Json.parse(json);
  }

  private static JsonNode patch(String json) {
    return Json.parse(json);
  }

  private static WriteRules.Effect apply(Write write, ObjectNode before) {
    return apply(ITEMS, write, before, DocLimits.NONE);
  }

  private static WriteRules.Effect apply(CollectionSpec spec, Write write, ObjectNode before, DocLimits limits) {
    return WriteRules.apply(spec, "a", write, before, before == null ? -1 : VERSION, limits, NOW);
  }

  private static void refused(WriteRejected.Reason reason, Executable write) {
    WriteRejected e = assertThrows(WriteRejected.class, write);
    assertEquals(reason, e.reason(), e.getMessage());
  }

  @Test
  @DisplayName("a write to an unknown collection is unknown_collection")
  void unknownCollection() {
    refused(WriteRejected.Reason.UNKNOWN_COLLECTION, () -> WriteRules.collection(
        java.util.Map.of("items", ITEMS), new Write.Delete("nope", "a", null)));
    assertEquals(ITEMS, WriteRules.collection(java.util.Map.of("items", ITEMS),
        new Write.Delete("items", "a", null)));
  }

  @Test
  @DisplayName("PUT fills in an absent id first and keeps the body's members")
  void putFillsTheIdFirst() {
    WriteRules.Effect e = apply(new Write.Put("items", "a", doc("{\"n\":2}"), null), null);
    assertEquals("{\"id\":\"a\",\"n\":2}", e.afterJson());
    assertEquals(List.of("id", "n"), fieldNames(e.after()));
  }

  @Test
  @DisplayName("a body whose id differs from the URL's is id_mismatch, a number id too")
  void bodyIdMustMatch() {
    refused(WriteRejected.Reason.ID_MISMATCH,
        () -> apply(new Write.Put("items", "a", doc("{\"id\":\"b\"}"), null), null));
    refused(WriteRejected.Reason.ID_MISMATCH,
        () -> apply(new Write.Create("items", "a", doc("{\"id\":1}")), null));
  }

  @Test
  @DisplayName("POST of an id that exists is already_exists; PUT replaces it")
  void createNeedsAnAbsentDocument() {
    refused(WriteRejected.Reason.ALREADY_EXISTS,
        () -> apply(new Write.Create("items", "a", doc("{\"n\":5}")), STORED));
    assertEquals("{\"id\":\"a\",\"n\":5}",
        apply(new Write.Put("items", "a", doc("{\"n\":5}"), null), STORED).afterJson());
  }

  @Test
  @DisplayName("PATCH and DELETE of an absent document are not_found")
  void patchAndDeleteNeedTheDocument() {
    refused(WriteRejected.Reason.NOT_FOUND, () -> apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"add\",\"path\":\"/n\",\"value\":2}]"), null), null));
    refused(WriteRejected.Reason.NOT_FOUND, () -> apply(new Write.Delete("items", "a", null), null));
  }

  @Test
  @DisplayName("DELETE of a document leaves nothing")
  void deleteLeavesNothing() {
    WriteRules.Effect e = apply(new Write.Delete("items", "a", null), STORED);
    assertNull(e.after());
    assertNull(e.afterJson());
    assertTrue(!e.unchanged());
  }

  @Test
  @DisplayName("a write that leaves the document as it was is unchanged")
  void sameDocumentIsUnchanged() {
    assertTrue(apply(new Write.Put("items", "a", STORED, null), STORED).unchanged());
    assertTrue(apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"replace\",\"path\":\"/n\",\"value\":1}]"), null), STORED).unchanged());
  }

  @Test
  @DisplayName("PATCH applies to a copy; the document before is left as it was")
  void patchLeavesBeforeAlone() {
    ObjectNode before = STORED.deepCopy();
    WriteRules.Effect e = apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"replace\",\"path\":\"/n\",\"value\":2}]"), null), before);
    assertEquals(doc("{\"id\":\"a\",\"n\":2,\"team\":\"red\"}"), e.after());
    assertEquals(e.afterJson(), Json.write(e.after()));
    assertEquals(STORED, before);
  }

  @Test
  @DisplayName("a patch's failures keep their codes: test_failed, patch_conflict, invalid_patch")
  void patchFailuresKeepTheirCodes() {
    refused(WriteRejected.Reason.TEST_FAILED, () -> apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"test\",\"path\":\"/n\",\"value\":9}]"), null), STORED));
    refused(WriteRejected.Reason.PATCH_CONFLICT, () -> apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"replace\",\"path\":\"/missing/x\",\"value\":9}]"), null), STORED));
    refused(WriteRejected.Reason.INVALID_PATCH, () -> apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"frobnicate\",\"path\":\"/n\"}]"), null), STORED));
  }

  @Test
  @DisplayName("a patch may not change or remove the id, nor make the document a non-object")
  void patchKeepsTheIdAndTheObject() {
    refused(WriteRejected.Reason.ID_MISMATCH, () -> apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"remove\",\"path\":\"/id\"}]"), null), STORED));
    refused(WriteRejected.Reason.ID_MISMATCH, () -> apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"replace\",\"path\":\"/id\",\"value\":\"b\"}]"), null), STORED));
    refused(WriteRejected.Reason.NOT_AN_OBJECT, () -> apply(new Write.Patch("items", "a",
        patch("[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]"), null), STORED));
  }

  @Test
  @DisplayName("If-Match: the current ETag (weak or in a list) or * passes; anything else is precondition_failed")
  void ifMatch() {
    ObjectNode body = doc("{\"n\":2}");
    for (String ok : List.of("\"7\"", "W/\"7\"", "\"3\", \"7\"", "*")) {
      assertEquals(2, apply(new Write.Put("items", "a", body, ok), STORED).after().get("n").intValue(), ok);
    }
    for (String bad : List.of("\"6\"", "\"77\"", "7", "W/\"6\", \"8\"")) {
      refused(WriteRejected.Reason.PRECONDITION_FAILED, () -> apply(new Write.Put("items", "a", body, bad), STORED));
    }
    // an absent document matches nothing, * included: not even its ETag of -1
    refused(WriteRejected.Reason.PRECONDITION_FAILED, () -> apply(new Write.Put("items", "a", body, "*"), null));
    refused(WriteRejected.Reason.PRECONDITION_FAILED, () -> apply(new Write.Put("items", "a", body, "\"-1\""), null));
  }

  @Test
  @DisplayName("If-Match is checked before existence: PATCH of an absent document with If-Match is precondition_failed")
  void preconditionBeforeNotFound() {
    refused(WriteRejected.Reason.PRECONDITION_FAILED, () -> apply(new Write.Patch("items", "a",
        patch("[]"), "\"7\""), null));
    refused(WriteRejected.Reason.PRECONDITION_FAILED, () -> apply(new Write.Delete("items", "a", "\"7\""), null));
  }

  @Test
  @DisplayName("write grants: the document before and after must both be inside them, the before check first")
  void writeGrants() {
    Predicate<ObjectNode> red = d -> "red".equals(d.path("team").asText());
    refused(WriteRejected.Reason.FORBIDDEN,
        () -> apply(new Write.Put("items", "a", doc("{\"team\":\"red\"}"), null, red),
            doc("{\"id\":\"a\",\"team\":\"blue\"}")));
    WriteRejected leaves = assertThrows(WriteRejected.class,
        () -> apply(new Write.Patch("items", "a", patch("[{\"op\":\"replace\",\"path\":\"/team\",\"value\":\"blue\"}]"),
            null, red), STORED));
    assertEquals(WriteRejected.Reason.FORBIDDEN, leaves.reason());
    assertTrue(leaves.getMessage().contains("would leave"), leaves.getMessage());
    WriteRejected outside = assertThrows(WriteRejected.class,
        () -> apply(new Write.Create("items", "a", doc("{\"team\":\"blue\"}"), red), null));
    assertTrue(outside.getMessage().contains("would be created outside"), outside.getMessage());
    // a document outside the grants is forbidden even when If-Match does not match either
    refused(WriteRejected.Reason.FORBIDDEN, () -> apply(new Write.Delete("items", "a", "\"1\"", red),
        doc("{\"id\":\"a\",\"team\":\"blue\"}")));
    assertNull(apply(new Write.Delete("items", "a", null, red), STORED).after());
  }

  @Test
  @DisplayName("the limits count the stored text's UTF-8 bytes, its values and its depth")
  void limits() {
    // {"id":"a","s":"ééé"}: 20 characters, 23 UTF-8 bytes
    Write threeE = new Write.Put("items", "a", doc("{\"s\":\"\u00e9\u00e9\u00e9\"}"), null);
    DocLimits bytes22 = new DocLimits(22, 1_000, 10, Long.MAX_VALUE);
    DocLimits bytes23 = new DocLimits(23, 1_000, 10, Long.MAX_VALUE);
    refused(WriteRejected.Reason.DOCUMENT_TOO_LARGE, () -> apply(ITEMS, threeE, null, bytes22));
    assertEquals(3, apply(ITEMS, threeE, null, bytes23).after().get("s").textValue().length());

    // the object and its two strings: three values
    Write small = new Write.Put("items", "a", doc("{\"s\":\"x\"}"), null);
    refused(WriteRejected.Reason.DOCUMENT_TOO_LARGE, () -> apply(ITEMS, small, null, new DocLimits(1_000, 2, 10, Long.MAX_VALUE)));
    apply(ITEMS, small, null, new DocLimits(1_000, 3, 10, Long.MAX_VALUE));

    Write deep = new Write.Put("items", "a", doc("{\"a\":{\"b\":[1]}}"), null);
    refused(WriteRejected.Reason.NESTING_TOO_DEEP, () -> apply(ITEMS, deep, null, new DocLimits(1_000, 1_000, 2, Long.MAX_VALUE)));
    apply(ITEMS, deep, null, new DocLimits(1_000, 1_000, 3, Long.MAX_VALUE));
  }

  @Test
  @DisplayName("the limits hold the document after the schema's defaults, not the body alone")
  void limitsCountTheDefaults() {
    CollectionSpec withDefault = CollectionSpec.withSchema("items", new JsonObject(
        "{\"type\":\"object\",\"properties\":{\"note\":{\"type\":\"string\",\"default\":\"0123456789\"}}}"));
    Write bare = new Write.Put("items", "a", doc("{}"), null);
    // {"id":"a"} is 10 bytes, with the default {"id":"a","note":"0123456789"} is 30
    refused(WriteRejected.Reason.DOCUMENT_TOO_LARGE, () -> apply(withDefault, bare, null, new DocLimits(29, 1_000, 10, Long.MAX_VALUE)));
    assertEquals("{\"id\":\"a\",\"note\":\"0123456789\"}",
        apply(withDefault, bare, null, new DocLimits(30, 1_000, 10, Long.MAX_VALUE)).afterJson());
  }

  @Test
  @DisplayName("a schema's violation is schema_violation with its errors as details; the grants are checked first")
  void schema() {
    CollectionSpec typed = CollectionSpec.withSchema("items", new JsonObject(
        "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}"));
    WriteRejected e = assertThrows(WriteRejected.class,
        () -> apply(typed, new Write.Put("items", "a", doc("{\"n\":\"x\"}"), null), null, DocLimits.NONE));
    assertEquals(WriteRejected.Reason.SCHEMA_VIOLATION, e.reason());
    assertTrue(e.details().isArray() && !e.details().isEmpty(), "details: " + e.details());
    refused(WriteRejected.Reason.FORBIDDEN, () -> apply(typed,
        new Write.Put("items", "a", doc("{\"n\":\"x\"}"), null, d -> false), null, DocLimits.NONE));
  }

  @Test
  @DisplayName("timestamps: a create stamps both; an update keeps created_at and moves updated_at; no change keeps both")
  void timestamps() {
    CollectionSpec stamped = CollectionSpec.withSchema("items", new JsonObject(
        "{\"type\":\"object\",\"properties\":{\"created_at\":{\"type\":\"string\"},\"updated_at\":{\"type\":\"string\"}}}"));
    ObjectNode created = apply(stamped, new Write.Put("items", "a", doc("{\"n\":1}"), null), null, DocLimits.NONE).after();
    assertEquals("2026-12-04T12:00:00.123Z", created.get("created_at").textValue());
    assertEquals("2026-12-04T12:00:00.123Z", created.get("updated_at").textValue());

    ObjectNode before = doc("{\"id\":\"a\",\"n\":1,\"created_at\":\"2020-01-01T00:00:00Z\",\"updated_at\":\"2021-01-01T00:00:00Z\"}");
    // a client cannot set either; an equal body with other stamps changes nothing
    assertTrue(apply(stamped, new Write.Put("items", "a", doc("{\"n\":1,\"created_at\":\"x\",\"updated_at\":\"y\"}"), null),
        before, DocLimits.NONE).unchanged());
    ObjectNode updated = apply(stamped, new Write.Put("items", "a", doc("{\"n\":2,\"created_at\":\"x\"}"), null),
        before, DocLimits.NONE).after();
    assertEquals("2020-01-01T00:00:00Z", updated.get("created_at").textValue());
    assertEquals("2026-12-04T12:00:00.123Z", updated.get("updated_at").textValue());
  }

  @Test
  @DisplayName("a POST without an id leaves it to the server; every other write names its own")
  void ids() {
    assertNull(WriteRules.id(new Write.Create("items", null, doc("{}"))));
    assertEquals("c", WriteRules.id(new Write.Create("items", "c", doc("{}"))));
    assertEquals("p", WriteRules.id(new Write.Put("items", "p", doc("{}"), null)));
    assertEquals("q", WriteRules.id(new Write.Patch("items", "q", patch("[]"), null)));
    assertEquals("d", WriteRules.id(new Write.Delete("items", "d", null)));
  }

  private static List<String> fieldNames(ObjectNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
