package dev.patchwire.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.DocLimits;
import dev.patchwire.json.Json;
import dev.patchwire.json.PatchException;
import dev.patchwire.json.Patches;
import java.time.Instant;
import java.util.Map;

/**
 * What a POST, PUT, PATCH or DELETE may do to a document, and what it leaves: the write grants
 * before the write, {@code If-Match}, whether the document must or must not exist, the body's id,
 * the patch, the collection's defaults and timestamps, the write grants after, the limits, the
 * schema; in that order, so the first rule broken is the one a client is told.
 *
 * <p>Pure functions of the document as the writer read it inside its transaction (and of the
 * clock, passed in): a refused write throws {@link WriteRejected} before any SQL of it runs, so a
 * group commit simply leaves it out. No database is needed to test them (WriteRulesTest).
 */
final class WriteRules {

  private WriteRules() {
  }

  /**
   * What a write leaves: the document after it and its text as it will be stored, both null
   * for a delete; or {@code unchanged}, when the document after equals the one before.
   */
  record Effect(ObjectNode after, String afterJson, boolean unchanged) {

    static final Effect DELETED = new Effect(null, null, false);
    static final Effect UNCHANGED = new Effect(null, null, true);
  }

  /** The write's collection, or {@code unknown_collection}. */
  static CollectionSpec collection(Map<String, CollectionSpec> collections, Write write) {
    CollectionSpec spec = collections.get(write.collection());
    if (spec == null) {
      throw new WriteRejected(WriteRejected.Reason.UNKNOWN_COLLECTION,
          "no collection named '" + write.collection() + "'");
    }
    return spec;
  }

  /** The id the write names; null for a POST that leaves it to the server. */
  static String id(Write write) {
    if (write instanceof Write.Create c) {
      return c.id();
    } else if (write instanceof Write.Put p) {
      return p.id();
    } else if (write instanceof Write.Patch p) {
      return p.id();
    }
    return ((Write.Delete) write).id();
  }

  /**
   * Applies {@code write} to the document {@code id} as it is now ({@code before}, null when
   * absent, at ETag {@code version}), or throws {@link WriteRejected} with the first rule it
   * breaks. {@code before} is not modified.
   *
   * @param now the time a collection with timestamps stamps the document with
   */
  static Effect apply(CollectionSpec spec, String id, Write write, ObjectNode before, long version,
      DocLimits limits, Instant now) {
    // USING: an existing document must be inside the write grants before it is touched
    if (before != null && !write.allowed().test(before)) {
      throw forbidden(spec, id, "is outside this token's write grants");
    }
    checkPrecondition(write.ifMatch(), before != null, version);
    ObjectNode after;
    if (write instanceof Write.Create c) {
      if (before != null) {
        throw new WriteRejected(WriteRejected.Reason.ALREADY_EXISTS,
            "a document with id '" + id + "' exists; use PUT to replace it");
      }
      after = withId(c.body(), id);
    } else if (write instanceof Write.Put p) {
      after = withId(p.body(), id);
    } else if (before == null) {
      throw notFound(spec, id);
    } else if (write instanceof Write.Patch p) {
      after = patched(before, p.patch(), id, limits);
    } else {
      return Effect.DELETED;
    }

    boolean changed = spec.prepare(before, after, now);
    if (!changed) {
      return Effect.UNCHANGED;
    }
    // WITH CHECK: what is written must be inside the write grants too
    if (!write.allowed().test(after)) {
      throw forbidden(spec, id, before == null ? "would be created outside this token's write grants"
          : "would leave this token's write grants");
    }
    String afterJson = Json.write(after);
    checkLimits(after, afterJson, limits);
    spec.validate(after);
    return new Effect(after, afterJson, false);
  }

  private static WriteRejected forbidden(CollectionSpec spec, String id, String why) {
    return new WriteRejected(WriteRejected.Reason.FORBIDDEN, "the document '" + id + "' in "
        + spec.name() + " " + why);
  }

  private static WriteRejected notFound(CollectionSpec spec, String id) {
    return new WriteRejected(WriteRejected.Reason.NOT_FOUND,
        "no document '" + id + "' in " + spec.name());
  }

  /**
   * The document as it will be stored, against the limits: its exact UTF-8 size, its values and
   * its depth (a patch was held to them while it ran; a body's defaults may add to it).
   */
  private static void checkLimits(ObjectNode after, String afterJson, DocLimits limits) {
    if (limits == DocLimits.NONE) {
      return;
    }
    long bytes = utf8Length(afterJson);
    DocLimits.Size size = DocLimits.measure(after, Long.MAX_VALUE);
    if (bytes > limits.maxBytes() || size.nodes() > limits.maxNodes()) {
      throw new WriteRejected(WriteRejected.Reason.DOCUMENT_TOO_LARGE, "the document would be "
          + (bytes > limits.maxBytes() ? bytes + " bytes, more than the limit of " + limits.maxBytes()
              : size.nodes() + " values, more than the limit of " + limits.maxNodes())
          + " (--max-doc-bytes)");
    }
    if (size.depth() > limits.maxDepth()) {
      throw new WriteRejected(WriteRejected.Reason.NESTING_TOO_DEEP, "the document would nest "
          + size.depth() + " levels of arrays and objects, more than " + limits.maxDepth());
    }
  }

  private static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      n += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
    }
    return n;
  }

  /** The body with the URL's id: an absent id is filled in, a different one is refused. */
  private static ObjectNode withId(ObjectNode body, String id) {
    JsonNode given = body.get("id");
    if (given != null && !(given.isTextual() && given.textValue().equals(id))) {
      throw new WriteRejected(WriteRejected.Reason.ID_MISMATCH,
          "the body's id " + given + " differs from the document id '" + id + "'");
    }
    ObjectNode doc = body.deepCopy();
    if (given == null) {
      // keep id first, which is what people expect to read
      ObjectNode ordered = Json.object().put("id", id);
      ordered.setAll(doc);
      return ordered;
    }
    return doc;
  }

  private static ObjectNode patched(ObjectNode before, JsonNode patch, String id, DocLimits limits) {
    JsonNode result;
    try {
      result = Patches.apply(before, patch, limits);
    } catch (PatchException e) {
      throw new WriteRejected(switch (e.kind()) {
        case INVALID -> WriteRejected.Reason.INVALID_PATCH;
        case TEST_FAILED -> WriteRejected.Reason.TEST_FAILED;
        case CONFLICT -> WriteRejected.Reason.PATCH_CONFLICT;
        case TOO_LARGE -> WriteRejected.Reason.DOCUMENT_TOO_LARGE;
        case TOO_DEEP -> WriteRejected.Reason.NESTING_TOO_DEEP;
        case TOO_COSTLY -> WriteRejected.Reason.PATCH_TOO_COSTLY;
      }, e.getMessage());
    }
    if (!result.isObject()) {
      throw new WriteRejected(WriteRejected.Reason.NOT_AN_OBJECT,
          "the patched document must stay a JSON object");
    }
    JsonNode newId = result.get("id");
    if (newId == null || !newId.isTextual() || !newId.textValue().equals(id)) {
      throw new WriteRejected(WriteRejected.Reason.ID_MISMATCH,
          "a patch cannot change or remove the document's id");
    }
    return (ObjectNode) result;
  }

  /** {@code If-Match}: "*" needs the document to exist; otherwise one of the listed ETags must match. */
  private static void checkPrecondition(String ifMatch, boolean exists, long version) {
    if (ifMatch == null) {
      return;
    }
    String expected = "\"" + version + "\"";
    for (String tag : ifMatch.split(",")) {
      String t = tag.trim();
      if (t.startsWith("W/")) {
        t = t.substring(2);
      }
      if ((t.equals("*") && exists) || (exists && t.equals(expected))) {
        return;
      }
    }
    throw new WriteRejected(WriteRejected.Reason.PRECONDITION_FAILED,
        exists ? "If-Match " + ifMatch + " does not match the current version " + expected
            : "If-Match " + ifMatch + " but the document does not exist");
  }
}
