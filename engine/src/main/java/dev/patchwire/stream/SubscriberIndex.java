package dev.patchwire.stream;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subscribers of one collection, indexed by an equality their filter requires, so that a
 * change looks at the subscribers it may concern and not at every one.
 *
 * <p>A subscriber whose filter has a {@link Filter#requiredEquality() required} {@code F:V} sits
 * in the lists of field {@code F} under {@code V}'s text (strings, true, false, null match by
 * text) and, when {@code V} reads as a number, under that number (so {@code 1} and {@code 1.0}
 * share a list). The others (no filter, an OR of grants ...) sit in one scan list. A change's
 * candidates are the scan list plus, for each indexed field, the lists its before and after
 * documents' values name: every subscriber that may match either state, enter and leave
 * included. The candidates are a superset; the caller still matches each one's whole filter.
 *
 * <p>Not thread-safe: lives on its fan-out's event loop.
 */
final class SubscriberIndex<S> {

  /** One subscriber, stamped with the last lookup that returned it so none is returned twice. */
  private static final class Entry<S> {
    final S subscriber;
    long stamp;

    Entry(S subscriber) {
      this.subscriber = subscriber;
    }
  }

  /** The lists of one field: by a value's text and by its number. */
  private static final class FieldLists<S> {
    final Map<String, List<Entry<S>>> byText = new HashMap<>();
    final Map<BigDecimal, List<Entry<S>>> byNumber = new HashMap<>();

    boolean isEmpty() {
      return byText.isEmpty() && byNumber.isEmpty();
    }
  }

  private final List<Entry<S>> scan = new ArrayList<>();
  private final Map<String, FieldLists<S>> byField = new HashMap<>();
  private final Map<S, Entry<S>> entries = new LinkedHashMap<>();
  private long lookups;

  /** Adds {@code s}, which sees the documents {@code filter} matches. */
  void add(S s, Filter filter) {
    if (entries.containsKey(s)) {
      return;
    }
    Entry<S> e = new Entry<>(s);
    entries.put(s, e);
    Filter eq = filter.requiredEquality();
    if (eq == null) {
      scan.add(e);
      return;
    }
    FieldLists<S> lists = byField.computeIfAbsent(eq.field(), f -> new FieldLists<>());
    lists.byText.computeIfAbsent(eq.value(), v -> new ArrayList<>()).add(e);
    BigDecimal number = numberKey(eq.number());
    if (number != null) {
      lists.byNumber.computeIfAbsent(number, v -> new ArrayList<>()).add(e);
    }
  }

  /** Removes {@code s}, added with the same {@code filter}. */
  void remove(S s, Filter filter) {
    Entry<S> e = entries.remove(s);
    if (e == null) {
      return;
    }
    Filter eq = filter.requiredEquality();
    if (eq == null) {
      scan.remove(e);
      return;
    }
    FieldLists<S> lists = byField.get(eq.field());
    removeFrom(lists.byText, eq.value(), e);
    BigDecimal number = numberKey(eq.number());
    if (number != null) {
      removeFrom(lists.byNumber, number, e);
    }
    if (lists.isEmpty()) {
      byField.remove(eq.field());
    }
  }

  private static <K, S> void removeFrom(Map<K, List<Entry<S>>> map, K key, Entry<S> e) {
    List<Entry<S>> list = map.get(key);
    if (list != null && list.remove(e) && list.isEmpty()) {
      map.remove(key);
    }
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  int size() {
    return entries.size();
  }

  /** Every subscriber, for closing them all. */
  List<S> all() {
    return new ArrayList<>(entries.keySet());
  }

  /**
   * Puts into {@code out} (cleared first) each subscriber that may match {@code before} or
   * {@code after} (either may be null), once.
   */
  void candidates(JsonNode before, JsonNode after, List<S> out) {
    out.clear();
    long stamp = ++lookups;
    collect(scan, stamp, out);
    if (byField.isEmpty()) {
      return;
    }
    for (Map.Entry<String, FieldLists<S>> f : byField.entrySet()) {
      String field = f.getKey();
      FieldLists<S> lists = f.getValue();
      JsonNode b = before == null ? null : before.get(field);
      JsonNode a = after == null ? null : after.get(field);
      collect(lookup(lists, b), stamp, out);
      if (a != null && !a.equals(b)) {
        collect(lookup(lists, a), stamp, out);
      }
    }
  }

  private static <S> void collect(List<Entry<S>> list, long stamp, List<S> out) {
    if (list == null) {
      return;
    }
    for (int i = 0, n = list.size(); i < n; i++) {
      Entry<S> e = list.get(i);
      if (e.stamp != stamp) {
        e.stamp = stamp;
        out.add(e.subscriber);
      }
    }
  }

  /** The list of the subscribers whose required value {@code v} may equal, as Filter matches it. */
  private static <S> List<Entry<S>> lookup(FieldLists<S> lists, JsonNode v) {
    if (v == null) {
      return null;
    }
    if (v.isTextual()) {
      return lists.byText.get(v.textValue());
    }
    if (v.isNumber()) {
      if (lists.byNumber.isEmpty()) {
        return null;
      }
      BigDecimal key = numberKey(v.decimalValue());
      return key == null ? null : lists.byNumber.get(key);
    }
    if (v.isBoolean() || v.isNull()) {
      return lists.byText.get(v.toString());
    }
    return null;  // objects and arrays match no equality
  }

  /**
   * Equal for numbers that compare equal (1, 1.0, 1e0), as Filter compares them; null for none
   * or one whose exponent has no stripped form (like {@code 100e2147483647}: far past any double,
   * so no document's number equals it and its text list is enough).
   */
  private static BigDecimal numberKey(BigDecimal n) {
    if (n == null) {
      return null;
    }
    try {
      return n.signum() == 0 ? BigDecimal.ZERO : n.stripTrailingZeros();
    } catch (ArithmeticException e) {
      return null;
    }
  }
}
