package dev.patchwire.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kanban board that web-client builds is served from the engine's classpath at {@code /}:
 * index.html is re-validated on every load (an upgrade must show), the content-hashed assets
 * may be cached for good, and an unknown path is a JSON 404, not a page.
 */
class WebrootTest {

  private static final Pattern ASSET = Pattern.compile("(?:src|href)=\"\\.?/?(assets/[^\"]+\\.js)\"");

  private static TestServer server;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheBoardWithAHashedScriptThatMayBeCachedForGood() throws Exception {
    HttpResponse<String> index = get("/");
    assertEquals(200, index.statusCode());
    assertTrue(index.headers().firstValue("Content-Type").orElse("").startsWith("text/html"),
        index.headers().toString());
    assertEquals("no-cache", index.headers().firstValue("Cache-Control").orElse(null));
    Matcher script = ASSET.matcher(index.body());
    assertTrue(script.find(), "index.html names no script under assets/: " + index.body());

    HttpResponse<String> asset = get("/" + script.group(1));
    assertEquals(200, asset.statusCode());
    assertTrue(asset.headers().firstValue("Content-Type").orElse("").contains("javascript"),
        asset.headers().toString());
    assertTrue(asset.headers().firstValue("Cache-Control").orElse("").contains("max-age=31536000"),
        asset.headers().toString());
  }

  @Test
  void anUnknownPathIsAJson404() throws Exception {
    HttpResponse<String> missing = get("/no-such-page.html");
    assertEquals(404, missing.statusCode());
    assertTrue(missing.body().contains("\"not_found\""), missing.body());
  }
}
