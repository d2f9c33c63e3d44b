package dev.patchwire.stream;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * A stream's {@code where=F:V}: documents whose top-level field {@code F} equals {@code V}.
 *
 * <p>A string field matches when its text equals {@code V}; a number when it equals {@code V}
 * read as a number (so {@code 1} matches {@code 1.0}); true, false and null when their JSON text
 * is {@code V}. A missing field, an object or an array never matches.
 */
public final class Filter {

  /** The whole collection. */
  public static final Filter ALL = new Filter(null, null);

  private final String field;
  private final String value;
  private final BigDecimal number;

  private Filter(String field, String value) {
    this.field = field;
    this.value = value;
    this.number = field == null ? null : parseNumber(value);
  }

  /** Parses {@code F:V}; null means no filter. Throws IllegalArgumentException when malformed. */
  public static Filter parse(String where) {
    if (where == null) {
      return ALL;
    }
    int colon = where.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("where must be FIELD:VALUE, got '" + where + "'");
    }
    if (colon == 0) {
      throw new IllegalArgumentException("where has an empty field name: '" + where + "'");
    }
    return new Filter(where.substring(0, colon), where.substring(colon + 1));
  }

  private static BigDecimal parseNumber(String v) {
    try {
      return new BigDecimal(v);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public boolean isAll() {
    return field == null;
  }

  /** The filter as the client wrote it, or null for the whole collection. */
  public String where() {
    return field == null ? null : field + ":" + value;
  }

  public boolean matches(JsonNode doc) {
    if (field == null) {
      return true;
    }
    JsonNode v = doc.get(field);
    if (v == null) {
      return false;
    }
    if (v.isTextual()) {
      return v.textValue().equals(value);
    }
    if (v.isNumber()) {
      return number != null && v.decimalValue().compareTo(number) == 0;
    }
    if (v.isBoolean() || v.isNull()) {
      return v.toString().equals(value);
    }
    return false;
  }

  @Override
  public String toString() {
    return field == null ? "ALL" : where();
  }
}
