package dev.patchwire.auth;

import dev.patchwire.wire.CloseCode;
import dev.patchwire.wire.ErrorCode;

/**
 * A request refused for its token: 401 {@code unauthorized} (or {@code token_expired}) with close
 * code 4401, or 403 {@code forbidden} with 4403. The message says why, never the token itself.
 */
public final class AuthFailure extends RuntimeException {

  private final ErrorCode code;

  private AuthFailure(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public static AuthFailure unauthorized(String message) {
    return new AuthFailure(ErrorCode.UNAUTHORIZED, message);
  }

  public static AuthFailure forbidden(String message) {
    return new AuthFailure(ErrorCode.FORBIDDEN, message);
  }

  public ErrorCode code() { return code; }

  /** The WebSocket close code of the same refusal: 4401 or 4403. */
  public CloseCode closeCode() { return CloseCode.ofHttpStatus(code.httpStatus()); }
}
