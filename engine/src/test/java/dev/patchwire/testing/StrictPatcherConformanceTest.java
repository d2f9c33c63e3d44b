package dev.patchwire.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.PatchException;
import dev.patchwire.json.Patches;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The stream tests' oracle, {@link StrictPatcher#applyPatch}, against the shared JSON Patch
 * conformance suite (json-patch-tests: tests.json and spec_tests.json), plus the RFC 6901 corner
 * cases that zjsonpatch gets wrong. An oracle that is not itself proven would prove nothing.
 */
@DisplayName("The strict patch oracle")
class StrictPatcherConformanceTest {

  static Stream<Arguments> cases() throws IOException {
    Path dir = Path.of(System.getProperty("patchwire.sharedDir", "../../shared"), "conformance", "json-patch-tests");
    List<Arguments> out = new ArrayList<>();
    for (String file : List.of("tests.json", "spec_tests.json")) {
      JsonNode all = Rest.MAPPER.readTree(dir.resolve(file).toFile());
      int i = 0;
      for (JsonNode c : all) {
        out.add(Arguments.of(file + "#" + i++ + " " + c.path("comment").asText(""), c));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  @DisplayName("agrees with the conformance suite")
  void conformance(String name, JsonNode c) {
    assumeFalse(c.path("disabled").asBoolean(false), "disabled in the suite");
    if (c.has("error")) {
      assertThrows(StrictPatcher.PatchError.class, () -> StrictPatcher.applyPatch(c.get("doc"), c.get("patch")),
          "must fail: " + c.get("error").asText());
    } else {
      JsonNode result = StrictPatcher.applyPatch(c.get("doc"), c.get("patch"));
      if (c.has("expected")) {
        assertTrue(StrictPatcher.equalJson(c.get("expected"), result), "expected " + c.get("expected") + " got " + result);
      }
    }
  }

  @Test
  @DisplayName("decodes ~01 as ~1 and ~00 as ~0, keeps = as it is, and refuses ~2")
  void rfc6901Escapes() {
    JsonNode doc = StrictPatcher.applyPatch(Rest.obj(), Rest.parse(
        "[{\"op\":\"add\",\"path\":\"/~01\",\"value\":1},{\"op\":\"add\",\"path\":\"/~00\",\"value\":2},"
            + "{\"op\":\"add\",\"path\":\"/a=b\",\"value\":3},{\"op\":\"add\",\"path\":\"/~1\",\"value\":4}]"));
    ObjectNode expected = Rest.obj("~1", 1, "~0", 2, "a=b", 3, "/", 4);
    assertTrue(StrictPatcher.equalJson(expected, doc), "got " + doc);
    assertThrows(StrictPatcher.PatchError.class,
        () -> StrictPatcher.applyPatch(Rest.obj(), Rest.parse("[{\"op\":\"add\",\"path\":\"/a~2b\",\"value\":1}]")));
    assertThrows(StrictPatcher.PatchError.class, () -> StrictPatcher.applyPatch(Rest.parse("{\"x\":[{\"k\":\"v\"}]}"),
        Rest.parse("[{\"op\":\"replace\",\"path\":\"/x/k=v\",\"value\":1}]")));
    assertThrows(StrictPatcher.PatchError.class,
        () -> StrictPatcher.applyPatch(Rest.obj(), Rest.parse("[{\"op\":\"replace\",\"path\":\"/missing\",\"value\":1}]")));
    assertThrows(StrictPatcher.PatchError.class,
        () -> StrictPatcher.applyPatch(Rest.obj(), Rest.parse("[{\"op\":\"remove\",\"path\":\"/missing\"}]")));
  }

  @Test
  @DisplayName("the stream checker's applier, Patches.apply, agrees on the same RFC 6901 corner cases")
  void streamCheckerAgreesOnEscapes() {
    JsonNode doc = Patches.apply(Rest.obj(), Rest.parse(
        "[{\"op\":\"add\",\"path\":\"/~01\",\"value\":1},{\"op\":\"add\",\"path\":\"/~00\",\"value\":2},"
            + "{\"op\":\"add\",\"path\":\"/a=b\",\"value\":3},{\"op\":\"add\",\"path\":\"/~1\",\"value\":4}]"));
    assertTrue(StrictPatcher.equalJson(Rest.obj("~1", 1, "~0", 2, "a=b", 3, "/", 4), doc), "got " + doc);
    assertThrows(PatchException.class,
        () -> Patches.apply(Rest.obj(), Rest.parse("[{\"op\":\"add\",\"path\":\"/a~2b\",\"value\":1}]")));
    assertThrows(PatchException.class, () -> Patches.apply(Rest.parse("{\"x\":[{\"k\":\"v\"}]}"),
        Rest.parse("[{\"op\":\"replace\",\"path\":\"/x/k=v\",\"value\":1}]")));
    assertThrows(PatchException.class,
        () -> Patches.apply(Rest.obj(), Rest.parse("[{\"op\":\"replace\",\"path\":\"/missing\",\"value\":1}]")));
    assertThrows(PatchException.class,
        () -> Patches.apply(Rest.obj(), Rest.parse("[{\"op\":\"remove\",\"path\":\"/missing\"}]")));
  }
}
