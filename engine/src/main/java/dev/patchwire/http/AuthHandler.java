package dev.patchwire.http;

import dev.patchwire.auth.Access;
import dev.patchwire.auth.Auth;
import dev.patchwire.auth.AuthFailure;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.HttpErrors;
import io.vertx.ext.web.RoutingContext;

/**
 * Puts the {@link Access} of the request's token on the routing context (401 when the engine
 * has a key and the token is missing or invalid), and guards the operator endpoints, which need
 * an admin token. Runs after the host and origin checks, never instead of them.
 */
public final class AuthHandler {

  private final Auth auth;

  AuthHandler(Auth auth) {
    this.auth = auth;
  }

  /** Authenticates, then continues; a refused token ends the request with 401. */
  void authenticate(RoutingContext ctx) {
    if (!auth.enabled()) {
      ctx.put(Access.CONTEXT_KEY, Access.OPEN);
      ctx.next();
      return;
    }
    String token;
    try {
      token = Auth.token(ctx.request());
    } catch (IllegalArgumentException e) {
      HttpErrors.send(ctx, ErrorCode.BAD_REQUEST, "the query string is not valid percent-encoding", null);
      return;
    }
    auth.authenticate(token).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.put(Access.CONTEXT_KEY, ar.result());
        ctx.next();
      } else {
        refuse(ctx, ar.cause());
      }
    });
  }

  /** After {@link #authenticate}: continues only for an admin token ({@code "pw":{"admin":true}}). */
  void requireAdmin(RoutingContext ctx) {
    if (access(ctx).admin()) {
      ctx.next();
    } else {
      HttpErrors.send(ctx, ErrorCode.FORBIDDEN, "this endpoint needs a token with \"pw\":{\"admin\":true}", null);
    }
  }

  /** The access {@link #authenticate} found (see {@link Access#of}). */
  public static Access access(RoutingContext ctx) {
    return Access.of(ctx);
  }

  private static void refuse(RoutingContext ctx, Throwable cause) {
    if (cause instanceof AuthFailure f) {
      if (f.code() == ErrorCode.UNAUTHORIZED) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"patchwire\"");
      }
      HttpErrors.send(ctx, f.code(), f.getMessage(), null);
    } else {
      RestApi.fail(ctx, cause);
    }
  }
}
