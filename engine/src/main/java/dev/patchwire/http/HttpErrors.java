package dev.patchwire.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import io.vertx.ext.web.RoutingContext;

/** The one error body of the API: {@code {"error":{"code","message","details"?}}}. */
public final class HttpErrors {

  private HttpErrors() {
  }

  public static void send(RoutingContext ctx, int status, String code, String message, JsonNode details) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ObjectNode error = Json.object().put("code", code).put("message", message);
    if (details != null) {
      error.set("details", details);
    }
    ObjectNode body = Json.object();
    body.set("error", error);
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(Json.write(body));
  }
}
