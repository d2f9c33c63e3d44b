package dev.patchwire.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One write request, as the HTTP layer hands it to the store. Ids and bodies are already parsed. */
public sealed interface Write {

  String collection();

  /** The {@code If-Match} header as sent, or null. */
  String ifMatch();

  /** POST: create; {@code id} null means the server makes one. */
  record Create(String collection, String id, ObjectNode body) implements Write {
    @Override
    public String ifMatch() {
      return null;
    }
  }

  /** PUT: create or replace. */
  record Put(String collection, String id, ObjectNode body, String ifMatch) implements Write {
  }

  /** PATCH: an RFC 6902 patch, applied atomically. */
  record Patch(String collection, String id, JsonNode patch, String ifMatch) implements Write {
  }

  /** DELETE. */
  record Delete(String collection, String id, String ifMatch) implements Write {
  }
}
