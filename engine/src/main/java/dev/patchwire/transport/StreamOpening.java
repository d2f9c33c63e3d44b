package dev.patchwire.transport;

import dev.patchwire.auth.Access;
import dev.patchwire.auth.AuthFailure;
import dev.patchwire.auth.Origins;
import dev.patchwire.wire.Position;
import dev.patchwire.stream.Filter;
import dev.patchwire.stream.StreamRequest;
import dev.patchwire.stream.Streams;
import dev.patchwire.wire.CloseCode;
import dev.patchwire.wire.ErrorCode;
import io.vertx.core.MultiMap;

/**
 * Reads a stream request's parameters, the same way for both transports, and says why it is
 * refused if it is: each refusal has its HTTP status (SSE) and its close code (WebSocket).
 */
final class StreamOpening {

  /** A refused stream: its code (and so its HTTP status) and its close code. */
  record Refusal(ErrorCode code, CloseCode closeCode, String message) {
  }

  final StreamRequest request;
  final Refusal refusal;

  private StreamOpening(StreamRequest request, Refusal refusal) {
    this.request = request;
    this.refusal = refusal;
  }

  /**
   * @param lastEventId SSE's Last-Event-ID header, which wins over {@code since}; null for WebSocket
   * @param access what the request's token may read ({@link Access#OPEN} without auth)
   */
  static StreamOpening read(String collection, MultiMap query, Streams streams, String lastEventId,
      Access access) {
    if (!streams.lookup().hasCollection(collection)) {
      return refused(ErrorCode.UNKNOWN_COLLECTION, CloseCode.NOT_FOUND,
          "no collection named '" + collection + "'");
    }
    if (!access.canRead(collection)) {
      return refused(ErrorCode.FORBIDDEN, CloseCode.FORBIDDEN, "this token has no read grant for the collection '"
          + collection + "'");
    }
    Filter filter;
    try {
      filter = Filter.parse(query.get("where"));
    } catch (IllegalArgumentException e) {
      return refused(ErrorCode.BAD_WHERE, CloseCode.BAD_REQUEST, e.getMessage());
    }
    String lag = query.get("lag");
    if (lag != null && !lag.equals("close") && !lag.equals("resync")) {
      return refused(ErrorCode.BAD_REQUEST, CloseCode.BAD_REQUEST,
          "lag must be 'resync' or 'close', got '" + lag + "'");
    }
    String since = lastEventId != null ? lastEventId : query.get("since");
    // A since that cannot be parsed is not an error: the client gets a snapshot.
    Position position = Position.parse(since);
    // A position read under other grants may have skipped documents that are now in scope:
    // resume only under the same grants (the Ready's scope), else start with a snapshot.
    if (!access.isOpen() && !access.scope().equals(query.get("scope"))) {
      position = null;
    }
    if (!streams.admission().admit()) {
      return refused(ErrorCode.TOO_MANY_SUBSCRIBERS, CloseCode.TOO_MANY_REQUESTS,
          "the server has too many open streams; retry later");
    }
    StreamRequest request = access.isOpen()
        ? new StreamRequest(collection, filter, position, "close".equals(lag))
        : new StreamRequest(collection, filter, position, "close".equals(lag),
            access.readFilter(collection), access.scope(), access.expiresAtMillis());
    return new StreamOpening(request, null);
  }

  static StreamOpening badRequest(String message) {
    return refused(ErrorCode.BAD_REQUEST, CloseCode.BAD_REQUEST, message);
  }

  /** A stream whose token was refused: 401 / 4401 (or 403 / 4403). */
  static StreamOpening unauthorized(AuthFailure failure) {
    return new StreamOpening(null, new Refusal(failure.code(), failure.closeCode(), failure.getMessage()));
  }

  /**
   * A WebSocket upgrade from a page whose origin may not open streams (see
   * {@code Origins.admits}); checked before anything else, so such a page learns nothing, not
   * even which collections exist.
   */
  static StreamOpening originNotAllowed(String origin) {
    String shown = origin.length() > 200 ? origin.substring(0, 200) + "..." : origin;
    String listable = Origins.normalizeOrNull(origin.trim());
    return refused(ErrorCode.ORIGIN_NOT_ALLOWED, CloseCode.FORBIDDEN, "pages from the origin " + shown
        + " may not open streams on this engine (WebSockets are open to pages of the engine's own"
        + " origin and those of --cors-origin); "
        + (listable != null
            ? "an operator who trusts it can start the engine with --cors-origin " + listable
            : "only http and https origins can be listed, --cors-origin * admits every page"));
  }

  /** A refusal decided before the stream's parameters were read (the engine's access policy). */
  static StreamOpening refusedBy(ErrorCode code, CloseCode closeCode, String message) {
    return new StreamOpening(null, new Refusal(code, closeCode, message));
  }

  private static StreamOpening refused(ErrorCode code, CloseCode closeCode, String message) {
    return new StreamOpening(null, new Refusal(code, closeCode, message));
  }
}
