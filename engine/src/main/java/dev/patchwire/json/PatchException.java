package dev.patchwire.json;

/** A JSON Patch that could not be applied; {@link #kind()} tells the caller which answer to give. */
public final class PatchException extends RuntimeException {

  /** Why the patch was refused. */
  public enum Kind {
    /** Not a valid RFC 6902 document: not an array, unknown op, missing member, bad pointer. */
    INVALID,
    /** A {@code test} operation did not match. */
    TEST_FAILED,
    /** Well formed, but a path does not exist in the target document. */
    CONFLICT,
    /** The document would grow past its byte or value limit (see {@link DocLimits}). */
    TOO_LARGE,
    /** The document would nest deeper than its limit. */
    TOO_DEEP,
    /** The patch would copy, move and remove more bytes in all than one patch may. */
    TOO_COSTLY
  }

  private final Kind kind;

  public PatchException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
