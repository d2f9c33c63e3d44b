package dev.patchwire.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Predicate;

/**
 * One write request, as the HTTP layer hands it to the store. Ids and bodies are already parsed.
 *
 * <p>{@code allowed} is the writer's row-level check (the token's write grants): the writer
 * tests it against the document as it is inside the commit, before the write (update, delete)
 * and after it (create, update), and refuses with {@code forbidden} when either fails. Checked
 * there, not before queueing, because another write may change the document in between.
 */
public sealed interface Write {

  /** Every document: the check of an engine without auth. */
  Predicate<ObjectNode> ANY_DOCUMENT = doc -> true;

  String collection();

  /** The {@code If-Match} header as sent, or null. */
  String ifMatch();

  /** The documents this write may touch, before and after; {@link #ANY_DOCUMENT} without auth. */
  Predicate<ObjectNode> allowed();

  /** POST: create; {@code id} null means the server makes one. */
  record Create(String collection, String id, ObjectNode body, Predicate<ObjectNode> allowed)
      implements Write {
    public Create(String collection, String id, ObjectNode body) {
      this(collection, id, body, ANY_DOCUMENT);
    }

    @Override
    public String ifMatch() {
      return null;
    }
  }

  /** PUT: create or replace. */
  record Put(String collection, String id, ObjectNode body, String ifMatch, Predicate<ObjectNode> allowed)
      implements Write {
    public Put(String collection, String id, ObjectNode body, String ifMatch) {
      this(collection, id, body, ifMatch, ANY_DOCUMENT);
    }
  }

  /** PATCH: an RFC 6902 patch, applied atomically. */
  record Patch(String collection, String id, JsonNode patch, String ifMatch, Predicate<ObjectNode> allowed)
      implements Write {
    public Patch(String collection, String id, JsonNode patch, String ifMatch) {
      this(collection, id, patch, ifMatch, ANY_DOCUMENT);
    }
  }

  /** DELETE. */
  record Delete(String collection, String id, String ifMatch, Predicate<ObjectNode> allowed)
      implements Write {
    public Delete(String collection, String id, String ifMatch) {
      this(collection, id, ifMatch, ANY_DOCUMENT);
    }
  }
}
