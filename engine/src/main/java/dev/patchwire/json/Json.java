package dev.patchwire.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.ValueNode;
import java.math.BigDecimal;
import java.io.UncheckedIOException;

/** The one Jackson mapper of the engine, and the few tree helpers everyone needs. */
public final class Json {

  /**
   * Numbers as they were sent: a decimal that a double holds exactly as written (0.1, 1.5e300)
   * becomes a double, as before; any other (1.00000000000000000001) keeps its exact value, so
   * that reading a stored document and writing it back never rounds it. Integers are kept
   * exactly anyway (long, or BigInteger past it).
   */
  static class ExactNumbers extends JsonNodeFactory {
    ExactNumbers() {
      super(true);
    }

    @Override
    public ValueNode numberNode(BigDecimal v) {
      // Fast path: 15 significant digits or fewer, well inside the range, always round-trip
      // through a double (DBL_DIG), so most numbers skip the comparison below.
      int exponent = v.precision() - v.scale();
      if (v.precision() <= 15 && exponent > -290 && exponent < 290) {
        return super.numberNode(v.doubleValue());
      }
      double d = v.doubleValue();
      if (!Double.isInfinite(d) && new BigDecimal(Double.toString(d)).compareTo(v) == 0) {
        return super.numberNode(d);
      }
      return super.numberNode(v);
    }
  }

  /** Thread-safe once configured. Trailing text after the JSON value is an error, not ignored. */
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .setNodeFactory(new ExactNumbers());

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Json() {
  }

  /** Parses JSON text; throws {@link IllegalArgumentException} with the parser's message. */
  public static JsonNode parse(String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new IllegalArgumentException("empty body, expected JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    }
  }

  /** Parses UTF-8 bytes; malformed UTF-8 is an error, never silently replaced. */
  public static JsonNode parse(byte[] utf8) {
    try {
      JsonNode node = MAPPER.readTree(utf8);
      if (node == null || node.isMissingNode()) {
        throw new IllegalArgumentException("empty body, expected JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Compact JSON text: no line breaks, so it can go straight into an SSE data line. */
  public static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ObjectNode object() {
    return NODES.objectNode();
  }

  public static ArrayNode array() {
    return NODES.arrayNode();
  }

  /**
   * The top-level members of the JSON object {@code text} whose values are scalars (strings,
   * numbers, booleans, null), as {@link #parse} would have read them; nested objects and arrays
   * are skipped without building them. What a {@code where} filter needs, for a fraction of the
   * cost of the whole tree. Throws {@link IllegalArgumentException} when the text is no object.
   */
  public static ObjectNode scalarMembers(String text) {
    ObjectNode out = object();
    try (JsonParser p = MAPPER.getFactory().createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("expected a JSON object");
      }
      JsonNodeFactory nodes = MAPPER.getNodeFactory();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        JsonNode value = switch (t) {
          case VALUE_STRING -> nodes.textNode(p.getText());
          case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
            case INT -> nodes.numberNode(p.getIntValue());
            case LONG -> nodes.numberNode(p.getLongValue());
            default -> nodes.numberNode(p.getBigIntegerValue());
          };
          // as USE_BIG_DECIMAL_FOR_FLOATS reads it, then ExactNumbers decides
          case VALUE_NUMBER_FLOAT -> nodes.numberNode(p.getDecimalValue());
          case VALUE_TRUE -> nodes.booleanNode(true);
          case VALUE_FALSE -> nodes.booleanNode(false);
          case VALUE_NULL -> nodes.nullNode();
          default -> null;
        };
        if (value == null) {
          p.skipChildren();
          out.remove(name);  // a later duplicate wins in a tree too
        } else {
          out.set(name, value);
        }
      }
      return out;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** JSON string literal for {@code s}, quotes included. */
  public static String quote(String s) {
    return write(NODES.textNode(s));
  }
}
