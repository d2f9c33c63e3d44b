package dev.patchwire.auth;

import io.vertx.core.http.HttpServerRequest;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Web origins ({@code scheme://host[:port]}) the way browsers write them in the {@code Origin}
 * header, and which origins may open a stream WebSocket.
 *
 * <p>Browsers apply no CORS to WebSockets: any page may open one to any host and read what
 * arrives, so the engine checks the upgrade's {@code Origin} itself (see {@link #admits}).
 */
public final class Origins {

  /** scheme://host[:port], host a DNS name, IPv4 or [IPv6]. */
  private static final Pattern ORIGIN = Pattern.compile(
      "([A-Za-z][A-Za-z0-9+.-]*)://([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+])(?::([0-9]{1,5}))?");

  private final boolean any;
  /** Normalized; empty when any origin is allowed or none is listed. */
  private final Set<String> listed;

  private Origins(boolean any, Set<String> listed) {
    this.any = any;
    this.listed = listed;
  }

  /**
   * The WebSocket policy for {@code --cors-origin}'s list (see {@code EngineOptions.corsOrigins}:
   * normalized, {@code ["*"]} for any, empty for none).
   */
  public static Origins forCorsOrigins(List<String> corsOrigins) {
    boolean any = corsOrigins.equals(List.of("*"));
    Set<String> listed = new LinkedHashSet<>();
    if (!any) {
      corsOrigins.forEach(o -> listed.add(normalizeOrNull(o)));
      listed.remove(null);
    }
    return new Origins(any, Set.copyOf(listed));
  }

  /**
   * Whether a page from this request's {@code Origin} may open a stream WebSocket: yes without an
   * {@code Origin} (no browser: Node, wscat, tests), for the request's own origin (the board the
   * engine serves), for a listed origin, and for any origin under {@code *}. Anything else, a
   * malformed origin or {@code null} (sandboxed frames, files) included, is refused.
   */
  public boolean admits(HttpServerRequest request) {
    return admits(request.getHeader("Origin"), request.getHeader("Host"),
        request.isSSL() ? "https" : "http", request.getHeader("X-Forwarded-Proto"));
  }

  /**
   * {@link #admits(HttpServerRequest)} on the parts of a request: its {@code Origin} and
   * {@code Host} headers (either may be null), the scheme of its connection ({@code http} or
   * {@code https}) and its {@code X-Forwarded-Proto} header (null when none).
   */
  boolean admits(String origin, String host, String connectionScheme, String forwardedProto) {
    if (origin == null || lists(origin)) {
      return true;
    }
    String normalized = normalizeOrNull(origin.trim());
    return normalized != null && normalized.equals(ownOrigin(host, connectionScheme, forwardedProto));
  }

  /** Whether {@code --cors-origin} names this {@code Origin} header's value (or is {@code *}). */
  public boolean lists(String origin) {
    if (any) {
      return true;
    }
    String normalized = normalizeOrNull(origin.trim());
    return normalized != null && listed.contains(normalized);
  }

  /** Whether {@code --cors-origin} is {@code *}. */
  public boolean any() {
    return any;
  }

  /**
   * The origin a browser reached this server at: the connection's scheme, or the one a proxy in
   * front names in {@code X-Forwarded-Proto} (no page can set that header on a WebSocket
   * handshake), and the {@code Host} header. Null when {@code Host} is missing or malformed.
   */
  static String ownOrigin(String host, String connectionScheme, String forwardedProto) {
    if (host == null) {
      return null;
    }
    String scheme = connectionScheme;
    if (forwardedProto != null) {
      String first = forwardedProto.split(",", 2)[0].trim().toLowerCase(Locale.ROOT);
      if (first.equals("http") || first.equals("https")) {
        scheme = first;
      }
    }
    return normalizeOrNull(scheme + "://" + host.trim());
  }

  /** {@link #normalize}, or null when {@code origin} is not an http(s) origin. */
  public static String normalizeOrNull(String origin) {
    try {
      return normalize(origin);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * An origin as a browser sends it in the {@code Origin} header: lower-case scheme and host, and
   * no port when it is the scheme's default (so {@code HTTP://Example.com:443} is no match for
   * {@code https://example.com}, but {@code https://Example.com:443} is).
   *
   * @throws IllegalArgumentException saying why {@code origin} is not an http(s) origin
   */
  public static String normalize(String origin) {
    String example = "; an origin is scheme://host[:port], e.g. http://localhost:3000";
    int sep = origin.indexOf("://");
    if (sep < 0) {
      throw new IllegalArgumentException("'" + origin + "' is not an origin" + example);
    }
    int authorityEnd = sep + 3;
    while (authorityEnd < origin.length() && "/?#".indexOf(origin.charAt(authorityEnd)) < 0) {
      authorityEnd++;
    }
    if (authorityEnd < origin.length()) {
      throw new IllegalArgumentException("'" + origin + "' has a path, query or fragment ('"
          + origin.substring(authorityEnd) + "'); a browser's Origin never does" + example
          + (origin.substring(authorityEnd).equals("/") ? " (drop the trailing '/')" : ""));
    }
    var m = ORIGIN.matcher(origin);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + origin + "' is not an origin" + example);
    }
    String scheme = m.group(1).toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("'" + origin + "': only http and https origins are supported");
    }
    String host = m.group(2).toLowerCase(Locale.ROOT);
    String port = m.group(3);
    if (port != null) {
      int n = Integer.parseInt(port);
      if (n < 1 || n > 65535) {
        throw new IllegalArgumentException("'" + origin + "': port must be 1..65535");
      }
      boolean defaultPort = n == (scheme.equals("http") ? 80 : 443);
      port = defaultPort ? null : String.valueOf(n);
    }
    return scheme + "://" + host + (port == null ? "" : ":" + port);
  }
}
