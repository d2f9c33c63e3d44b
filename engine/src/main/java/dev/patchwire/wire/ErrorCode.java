package dev.patchwire.wire;

/**
 * The error codes of the protocol: the {@code code} of every {@code {"error":{...}}} body, error
 * frame and SSE {@code error} event (docs/protocol.md lists each with its status; ErrorCodeTest
 * holds this enum, that table and schemas/wire/error.schema.json to the same set). Each code
 * answers with one HTTP status; the two that only end an open stream have none.
 */
public enum ErrorCode {
  MALFORMED_JSON("malformed_json", 400),
  DUPLICATE_MEMBER("duplicate_member", 400),
  UNREPRESENTABLE_NUMBER("unrepresentable_number", 400),
  NESTING_TOO_DEEP("nesting_too_deep", 400),
  INVALID_PATCH("invalid_patch", 400),
  NOT_AN_OBJECT("not_an_object", 400),
  BAD_ID("bad_id", 400),
  ID_MISMATCH("id_mismatch", 400),
  BAD_WHERE("bad_where", 400),
  BAD_REQUEST("bad_request", 400),
  UNAUTHORIZED("unauthorized", 401),
  ORIGIN_NOT_ALLOWED("origin_not_allowed", 403),
  FORBIDDEN("forbidden", 403),
  UNKNOWN_COLLECTION("unknown_collection", 404),
  NOT_FOUND("not_found", 404),
  METHOD_NOT_ALLOWED("method_not_allowed", 405),
  REQUEST_TIMEOUT("request_timeout", 408),
  ALREADY_EXISTS("already_exists", 409),
  TEST_FAILED("test_failed", 409),
  PATCH_CONFLICT("patch_conflict", 409),
  PRECONDITION_FAILED("precondition_failed", 409),
  BODY_TOO_LARGE("body_too_large", 413),
  DOCUMENT_TOO_LARGE("document_too_large", 413),
  PATCH_TOO_COSTLY("patch_too_costly", 413),
  URI_TOO_LONG("uri_too_long", 414),
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415),
  MISDIRECTED_REQUEST("misdirected_request", 421),
  SCHEMA_VIOLATION("schema_violation", 422),
  STORE_REJECTED("store_rejected", 422),
  TOO_MANY_SUBSCRIBERS("too_many_subscribers", 429),
  RATE_LIMITED("rate_limited", 429),
  HEADERS_TOO_LARGE("headers_too_large", 431),
  INTERNAL("internal", 500),
  UNAVAILABLE("unavailable", 503),
  OVERLOADED("overloaded", 503),
  /** An open stream's token reached its {@code exp}: WebSocket close 4401, SSE {@code error} event. */
  TOKEN_EXPIRED("token_expired", 0),
  /** A subscriber that fell behind under {@code lag=close}: WebSocket close 4008, SSE {@code error} event. */
  LAGGED("lagged", 0);

  private final String wire;
  private final int httpStatus;

  ErrorCode(String wire, int httpStatus) {
    this.wire = wire;
    this.httpStatus = httpStatus;
  }

  /** The code as clients read it, e.g. {@code malformed_json}. */
  public String wire() {
    return wire;
  }

  /** The status of an HTTP answer with this code; throws for a code that only ends an open stream. */
  public int httpStatus() {
    if (httpStatus == 0) {
      throw new IllegalStateException(wire + " ends an open stream and is never an HTTP answer");
    }
    return httpStatus;
  }

  /** Whether this code is ever an HTTP answer (all but those that only end an open stream). */
  public boolean isHttpAnswer() {
    return httpStatus != 0;
  }
}
