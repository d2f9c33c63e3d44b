package dev.patchwire.wire;

/**
 * The WebSocket close codes of the protocol (docs/protocol.md, Close codes). A 44xx code is the
 * HTTP status of the same refusal plus 4000, so a client reads both the same way.
 */
public enum CloseCode {
  /** 1000: the stream is finished, or its subscriber closed it. */
  NORMAL_CLOSURE(1000),
  /** 1001: the server is shutting down; reconnect with {@code since}. */
  GOING_AWAY(1001),
  /** 1009: an inbound message past {@code --max-inbound-frame-bytes}. */
  MESSAGE_TOO_BIG(1009),
  /** 1011: the snapshot could not be read or sent. */
  INTERNAL_ERROR(1011),
  /** 4008: the subscriber fell behind under {@code lag=close}. */
  LAGGED(4008),
  /** 4400: bad request. */
  BAD_REQUEST(4400),
  /** 4401: {@code unauthorized} or {@code token_expired}. */
  UNAUTHORIZED(4401),
  /** 4403: {@code forbidden}, {@code origin_not_allowed}, {@code misdirected_request}. */
  FORBIDDEN(4403),
  /** 4404: unknown collection. */
  NOT_FOUND(4404),
  /** 4429: too many open streams ({@code --max-subscribers}). */
  TOO_MANY_REQUESTS(4429);

  private final short code;

  CloseCode(int code) {
    this.code = (short) code;
  }

  /** The number on the wire. */
  public short code() {
    return code;
  }

  /** The 44xx close code of a refusal whose HTTP status is {@code status} (400, 401, 403, 404, 429). */
  public static CloseCode ofHttpStatus(int status) {
    for (CloseCode c : values()) {
      if (c.code == 4000 + status) {
        return c;
      }
    }
    throw new IllegalArgumentException("no close code for HTTP status " + status);
  }
}
