package dev.patchwire.http;

import dev.patchwire.auth.Origins;
import dev.patchwire.wire.CloseCode;
import dev.patchwire.wire.ErrorCode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who may talk to this engine: checked by {@link HttpVerticle} on every request before anything
 * else, for the router and the WebSocket upgrades alike, so that a refused request learns
 * nothing (not even which collections exist).
 *
 * <ol>
 *   <li>{@code Host} must name this engine ({@code --allowed-hosts}): a page on {@code evil.example}
 *   whose DNS name is rebound to 127.0.0.1 reaches the engine as a same-origin page, and only
 *   its {@code Host: evil.example} tells it apart. Others get 421 {@code misdirected_request}
 *   (a WebSocket: the error frame, then close 4403). A missing, repeated or malformed
 *   {@code Host} is 400, as RFC 9112 section 3.2 asks.</li>
 *   <li>A write (POST, PUT, PATCH, DELETE) from a page of a foreign origin is refused with 403
 *   {@code origin_not_allowed}, whatever its content type: a cross-site form or {@code fetch}
 *   with {@code mode: 'no-cors'} needs no preflight for a POST of {@code text/plain}, and the
 *   write would be done even though the page cannot read the answer. Foreign means neither the
 *   engine's own origin nor one of {@code --cors-origin} (see {@link Origins#admits}); a request
 *   without {@code Origin} (no browser) is no page's.</li>
 *   <li>Operator data ({@code /api/stats} lists every subscriber's filter) goes only to requests
 *   that no foreign page sent: see {@link #mayReadOperatorData}.</li>
 * </ol>
 */
public final class AccessPolicy {

  /** Why a request is refused: its code (and so its HTTP status), and its close code if it is a WebSocket upgrade. */
  public record Refusal(ErrorCode code, CloseCode closeCode, String message) {
  }

  /** host[:port]: a DNS name or IPv4 address, or an IPv6 address in brackets. */
  private static final Pattern HOST = Pattern.compile(
      "([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\\.?|\\[[0-9A-Fa-f:.]+])(?::([0-9]{1,5}))?");

  private static final Set<HttpMethod> WRITES =
      Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);

  private final boolean anyHost;
  private final Set<String> allowedHosts;
  private final Origins origins;

  /**
   * @param allowedHosts host names as {@link #normalizeHost} writes them, or {@code ["*"]} for any
   *     (see {@code EngineOptions.allowedHosts})
   * @param origins the {@code --cors-origin} policy
   */
  public AccessPolicy(List<String> allowedHosts, Origins origins) {
    this.anyHost = allowedHosts.equals(List.of("*"));
    this.allowedHosts = Set.copyOf(allowedHosts);
    this.origins = origins;
  }

  /** The refusal for this request, or null when it may go on. */
  public Refusal check(HttpServerRequest request) {
    List<String> hosts = request.headers().getAll("Host");
    if (hosts.isEmpty() && request.version() == io.vertx.core.http.HttpVersion.HTTP_2
        && request.authority() != null) {
      // HTTP/2 (an application's server, mounted on: the engine's own speaks HTTP/1.1 only)
      // names the host in :authority
      hosts = List.of(request.authority().toString());
    }
    if (hosts.size() != 1) {
      return new Refusal(ErrorCode.BAD_REQUEST, CloseCode.BAD_REQUEST, hosts.isEmpty()
          ? "a Host header is required" : "a request must have one Host header, this one has " + hosts.size());
    }
    String host = hostName(hosts.get(0));
    if (host == null) {
      return new Refusal(ErrorCode.BAD_REQUEST, CloseCode.BAD_REQUEST, "the Host header is malformed");
    }
    if (!anyHost && !allowedHosts.contains(host)) {
      return new Refusal(ErrorCode.MISDIRECTED_REQUEST, CloseCode.FORBIDDEN, "this engine does not serve the host '"
          + shorten(host) + "' (see --allowed-hosts)");
    }
    String origin = request.getHeader("Origin");
    if (origin != null && WRITES.contains(request.method()) && !origins.admits(request)) {
      return new Refusal(ErrorCode.ORIGIN_NOT_ALLOWED, CloseCode.FORBIDDEN, "pages from the origin "
          + shorten(origin) + " may not write to this engine (see --cors-origin)");
    }
    return null;
  }

  /**
   * Whether this request may read operator data, such as {@code /api/stats} and its list of every
   * subscriber's filter: only when no foreign page sent it (no {@code Origin}, the engine's own, or
   * one of {@code --cors-origin}). This is the one place to widen or narrow that: an admin
   * credential, once the engine has authentication, is checked here.
   */
  public boolean mayReadOperatorData(HttpServerRequest request) {
    return origins.admits(request);
  }

  /** The host name of a {@code Host} header value, as {@link #normalizeHost} writes it; null when malformed. */
  static String hostName(String header) {
    Matcher m = HOST.matcher(header.trim());
    if (!m.matches() || (m.group(2) != null && Integer.parseInt(m.group(2)) > 65535)) {
      return null;
    }
    return normalizeHost(m.group(1));
  }

  /**
   * A host name for comparison: lower case, without a trailing dot ({@code localhost.} is
   * {@code localhost}), an IPv6 address in brackets.
   *
   * @throws IllegalArgumentException when {@code host} is no host name or address
   */
  public static String normalizeHost(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.indexOf(':') >= 0 && !h.startsWith("[")) {
      h = "[" + h + "]";  // a bare IPv6 address, as --host takes it
    }
    if (h.endsWith(".") && !h.startsWith("[")) {
      h = h.substring(0, h.length() - 1);
    }
    if (!HOST.matcher(h).matches() || h.contains(":") && !h.startsWith("[")) {
      throw new IllegalArgumentException("'" + host + "' is not a host name or address");
    }
    return h;
  }

  /** {@link #normalizeHost}, or null when {@code host} is no host name or address. */
  public static String normalizeHostOrNull(String host) {
    try {
      return normalizeHost(host);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String shorten(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
