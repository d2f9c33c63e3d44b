package dev.patchwire.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A collection's rules: its optional JSON Schema, the top-level defaults the schema declares,
 * and whether the server keeps {@code created_at}/{@code updated_at} (when the schema declares
 * both). Without a schema any JSON object with a string id is accepted.
 */
public final class CollectionSpec {

  public static final String CREATED_AT = "created_at";
  public static final String UPDATED_AT = "updated_at";

  private final String name;
  private final Validator validator;
  private final ObjectNode defaults;
  private final boolean timestamps;

  private CollectionSpec(String name, Validator validator, ObjectNode defaults, boolean timestamps) {
    this.name = name;
    this.validator = validator;
    this.defaults = defaults;
    this.timestamps = timestamps;
  }

  public static CollectionSpec schemaless(String name) {
    return new CollectionSpec(name, null, Json.object(), false);
  }

  public static CollectionSpec withSchema(String name, JsonObject schema) {
    Validator validator = Validator.create(JsonSchema.of(schema), new JsonSchemaOptions()
        .setDraft(Draft.DRAFT202012)
        .setBaseUri("https://patchwire.dev/schemas/")
        .setOutputFormat(OutputFormat.Basic));
    ObjectNode defaults = Json.object();
    JsonObject props = schema.getJsonObject("properties", new JsonObject());
    for (Map.Entry<String, Object> p : props) {
      if (p.getValue() instanceof JsonObject prop && prop.containsKey("default")) {
        defaults.set(p.getKey(), Json.parse(io.vertx.core.json.Json.encode(prop.getValue("default"))));
      }
    }
    boolean timestamps = props.containsKey(CREATED_AT) && props.containsKey(UPDATED_AT);
    return new CollectionSpec(name, validator, defaults, timestamps);
  }

  public String name() { return name; }

  public boolean hasSchema() { return validator != null; }

  /**
   * Fills what the server owns into {@code candidate}: schema defaults for missing members, and
   * the timestamps (created_at kept from {@code before}, updated_at kept when nothing else changed).
   * Returns whether the document differs from {@code before}.
   */
  boolean prepare(ObjectNode before, ObjectNode candidate, Instant now) {
    Iterator<Map.Entry<String, JsonNode>> it = defaults.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> d = it.next();
      if (!candidate.has(d.getKey())) {
        candidate.set(d.getKey(), d.getValue().deepCopy());
      }
    }
    if (!timestamps) {
      return !candidate.equals(before);
    }
    String stamp = now.truncatedTo(ChronoUnit.MILLIS).toString();
    if (before == null) {
      candidate.put(CREATED_AT, stamp);
      candidate.put(UPDATED_AT, stamp);
      return true;
    }
    candidate.set(CREATED_AT, before.get(CREATED_AT));
    candidate.set(UPDATED_AT, before.get(UPDATED_AT));
    if (candidate.equals(before)) {
      return false;
    }
    candidate.put(UPDATED_AT, stamp);
    return true;
  }

  /** Throws {@link WriteRejected} with the schema's errors when {@code doc} does not validate. */
  void validate(ObjectNode doc) {
    if (validator == null) {
      return;
    }
    OutputUnit result = validator.validate(new JsonObject(plainObject(doc)));
    if (Boolean.TRUE.equals(result.getValid())) {
      return;
    }
    ArrayNode details = Json.array();
    if (result.getErrors() != null) {
      for (OutputUnit e : result.getErrors()) {
        details.addObject()
            .put("instanceLocation", e.getInstanceLocation())
            .put("keywordLocation", e.getKeywordLocation())
            .put("error", e.getError());
      }
    }
    String first = details.isEmpty() ? "" : ": " + details.get(0).path("instanceLocation").asText()
        + " " + details.get(0).path("error").asText();
    throw new WriteRejected(WriteRejected.Reason.SCHEMA_VIOLATION,
        "document does not match the schema of " + name + first, details);
  }

  /**
   * The tree as the Vert.x JSON decoder would have built it from its text (maps, lists, strings,
   * Integer/Long/BigInteger, Double, Boolean, null), without writing and parsing the text again:
   * the validator sees exactly what it saw when it was given {@code new JsonObject(text)}.
   */
  static Map<String, Object> plainObject(JsonNode node) {
    Map<String, Object> map = new LinkedHashMap<>(Math.max(4, node.size() * 4 / 3 + 1));
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      map.put(f.getKey(), plain(f.getValue()));
    }
    return map;
  }

  private static Object plain(JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT:
        return plainObject(node);
      case ARRAY: {
        List<Object> list = new ArrayList<>(node.size());
        for (JsonNode e : node) {
          list.add(plain(e));
        }
        return list;
      }
      case STRING:
        return node.textValue();
      case BOOLEAN:
        return node.booleanValue();
      case NUMBER:
        // the decoder reads an integer as the smallest of Integer, Long, BigInteger that holds
        // it, and every other number as a double (our tree may hold an exact BigDecimal)
        if (!node.isIntegralNumber()) {
          return node.doubleValue();
        }
        if (node.canConvertToInt()) {
          return node.intValue();
        }
        return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
      default:
        return null;  // NULL (the tree holds no MISSING, BINARY or POJO nodes)
    }
  }
}
