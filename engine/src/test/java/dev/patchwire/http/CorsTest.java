package dev.patchwire.http;

import static dev.patchwire.http.HttpCalls.JSON;
import static dev.patchwire.http.HttpCalls.doc;
import static dev.patchwire.http.HttpCalls.docs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.http.HttpCalls.Reply;
import dev.patchwire.testing.TestServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code --cors-origin} over real HTTP: with a list, its origins get preflights answered and
 * every answer (errors and SSE streams included) readable; other origins get no CORS headers and
 * a refused preflight; {@code *} allows any origin; without the flag no answer has a CORS header.
 * (The JDK client sends {@code Origin} as given since JDK 12: it is not a restricted header.)
 */
class CorsTest {

  private static final String APP = "http://localhost:3000";
  private static final String OTHER_APP = "https://app.example.com";
  private static final String FOREIGN = "https://evil.example";
  private static final String ALLOW_ORIGIN = "Access-Control-Allow-Origin";

  private static TestServer listed;
  private static TestServer any;
  private static TestServer off;
  private static HttpCalls listedApi;
  private static HttpCalls anyApi;
  private static HttpCalls offApi;

  @BeforeAll
  static void start() {
    // Written the way an operator might: mixed case, a default port, spaces after commas.
    listed = TestServer.start(TestServer.defaults().setCorsOrigins("HTTP://LocalHost:3000, https://app.example.com:443"));
    any = TestServer.start(TestServer.defaults().setCorsOrigins("*"));
    off = TestServer.start();
    listedApi = new HttpCalls(listed.baseUrl());
    anyApi = new HttpCalls(any.baseUrl());
    offApi = new HttpCalls(off.baseUrl());
  }

  @AfterAll
  static void stop() {
    for (TestServer s : new TestServer[] {listed, any, off}) {
      if (s != null) {
        s.close();
      }
    }
  }

  private static Reply preflight(HttpCalls api, String path, String origin, String method) {
    return api.send("OPTIONS", path, null, null, "Origin", origin,
        "Access-Control-Request-Method", method,
        "Access-Control-Request-Headers", "content-type,if-match");
  }

  private static Set<String> list(Reply r, String header) {
    return r.raw().headers().allValues(header).stream()
        .flatMap(v -> Arrays.stream(v.split(",")))
        .map(s -> s.trim().toLowerCase(Locale.ROOT))
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toSet());
  }

  private static void assertNoCors(Reply r) {
    List<String> cors = r.raw().headers().map().keySet().stream()
        .filter(h -> h.toLowerCase(Locale.ROOT).startsWith("access-control-"))
        .toList();
    assertTrue(cors.isEmpty(), r.request() + " carries CORS headers " + cors + ": " + r.raw().headers().map());
  }

  private static void assertAllows(Reply r, String origin) {
    assertEquals(origin, r.header(ALLOW_ORIGIN).orElse(null),
        r.request() + " with Origin " + origin + ": " + r.raw().headers().map());
    assertFalse(r.header("Access-Control-Allow-Credentials").isPresent(), r.request() + ": credentials allowed");
  }

  @Test
  @DisplayName("a preflight for PATCH from a listed origin is answered 204 with methods, headers and max age")
  void preflightFromAListedOrigin() {
    Reply r = preflight(listedApi, doc("items", "x"), APP, "PATCH");
    assertEquals(204, r.status(), r.body());
    assertAllows(r, APP);
    assertEquals(Set.of("get", "post", "put", "patch", "delete"), list(r, "Access-Control-Allow-Methods"));
    assertEquals(Set.of("content-type", "if-match", "last-event-id", "authorization"), list(r, "Access-Control-Allow-Headers"));
    assertEquals("600", r.header("Access-Control-Max-Age").orElse(null));

    // The second listed origin, as a browser writes it (no default port).
    assertAllows(preflight(listedApi, docs("items"), OTHER_APP, "POST").expect(204), OTHER_APP);
  }

  @Test
  @DisplayName("a write from a listed origin exposes Patchwire-Seq and ETag")
  void writeFromAListedOrigin() {
    Reply created = listedApi.send("POST", docs("items"), JSON, "{\"id\":\"cors-1\",\"n\":1}", "Origin", APP)
        .expect(201);
    assertAllows(created, APP);
    assertTrue(list(created, "Access-Control-Expose-Headers").containsAll(Set.of("patchwire-seq", "etag")),
        created.raw().headers().map().toString());
    created.position();
    assertTrue(list(created, "Vary").contains("origin"), created.raw().headers().map().toString());

    Reply patched = listedApi.send("PATCH", doc("items", "cors-1"), JSON,
        "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":2}]", "Origin", APP).expect(200);
    assertAllows(patched, APP);
    patched.position();
  }

  @Test
  @DisplayName("error answers to a listed origin carry the allow header too, so the page can read the error")
  void errorsFromAListedOrigin() {
    // 404 from a handler, 404 from the router, 400 from the dot-segment check, 415, 422 from the schema.
    List<Reply> errors = List.of(
        listedApi.send("GET", doc("items", "missing"), null, null, "Origin", APP),
        listedApi.send("GET", "/api/no/such/route", null, null, "Origin", APP),
        listedApi.send("GET", "/api/collections/items/docs/%2E", null, null, "Origin", APP),
        listedApi.send("POST", docs("items"), "text/plain", "{}", "Origin", APP),
        listedApi.send("POST", docs("tasks"), JSON, "{\"project_id\":\"p1\"}", "Origin", APP));
    assertEquals("not_found", errors.get(0).assertError(404, "not_found").getString("code"));
    errors.get(1).assertError(404, "not_found");
    errors.get(2).assertError(400, "bad_id");
    errors.get(3).assertError(415, "unsupported_media_type");
    errors.get(4).assertError(422, "schema_violation");
    for (Reply r : errors) {
      assertAllows(r, APP);
      assertTrue(list(r, "Access-Control-Expose-Headers").contains("patchwire-seq"), r.request());
    }
  }

  @Test
  @DisplayName("an SSE stream and /health answer a listed origin with the allow header")
  void sseAndHealthFromAListedOrigin() throws Exception {
    HttpHeaders sse = openSse(listed, APP);
    assertEquals(APP, sse.firstValue(ALLOW_ORIGIN).orElse(null), sse.map().toString());
    assertAllows(listedApi.send("GET", "/health", null, null, "Origin", OTHER_APP).expect(200), OTHER_APP);
  }

  @Test
  @DisplayName("an origin not on the list gets no CORS headers, and its preflight is refused with 403")
  void anOriginNotOnTheList() throws Exception {
    Reply refused = preflight(listedApi, doc("items", "x"), FOREIGN, "PATCH");
    refused.assertError(403, "origin_not_allowed");
    assertNoCors(refused);
    // Served, but without the allow header a browser keeps the answer from the page.
    Reply read = listedApi.send("GET", docs("items"), null, null, "Origin", FOREIGN).expect(200);
    assertNoCors(read);
    assertTrue(list(read, "Vary").contains("origin"), read.raw().headers().map().toString());
    // A look-alike is no match: neither another port nor another scheme nor a longer host.
    for (String near : List.of("http://localhost:3001", "https://localhost:3000", "http://localhost:3000.evil.example")) {
      assertNoCors(listedApi.send("GET", docs("items"), null, null, "Origin", near).expect(200));
    }
    assertFalse(openSse(listed, FOREIGN).firstValue(ALLOW_ORIGIN).isPresent());
  }

  @Test
  @DisplayName("a same-origin write (browsers send Origin with it) still works when the engine's own origin is not listed")
  void sameOriginWritesStillWork() {
    Reply created = listedApi.send("POST", docs("items"), JSON, "{\"id\":\"same-origin\"}", "Origin", listed.baseUrl())
        .expect(201);
    assertNoCors(created);
    created.position();
  }

  @Test
  @DisplayName("* allows any origin, with the wildcard, on preflights, writes, errors and streams")
  void starAllowsAnyOrigin() throws Exception {
    Reply pre = preflight(anyApi, doc("items", "x"), FOREIGN, "DELETE").expect(204);
    assertEquals("*", pre.header(ALLOW_ORIGIN).orElse(null));
    assertTrue(list(pre, "Access-Control-Allow-Methods").contains("delete"));
    Reply created = anyApi.send("POST", docs("items"), JSON, "{\"id\":\"star\"}", "Origin", OTHER_APP).expect(201);
    assertEquals("*", created.header(ALLOW_ORIGIN).orElse(null));
    assertTrue(list(created, "Access-Control-Expose-Headers").containsAll(Set.of("patchwire-seq", "etag")));
    Reply missing = anyApi.send("GET", doc("items", "missing"), null, null, "Origin", APP);
    missing.assertError(404, "not_found");
    assertEquals("*", missing.header(ALLOW_ORIGIN).orElse(null));
    assertEquals("*", openSse(any, APP).firstValue(ALLOW_ORIGIN).orElse(null));
    // Vert.x refuses a malformed Origin header even under *: a JSON 403 like any other error.
    anyApi.send("GET", docs("items"), null, null, "Origin", "not an origin").assertError(403, "origin_not_allowed");
  }

  @Test
  @DisplayName("without --cors-origin no answer carries a CORS header")
  void offByDefault() throws Exception {
    Reply pre = preflight(offApi, doc("items", "x"), APP, "PATCH");
    assertNoCors(pre);
    assertFalse(pre.status() / 100 == 2, "a preflight was accepted: " + pre.status());
    // a foreign page's write is refused whatever it sends (AccessPolicy), still without CORS headers
    Reply write = offApi.send("POST", docs("items"), JSON, "{\"id\":\"off\"}", "Origin", APP);
    write.assertError(403, "origin_not_allowed");
    assertNoCors(write);
    assertNoCors(offApi.send("GET", doc("items", "missing"), null, null, "Origin", APP).expect(404));
    assertNoCors(offApi.send("GET", "/health", null, null, "Origin", APP).expect(200));
    HttpHeaders sse = openSse(off, APP);
    assertTrue(sse.map().keySet().stream().noneMatch(h -> h.toLowerCase(Locale.ROOT).startsWith("access-control-")),
        sse.map().toString());
  }

  /** Opens an SSE stream of "items" with this Origin, checks it is an event stream, returns its headers. */
  private static HttpHeaders openSse(TestServer server, String origin) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest request = HttpRequest.newBuilder(
            URI.create(server.baseUrl() + "/api/collections/items/stream/sse"))
        .header("Accept", "text/event-stream")
        .header("Origin", origin)
        .timeout(Duration.ofSeconds(20))
        .GET().build();
    HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = r.body()) {
      assertEquals(200, r.statusCode());
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"),
          r.headers().map().toString());
      return r.headers();
    }
  }
}
