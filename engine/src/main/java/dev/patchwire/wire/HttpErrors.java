package dev.patchwire.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** The one error body of the API: {@code {"error":{"code","message","details"?}}}. */
public final class HttpErrors {

  private HttpErrors() {
  }

  /**
   * Sends the error with its code's status; the future completes once it is written (at once if
   * nothing could be).
   */
  public static Future<Void> send(RoutingContext ctx, ErrorCode code, String message, JsonNode details) {
    return send(ctx.response(), code, message, details);
  }

  /** {@link #send(RoutingContext, ErrorCode, String, JsonNode)} for a request the router never saw. */
  public static Future<Void> send(HttpServerResponse response, ErrorCode code, String message,
      JsonNode details) {
    if (response.ended() || response.closed()) {
      return Future.succeededFuture();
    }
    ObjectNode error = Json.object().put("code", code.wire()).put("message", message);
    if (details != null) {
      error.set("details", details);
    }
    ObjectNode body = Json.object();
    body.set("error", error);
    return response
        .setStatusCode(code.httpStatus())
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(Json.write(body));
  }
}
