package dev.patchwire.auth;

import dev.patchwire.wire.CloseCode;

/**
 * A request refused for its token: 401 {@code unauthorized} (or {@code token_expired}) with close
 * code 4401, or 403 {@code forbidden} with 4403. The message says why, never the token itself.
 */
public final class AuthFailure extends RuntimeException {

  private final int status;
  private final String code;

  private AuthFailure(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public static AuthFailure unauthorized(String message) {
    return new AuthFailure(401, "unauthorized", message);
  }

  public static AuthFailure forbidden(String message) {
    return new AuthFailure(403, "forbidden", message);
  }

  public int status() { return status; }

  public String code() { return code; }

  /** The WebSocket close code of the same refusal: 4401 or 4403. */
  public short closeCode() { return CloseCode.ofHttpStatus(status).code(); }
}
