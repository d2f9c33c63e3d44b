package dev.patchwire.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.wire.ErrorCode;

/** A write the store refused before changing anything; each {@link Reason} has its error code and so its status. */
public final class WriteRejected extends RuntimeException {

  /** Why; {@link #code()} is the stable error code clients see. */
  public enum Reason {
    UNKNOWN_COLLECTION(ErrorCode.UNKNOWN_COLLECTION),
    NOT_FOUND(ErrorCode.NOT_FOUND),
    ALREADY_EXISTS(ErrorCode.ALREADY_EXISTS),
    PRECONDITION_FAILED(ErrorCode.PRECONDITION_FAILED),
    INVALID_PATCH(ErrorCode.INVALID_PATCH),
    TEST_FAILED(ErrorCode.TEST_FAILED),
    PATCH_CONFLICT(ErrorCode.PATCH_CONFLICT),
    ID_MISMATCH(ErrorCode.ID_MISMATCH),
    NOT_AN_OBJECT(ErrorCode.NOT_AN_OBJECT),
    SCHEMA_VIOLATION(ErrorCode.SCHEMA_VIOLATION),
    /** Outside the token's write grants, before or after the write. */
    FORBIDDEN(ErrorCode.FORBIDDEN),
    DOCUMENT_TOO_LARGE(ErrorCode.DOCUMENT_TOO_LARGE),
    NESTING_TOO_DEEP(ErrorCode.NESTING_TOO_DEEP),
    PATCH_TOO_COSTLY(ErrorCode.PATCH_TOO_COSTLY),
    /** The database refused the document's data (its SQL state says so); nothing was written. */
    STORE_REJECTED(ErrorCode.STORE_REJECTED);

    private final ErrorCode code;

    Reason(ErrorCode code) {
      this.code = code;
    }

    public ErrorCode code() {
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
