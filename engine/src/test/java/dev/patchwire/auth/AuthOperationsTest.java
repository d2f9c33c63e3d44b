package dev.patchwire.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.Jwt;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The operator's side of auth: the write limit, the admin endpoints, minting tokens, the start-up line. */
@DisplayName("Auth for operators")
class AuthOperationsTest {

  @Test
  @DisplayName("--max-writes-per-second: past N writes in a second a subject gets 429 rate_limited with Retry-After; others do not")
  void rateLimit() throws Exception {
    try (TestServer server = TestServer.start(TestServer.defaults().setJwtSecret(Jwt.SECRET).setMaxWritesPerSecond(3))) {
      String pw = "{\"read\":[{\"c\":\"items\"}],\"write\":[{\"c\":\"items\"}]}";
      Rest a = new Rest(server.baseUrl(), Jwt.token("a", 600, pw));
      Rest a2 = new Rest(server.baseUrl(), Jwt.token("a", 900, pw));   // same subject, another token
      Rest b = new Rest(server.baseUrl(), Jwt.token("b", 600, pw));
      Rest anonymous = new Rest(server.baseUrl(), Jwt.hs256("{\"exp\":" + Jwt.now(600) + ",\"pw\":" + pw + "}"));
      // all of one attempt must fall in one wall-clock second (the limit's window): on a loaded
      // machine an attempt that straddles two is made again
      for (int attempt = 0; ; attempt++) {
        Thread.sleep(1000 - System.currentTimeMillis() % 1000 + 10);
        long second = System.currentTimeMillis() / 1000;
        String x = "x" + attempt;
        Rest.Response[] ok = {
            a.put("items", x, Rest.obj("n", 1)), a.put("items", x, Rest.obj("n", 2)), a2.put("items", x, Rest.obj("n", 3))};
        Rest.Response limited = a.put("items", x, Rest.obj("n", 4));
        Rest.Response limited2 = a2.delete("items", x);
        Rest.Response other = b.put("items", "y" + attempt, Rest.obj("n", 1));
        Rest.Response noSub = anonymous.put("items", "z" + attempt, Rest.obj("n", 1));
        if (System.currentTimeMillis() / 1000 != second && attempt < 4) {
          continue;
        }
        for (Rest.Response r : ok) {
          r.ok();
        }
        other.expect(201);
        noSub.expect(201);
        for (Rest.Response r : new Rest.Response[] {limited, limited2}) {
          assertEquals(429, r.status(), r.body());
          assertEquals("rate_limited", r.json().path("error").path("code").asText());
          assertEquals("1", r.header("Retry-After").orElse(null));
        }
        assertEquals(3, a.get("items", x).expect(200).json().path("n").asInt(), "the refused writes changed nothing");
        break;
      }
      a.list("items").expect(200);   // reads are not limited
      Thread.sleep(1100);
      a.put("items", "x0", Rest.obj("n", 5)).ok();
    }
  }

  @Test
  @DisplayName("/api/stats and /metrics need an admin token; the token subcommand mints tokens that work as shown in the docs")
  void adminAndMinting() {
    try (TestServer server = TestServer.start(TestServer.defaults().setJwtSecret(Jwt.SECRET))) {
      String adminToken = mint("token", "--secret", Jwt.SECRET, "--sub", "ops", "--admin", "--read", "*", "--ttl", "5min");
      String userToken = mint("token", "--secret", Jwt.SECRET, "--sub", "u7", "--read", "tasks:project_id=demo",
          "--read", "projects", "--write", "tasks:project_id=demo,status=todo", "--ttl", "1h");
      Rest admin = new Rest(server.baseUrl(), adminToken);
      Rest user = new Rest(server.baseUrl(), userToken);
      assertTrue(admin.send("GET", "/api/stats", null, null).expect(200).json().has("subscribers"));
      assertTrue(admin.send("GET", "/metrics", null, null).expect(200).body().contains("patchwire"));
      assertEquals(403, user.send("GET", "/api/stats", null, null).status());
      assertEquals(403, user.send("GET", "/metrics", null, null).status());
      assertEquals(401, new Rest(server.baseUrl()).send("GET", "/metrics", null, null).status());
      new Rest(server.baseUrl()).send("GET", "/health", null, null).expect(200);   // load balancers need no token

      new Rest(server.baseUrl(), Jwt.token("admin", 60, GrantScopeTest.ADMIN_PW))
          .put("tasks", "other", Rest.obj("project_id", "p2", "title", "hidden")).ok();
      user.put("tasks", "d1", Rest.obj("project_id", "demo", "title", "mine", "status", "todo")).expect(201);
      assertEquals(403, user.put("tasks", "d2", Rest.obj("project_id", "demo", "title", "x", "status", "done")).status());
      assertEquals(1, user.list("tasks").expect(200).json().path("tasks").size());
      assertEquals(404, user.get("tasks", "other").status());
      user.list("projects").expect(200);
    }
  }

  @Test
  @DisplayName("access_token is redacted from URLs the engine writes down; /api/stats never shows a stream's token")
  void redaction() {
    assertEquals("/api/collections/tasks/stream/ws?where=a:b&access_token=REDACTED&since=E:1",
        Auth.redact("/api/collections/tasks/stream/ws?where=a:b&access_token=eyJ.x.y&since=E:1"));
    assertEquals("ws://h/p?ACCESS_TOKEN=REDACTED", Auth.redact("ws://h/p?ACCESS_TOKEN=eyJ.x.y"));
    assertEquals("/p?my_access_token=x", Auth.redact("/p?my_access_token=x"));
    io.vertx.core.Vertx clients = io.vertx.core.Vertx.vertx();
    try (TestServer server = TestServer.start(TestServer.defaults().setJwtSecret(Jwt.SECRET))) {
      String token = Jwt.token("u", 600, "{\"read\":[{\"c\":\"items\"}]}");
      try (var ws = dev.patchwire.testing.WsRecorder.connect(clients, server.port(),
          "/api/collections/items/stream/ws?access_token=" + token)) {
        ws.nextFrame();
        ws.nextFrame();
        String stats = new Rest(server.baseUrl(), Jwt.token("ops", 60, "{\"admin\":true}"))
            .send("GET", "/api/stats", null, null).expect(200).body();
        assertTrue(stats.contains("\"collection\":\"items\""), stats);
        assertFalse(stats.contains(token) || stats.contains("access_token"), stats);
      }
    } finally {
      clients.close();
    }
  }

  @Test
  @DisplayName("the token subcommand refuses a short secret and a malformed grant, with its usage")
  void mintingErrors() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(new ByteArrayOutputStream());
    PrintStream errs = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(2, TokenCommand.run(new String[] {"token", "--secret", "short"}, Map.of(), out, errs));
    assertEquals(2, TokenCommand.run(new String[] {"token", "--secret", Jwt.SECRET, "--read", "tasks:project_id"},
        Map.of(), out, errs));
    assertEquals(2, TokenCommand.run(new String[] {"token", "--read", "tasks"}, Map.of(), out, errs));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: java -jar patchwire.jar token"));
  }

  private static String mint(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = TokenCommand.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertEquals(0, status);
    String token = out.toString(StandardCharsets.UTF_8).trim();
    assertTrue(token.matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"), token);
    return token;
  }

  @Test
  @DisplayName("the start-up line says when auth is off; with --print-demo-token it prints a token for the board that works")
  void startupLine() throws Exception {
    Path open = Files.createTempDirectory("patchwire-auth-off");
    try (ProcessServer p = ProcessServer.start(open)) {
      assertTrue(p.output().contains("auth: off (anyone who can reach the port can read and write)"), p.output());
    } finally {
      ProcessServer.deleteTree(open);
    }
    Path secured = Files.createTempDirectory("patchwire-auth-on");
    try (ProcessServer p = ProcessServer.start(secured, "--jwt-secret", Jwt.SECRET, "--print-demo-token")) {
      assertTrue(p.output().contains("auth: JWT HS256"), p.output());
      Matcher m = Pattern.compile("\\?token=(\\S+)").matcher(awaitLine(p, "?token="));
      assertTrue(m.find(), p.output());
      assertFalse(p.output().contains(Jwt.SECRET), "the secret is never printed");
      new Rest(p.baseUrl(), m.group(1)).list("tasks").expect(200);
      assertEquals(401, new Rest(p.baseUrl()).list("tasks").status());
    } finally {
      ProcessServer.deleteTree(secured);
    }
  }

  private static String awaitLine(ProcessServer p, String part) throws InterruptedException {
    for (int i = 0; i < 100 && !p.output().contains(part); i++) {
      Thread.sleep(50);
    }
    return p.output();
  }
}
