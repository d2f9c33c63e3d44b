package dev.patchwire.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which pages may open a stream WebSocket, on the parts of the upgrade request (the real sockets
 * are in {@code stream/WebSocketOriginTest}).
 */
@DisplayName("The WebSocket origin check")
class OriginsTest {

  private static final Origins OFF = Origins.forCorsOrigins(List.of());
  private static final Origins LISTED = Origins.forCorsOrigins(List.of("http://localhost:3000", "https://app.example.com"));
  private static final Origins ANY = Origins.forCorsOrigins(List.of("*"));

  @Test
  @DisplayName("admits a request without Origin (no browser) whatever the flag says")
  void noOrigin() {
    for (Origins o : List.of(OFF, LISTED, ANY)) {
      assertTrue(o.admits(null, "127.0.0.1:8080", "http", null));
      assertTrue(o.admits(null, null, "http", null));
    }
  }

  @ParameterizedTest(name = "Origin {0}, Host {1}, {2}, X-Forwarded-Proto {3}")
  @CsvSource(nullValues = "-", value = {
      "http://127.0.0.1:8080,   127.0.0.1:8080,   http,  -",
      "HTTP://LocalHost:8080,   localhost:8080,   http,  -",
      "http://localhost:8080,   LOCALHOST:8080,   http,  -",
      "http://example.com,      example.com:80,   http,  -",
      "http://example.com:80,   example.com,      http,  -",
      "http://[::1]:8080,       [::1]:8080,       http,  -",
      "https://board.example,   board.example,    https, -",
      "https://board.example,   board.example:443, https, -",
      "https://board.example,   board.example,    http,  https",
      "https://board.example,   board.example,    http,  'HTTPS, http'",
      "http://localhost:5173,   localhost:5173,   http,  -",
  })
  @DisplayName("admits the request's own origin, compared case-insensitively with default ports normalized")
  void sameOrigin(String origin, String host, String scheme, String forwardedProto) {
    assertTrue(OFF.admits(origin, host, scheme, forwardedProto));
  }

  @ParameterizedTest(name = "Origin {0}, Host {1}, {2}, X-Forwarded-Proto {3}")
  @CsvSource(nullValues = "-", value = {
      "https://evil.example,    127.0.0.1:8080,   http,  -",
      "http://127.0.0.1:8081,   127.0.0.1:8080,   http,  -",
      "http://localhost:8080,   127.0.0.1:8080,   http,  -",
      "https://127.0.0.1:8080,  127.0.0.1:8080,   http,  -",
      "http://127.0.0.1:8080,   127.0.0.1:8080,   https, -",
      "http://127.0.0.1:8080,   127.0.0.1:8080,   http,  https",
      "https://board.example,   board.example,    http,  -",
      "http://example.com:8080, example.com,      http,  -",
      "null,                    127.0.0.1:8080,   http,  -",
      "'',                      127.0.0.1:8080,   http,  -",
      "http://127.0.0.1:8080/,  127.0.0.1:8080,   http,  -",
      "file://,                 127.0.0.1:8080,   http,  -",
      "http://127.0.0.1:8080,   -,                http,  -",
      "http://127.0.0.1:8080,   '127.0.0.1:8080/x', http, -",
      "http://evil.example,     'evil.example@127.0.0.1:8080', http, -",
  })
  @DisplayName("refuses any other origin, malformed and null ones included, without --cors-origin")
  void foreign(String origin, String host, String scheme, String forwardedProto) {
    assertFalse(OFF.admits(origin, host, scheme, forwardedProto));
  }

  @Test
  @DisplayName("admits the --cors-origin list's origins as browsers write them, and nothing near them")
  void listed() {
    assertTrue(LISTED.admits("http://localhost:3000", "127.0.0.1:8080", "http", null));
    assertTrue(LISTED.admits("https://app.example.com", "127.0.0.1:8080", "http", null));
    assertTrue(LISTED.admits("HTTPS://App.Example.com:443", "127.0.0.1:8080", "http", null));
    assertTrue(LISTED.admits("http://127.0.0.1:8080", "127.0.0.1:8080", "http", null), "own origin");
    for (String near : List.of("https://localhost:3000", "http://localhost:3001", "http://localhost",
        "https://app.example.com.evil.example", "http://app.example.com", "null")) {
      assertFalse(LISTED.admits(near, "127.0.0.1:8080", "http", null), near);
    }
  }

  @Test
  @DisplayName("admits every origin under *, null and malformed ones included")
  void any() {
    for (String origin : List.of("https://evil.example", "null", "not an origin", "chrome-extension://abc")) {
      assertTrue(ANY.admits(origin, "127.0.0.1:8080", "http", null), origin);
    }
  }
}
