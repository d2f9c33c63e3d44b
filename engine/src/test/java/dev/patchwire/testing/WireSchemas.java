package dev.patchwire.testing;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The wire JSON Schemas of {@code schemas/wire/} (draft 2020-12), loaded once, as assertions.
 *
 * <p>Each assertion throws {@link AssertionError} naming the validator's errors and the text that
 * failed, so a failing stream test shows which frame broke the protocol and why. The schemas are
 * read from {@code ../schemas/wire/} (Surefire runs in {@code engine/}); when that folder is not
 * there, from the copy the build puts on the class path under {@code schemas/wire/}.
 */
public final class WireSchemas {

  /** Base of every wire schema's {@code $id}; relative {@code $ref}s resolve against it. */
  public static final String BASE_URI = "https://patchwire.dev/schemas/wire/";

  /** Every schema file of the folder, referenced ones first. */
  public static final List<String> FILES = List.of(
      "patch.schema.json",
      "snapshot.schema.json",
      "ready.schema.json",
      "resync.schema.json",
      "finished.schema.json",
      "error.schema.json",
      "ws-frame.schema.json",
      "sse-event.schema.json");

  private static final SchemaRepository REPOSITORY = load();
  private static final Map<String, Validator> VALIDATORS = new ConcurrentHashMap<>();

  private WireSchemas() {
  }

  /** Asserts that {@code frame} is one WebSocket text frame of PROTOCOL.md 3.1. */
  public static void assertValidWsFrame(JsonObject frame) {
    String what = "WebSocket frame " + encode(frame);
    // The message's own schema first: its errors are short and to the point. Then the union,
    // which also proves that the frame is exactly one kind of message.
    String own = ownSchema(frame);
    if (own != null) {
      assertValid(own, frame, what);
    }
    assertValid("ws-frame.schema.json", frame, what);
  }

  /** The schema of the message kind a frame claims to be, by its distinguishing key. */
  private static String ownSchema(JsonObject frame) {
    if (frame == null) {
      return null;
    }
    if (frame.containsKey("Ready")) {
      return "ready.schema.json";
    }
    if (frame.containsKey("Resync")) {
      return "resync.schema.json";
    }
    if (frame.containsKey("finished")) {
      return "finished.schema.json";
    }
    if (frame.containsKey("error")) {
      return "error.schema.json";
    }
    if (frame.containsKey("JsonPatch")) {
      return frame.containsKey("snapshot") || frame.containsKey("epoch")
          ? "snapshot.schema.json" : "patch.schema.json";
    }
    return null;
  }

  /** Asserts that a WebSocket text frame is one JSON object valid as a frame. */
  public static JsonObject assertValidWsFrame(String text) {
    Object parsed = parse(text, "WebSocket frame");
    if (!(parsed instanceof JsonObject)) {
      throw new AssertionError("WebSocket frame is not a JSON object: " + text);
    }
    assertValidWsFrame((JsonObject) parsed);
    return (JsonObject) parsed;
  }

  /**
   * Asserts that an SSE event named {@code event} carries valid {@code data} (the joined text of
   * its data lines) for that name. An empty {@code data} counts as absent, which only
   * {@code finished} allows.
   */
  public static void assertValidSseEvent(String event, String data) {
    assertValidSseEvent(event, null, data);
  }

  /** As {@link #assertValidSseEvent(String, String)}, also checking the event's id ({@code EPOCH:SEQ}) when not null. */
  public static void assertValidSseEvent(String event, String id, String data) {
    JsonObject envelope = new JsonObject().put("event", event);
    if (id != null) {
      envelope.put("id", id);
    }
    if (data != null && !data.isEmpty()) {
      envelope.put("data", parse(data, "SSE event '" + event + "' data"));
    }
    assertValid("sse-event.schema.json", envelope,
        "SSE event '" + event + "'" + (id == null ? "" : " id '" + id + "'") + " data " + data);
  }

  /** Asserts that {@code body} is a REST error body {@code {"error":{"code","message","details"?}}}. */
  public static void assertValidErrorBody(JsonObject body) {
    assertValid("error.schema.json", body, "error body " + encode(body));
  }

  /**
   * Validates {@code instance} (a JsonObject, JsonArray, String, Number, Boolean or null) against
   * the schema of one file of the folder, or against a fragment of it ({@code "snapshot.schema.json#/$defs/document"}).
   */
  public static void assertValid(String schemaRef, Object instance, String what) {
    List<String> errors = errors(schemaRef, instance);
    if (!errors.isEmpty()) {
      throw new AssertionError("not valid against " + schemaRef + ": " + what
          + "\n  " + String.join("\n  ", errors));
    }
  }

  /** The validator's errors for {@code instance}, empty when it is valid. */
  public static List<String> errors(String schemaRef, Object instance) {
    Validator validator = VALIDATORS.computeIfAbsent(schemaRef,
        ref -> REPOSITORY.validator(BASE_URI + ref));
    OutputUnit result;
    synchronized (validator) {
      result = validator.validate(instance);
    }
    List<String> errors = new ArrayList<>();
    if (Boolean.TRUE.equals(result.getValid())) {
      return errors;
    }
    if (result.getErrors() == null || result.getErrors().isEmpty()) {
      errors.add(String.valueOf(result.getError()));
    } else {
      for (OutputUnit e : result.getErrors()) {
        errors.add(e.getInstanceLocation() + ": " + e.getError() + " (" + e.getKeywordLocation() + ")");
      }
    }
    return errors;
  }

  private static SchemaRepository load() {
    JsonSchemaOptions options = new JsonSchemaOptions()
        .setDraft(Draft.DRAFT202012)
        .setBaseUri(BASE_URI)
        .setOutputFormat(OutputFormat.Basic);
    SchemaRepository repository = SchemaRepository.create(options);
    for (String file : FILES) {
      JsonObject json = new JsonObject(read(file));
      String id = json.getString("$id");
      if (!(BASE_URI + file).equals(id)) {
        throw new IllegalStateException(file + " has $id " + id + ", expected " + BASE_URI + file);
      }
      repository.dereference(id, JsonSchema.of(json));
    }
    return repository;
  }

  private static String read(String file) {
    Path onDisk = Path.of("..", "schemas", "wire", file);
    try {
      if (Files.isRegularFile(onDisk)) {
        return Files.readString(onDisk, StandardCharsets.UTF_8);
      }
      try (InputStream in = WireSchemas.class.getClassLoader().getResourceAsStream("schemas/wire/" + file)) {
        if (in == null) {
          throw new IllegalStateException("wire schema " + file + " is neither at "
              + onDisk.toAbsolutePath().normalize() + " nor on the class path");
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read wire schema " + file, e);
    }
  }

  private static Object parse(String text, String what) {
    try {
      return Json.decodeValue(text);
    } catch (DecodeException e) {
      throw new AssertionError(what + " is not JSON: " + text, e);
    }
  }

  private static String encode(JsonObject json) {
    return json == null ? "null" : json.encode();
  }
}
