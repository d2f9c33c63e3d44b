package dev.patchwire.store;

import com.fasterxml.jackson.databind.JsonNode;

/** A write the store refused before changing anything. The HTTP layer maps {@link Reason} to a status. */
public final class WriteRejected extends RuntimeException {

  /** Why; {@link #code()} is the stable error code clients see. */
  public enum Reason {
    UNKNOWN_COLLECTION("unknown_collection"),
    NOT_FOUND("not_found"),
    ALREADY_EXISTS("already_exists"),
    PRECONDITION_FAILED("precondition_failed"),
    INVALID_PATCH("invalid_patch"),
    TEST_FAILED("test_failed"),
    PATCH_CONFLICT("patch_conflict"),
    ID_MISMATCH("id_mismatch"),
    NOT_AN_OBJECT("not_an_object"),
    SCHEMA_VIOLATION("schema_violation"),
    /** Outside the token's write grants, before or after the write. */
    FORBIDDEN("forbidden"),
    DOCUMENT_TOO_LARGE("document_too_large"),
    NESTING_TOO_DEEP("nesting_too_deep"),
    PATCH_TOO_COSTLY("patch_too_costly"),
    /** The database refused the document's data (its SQL state says so); nothing was written. */
    STORE_REJECTED("store_rejected");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final Reason reason;
  private final JsonNode details;

  public WriteRejected(Reason reason, String message) {
    this(reason, message, null);
  }

  public WriteRejected(Reason reason, String message, JsonNode details) {
    super(message, null, false, false);
    this.reason = reason;
    this.details = details;
  }

  public Reason reason() { return reason; }

  /** Extra machine-readable detail (schema errors), or null. */
  public JsonNode details() { return details; }
}
