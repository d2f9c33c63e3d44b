package dev.patchwire.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.NumericNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.node.ValueNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The parser for what clients send (request bodies), stricter than JSON's grammar alone, so that
 * what the engine stores is exactly what the client meant and something every store and client
 * can hold (docs/protocol.md, "What a body may hold"):
 *
 * <ul>
 *   <li>strict UTF-8 (RFC 8259 8.1): overlong forms, encoded surrogates ({@code ED A0 80}), bytes
 *       that are no UTF-8 at all, a UTF-16 or UTF-32 body and a byte-order mark are refused;
 *   <li>no lone UTF-16 surrogate escapes ({@code "\ud800"}): no UTF-8 text can hold them, so the
 *       database would refuse them inside the commit;
 *   <li>no duplicate member names in one object;
 *   <li>at most {@link #MAX_DEPTH} levels of arrays and objects;
 *   <li>numbers within the range of an IEEE 754 double: {@code 1e400}, {@code 1e-400} and a
 *       400-digit integer are refused (a JavaScript client would read them as Infinity or 0, and
 *       no store should turn them into the string "Infinity"). Within that range a number is
 *       kept exactly as sent, {@code 1.00000000000000000001} and 2^70 included (see
 *       {@link Json#MAPPER}).
 * </ul>
 */
public final class StrictJson {

  /** The most nested arrays and objects a body may hold. */
  public static final int MAX_DEPTH = 64;

  /** What is wrong with a refused body (the HTTP layer names each with its error code). */
  public enum Problem {
    /** Not JSON, or not strict UTF-8, or a lone surrogate. */
    MALFORMED_JSON,
    /** An object that names a member twice. */
    DUPLICATE_MEMBER,
    /** A number outside the range of an IEEE 754 double. */
    UNREPRESENTABLE_NUMBER,
    /** Arrays and objects nested deeper than {@link #MAX_DEPTH}. */
    NESTING_TOO_DEEP,
    /** More values than the parse may build. */
    TOO_MANY_VALUES
  }

  /** Why a body was refused: its {@link #problem()}, and the message says where. */
  public static final class Refused extends IllegalArgumentException {
    private final Problem problem;

    Refused(Problem problem, String message) {
      super(message, null);
      this.problem = problem;
    }

    public Problem problem() {
      return problem;
    }
  }

  /** Thrown from the node factory once a body holds more values than its parse may build. */
  private static final class TooManyValues extends RuntimeException {
    TooManyValues() {
      super(null, null, false, false);
    }
  }

  /** The values the parse on this thread may still build (Jackson gives the factory no context). */
  private static final ThreadLocal<long[]> VALUES_LEFT = new ThreadLocal<>();

  private static void count() {
    long[] left = VALUES_LEFT.get();
    if (left != null && --left[0] < 0) {
      throw new TooManyValues();
    }
  }

  /** Thrown from the node factory, which Jackson gives no checked way out of. */
  private static final class BadNumber extends RuntimeException {
    BadNumber(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * {@link Json.ExactNumbers}, refusing what lies outside a double's range, and counting every
   * value it builds: a megabyte of {@code [{},{},...]} would otherwise become 300,000 objects (40
   * MB of heap) before anything could measure the document.
   */
  private static final JsonNodeFactory NODES = new Json.ExactNumbers() {
    @Override
    public ObjectNode objectNode() {
      count();
      return super.objectNode();
    }

    @Override
    public ArrayNode arrayNode() {
      count();
      return super.arrayNode();
    }

    @Override
    public ArrayNode arrayNode(int capacity) {
      count();
      return super.arrayNode(capacity);
    }

    @Override
    public TextNode textNode(String text) {
      count();
      return super.textNode(text);
    }

    @Override
    public NumericNode numberNode(int v) {
      count();
      return super.numberNode(v);
    }

    @Override
    public NumericNode numberNode(long v) {
      count();
      return super.numberNode(v);
    }

    @Override
    public BooleanNode booleanNode(boolean v) {
      count();
      return super.booleanNode(v);
    }

    @Override
    public NullNode nullNode() {
      count();
      return super.nullNode();
    }

    @Override
    public ValueNode numberNode(BigInteger v) {
      count();
      if (Double.isInfinite(v.doubleValue())) {
        throw new BadNumber("the integer " + shortText(new BigDecimal(v))
            + " is past the range of a double (about 1.8e308)");
      }
      return super.numberNode(v);
    }

    @Override
    public ValueNode numberNode(BigDecimal v) {
      count();
      double d = v.doubleValue();
      if (Double.isInfinite(d)) {
        throw new BadNumber("the number " + shortText(v) + " is past the range of a double (about 1.8e308)");
      }
      if (d == 0 && v.signum() != 0) {
        throw new BadNumber("the number " + shortText(v) + " is closer to zero than a double can be (about 4.9e-324)");
      }
      return super.numberNode(v);
    }
  };

  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
      .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .setNodeFactory(NODES);

  private StrictJson() {
  }

  /** Parses a request body; throws {@link Refused} with its problem and a message that says why. */
  public static JsonNode parse(byte[] utf8) {
    return parse(utf8, Long.MAX_VALUE);
  }

  /** Like {@link #parse(byte[])}, refusing (413 {@code document_too_large}) past {@code maxValues} values. */
  public static JsonNode parse(byte[] utf8, long maxValues) {
    String text = decodeUtf8(utf8);
    checkEscapes(text);
    VALUES_LEFT.set(new long[] {maxValues});
    try {
      JsonNode node = MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new Refused(Problem.MALFORMED_JSON, "empty body, expected JSON");
      }
      return node;
    } catch (StreamConstraintsException e) {
      String message = String.valueOf(e.getOriginalMessage());
      if (message.contains("epth")) {
        throw new Refused(Problem.NESTING_TOO_DEEP, "a body may nest at most " + MAX_DEPTH
            + " levels of arrays and objects");
      }
      throw new Refused(message.startsWith("Number") ? Problem.UNREPRESENTABLE_NUMBER : Problem.MALFORMED_JSON,
          message);
    } catch (JsonProcessingException e) {
      if (causedBy(e, TooManyValues.class) != null) {
        throw tooMany(maxValues);
      }
      BadNumber bad = causedBy(e, BadNumber.class);
      if (bad != null) {
        throw new Refused(Problem.UNREPRESENTABLE_NUMBER, bad.getMessage());
      }
      String message = e.getOriginalMessage();
      if (message != null && message.startsWith("Duplicate field")) {
        throw new Refused(Problem.DUPLICATE_MEMBER, "an object names a member twice: " + message);
      }
      throw new Refused(Problem.MALFORMED_JSON, message);
    } catch (BadNumber e) {
      throw new Refused(Problem.UNREPRESENTABLE_NUMBER, e.getMessage());
    } catch (TooManyValues e) {
      throw tooMany(maxValues);
    } catch (NumberFormatException | ArithmeticException e) {
      // an exponent past 32 bits (1e40043043317): BigDecimal gives up before our checks run
      throw new Refused(Problem.UNREPRESENTABLE_NUMBER, "a number's exponent is out of range: " + e.getMessage());
    } finally {
      VALUES_LEFT.remove();
    }
  }

  private static <T extends Throwable> T causedBy(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static Refused tooMany(long maxValues) {
    return new Refused(Problem.TOO_MANY_VALUES, "the body holds more than " + maxValues
        + " values (arrays, objects, strings, numbers, booleans and nulls)");
  }

  private static String shortText(BigDecimal v) {
    String s = v.toString();
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  /**
   * Decodes strictly: Java's UTF-8 decoder refuses overlong forms and encoded surrogates. A
   * UTF-16 body without a byte-order mark may be valid UTF-8 (ASCII and NUL bytes), but its NULs
   * are then no JSON, so the parser refuses it; a byte-order mark is no JSON either.
   */
  private static String decodeUtf8(byte[] utf8) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer chars = decoder.decode(ByteBuffer.wrap(utf8));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new Refused(Problem.MALFORMED_JSON, "the body is not valid UTF-8 (RFC 8259 8.1: overlong forms, "
          + "encoded surrogates and other encodings are refused)");
    }
  }

  /**
   * Refuses a {@code \\uXXXX} escape of a lone surrogate. A backslash is legal JSON only inside
   * a string, where it always starts an escape, so a plain scan that skips each escape finds them
   * all (a backslash outside a string is a syntax error the parser reports anyway).
   */
  private static void checkEscapes(String text) {
    int n = text.length();
    for (int i = text.indexOf('\\'); i >= 0 && i < n; i = text.indexOf('\\', i)) {
      int unit = i + 1 < n && text.charAt(i + 1) == 'u' ? hex4(text, i + 2) : -1;
      if (unit < 0) {
        i += 2;
        continue;
      }
      i += 6;
      if (Character.isHighSurrogate((char) unit)) {
        int next = i + 1 < n && text.charAt(i) == '\\' && text.charAt(i + 1) == 'u' ? hex4(text, i + 2) : -1;
        if (next < 0 || !Character.isLowSurrogate((char) next)) {
          throw loneSurrogate(unit);
        }
        i += 6;
      } else if (Character.isLowSurrogate((char) unit)) {
        throw loneSurrogate(unit);
      }
    }
  }

  private static Refused loneSurrogate(int unit) {
    return new Refused(Problem.MALFORMED_JSON, String.format("the escape \\u%04x is a lone UTF-16 surrogate, "
        + "which no UTF-8 text can hold", unit));
  }

  /** The four hex digits at {@code at} as a number, or -1 (the parser reports a bad escape). */
  private static int hex4(String s, int at) {
    if (at + 4 > s.length()) {
      return -1;
    }
    int v = 0;
    for (int k = at; k < at + 4; k++) {
      int d = Character.digit(s.charAt(k), 16);
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }
}
