package dev.patchwire.auth;

import dev.patchwire.json.Json;
import dev.patchwire.stream.Filter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a verified token's claims into an {@link Access}. Strict: a claim of the wrong shape
 * (an unknown key in {@code pw} or in a grant, a grant without {@code c}, a {@code where} value
 * that is an object or an array, too many grants) makes the whole token invalid, because a
 * grant read half-way would grant something its issuer did not mean.
 */
final class Claims {

  static final int MAX_GRANTS = 64;
  static final int MAX_WHERE_FIELDS = 16;
  static final int MAX_TEXT = 256;
  private static final Set<String> PW_KEYS = Set.of("read", "write", "admin");
  private static final Set<String> GRANT_KEYS = Set.of("c", "where");

  private Claims() {
  }

  /** @param token the token text, only hashed (the rate-limit key of a token without {@code sub}) */
  static Access parse(JsonObject payload, String token) {
    Object exp = payload.getValue("exp");
    if (exp == null) {
      throw AuthFailure.unauthorized("the token has no exp claim; patchwire needs tokens that expire");
    }
    if (!(exp instanceof Number n)) {
      throw AuthFailure.unauthorized("the token's exp claim is not a number");
    }
    long expiresAtMillis = Math.multiplyExact(n.longValue(), 1000L);
    Object sub = payload.getValue("sub");
    if (sub != null && !(sub instanceof String)) {
      throw AuthFailure.unauthorized("the token's sub claim is not a string");
    }
    Object pwValue = payload.getValue("pw");
    List<Grant> read = List.of();
    List<Grant> write = List.of();
    boolean admin = false;
    if (pwValue != null) {
      if (!(pwValue instanceof JsonObject pw)) {
        throw AuthFailure.unauthorized("the token's pw claim must be an object {read, write, admin}");
      }
      for (String key : pw.fieldNames()) {
        if (!PW_KEYS.contains(key)) {
          throw AuthFailure.unauthorized("the token's pw claim has an unknown key '" + shorten(key)
              + "' (known: read, write, admin)");
        }
      }
      read = grants(pw.getValue("read"), "read");
      write = grants(pw.getValue("write"), "write");
      Object a = pw.getValue("admin");
      if (a != null && !(a instanceof Boolean)) {
        throw AuthFailure.unauthorized("pw.admin must be true or false");
      }
      admin = Boolean.TRUE.equals(a);
    }
    String rateKey = sub != null ? "sub:" + sub : "token:" + sha256Hex(token).substring(0, 32);
    return new Access(false, (String) sub, expiresAtMillis, read, write, admin, scopeOf(read), rateKey);
  }

  private static List<Grant> grants(Object value, String which) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw AuthFailure.unauthorized("pw." + which + " must be an array of grants {c, where}");
    }
    if (array.size() > MAX_GRANTS) {
      throw AuthFailure.unauthorized("pw." + which + " has " + array.size() + " grants, at most "
          + MAX_GRANTS + " are allowed");
    }
    List<Grant> grants = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      grants.add(grant(array.getValue(i), "pw." + which + "[" + i + "]"));
    }
    return grants;
  }

  private static Grant grant(Object value, String where) {
    if (!(value instanceof JsonObject g)) {
      throw AuthFailure.unauthorized(where + " must be an object {c, where}");
    }
    for (String key : g.fieldNames()) {
      if (!GRANT_KEYS.contains(key)) {
        throw AuthFailure.unauthorized(where + " has an unknown key '" + shorten(key) + "' (known: c, where)");
      }
    }
    Object c = g.getValue("c");
    if (!(c instanceof String collection) || collection.isEmpty() || collection.length() > MAX_TEXT) {
      throw AuthFailure.unauthorized(where + ".c must be a collection name or \"*\"");
    }
    Object w = g.getValue("where");
    if (w == null) {
      return new Grant(collection, Filter.ALL, Json.quote(collection));
    }
    if (!(w instanceof JsonObject fields) || fields.isEmpty()) {
      throw AuthFailure.unauthorized(where + ".where must be a non-empty object of field equalities");
    }
    if (fields.size() > MAX_WHERE_FIELDS) {
      throw AuthFailure.unauthorized(where + ".where has more than " + MAX_WHERE_FIELDS + " fields");
    }
    // sorted, so that the same grant written in another order has the same scope hash
    Map<String, String> sorted = new TreeMap<>();
    for (Map.Entry<String, Object> e : fields) {
      String field = e.getKey();
      Object v = e.getValue();
      if (field.isEmpty() || field.length() > MAX_TEXT) {
        throw AuthFailure.unauthorized(where + ".where has an empty or over-long field name");
      }
      if (v instanceof JsonObject || v instanceof JsonArray) {
        throw AuthFailure.unauthorized(where + ".where." + shorten(field)
            + " is an object or an array; a grant matches strings, numbers, booleans and null only");
      }
      // the text a where=F:V parameter would carry: strings by text, numbers by value
      String text = v == null ? "null" : v instanceof String s ? s : String.valueOf(v);
      if (text.length() > MAX_TEXT) {
        throw AuthFailure.unauthorized(where + ".where." + shorten(field) + " is longer than " + MAX_TEXT);
      }
      sorted.put(field, text);
    }
    List<Filter> equalities = new ArrayList<>();
    StringBuilder canonical = new StringBuilder(Json.quote(collection));
    sorted.forEach((field, text) -> {
      equalities.add(Filter.equalTo(field, text));
      canonical.append(',').append(Json.quote(field)).append('=').append(Json.quote(text));
    });
    return new Grant(collection, Filter.allOf(equalities), canonical.toString());
  }

  /** 16 hex digits of SHA-256 over the read grants, in a canonical order. */
  static String scopeOf(List<Grant> read) {
    List<String> parts = new ArrayList<>();
    read.forEach(g -> parts.add(g.canonical()));
    parts.sort(null);
    return sha256Hex(String.join("\n", parts)).substring(0, 16);
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String shorten(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
