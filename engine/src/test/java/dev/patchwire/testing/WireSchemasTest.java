package dev.patchwire.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The wire schemas accept the exact message examples of PROTOCOL.md and refuse their near misses,
 * so a stream test that validates every frame catches a frame the protocol does not allow.
 */
class WireSchemasTest {

  private static final Path DIR = Path.of("..", "schemas", "wire");

  // ---- PROTOCOL.md examples, with the placeholders filled in --------------------------------

  static Stream<Arguments> protocolFrames() {
    return Stream.of(
        Arguments.of("snapshot", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":"
            + "{\"d1\":{\"id\":\"d1\",\"n\":1},\"a/b\":{\"id\":\"a/b\"}}}],\"seq\":7,\"epoch\":\"E\",\"snapshot\":true}"),
        Arguments.of("snapshot of an empty collection", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/tasks\",\"value\":{}}],"
            + "\"seq\":0,\"epoch\":\"0b7e9c1e\",\"snapshot\":true}"),
        Arguments.of("Ready after a snapshot", "{\"Ready\":true,\"epoch\":\"E\",\"seq\":7,\"resumed\":false}"),
        Arguments.of("Ready after a replay", "{\"Ready\":true,\"epoch\":\"E\",\"seq\":9,\"resumed\":true}"),
        Arguments.of("Ready with the scope of an auth engine",
            "{\"Ready\":true,\"epoch\":\"E\",\"seq\":9,\"resumed\":true,\"scope\":\"0123456789abcdef\"}"),
        Arguments.of("live add of a document", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c/d2\",\"value\":{\"id\":\"d2\"}}],\"seq\":8}"),
        Arguments.of("live remove of a document", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d2\"}],\"seq\":9}"),
        Arguments.of("live patch of every op", "{\"JsonPatch\":["
            + "{\"op\":\"replace\",\"path\":\"/tasks/t1/status\",\"value\":\"done\"},"
            + "{\"op\":\"add\",\"path\":\"/tasks/t1/tags/-\",\"value\":null},"
            + "{\"op\":\"remove\",\"path\":\"/tasks/t1/description\"},"
            + "{\"op\":\"move\",\"from\":\"/tasks/t1/a\",\"path\":\"/tasks/t1/b\"},"
            + "{\"op\":\"copy\",\"from\":\"/tasks/t1/b\",\"path\":\"/tasks/t1/c\"},"
            + "{\"op\":\"test\",\"path\":\"/tasks/t1/\",\"value\":false}],\"seq\":10}"),
        Arguments.of("live patch on escaped ids", "{\"JsonPatch\":["
            + "{\"op\":\"add\",\"path\":\"/items/a~1b\",\"value\":{\"id\":\"a/b\"}},"
            + "{\"op\":\"add\",\"path\":\"/items/~0\",\"value\":{\"id\":\"~\"}},"
            + "{\"op\":\"add\",\"path\":\"/items/~01\",\"value\":{\"id\":\"~1\"}},"
            + "{\"op\":\"add\",\"path\":\"/items/a b\",\"value\":{\"id\":\"a b\"}},"
            + "{\"op\":\"add\",\"path\":\"/items/ü名\",\"value\":{\"id\":\"ü名\"}}],\"seq\":11}"),
        Arguments.of("Resync", "{\"Resync\":{\"reason\":\"lagged\",\"dropped\":17}}"),
        Arguments.of("finished", "{\"finished\":true}"),
        Arguments.of("error", "{\"error\":{\"code\":\"bad_where\",\"message\":\"where must be FIELD:VALUE\"}}"),
        Arguments.of("error with details", "{\"error\":{\"code\":\"unknown_collection\",\"message\":\"no collection nope\","
            + "\"details\":{\"collection\":\"nope\"}}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("protocolFrames")
  @DisplayName("every WebSocket message shape of PROTOCOL.md 3.1 is a valid frame")
  void acceptsProtocolFrames(String name, String text) {
    WireSchemas.assertValidWsFrame(new JsonObject(text));
  }

  static Stream<Arguments> nearMissFrames() {
    return Stream.of(
        Arguments.of("live patch without seq", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d\"}]}"),
        Arguments.of("snapshot without seq", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{}}],\"epoch\":\"E\",\"snapshot\":true}"),
        Arguments.of("Ready without seq", "{\"Ready\":true,\"epoch\":\"E\",\"resumed\":false}"),
        Arguments.of("live patch with a negative seq", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d\"}],\"seq\":-1}"),
        Arguments.of("snapshot with a negative seq", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{}}],\"seq\":-3,\"epoch\":\"E\",\"snapshot\":true}"),
        Arguments.of("Ready with a negative seq", "{\"Ready\":true,\"epoch\":\"E\",\"seq\":-1,\"resumed\":false}"),
        Arguments.of("seq as a string", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d\"}],\"seq\":\"5\"}"),
        Arguments.of("seq with a fraction", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d\"}],\"seq\":5.5}"),
        Arguments.of("unknown op", "{\"JsonPatch\":[{\"op\":\"spam\",\"path\":\"/c/d\",\"value\":1}],\"seq\":5}"),
        Arguments.of("op in upper case", "{\"JsonPatch\":[{\"op\":\"ADD\",\"path\":\"/c/d\",\"value\":1}],\"seq\":5}"),
        Arguments.of("op missing", "{\"JsonPatch\":[{\"path\":\"/c/d\",\"value\":1}],\"seq\":5}"),
        Arguments.of("add without value", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c/d\"}],\"seq\":5}"),
        Arguments.of("replace without value", "{\"JsonPatch\":[{\"op\":\"replace\",\"path\":\"/c/d/x\"}],\"seq\":5}"),
        Arguments.of("test without value", "{\"JsonPatch\":[{\"op\":\"test\",\"path\":\"/c/d/x\"}],\"seq\":5}"),
        Arguments.of("move without from", "{\"JsonPatch\":[{\"op\":\"move\",\"path\":\"/c/d/x\"}],\"seq\":5}"),
        Arguments.of("copy without path", "{\"JsonPatch\":[{\"op\":\"copy\",\"from\":\"/c/d/x\"}],\"seq\":5}"),
        Arguments.of("remove carrying a value", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d\",\"value\":1}],\"seq\":5}"),
        Arguments.of("path without leading slash", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"c/d\"}],\"seq\":5}"),
        Arguments.of("path with a bad escape", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/a~2b\"}],\"seq\":5}"),
        Arguments.of("path not a string", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":3}],\"seq\":5}"),
        Arguments.of("live patch outside any document", "{\"JsonPatch\":[{\"op\":\"replace\",\"path\":\"/c\",\"value\":{}}],\"seq\":5}"),
        Arguments.of("live patch with no operation", "{\"JsonPatch\":[],\"seq\":5}"),
        Arguments.of("JsonPatch not an array", "{\"JsonPatch\":{\"op\":\"remove\",\"path\":\"/c/d\"},\"seq\":5}"),
        Arguments.of("live patch with an extra key", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d\"}],\"seq\":5,\"extra\":1}"),
        Arguments.of("live patch with epoch but no snapshot flag", "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d\"}],\"seq\":5,\"epoch\":\"E\"}"),
        Arguments.of("operation with an extra key", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c/d\",\"value\":{},\"extra\":1}],\"seq\":5}"),
        Arguments.of("snapshot flag false", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{}}],\"seq\":1,\"epoch\":\"E\",\"snapshot\":false}"),
        Arguments.of("snapshot without epoch", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{}}],\"seq\":1,\"snapshot\":true}"),
        Arguments.of("snapshot with an empty epoch", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{}}],\"seq\":1,\"epoch\":\"\",\"snapshot\":true}"),
        Arguments.of("snapshot with a numeric epoch", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{}}],\"seq\":1,\"epoch\":5,\"snapshot\":true}"),
        Arguments.of("snapshot with two operations", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{}},"
            + "{\"op\":\"add\",\"path\":\"/c/d\",\"value\":{\"id\":\"d\"}}],\"seq\":1,\"epoch\":\"E\",\"snapshot\":true}"),
        Arguments.of("snapshot by replace", "{\"JsonPatch\":[{\"op\":\"replace\",\"path\":\"/c\",\"value\":{}}],\"seq\":1,\"epoch\":\"E\",\"snapshot\":true}"),
        Arguments.of("snapshot below the collection", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c/d\",\"value\":{\"id\":\"d\"}}],\"seq\":1,\"epoch\":\"E\",\"snapshot\":true}"),
        Arguments.of("snapshot of a list", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":[]}],\"seq\":1,\"epoch\":\"E\",\"snapshot\":true}"),
        Arguments.of("snapshot document without id", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{\"d\":{\"n\":1}}}],\"seq\":1,\"epoch\":\"E\",\"snapshot\":true}"),
        Arguments.of("snapshot with an extra key", "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/c\",\"value\":{}}],\"seq\":1,\"epoch\":\"E\",\"snapshot\":true,\"resumed\":false}"),
        Arguments.of("Ready false", "{\"Ready\":false,\"epoch\":\"E\",\"seq\":1,\"resumed\":false}"),
        Arguments.of("Ready without epoch", "{\"Ready\":true,\"seq\":1,\"resumed\":false}"),
        Arguments.of("Ready without resumed", "{\"Ready\":true,\"epoch\":\"E\",\"seq\":1}"),
        Arguments.of("Ready with resumed as a string", "{\"Ready\":true,\"epoch\":\"E\",\"seq\":1,\"resumed\":\"false\"}"),
        Arguments.of("Ready with a scope that is no 16-digit hex hash",
            "{\"Ready\":true,\"epoch\":\"E\",\"seq\":1,\"resumed\":false,\"scope\":\"token\"}"),
        Arguments.of("Ready with an extra key", "{\"Ready\":true,\"epoch\":\"E\",\"seq\":1,\"resumed\":false,\"snapshot\":true}"),
        Arguments.of("Resync with another reason", "{\"Resync\":{\"reason\":\"bored\",\"dropped\":1}}"),
        Arguments.of("Resync without dropped", "{\"Resync\":{\"reason\":\"lagged\"}}"),
        Arguments.of("Resync with a negative count", "{\"Resync\":{\"reason\":\"lagged\",\"dropped\":-1}}"),
        Arguments.of("Resync with an extra key", "{\"Resync\":{\"reason\":\"lagged\",\"dropped\":1,\"seq\":3}}"),
        Arguments.of("Resync flattened", "{\"reason\":\"lagged\",\"dropped\":1}"),
        Arguments.of("finished false", "{\"finished\":false}"),
        Arguments.of("finished with an extra key", "{\"finished\":true,\"seq\":3}"),
        Arguments.of("error without message", "{\"error\":{\"code\":\"bad_where\"}}"),
        Arguments.of("error without code", "{\"error\":{\"message\":\"x\"}}"),
        Arguments.of("error code not snake case", "{\"error\":{\"code\":\"Bad Where\",\"message\":\"x\"}}"),
        Arguments.of("error with an extra key", "{\"error\":{\"code\":\"bad_where\",\"message\":\"x\",\"status\":400}}"),
        Arguments.of("error as a string", "{\"error\":\"bad_where\"}"),
        Arguments.of("two messages in one frame", "{\"Ready\":true,\"epoch\":\"E\",\"seq\":1,\"resumed\":false,\"JsonPatch\":[]}"),
        Arguments.of("empty object", "{}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nearMissFrames")
  @DisplayName("near misses of the PROTOCOL.md messages are refused")
  void refusesNearMissFrames(String name, String text) {
    JsonObject frame = new JsonObject(text);
    AssertionError e = assertThrows(AssertionError.class, () -> WireSchemas.assertValidWsFrame(frame));
    assertTrue(e.getMessage().contains(frame.encode()), "the failure names the frame: " + e.getMessage());
  }

  @Test
  @DisplayName("a frame that is not a JSON object fails with its text")
  void refusesTextThatIsNotAnObject() {
    AssertionError e = assertThrows(AssertionError.class, () -> WireSchemas.assertValidWsFrame("[1,2]"));
    assertTrue(e.getMessage().contains("[1,2]"));
    assertThrows(AssertionError.class, () -> WireSchemas.assertValidWsFrame("{\"Ready\":"));
    JsonObject ok = WireSchemas.assertValidWsFrame("{\"finished\":true}");
    assertEquals(true, ok.getBoolean("finished"));
  }

  // ---- SSE ----------------------------------------------------------------------------------

  static Stream<Arguments> protocolSseEvents() {
    return Stream.of(
        Arguments.of("json_patch", "E:7", "[{\"op\":\"add\",\"path\":\"/tasks\",\"value\":{\"t1\":{\"id\":\"t1\"}}}]"),
        Arguments.of("json_patch", "E:8", "[{\"op\":\"replace\",\"path\":\"/tasks/t1/title\",\"value\":\"x\"}]"),
        Arguments.of("json_patch", "epoch:with:colons:9", "[{\"op\":\"remove\",\"path\":\"/tasks/t1\"}]"),
        Arguments.of("ready", "E:8", "{\"Ready\":true,\"epoch\":\"E\",\"seq\":8,\"resumed\":false}"),
        Arguments.of("ready", null, "{\"Ready\":true,\"epoch\":\"E\",\"seq\":8,\"resumed\":true}"),
        Arguments.of("resync", null, "{\"reason\":\"lagged\",\"dropped\":3}"),
        Arguments.of("finished", null, ""),
        Arguments.of("finished", null, "{\"finished\":true}"),
        // the error event carries the inner object and, for the other reading of the protocol, the body
        Arguments.of("error", null, "{\"code\":\"lagged\",\"message\":\"behind\","
            + "\"error\":{\"code\":\"lagged\",\"message\":\"behind\"}}"));
  }

  @ParameterizedTest(name = "event: {0} id: {1} data: {2}")
  @MethodSource("protocolSseEvents")
  @DisplayName("every SSE event of PROTOCOL.md 3.2 is valid")
  void acceptsProtocolSseEvents(String event, String id, String data) {
    WireSchemas.assertValidSseEvent(event, id, data);
  }

  static Stream<Arguments> nearMissSseEvents() {
    return Stream.of(
        Arguments.of("json_patch", null, "{\"JsonPatch\":[{\"op\":\"remove\",\"path\":\"/c/d\"}],\"seq\":5}"),
        Arguments.of("json_patch", null, "[]"),
        Arguments.of("json_patch", null, "[{\"op\":\"spam\",\"path\":\"/c/d\"}]"),
        Arguments.of("json_patch", null, "[{\"op\":\"add\",\"path\":\"c/d\",\"value\":1}]"),
        Arguments.of("json_patch", null, ""),
        Arguments.of("json_patch", "E:-1", "[{\"op\":\"remove\",\"path\":\"/c/d\"}]"),
        Arguments.of("json_patch", "E", "[{\"op\":\"remove\",\"path\":\"/c/d\"}]"),
        Arguments.of("json_patch", ":5", "[{\"op\":\"remove\",\"path\":\"/c/d\"}]"),
        Arguments.of("json_patch", null, "[{\"op\":\"remove\""),
        Arguments.of("ready", null, "{\"Ready\":true,\"seq\":8,\"resumed\":false}"),
        Arguments.of("ready", null, "true"),
        Arguments.of("resync", null, "{\"Resync\":{\"reason\":\"lagged\",\"dropped\":3}}"),
        Arguments.of("resync", null, "{\"reason\":\"lagged\",\"dropped\":-3}"),
        Arguments.of("error", null, "{\"error\":{\"code\":\"bad_where\"}}"),
        Arguments.of("error", null, ""),
        Arguments.of("patch", null, "[{\"op\":\"remove\",\"path\":\"/c/d\"}]"),
        Arguments.of("message", null, "{}"));
  }

  @ParameterizedTest(name = "event: {0} id: {1} data: {2}")
  @MethodSource("nearMissSseEvents")
  @DisplayName("near misses of the SSE events are refused")
  void refusesNearMissSseEvents(String event, String id, String data) {
    assertThrows(AssertionError.class, () -> WireSchemas.assertValidSseEvent(event, id, data));
  }

  // ---- REST error body ----------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"error\":{\"code\":\"malformed_json\",\"message\":\"Unexpected end-of-input\"}}",
      "{\"error\":{\"code\":\"not_found\",\"message\":\"\"}}",
      "{\"error\":{\"code\":\"schema_violation\",\"message\":\"bad task\",\"details\":[\"/title: required\"]}}",
      "{\"error\":{\"code\":\"schema_violation\",\"message\":\"bad task\",\"details\":[{\"instanceLocation\":\"\",\"error\":\"x\"}]}}",
      "{\"error\":{\"code\":\"invalid_patch\",\"message\":\"unknown op\",\"details\":{\"index\":0}}}",
      "{\"error\":{\"code\":\"body_too_large\",\"message\":\"1025 > 1024\",\"details\":null}}"})
  @DisplayName("REST error bodies with and without details are valid")
  void acceptsErrorBodies(String text) {
    WireSchemas.assertValidErrorBody(new JsonObject(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{}",
      "{\"code\":\"not_found\",\"message\":\"x\"}",
      "{\"error\":{\"code\":\"not_found\"}}",
      "{\"error\":{\"code\":\"\",\"message\":\"x\"}}",
      "{\"error\":{\"code\":404,\"message\":\"x\"}}",
      "{\"error\":{\"code\":\"not_found\",\"message\":\"x\"},\"status\":404}",
      "{\"error\":{\"code\":\"not_found\",\"message\":\"x\",\"detail\":\"typo\"}}",
      "{\"error\":{\"code\":\"schema_violation\",\"message\":\"bad task\"}}",
      "{\"error\":{\"code\":\"schema_violation\",\"message\":\"bad task\",\"details\":[]}}",
      "{\"error\":{\"code\":\"schema_violation\",\"message\":\"bad task\",\"details\":\"title\"}}"})
  @DisplayName("malformed REST error bodies are refused")
  void refusesMalformedErrorBodies(String text) {
    assertThrows(AssertionError.class, () -> WireSchemas.assertValidErrorBody(new JsonObject(text)));
  }

  // ---- the schema files themselves ----------------------------------------------------------

  static Stream<String> files() {
    return WireSchemas.FILES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  @DisplayName("each schema file is a draft 2020-12 schema with its $id under the wire base URI")
  void schemaFilesAreWellFormed(String file) throws Exception {
    JsonObject schema = new JsonObject(Files.readString(DIR.resolve(file)));
    assertEquals("https://json-schema.org/draft/2020-12/schema", schema.getString("$schema"));
    assertEquals(WireSchemas.BASE_URI + file, schema.getString("$id"));
    JsonArray examples = schema.getJsonArray("examples", new JsonArray());
    for (Object example : examples) {
      WireSchemas.assertValid(file, example, "example of " + file + ": " + example);
    }
  }

  @Test
  @DisplayName("the folder holds exactly the listed schema files")
  void folderMatchesList() throws Exception {
    try (Stream<Path> listing = Files.list(DIR)) {
      assertEquals(WireSchemas.FILES.stream().sorted().toList(),
          listing.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList());
    }
  }

  @Test
  @DisplayName("each schema file validates against the draft 2020-12 meta-schema")
  void schemaFilesMatchTheMetaSchema() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      JsonSchemaOptions options = new JsonSchemaOptions()
          .setDraft(Draft.DRAFT202012)
          .setBaseUri(WireSchemas.BASE_URI)
          .setOutputFormat(OutputFormat.Basic);
      SchemaRepository meta = SchemaRepository.create(options).preloadMetaSchema(vertx.fileSystem());
      for (String file : WireSchemas.FILES) {
        JsonObject schema = new JsonObject(Files.readString(DIR.resolve(file)));
        OutputUnit result = meta.validator("https://json-schema.org/draft/2020-12/schema").validate(schema);
        assertTrue(result.getValid(), file + " is not a valid 2020-12 schema: " + result);
      }
      // and a schema that is not one fails, so the check above is not vacuous
      OutputUnit bad = meta.validator("https://json-schema.org/draft/2020-12/schema")
          .validate(new JsonObject().put("type", "integr").put("minimum", "zero"));
      assertTrue(!bad.getValid(), "the meta-schema refuses a broken schema");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
