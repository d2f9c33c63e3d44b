package dev.patchwire.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The engine's auth: off (every request gets {@link Access#OPEN}), or JWTs verified with
 * vertx-auth-jwt against one key, HS256 with a shared secret or RS256/ES256 with a public key.
 *
 * <p>vertx-auth-jwt checks the signature and algorithm ({@code alg: none} and any algorithm but
 * the key's are refused), {@code exp}, {@code nbf}, {@code iat}, {@code iss} and {@code aud};
 * it accepts a token without {@code exp}, so {@link Claims} refuses those.
 */
public final class Auth {

  /**
   * The longest token accepted; longer ones are refused before any decoding. 4096 is also about
   * what fits in a request line (Vert.x's default limit), where {@code access_token} travels.
   */
  public static final int MAX_TOKEN_CHARS = 4096;
  public static final String QUERY_PARAM = "access_token";
  /** The shortest HS256 secret: RFC 7518 3.2 asks for a key at least as long as the hash, 256 bits. */
  public static final int MIN_SECRET_BYTES = 32;

  private static final Pattern TOKEN_IN_QUERY =
      Pattern.compile("(?i)((?:^|[?&])access_token=)[^&#]*");

  /** How a key is given; {@code secret} or {@code publicKeyPem}, not both. */
  public record Settings(String secret, String publicKeyPem, String issuer, String audience,
      int maxWritesPerSecond) {

    public static final Settings OFF = new Settings(null, null, null, null, 0);

    public boolean enabled() {
      return secret != null || publicKeyPem != null;
    }
  }

  private final JWTAuth jwt;
  private final String algorithm;
  private final WriteLimiter limiter;

  private Auth(JWTAuth jwt, String algorithm, WriteLimiter limiter) {
    this.jwt = jwt;
    this.algorithm = algorithm;
    this.limiter = limiter;
  }

  /** Auth as configured; throws IllegalArgumentException for a key that cannot be used. */
  public static Auth create(Vertx vertx, Settings settings) {
    if (!settings.enabled()) {
      return new Auth(null, null, null);
    }
    WriteLimiter limiter = settings.maxWritesPerSecond() > 0
        ? new WriteLimiter(settings.maxWritesPerSecond()) : null;
    JWTOptions checks = new JWTOptions().setLeeway(0).setIgnoreExpiration(false);
    if (settings.issuer() != null) {
      checks.setIssuer(settings.issuer());
    }
    if (settings.audience() != null) {
      checks.setAudience(List.of(settings.audience()));
    }
    if (settings.secret() != null) {
      if (settings.secret().getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
        throw new IllegalArgumentException("--jwt-secret must be at least " + MIN_SECRET_BYTES
            + " bytes (256 bits, RFC 7518 3.2); `openssl rand -hex 32` makes one");
      }
      return new Auth(JWTAuth.create(vertx, new JWTAuthOptions().setJWTOptions(checks)
          .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(settings.secret()))),
          "HS256", limiter);
    }
    // A PEM public key does not say which algorithm it is for: RSA keys verify RS256, EC keys ES256.
    RuntimeException last = null;
    for (String alg : List.of("RS256", "ES256")) {
      try {
        return new Auth(JWTAuth.create(vertx, new JWTAuthOptions().setJWTOptions(checks)
            .addPubSecKey(new PubSecKeyOptions().setAlgorithm(alg).setBuffer(settings.publicKeyPem()))),
            alg, limiter);
      } catch (RuntimeException e) {
        last = e;
      }
    }
    throw new IllegalArgumentException("--jwt-public-key: not a PEM RSA or EC public key ("
        + last.getMessage() + ")", last);
  }

  public boolean enabled() {
    return jwt != null;
  }

  /** The line the engine prints at start-up. */
  public String describe() {
    String limit = limiter == null ? "" : ", at most " + limiter.perSecond() + " writes per second per token";
    return enabled()
        ? "auth: JWT " + algorithm + " (every API call and stream needs a token" + limit + ")"
        : "auth: off (anyone who can reach the port can read and write)";
  }

  /**
   * The request's token: {@code Authorization: Bearer T}, else the {@code access_token}
   * parameter, else null. Throws IllegalArgumentException when the query is not valid
   * percent-encoding.
   */
  public static String token(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    return request.getParam(QUERY_PARAM);
  }

  /** {@code uri} with the value of any {@code access_token} parameter replaced, for logs and reports. */
  public static String redact(String uri) {
    return uri == null ? null : TOKEN_IN_QUERY.matcher(uri).replaceAll("$1REDACTED");
  }

  /**
   * What {@code token} may do; fails with {@link AuthFailure} (401) when it is missing or
   * invalid. Off: always {@link Access#OPEN}.
   */
  public Future<Access> authenticate(String token) {
    if (jwt == null) {
      return Future.succeededFuture(Access.OPEN);
    }
    if (token == null || token.isEmpty()) {
      return Future.failedFuture(AuthFailure.unauthorized(
          "this engine needs a token: send Authorization: Bearer <JWT> or ?access_token=<JWT>"));
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      return Future.failedFuture(AuthFailure.unauthorized(
          "the token is longer than " + MAX_TOKEN_CHARS + " characters"));
    }
    Future<User> verified;
    try {
      verified = jwt.authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      // vertx-auth-jwt throws (rather than fails) for some malformed claims, e.g. a string exp
      verified = Future.failedFuture(e);
    }
    return verified.transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(AuthFailure.unauthorized("invalid token: " + reason(ar.cause())));
      }
      try {
        JsonObject payload = ar.result().attributes().getJsonObject("accessToken");
        Access access = Claims.parse(payload, token);
        if (access.expiresAtMillis() <= System.currentTimeMillis()) {
          return Future.failedFuture(AuthFailure.unauthorized("invalid token: the token has expired"));
        }
        return Future.succeededFuture(access);
      } catch (AuthFailure e) {
        return Future.failedFuture(e);
      } catch (RuntimeException e) {
        return Future.failedFuture(AuthFailure.unauthorized("invalid token: " + reason(e)));
      }
    });
  }

  /** True when a write of {@code access} is within {@code --max-writes-per-second}. */
  public boolean tryWrite(Access access) {
    return limiter == null || access.isOpen() || limiter.tryAcquire(access.rateKey());
  }

  /** Seconds until the write budget refills, for {@code Retry-After}. */
  public static int retryAfterSeconds() {
    return 1;
  }

  /** vertx-auth-jwt's reason, bounded; it never contains the token. */
  private static String reason(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }
}
