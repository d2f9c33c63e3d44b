package dev.patchwire.tools;

/** A recording that breaks the protocol: where ({@code file:line}) and what. */
public final class ReplayViolation extends RuntimeException {

  private final String where;

  public ReplayViolation(String where, String message, Throwable cause) {
    super(where + ": " + message, cause);
    this.where = where;
  }

  /** {@code file:line} of the offending entry. */
  public String where() {
    return where;
  }
}
