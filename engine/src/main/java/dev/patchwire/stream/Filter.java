package dev.patchwire.stream;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * A stream's {@code where=F:V}: documents whose top-level field {@code F} equals {@code V}.
 *
 * <p>A string field matches when its text equals {@code V}; a number when it equals {@code V}
 * read as a number (so {@code 1} matches {@code 1.0}); true, false and null when their JSON text
 * is {@code V}. A missing field, an object or an array never matches.
 *
 * <p>Filters also combine ({@link #and}, {@link #allOf}, {@link #anyOf}): under auth a stream
 * matches the client's {@code where} AND the OR of its token's read grants, each grant an AND of
 * such equalities. Without auth the combined filter is the client's own, so nothing costs more.
 */
public final class Filter {

  private enum Kind { ALL, NONE, EQUALS, AND, OR }

  /** The whole collection. */
  public static final Filter ALL = new Filter(Kind.ALL, null, null, List.of());
  /** No document at all (an OR of no grants). */
  public static final Filter NONE = new Filter(Kind.NONE, null, null, List.of());

  private final Kind kind;
  private final String field;
  private final String value;
  private final BigDecimal number;
  private final Filter[] parts;

  private Filter(Kind kind, String field, String value, List<Filter> parts) {
    this.kind = kind;
    this.field = field;
    this.value = value;
    this.number = kind == Kind.EQUALS ? parseNumber(value) : null;
    this.parts = parts.toArray(new Filter[0]);
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
    return equalTo(where.substring(0, colon), where.substring(colon + 1));
  }

  /** Documents whose top-level {@code field} matches {@code value} exactly as {@code where=field:value}. */
  public static Filter equalTo(String field, String value) {
    if (field == null || field.isEmpty() || value == null) {
      throw new IllegalArgumentException("a filter needs a field name and a value");
    }
    return new Filter(Kind.EQUALS, field, value, List.of());
  }

  /** Documents matching every one of {@code filters}; ALL when there are none. */
  public static Filter allOf(List<Filter> filters) {
    List<Filter> kept = new ArrayList<>();
    for (Filter f : filters) {
      if (f.kind == Kind.NONE) {
        return NONE;
      }
      if (f.kind != Kind.ALL) {
        kept.add(f);
      }
    }
    return kept.isEmpty() ? ALL : kept.size() == 1 ? kept.get(0) : new Filter(Kind.AND, null, null, kept);
  }

  /** Documents matching at least one of {@code filters}; NONE when there are none. */
  public static Filter anyOf(List<Filter> filters) {
    List<Filter> kept = new ArrayList<>();
    for (Filter f : filters) {
      if (f.kind == Kind.ALL) {
        return ALL;
      }
      if (f.kind != Kind.NONE) {
        kept.add(f);
      }
    }
    return kept.isEmpty() ? NONE : kept.size() == 1 ? kept.get(0) : new Filter(Kind.OR, null, null, kept);
  }

  /** Both {@code a} and {@code b}; {@code a} itself when {@code b} is ALL (auth off costs nothing). */
  public static Filter and(Filter a, Filter b) {
    if (b.kind == Kind.ALL) {
      return a;
    }
    if (a.kind == Kind.ALL) {
      return b;
    }
    return allOf(List.of(a, b));
  }

  private static BigDecimal parseNumber(String v) {
    try {
      return new BigDecimal(v);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * An equality that every document this filter matches also matches, for the fan-out's index:
   * the filter itself when it is one, a part of an AND (the first such, the client's where when it
   * has one), or null when there is none (ALL, NONE, an OR).
   */
  Filter requiredEquality() {
    switch (kind) {
      case EQUALS:
        return this;
      case AND:
        for (Filter f : parts) {
          Filter eq = f.requiredEquality();
          if (eq != null) {
            return eq;
          }
        }
        return null;
      default:
        return null;
    }
  }

  /** The field of an equality; null for the other kinds. */
  String field() {
    return field;
  }

  /** The value text of an equality; null for the other kinds. */
  String value() {
    return value;
  }

  /** The value of an equality read as a number, or null when it is not one. */
  BigDecimal number() {
    return number;
  }

  public boolean isAll() {
    return kind == Kind.ALL;
  }

  /**
   * The filter as the client wrote it, or null for the whole collection; a combined one in the
   * notation of {@link #toString}.
   */
  public String where() {
    return kind == Kind.ALL ? null : toString();
  }

  public boolean matches(JsonNode doc) {
    // the fan-out's hot path: no filter, or one where=F:V, costs one comparison as it always did
    if (kind == Kind.ALL) {
      return true;
    }
    if (kind == Kind.EQUALS) {
      return equalityMatches(doc);
    }
    return combinedMatches(doc);
  }

  private boolean combinedMatches(JsonNode doc) {
    switch (kind) {
      case NONE:
        return false;
      case AND:
        for (Filter f : parts) {
          if (!f.matches(doc)) {
            return false;
          }
        }
        return true;
      case OR:
        for (Filter f : parts) {
          if (f.matches(doc)) {
            return true;
          }
        }
        return false;
      default:
        throw new IllegalStateException(kind.toString());
    }
  }

  private boolean equalityMatches(JsonNode doc) {
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
    return switch (kind) {
      case ALL -> "ALL";
      case NONE -> "NONE";
      case EQUALS -> field + ":" + value;
      case AND, OR -> {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < parts.length; i++) {
          sb.append(i == 0 ? "" : kind == Kind.AND ? " AND " : " OR ").append(parts[i]);
        }
        yield sb.append(')').toString();
      }
    };
  }
}
