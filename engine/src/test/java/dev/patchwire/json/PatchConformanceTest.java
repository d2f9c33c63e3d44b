package dev.patchwire.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's RFC 6902 implementation, {@link Patches#apply}, against the json-patch-tests
 * conformance suite (read in place from {@code ${patchwire.sharedDir}/conformance/json-patch-tests/}),
 * plus the error kinds the REST layer maps to invalid_patch, test_failed and patch_conflict.
 */
public class PatchConformanceTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Numbers compare by value (1 == 1.0), everything else by Jackson's structural equality. */
  private static final Comparator<JsonNode> NUMERIC = (a, b) -> {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue());
    }
    return a.equals(b) ? 0 : 1;
  };

  static Path suiteDir() {
    String shared = System.getProperty("patchwire.sharedDir");
    Path base = shared != null ? Path.of(shared) : Path.of("..", "..", "shared");
    return base.resolve("conformance").resolve("json-patch-tests");
  }

  /** Every enabled case of the suite, as (label, case); also used by the REST run of the suite. */
  public static Stream<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (String file : List.of("tests.json", "spec_tests.json")) {
      Path path = suiteDir().resolve(file);
      assertTrue(Files.isRegularFile(path), "conformance suite missing: " + path.toAbsolutePath());
      JsonNode all = MAPPER.readTree(path.toFile());
      for (int i = 0; i < all.size(); i++) {
        JsonNode c = all.get(i);
        if (c.path("disabled").asBoolean(false)) {
          continue;
        }
        String label = c.hasNonNull("comment") ? c.get("comment").asText()
            : c.has("error") ? "error: " + c.get("error").asText()
            : "patch " + c.get("patch");
        out.add(Arguments.of(file + " #" + i + ": " + label, c));
      }
    }
    assertTrue(out.size() > 100, "expected the whole suite, found " + out.size() + " cases");
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  @DisplayName("Patches.apply passes the json-patch-tests case")
  void conforms(String name, JsonNode c) {
    JsonNode doc = c.get("doc");
    JsonNode patch = c.get("patch");
    JsonNode docBefore = doc.deepCopy();
    JsonNode patchBefore = patch.deepCopy();

    if (c.has("error")) {
      PatchException e = assertThrows(PatchException.class, () -> Patches.apply(doc, patch),
          "must fail (" + c.get("error").asText() + "): " + patch + " on " + doc);
      assertTrue(e.kind() != null, "a PatchException names its kind");
    } else {
      JsonNode result;
      try {
        result = Patches.apply(doc, patch);
      } catch (PatchException e) {
        throw new AssertionError("must apply: " + patch + " on " + doc + " but threw " + e.kind() + ": " + e.getMessage(), e);
      }
      if (c.has("expected")) {
        JsonNode expected = c.get("expected");
        assertTrue(expected.equals(NUMERIC, result),
            "patch " + patch + " on " + doc + "\n expected " + expected + "\n but got  " + result);
      }
    }
    assertEquals(docBefore, doc, "apply must not change its input document");
    assertEquals(patchBefore, patch, "apply must not change the patch");
  }

  // ---- the kinds, which become HTTP answers -------------------------------------------------

  static Stream<Arguments> kinds() {
    return Stream.of(
        // 400 invalid_patch: the patch itself is malformed, whatever the document
        kind("patch is an object, not an array", "{\"a\":1}", "{\"op\":\"add\",\"path\":\"/a\",\"value\":1}", PatchException.Kind.INVALID),
        kind("patch is a string", "{\"a\":1}", "\"add\"", PatchException.Kind.INVALID),
        kind("operation is not an object", "{\"a\":1}", "[1]", PatchException.Kind.INVALID),
        kind("unknown op", "{\"a\":1}", "[{\"op\":\"spam\",\"path\":\"/a\",\"value\":1}]", PatchException.Kind.INVALID),
        kind("op missing", "{\"a\":1}", "[{\"path\":\"/a\",\"value\":1}]", PatchException.Kind.INVALID),
        kind("op not a string", "{\"a\":1}", "[{\"op\":1,\"path\":\"/a\",\"value\":1}]", PatchException.Kind.INVALID),
        kind("path missing", "{\"a\":1}", "[{\"op\":\"add\",\"value\":1}]", PatchException.Kind.INVALID),
        kind("path null", "{\"a\":1}", "[{\"op\":\"add\",\"path\":null,\"value\":1}]", PatchException.Kind.INVALID),
        kind("pointer without leading slash", "{\"a\":{\"b\":1}}", "[{\"op\":\"replace\",\"path\":\"a/b\",\"value\":2}]", PatchException.Kind.INVALID),
        kind("add without value", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\"}]", PatchException.Kind.INVALID),
        kind("replace without value", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\"}]", PatchException.Kind.INVALID),
        kind("test without value", "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\"}]", PatchException.Kind.INVALID),
        kind("move without from", "{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\"}]", PatchException.Kind.INVALID),
        kind("copy without from", "{\"a\":1}", "[{\"op\":\"copy\",\"path\":\"/b\"}]", PatchException.Kind.INVALID),
        kind("invalid later op, even after a valid one", "{\"a\":1}",
            "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2},{\"op\":\"nope\",\"path\":\"/a\"}]", PatchException.Kind.INVALID),
        // 409 test_failed
        kind("test of a different value", "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", PatchException.Kind.TEST_FAILED),
        kind("test of a string against a number", "{\"a\":10}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":\"10\"}]", PatchException.Kind.TEST_FAILED),
        kind("test failing after a replace", "{\"a\":1}",
            "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2},{\"op\":\"test\",\"path\":\"/a\",\"value\":1}]", PatchException.Kind.TEST_FAILED),
        // 409 patch_conflict: a well-formed patch whose paths do not exist
        kind("remove of a missing member", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", PatchException.Kind.CONFLICT),
        kind("replace of a missing member", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", PatchException.Kind.CONFLICT),
        kind("add below a missing parent", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b/c\",\"value\":1}]", PatchException.Kind.CONFLICT),
        kind("move from a missing member", "{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/b\",\"path\":\"/c\"}]", PatchException.Kind.CONFLICT),
        kind("copy from a missing member", "{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/b\",\"path\":\"/c\"}]", PatchException.Kind.CONFLICT),
        kind("remove of an index past the end", "{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/1\"}]", PatchException.Kind.CONFLICT));
  }

  private static Arguments kind(String name, String doc, String patch, PatchException.Kind kind) {
    return Arguments.of(name, doc, patch, kind);
  }

  @ParameterizedTest(name = "{0} -> {3}")
  @MethodSource("kinds")
  @DisplayName("a failing patch throws PatchException of the kind the REST layer maps to its error code")
  void failsWithKind(String name, String doc, String patch, PatchException.Kind kind) throws IOException {
    JsonNode d = MAPPER.readTree(doc);
    JsonNode p = MAPPER.readTree(patch);
    try {
      JsonNode result = Patches.apply(d, p);
      fail("must fail with " + kind + " but gave " + result);
    } catch (PatchException e) {
      assertEquals(kind, e.kind(), name + ": " + e.getMessage());
    }
    assertEquals(MAPPER.readTree(doc), d, "a failed apply leaves its input alone");
  }

  static Stream<Arguments> numericEquality() {
    return Stream.of(
        Arguments.of("{\"a\":1.0}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1}]"),
        Arguments.of("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.0}]"),
        Arguments.of("{\"a\":10}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1e1}]"),
        Arguments.of("{\"a\":[1,2.50]}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[1.0,2.5]}]"),
        Arguments.of("{\"a\":{\"b\":0}}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"b\":0.0}}]"));
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("numericEquality")
  @DisplayName("test compares numbers by value, as RFC 6902 4.6 says (1 equals 1.0)")
  void testComparesNumbersByValue(String doc, String patch) throws IOException {
    JsonNode d = MAPPER.readTree(doc);
    JsonNode result;
    try {
      result = Patches.apply(d, MAPPER.readTree(patch));
    } catch (PatchException e) {
      throw new AssertionError("RFC 6902 4.6: numbers are equal if their values are numerically equal; "
          + patch + " on " + doc + " threw " + e.kind() + ": " + e.getMessage(), e);
    }
    assertEquals(d, result, "a passing test changes nothing");
  }

  @Test
  @DisplayName("apply returns a new document and leaves a partially applied patch invisible")
  void appliesAtomicallyWithoutMutating() throws IOException {
    JsonNode doc = MAPPER.readTree("{\"a\":{\"b\":[1,2]},\"c\":\"x\"}");
    JsonNode before = doc.deepCopy();
    JsonNode out = Patches.apply(doc, MAPPER.readTree(
        "[{\"op\":\"add\",\"path\":\"/a/b/-\",\"value\":3},{\"op\":\"remove\",\"path\":\"/c\"}]"));
    assertEquals(MAPPER.readTree("{\"a\":{\"b\":[1,2,3]}}"), out);
    assertEquals(before, doc);

    JsonNode failing = MAPPER.readTree(
        "[{\"op\":\"add\",\"path\":\"/a/b/-\",\"value\":3},{\"op\":\"remove\",\"path\":\"/missing\"}]");
    assertThrows(PatchException.class, () -> Patches.apply(doc, failing));
    assertEquals(before, doc, "the first op of a failing patch did not touch the input");
  }
}
