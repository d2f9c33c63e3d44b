package dev.patchwire.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Jwt;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad token, against an engine started with {@code --jwt-secret}, an issuer and an
 * audience. Each one, sent as a Bearer header and as {@code access_token}, gets a precise 401
 * {@code unauthorized} on reads, writes, WebSocket (error frame, close 4401) and SSE streams;
 * nothing is written and an admin stream open all along receives nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("A bad token")
class BadTokenCorpusTest {

  private static final String ISS = "https://issuer.test";
  private static final String AUD = "patchwire";
  private static final String ALL = "{\"read\":[{\"c\":\"*\"}],\"write\":[{\"c\":\"*\"}],\"admin\":true}";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private Vertx clients;
  private TestServer server;
  private Rest admin;
  private WsRecorder watch;
  private int sentinel;

  @BeforeAll
  void start() {
    clients = Vertx.vertx();
    server = TestServer.start(TestServer.defaults().setJwtSecret(Jwt.SECRET).setJwtIssuer(ISS).setJwtAudience(AUD));
    admin = new Rest(server.baseUrl(), good(ALL));
    // an admin stream on the collection every bad token tries to write
    watch = WsRecorder.connect(clients, server.port(), "/api/collections/items/stream/ws?access_token=" + good(ALL));
    assertTrue(watch.nextFrame().isSnapshot());
    assertTrue(watch.nextFrame().isReady());
  }

  @AfterAll
  void stop() throws Exception {
    watch.close();
    server.close();
    clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Valid claims with {@code extra} JSON members put first (a later duplicate key wins). */
  private static String claims(String extra) {
    return "{" + extra + (extra.isEmpty() ? "" : ",") + "\"sub\":\"u7\",\"iss\":\"" + ISS + "\",\"aud\":\"" + AUD
        + "\",\"exp\":" + Jwt.now(600) + ",\"pw\":" + ALL + "}";
  }

  private static String good(String pw) {
    return Jwt.hs256("{\"sub\":\"admin\",\"iss\":\"" + ISS + "\",\"aud\":\"" + AUD + "\",\"exp\":"
        + Jwt.now(600) + ",\"pw\":" + pw + "}");
  }

  /** Valid except for the pw claim. */
  private static String withPw(String pw) {
    return Jwt.hs256("{\"sub\":\"u7\",\"iss\":\"" + ISS + "\",\"aud\":\"" + AUD + "\",\"exp\":" + Jwt.now(600)
        + ",\"pw\":" + pw + "}");
  }

  private static String h(String json) {
    return Jwt.b64(json);
  }

  static Stream<Arguments> corpus() {
    String valid = claims("");
    String hs = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    String signedOther = Jwt.hs256(valid);
    String lowPriv = Jwt.hs256(claims("").replace(ALL, "{}"));
    String[] lp = lowPriv.split("\\.");
    StringBuilder grants = new StringBuilder("{\"read\":[");
    for (int i = 0; i < 65; i++) {
      grants.append(i == 0 ? "" : ",").append("{\"c\":\"c").append(i).append("\"}");
    }
    grants.append("]}");
    List<Arguments> cases = new ArrayList<>(List.of(
        Arguments.of("no token at all", null),
        Arguments.of("an empty token", ""),
        Arguments.of("not a JWT", "hello"),
        Arguments.of("garbage in three segments", "!!!.###.$$$"),
        Arguments.of("two segments, no signature", h(hs) + "." + h(valid)),
        Arguments.of("four segments", signedOther + ".x"),
        Arguments.of("a header that is not JSON", Jwt.hmac("HS256", "HmacSHA256", Jwt.SECRET, "nope", valid)),
        Arguments.of("a payload that is not JSON", Jwt.hmac("HS256", "HmacSHA256", Jwt.SECRET, hs, "[1,2")),
        Arguments.of("alg none, empty signature", h("{\"alg\":\"none\"}") + "." + h(valid) + "."),
        Arguments.of("alg none, no signature segment", h("{\"alg\":\"none\"}") + "." + h(valid)),
        Arguments.of("alg none with an HMAC signature",
            Jwt.hmac("none", "HmacSHA256", Jwt.SECRET, "{\"alg\":\"none\"}", valid)),
        Arguments.of("a wrong algorithm: HS384 with the right secret",
            Jwt.hmac("HS384", "HmacSHA384", Jwt.SECRET, "{\"alg\":\"HS384\"}", valid)),
        Arguments.of("a wrong algorithm: RS256 claimed over an HMAC signature",
            Jwt.hmac("RS256", "HmacSHA256", Jwt.SECRET, "{\"alg\":\"RS256\"}", valid)),
        Arguments.of("signed with another secret", Jwt.hs256("another-secret-0123456789abcdef01234567", valid)),
        Arguments.of("a payload swapped after signing (privileges raised)",
            lp[0] + "." + h(valid) + "." + lp[2]),
        Arguments.of("expired", Jwt.hs256(claims("\"exp\":" + Jwt.now(-5)).replaceFirst(",\"exp\":\\d+,", ","))),
        Arguments.of("not yet valid (nbf in 5 minutes)", Jwt.hs256(claims("\"nbf\":" + Jwt.now(300)))),
        Arguments.of("issued in the future (iat in 5 minutes)", Jwt.hs256(claims("\"iat\":" + Jwt.now(300)))),
        Arguments.of("no exp", Jwt.hs256(claims("").replaceFirst(",\"exp\":\\d+", ""))),
        Arguments.of("exp as a string", Jwt.hs256(claims("").replaceFirst("\"exp\":(\\d+)", "\"exp\":\"$1\""))),
        Arguments.of("a wrong issuer", Jwt.hs256(claims("").replace(ISS, "https://evil.test"))),
        Arguments.of("no issuer", Jwt.hs256(claims("").replace("\"iss\":\"" + ISS + "\",", ""))),
        Arguments.of("a wrong audience", Jwt.hs256(claims("").replace("\"aud\":\"" + AUD + "\"", "\"aud\":\"other\""))),
        Arguments.of("no audience", Jwt.hs256(claims("").replace("\"aud\":\"" + AUD + "\",", ""))),
        Arguments.of("sub not a string", Jwt.hs256(claims("").replace("\"sub\":\"u7\"", "\"sub\":7"))),
        Arguments.of("pw not an object", withPw("\"everything\"")),
        Arguments.of("pw with an unknown key", withPw("{\"reads\":[{\"c\":\"*\"}]}")),
        Arguments.of("read not an array", withPw("{\"read\":{\"c\":\"*\"}}")),
        Arguments.of("a grant that is not an object", withPw("{\"read\":[\"*\"]}")),
        Arguments.of("a grant without c", withPw("{\"read\":[{\"where\":{\"a\":\"b\"}}]}")),
        Arguments.of("a grant whose c is a number", withPw("{\"read\":[{\"c\":5}]}")),
        Arguments.of("a grant with an empty c", withPw("{\"read\":[{\"c\":\"\"}]}")),
        Arguments.of("a grant with an unknown key", withPw("{\"write\":[{\"c\":\"*\",\"filter\":{}}]}")),
        Arguments.of("a where that is an array", withPw("{\"read\":[{\"c\":\"*\",\"where\":[]}]}")),
        Arguments.of("an empty where", withPw("{\"read\":[{\"c\":\"*\",\"where\":{}}]}")),
        Arguments.of("a where on an object value",
            withPw("{\"read\":[{\"c\":\"*\",\"where\":{\"project_id\":{\"$ne\":\"x\"}}}]}")),
        Arguments.of("a where on an array value",
            withPw("{\"write\":[{\"c\":\"*\",\"where\":{\"project_id\":[\"42\",\"43\"]}}]}")),
        Arguments.of("a where on an empty field name", withPw("{\"read\":[{\"c\":\"*\",\"where\":{\"\":\"x\"}}]}")),
        Arguments.of("admin not a boolean", withPw("{\"admin\":\"yes\"}")),
        Arguments.of("65 grants (64 allowed)", withPw(grants.toString()))));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  @DisplayName("gets 401 unauthorized everywhere and changes nothing")
  void refused(String name, String token) {
    String q = token == null ? "" : "access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    Rest bearer = new Rest(server.baseUrl(), token);
    Rest anon = new Rest(server.baseUrl());
    List<Rest.Response> answers = new ArrayList<>(List.of(
        bearer.list("items"),
        bearer.get("items", "sentinel"),
        bearer.post("items", Rest.obj("name", name)),
        bearer.put("items", "sentinel", Rest.obj("hacked", true)),
        bearer.delete("items", "sentinel"),
        bearer.send("GET", "/api/collections", null, null),
        anon.send("GET", "/api/collections/items/docs?" + q, null, null),
        anon.send("POST", "/api/collections/items/docs?" + q, "application/json", "{\"via\":\"query\"}"),
        anon.send("GET", "/api/stats?" + q, null, null),
        anon.send("GET", "/metrics?" + q, null, null)));
    for (Rest.Response r : answers) {
      assertEquals(401, r.status(), name + ": " + r.method() + " " + r.uri() + " -> " + r.body());
      assertEquals("unauthorized", r.json().path("error").path("code").asText(), r.body());
      assertFalse(token != null && token.length() > 20 && r.body().contains(token), "the answer echoes the token");
    }
    try (WsRecorder ws = WsRecorder.connect(clients, server.port(), "/api/collections/items/stream/ws?" + q)) {
      WsRecorder.Frame f = ws.nextFrame(WAIT);
      assertEquals("unauthorized", f.json().getJsonObject("error").getString("code"), name + ": " + f);
      assertEquals((short) 4401, ws.awaitClose(WAIT).code(), name);
    }
    try (SseRecorder sse = SseRecorder.open(server.port(), "/api/collections/items/stream/sse?" + q)) {
      assertEquals(401, sse.status(), name);
      assertEquals("unauthorized", Rest.parse(sse.body()).path("error").path("code").asText(), sse.body());
    }
    assertNothingWrittenOrEmitted(name);
  }

  /** The admin stream's next frame is the sentinel write made now: nothing came before it. */
  private void assertNothingWrittenOrEmitted(String name) {
    long seq = admin.put("items", "sentinel", Rest.obj("n", ++sentinel)).ok().seq();
    WsRecorder.Frame next = watch.nextFrame(WAIT);
    assertEquals(seq, next.seq(), name + ": the stream got something before the sentinel write: " + next);
    JsonNode docs = admin.list("items").expect(200).json().path("items");
    assertEquals(1, docs.size(), name + ": documents written: " + docs);
    assertEquals(sentinel, docs.path("sentinel").path("n").asInt(), docs.toString());
  }

  @Test
  @DisplayName("longer than 4096 characters gets 401 before it is decoded")
  void tooLong() {
    String token = Jwt.hs256(claims("\"pad\":\"" + "x".repeat(4000) + "\""));
    assertTrue(token.length() > 4096);
    Rest bearer = new Rest(server.baseUrl(), token);
    for (Rest.Response r : List.of(bearer.list("items"), bearer.post("items", Rest.obj("a", 1)))) {
      assertEquals(401, r.status(), r.body());
      assertTrue(r.body().contains("longer than"), r.body());
    }
    assertNothingWrittenOrEmitted("too long");
  }

  @Test
  @DisplayName("a valid token outside its grants gets 403 forbidden (WebSocket 4403), also on the operator endpoints")
  void forbidden() {
    String token = good("{\"read\":[{\"c\":\"projects\"}],\"write\":[{\"c\":\"projects\"}]}");
    Rest user = new Rest(server.baseUrl(), token);
    for (Rest.Response r : List.of(user.list("items"), user.get("items", "sentinel"),
        user.post("items", Rest.obj("a", 1)), user.delete("items", "sentinel"),
        user.send("GET", "/api/stats", null, null), user.send("GET", "/metrics", null, null))) {
      assertEquals(403, r.status(), r.method() + " " + r.uri() + " -> " + r.body());
      assertEquals("forbidden", r.json().path("error").path("code").asText(), r.body());
    }
    user.list("projects").expect(200);
    // refused before the body is read: a body over --max-body-bytes still gets 403, not 413
    Rest.Response big = user.send("POST", "/api/collections/items/docs", "application/json",
        "{\"pad\":\"" + "x".repeat(2 << 20) + "\"}");
    assertEquals(403, big.status(), big.body());
    try (WsRecorder ws = WsRecorder.connect(clients, server.port(), "/api/collections/items/stream/ws?access_token=" + token)) {
      assertEquals("forbidden", ws.nextFrame(WAIT).json().getJsonObject("error").getString("code"));
      assertEquals((short) 4403, ws.awaitClose(WAIT).code());
    }
    try (SseRecorder sse = SseRecorder.open(server.port(), "/api/collections/items/stream/sse?access_token=" + token)) {
      assertEquals(403, sse.status());
    }
    assertNothingWrittenOrEmitted("forbidden");
  }

  @Test
  @DisplayName("against --jwt-public-key: RS256 of the key passes; another key, or HS256 keyed with the public key (alg confusion), is 401")
  void publicKey() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair key = gen.generateKeyPair();
    KeyPair other = gen.generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
    Path file = Files.createTempFile("patchwire-key", ".pem");
    Files.writeString(file, pem);
    try (TestServer rsa = TestServer.start(TestServer.defaults().setJwtPublicKey(file))) {
      String claims = Jwt.claims("u7", 600, ALL);
      new Rest(rsa.baseUrl(), Jwt.rs256(key.getPrivate(), claims)).list("items").expect(200);
      for (String bad : List.of(Jwt.rs256(other.getPrivate(), claims), Jwt.hs256(pem, claims), Jwt.hs256(claims))) {
        Rest.Response r = new Rest(rsa.baseUrl(), bad).list("items");
        assertEquals(401, r.status(), r.body());
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  @DisplayName("against an EC --jwt-public-key: ES256 of the key passes; RS256, another EC key or HS256 keyed with the PEM is 401")
  void ecPublicKey() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    KeyPair key = gen.generateKeyPair();
    KeyPair other = gen.generateKeyPair();
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    String pem = Jwt.pem(key.getPublic());
    Path file = Files.createTempFile("patchwire-ec", ".pem");
    Files.writeString(file, pem);
    try (TestServer ec = TestServer.start(TestServer.defaults().setJwtPublicKey(file))) {
      String claims = Jwt.claims("u7", 600, ALL);
      new Rest(ec.baseUrl(), Jwt.es256(key.getPrivate(), claims)).list("items").expect(200);
      for (String bad : List.of(Jwt.es256(other.getPrivate(), claims), Jwt.rs256(rsa.generateKeyPair().getPrivate(), claims),
          Jwt.hs256(pem, claims))) {
        Rest.Response r = new Rest(ec.baseUrl(), bad).list("items");
        assertEquals(401, r.status(), r.body());
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
