package dev.patchwire.http;

import dev.patchwire.auth.Origins;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.HttpErrors;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * CORS for the REST API, the SSE streams and {@code /health} when {@code --cors-origin} is given
 * (WebSockets are not subject to CORS: {@link Origins#admits} checks their upgrades). An allowed origin goes through Vert.x's
 * {@link CorsHandler}: a preflight is answered 204 with the allowed methods and headers, and
 * every other answer, errors included, carries {@code Access-Control-Allow-Origin} and exposes
 * {@code Patchwire-Seq} and {@code ETag}.
 *
 * <p>An origin not on the list is not refused the way {@link CorsHandler} alone would (403 for
 * every request that names it): browsers send {@code Origin} on same-origin writes too, so that
 * would break the board the engine serves itself, and any page behind a proxy whose origin
 * nobody listed. Such a request is served without CORS headers, so a browser withholds the answer
 * from a foreign page; only its preflight is answered 403 {@code origin_not_allowed}, since a
 * browser sends preflights for cross-origin requests alone. Writes from a foreign page are
 * refused before they get here, whatever their content type (see {@link AccessPolicy}).
 */
final class Cors implements Handler<RoutingContext> {

  static final List<HttpMethod> METHODS =
      List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
  // Authorization: a page sends its token as a Bearer header (not a CORS credential: no cookies)
  static final List<String> REQUEST_HEADERS = List.of("Content-Type", "If-Match", "Last-Event-ID", "Authorization");
  static final List<String> EXPOSED_HEADERS = List.of(RestApi.SEQ_HEADER, "ETag");
  static final int MAX_AGE_SECONDS = 600;

  private final CorsHandler cors;
  /** The same policy the WebSocket upgrades follow. */
  private final Origins origins;

  private Cors(CorsHandler cors, Origins origins) {
    this.cors = cors;
    this.origins = origins;
  }

  /**
   * The handler for these origins ({@code ["*"]} for any; see {@code EngineOptions.corsOrigins}),
   * or null when the list is empty: then no route gets a CORS handler and no answer a CORS header.
   */
  static Cors forOrigins(List<String> corsOrigins, Origins origins) {
    if (corsOrigins.isEmpty()) {
      return null;
    }
    CorsHandler cors = CorsHandler.create()
        .allowedMethods(new LinkedHashSet<>(METHODS))
        .allowedHeaders(new LinkedHashSet<>(REQUEST_HEADERS))
        .exposedHeaders(new LinkedHashSet<>(EXPOSED_HEADERS))
        .maxAgeSeconds(MAX_AGE_SECONDS)
        .allowCredentials(false);
    if (origins.any()) {
      cors.addOrigin("*");
    } else {
      cors.addOrigins(corsOrigins);
    }
    return new Cors(cors, origins);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (origins.any()) {
      cors.handle(ctx);
      return;
    }
    // The answer depends on Origin (allow header or none): shared caches must key on it.
    addVaryOrigin(ctx.response().headers());
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || origins.lists(origin)) {
      cors.handle(ctx);
    } else if (ctx.request().method() == HttpMethod.OPTIONS
        && ctx.request().getHeader("Access-Control-Request-Method") != null) {
      HttpErrors.send(ctx, ErrorCode.ORIGIN_NOT_ALLOWED,
          "the origin " + origin + " may not use this API (see --cors-origin)", null);
    } else {
      ctx.next();
    }
  }

  private static void addVaryOrigin(MultiMap headers) {
    for (String vary : headers.getAll("Vary")) {
      for (String name : vary.split(",")) {
        if (name.trim().equalsIgnoreCase("Origin")) {
          return;
        }
      }
    }
    headers.add("Vary", "Origin");
  }
}
