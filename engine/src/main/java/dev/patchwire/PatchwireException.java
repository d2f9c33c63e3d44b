package dev.patchwire;

/** A refused call: the error code of docs/protocol.md ({@code test_failed}, {@code schema_violation}, ...). */
public final class PatchwireException extends RuntimeException {

  private final String code;

  public PatchwireException(String code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  /** As in the REST API's {@code {"error":{"code":...}}}. */
  public String code() {
    return code;
  }
}
