package dev.patchwire.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Jwt;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Read grants on real sockets: a token that may read the tasks of project 42 sees exactly those,
 * in REST reads, in a stream's snapshot, in every replay (memory and change log) and every live
 * frame; a task that leaves project 42 arrives as {@code remove}, one that enters as {@code add}.
 * A resume is honoured only under the same grants (Ready's {@code scope}).
 */
@DisplayName("Read grants")
class GrantScopeTest {

  static final String ADMIN_PW = "{\"read\":[{\"c\":\"*\"}],\"write\":[{\"c\":\"*\"}],\"admin\":true}";
  static final String P42_PW = "{\"read\":[{\"c\":\"tasks\",\"where\":{\"project_id\":\"42\"}},{\"c\":\"projects\"}],"
      + "\"write\":[{\"c\":\"tasks\",\"where\":{\"project_id\":\"42\"}}]}";
  static final String P43_PW = "{\"read\":[{\"c\":\"tasks\",\"where\":{\"project_id\":\"43\"}}]}";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long QUIET = 300;

  private static Vertx clients;
  private TestServer server;
  private Rest admin;
  private Rest user;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void clients() {
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stopClients() throws Exception {
    clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @BeforeEach
  void start() {
    server = TestServer.start(TestServer.defaults().setJwtSecret(Jwt.SECRET));
    admin = new Rest(server.baseUrl(), Jwt.token("admin", 600, ADMIN_PW));
    user = new Rest(server.baseUrl(), Jwt.token("u42", 600, P42_PW));
    admin.put("tasks", "t1", task("42", "one")).ok();
    admin.put("tasks", "t2", task("43", "two")).ok();
    admin.put("tasks", "t3", task("42", "three").put("status", "done")).ok();
    admin.put("projects", "42", Rest.obj("name", "p42")).ok();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    server.close();
  }

  static com.fasterxml.jackson.databind.node.ObjectNode task(String project, String title) {
    return Rest.obj("project_id", project, "title", title, "status", "todo");
  }

  private WsRecorder ws(String token, String query) {
    WsRecorder r = WsRecorder.connect(clients, server.port(),
        "/api/collections/tasks/stream/ws?access_token=" + token + (query.isEmpty() ? "" : "&" + query));
    open.add(r);
    return r;
  }

  private SseRecorder sse(String token, String query, String lastEventId) {
    SseRecorder r = SseRecorder.open(server.port(),
        "/api/collections/tasks/stream/sse?access_token=" + token + (query.isEmpty() ? "" : "&" + query), lastEventId);
    open.add(r);
    return r;
  }

  private static Set<String> ids(JsonNode docs) {
    Set<String> ids = new TreeSet<>();
    docs.fieldNames().forEachRemaining(ids::add);
    return ids;
  }

  @Test
  @DisplayName("REST: a list holds only the granted documents (AND the client's where); one outside is 404")
  void restReads() {
    assertEquals(Set.of("t1", "t3"), ids(user.list("tasks").expect(200).json().path("tasks")));
    assertEquals(Set.of("t3"), ids(user.list("tasks", "status:done").expect(200).json().path("tasks")));
    assertEquals(Set.of(), ids(user.list("tasks", "title:two").expect(200).json().path("tasks")));
    user.get("tasks", "t1").expect(200);
    Rest.Response outside = user.get("tasks", "t2").expect(404);
    Rest.Response absent = user.get("tasks", "nosuch").expect(404);
    assertEquals("not_found", outside.json().path("error").path("code").asText());
    assertEquals(absent.json().path("error").path("message").asText().replace("nosuch", "t2"),
        outside.json().path("error").path("message").asText(), "outside reads exactly as absent");
    assertEquals(Set.of("42"), ids(user.list("projects").expect(200).json().path("projects")));
    assertEquals(Set.of("t1", "t2", "t3"), ids(admin.list("tasks").expect(200).json().path("tasks")));

    // grant values match as where=n:7 does: strings by text, numbers by value
    admin.put("items", "i1", Rest.obj("n", 7)).ok();
    admin.put("items", "i2", Rest.obj("n", "7")).ok();
    admin.put("items", "i3", Rest.obj("n", 7.0)).ok();
    admin.put("items", "i4", Rest.obj("n", "7.0")).ok();
    admin.put("items", "i5", Rest.obj("n", Rest.obj("v", 7))).ok();
    for (String grant : List.of("\"7\"", "7")) {
      Rest r = new Rest(server.baseUrl(), Jwt.token("u", 600, "{\"read\":[{\"c\":\"items\",\"where\":{\"n\":" + grant + "}}]}"));
      assertEquals(Set.of("i1", "i2", "i3"), ids(r.list("items").expect(200).json().path("items")), "grant n=" + grant);
      assertEquals(ids(admin.list("items", "n:7").json().path("items")), ids(r.list("items").json().path("items")));
    }
  }

  @Test
  @DisplayName("a WebSocket and an SSE stream: snapshot and live frames inside the grants; leaving is remove, entering is add")
  void streams() {
    String token = Jwt.token("u42", 600, P42_PW);
    // the WebSocket sends its token as a header (Node can), the SSE stream in the query (browsers)
    WsRecorder ws = WsRecorder.connect(clients, new io.vertx.core.http.WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(server.port()).setURI("/api/collections/tasks/stream/ws")
        .addHeader("Authorization", "Bearer " + token));
    open.add(ws);
    SseRecorder sse = sse(token, "", null);
    WsRecorder.Frame snap = ws.nextFrame(WAIT);
    assertEquals(Set.of("t1", "t3"), ids(snap.patch().get(0).path("value")));
    WsRecorder.Frame ready = ws.nextFrame(WAIT);
    assertTrue(ready.isReady());
    String scope = ready.json().getString("scope");
    assertTrue(scope != null && scope.matches("[0-9a-f]{16}"), "Ready carries the scope: " + ready);
    SseRecorder.Event sseSnap = sse.nextEvent(WAIT);
    assertEquals(Set.of("t1", "t3"), ids(sseSnap.json().get(0).path("value")));
    assertEquals(scope, sse.nextEvent(WAIT).json().path("scope").asText());

    admin.patch("tasks", "t2", Rest.patch(Rest.op("replace", "/title", "2b"))).ok();          // outside: nothing
    long inside = admin.patch("tasks", "t1", Rest.patch(Rest.op("replace", "/title", "1b"))).ok().seq();
    admin.post("tasks", task("43", "new in 43")).ok();                                        // outside: nothing
    long leave = admin.patch("tasks", "t1", Rest.patch(Rest.op("replace", "/project_id", "43"))).ok().seq();
    long enter = admin.patch("tasks", "t2", Rest.patch(Rest.op("replace", "/project_id", "42"))).ok().seq();
    admin.delete("tasks", "t1").expect(204);                                                  // already outside
    long gone = admin.delete("tasks", "t2").expect(204).seq();

    List<JsonNode> wsFrames = new ArrayList<>();
    List<Long> wsSeqs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      WsRecorder.Frame f = ws.nextFrame(WAIT);
      wsFrames.add(f.patch());
      wsSeqs.add(f.seq());
    }
    ws.assertExhausted(QUIET);
    assertEquals(List.of(inside, leave, enter, gone), wsSeqs, "only changes inside the grants, in order: " + wsFrames);
    assertEquals("replace", wsFrames.get(0).get(0).path("op").asText());
    assertEquals(Rest.parse("[{\"op\":\"remove\",\"path\":\"/tasks/t1\"}]"), wsFrames.get(1), "leaving is a remove");
    assertEquals("add", wsFrames.get(2).get(0).path("op").asText(), "entering is an add");
    assertEquals("/tasks/t2", wsFrames.get(2).get(0).path("path").asText());
    assertEquals("42", wsFrames.get(2).get(0).path("value").path("project_id").asText());
    assertEquals(Rest.parse("[{\"op\":\"remove\",\"path\":\"/tasks/t2\"}]"), wsFrames.get(3));

    List<String> sseIds = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      SseRecorder.Event e = sse.nextEvent(WAIT);
      assertEquals(wsFrames.get(i), e.json(), "SSE sends what the WebSocket sends");
      sseIds.add(e.id());
    }
    sse.assertExhausted(QUIET);
    assertEquals(List.of(inside, leave, enter, gone).stream().map(s -> server.epoch() + ":" + s).toList(), sseIds);
  }

  @Test
  @DisplayName("a resume replays only what is inside the grants, from memory and (after a restart) from the change log")
  void replays() {
    String token = Jwt.token("u42", 600, P42_PW);
    WsRecorder first = ws(token, "");
    first.nextFrame(WAIT);
    WsRecorder.Frame ready = first.nextFrame(WAIT);
    String scope = ready.json().getString("scope");
    long seq = ready.seq();
    first.close();

    long[] expected = missedChanges();
    assertResumed(token, scope, seq, expected);   // from the memory history

    server = server.restart();                    // memory history gone: the durable change log
    admin = new Rest(server.baseUrl(), Jwt.token("admin", 600, ADMIN_PW));
    assertResumed(token, scope, seq, expected);
  }

  /** Writes while the reader is away; the seqs a reader of project 42 must get (leave, enter). */
  private long[] missedChanges() {
    admin.patch("tasks", "t2", Rest.patch(Rest.op("replace", "/title", "2b"))).ok();
    long leave = admin.patch("tasks", "t1", Rest.patch(Rest.op("replace", "/project_id", "43"))).ok().seq();
    admin.post("tasks", task("43", "new in 43")).ok();
    long enter = admin.patch("tasks", "t2", Rest.patch(Rest.op("replace", "/project_id", "42"))).ok().seq();
    admin.patch("tasks", "t1", Rest.patch(Rest.op("replace", "/title", "1c"))).ok();
    return new long[] {leave, enter};
  }

  private void assertResumed(String token, String scope, long since, long[] expected) {
    try (WsRecorder ws = WsRecorder.connect(clients, server.port(), "/api/collections/tasks/stream/ws?access_token="
        + token + "&since=" + server.epoch() + ":" + since + "&scope=" + scope)) {
      WsRecorder.Frame leave = ws.nextFrame(WAIT);
      assertEquals(expected[0], leave.seq(), "first replayed: " + leave);
      assertEquals(Rest.parse("[{\"op\":\"remove\",\"path\":\"/tasks/t1\"}]"), leave.patch());
      WsRecorder.Frame enter = ws.nextFrame(WAIT);
      assertEquals(expected[1], enter.seq(), "second replayed: " + enter);
      assertEquals("add", enter.patch().get(0).path("op").asText());
      WsRecorder.Frame ready = ws.nextFrame(WAIT);
      assertTrue(ready.isReady() && ready.json().getBoolean("resumed"), "resumed: " + ready);
      assertEquals(scope, ready.json().getString("scope"));
      ws.assertExhausted(QUIET);
    }
  }

  @Test
  @DisplayName("a resume under other grants, or without scope, gets a snapshot with resumed:false; SSE Last-Event-ID too")
  void resumeNeedsTheSameGrants() {
    String token42 = Jwt.token("u42", 600, P42_PW);
    WsRecorder first = ws(token42, "");
    first.nextFrame(WAIT);
    WsRecorder.Frame ready = first.nextFrame(WAIT);
    String scope42 = ready.json().getString("scope");
    String since = "since=" + server.epoch() + ":" + ready.seq();
    admin.patch("tasks", "t2", Rest.patch(Rest.op("replace", "/title", "2b"))).ok();

    String token43 = Jwt.token("u43", 600, P43_PW);
    WsRecorder other = ws(token43, since + "&scope=" + scope42);
    WsRecorder.Frame snap = other.nextFrame(WAIT);
    assertTrue(snap.isSnapshot(), "a position read under other grants is not replayed: " + snap);
    assertEquals(Set.of("t2"), ids(snap.patch().get(0).path("value")));
    WsRecorder.Frame otherReady = other.nextFrame(WAIT);
    assertEquals(false, otherReady.json().getBoolean("resumed"));
    assertNotEquals(scope42, otherReady.json().getString("scope"));

    WsRecorder noScope = ws(token42, since);
    assertTrue(noScope.nextFrame(WAIT).isSnapshot(), "since without scope is not replayed");
    assertEquals(false, noScope.nextFrame(WAIT).json().getBoolean("resumed"));

    // the same grants in another token (another sub, another order): the same scope, a replay
    String sameGrants = Jwt.token("someone", 600, "{\"read\":[{\"c\":\"projects\"},"
        + "{\"c\":\"tasks\",\"where\":{\"project_id\":\"42\"}}]}");
    WsRecorder same = ws(sameGrants, since + "&scope=" + scope42);
    WsRecorder.Frame replayedReady = same.nextFrame(WAIT);
    assertTrue(replayedReady.isReady() && replayedReady.json().getBoolean("resumed"), "" + replayedReady);

    SseRecorder sseNoScope = sse(token42, "", server.epoch() + ":" + ready.seq());
    assertTrue(sseNoScope.nextEvent(WAIT).json().get(0).path("path").asText().equals("/tasks"), "snapshot");
    assertEquals(false, sseNoScope.nextEvent(WAIT).json().path("resumed").asBoolean());
    SseRecorder sseScoped = sse(token42, "scope=" + scope42, server.epoch() + ":" + ready.seq());
    assertEquals(true, sseScoped.nextEvent(WAIT).json().path("resumed").asBoolean(), "Last-Event-ID with scope resumes");
  }
}
