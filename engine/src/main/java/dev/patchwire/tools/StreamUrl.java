package dev.patchwire.tools;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A patchwire stream address, {@code ws[s]://host:port/api/collections/{c}/stream/ws?...} or
 * {@code http[s]://host:port/api/collections/{c}/stream/sse?...}, taken apart: transport,
 * collection and the {@code where} and {@code since} parameters.
 */
public record StreamUrl(URI uri, String transport, String collection, String where, String since) {

  /** Parses and checks a stream URL; throws IllegalArgumentException saying what is wrong. */
  public static StreamUrl parse(String text) {
    URI uri;
    try {
      uri = URI.create(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a URL: " + text);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String transport;
    if ((scheme.equals("ws") || scheme.equals("wss")) && path.endsWith("/stream/ws")) {
      transport = "ws";
    } else if ((scheme.equals("http") || scheme.equals("https")) && path.endsWith("/stream/sse")) {
      transport = "sse";
    } else {
      throw new IllegalArgumentException("expected ws://HOST:PORT/api/collections/C/stream/ws"
          + " or http://HOST:PORT/api/collections/C/stream/sse, got " + text);
    }
    String[] segments = path.split("/");
    int at = java.util.Arrays.asList(segments).indexOf("collections");
    if (at < 0 || at + 1 >= segments.length) {
      throw new IllegalArgumentException("no /collections/{c}/ in " + text);
    }
    String collection = decode(segments[at + 1]);
    return new StreamUrl(uri, transport, collection, param(uri, "where"), param(uri, "since"));
  }

  public boolean secure() {
    String scheme = uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    return scheme.equals("wss") || scheme.equals("https");
  }

  public int port() {
    return uri.getPort() > 0 ? uri.getPort() : secure() ? 443 : 80;
  }

  /** Path and query as sent on the wire. */
  public String pathAndQuery() {
    return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  /** The decoded value of query parameter {@code name}, or null. */
  static String param(URI uri, String name) {
    String query = uri.getRawQuery();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      if (key.equals(name)) {
        return eq < 0 ? "" : decode(pair.substring(eq + 1));
      }
    }
    return null;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
