package dev.patchwire.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Jwt;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Write grants, Postgres RLS style: a create must land inside a write grant; an update must be
 * inside one before (USING) and after (WITH CHECK); a delete before. A refused write is 403
 * {@code forbidden}, commits nothing and emits nothing (an admin stream sees only the sentinel
 * write made after it).
 */
@DisplayName("Write grants")
class WriteGrantsTest {

  private static final String ADMIN_PW = GrantScopeTest.ADMIN_PW;
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static Vertx clients;
  private TestServer server;
  private Rest admin;
  private Rest user;
  private WsRecorder watch;
  private int sentinel;

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
    String adminToken = Jwt.token("admin", 600, ADMIN_PW);
    admin = new Rest(server.baseUrl(), adminToken);
    user = new Rest(server.baseUrl(), Jwt.token("u42", 600, GrantScopeTest.P42_PW));
    admin.put("tasks", "t42", GrantScopeTest.task("42", "in 42")).ok();
    admin.put("tasks", "t43", GrantScopeTest.task("43", "in 43")).ok();
    watch = WsRecorder.connect(clients, server.port(), "/api/collections/tasks/stream/ws?access_token=" + adminToken);
    assertTrue(watch.nextFrame(WAIT).isSnapshot());
    assertTrue(watch.nextFrame(WAIT).isReady());
  }

  @AfterEach
  void stop() {
    watch.close();
    server.close();
  }

  private void forbidden(Rest.Response r) {
    assertEquals(403, r.status(), r.method() + " " + r.uri() + " -> " + r.body());
    assertEquals("forbidden", r.json().path("error").path("code").asText(), r.body());
    assertNothingCommitted(r.method() + " " + r.uri());
  }

  /** Both documents as they were, and the admin stream's next frame is the sentinel write. */
  private void assertNothingCommitted(String what) {
    JsonNode docs = admin.list("tasks").expect(200).json().path("tasks");
    assertEquals("42", docs.path("t42").path("project_id").asText(), what + ": " + docs);
    assertEquals("in 42", docs.path("t42").path("title").asText(), what + ": " + docs);
    assertEquals("43", docs.path("t43").path("project_id").asText(), what + ": " + docs);
    assertEquals("in 43", docs.path("t43").path("title").asText(), what + ": " + docs);
    long seq = admin.put("tasks", "sentinel", GrantScopeTest.task("0", "s" + ++sentinel)).ok().seq();
    WsRecorder.Frame next = watch.nextFrame(WAIT);
    assertEquals(seq, next.seq(), what + ": the stream got a frame before the sentinel: " + next);
    admin.delete("tasks", "sentinel").expect(204);
    watch.nextFrame(WAIT);
  }

  @Test
  @DisplayName("create (POST or PUT) inside a grant is 201; outside is 403 and writes nothing")
  void create() {
    user.post("tasks", GrantScopeTest.task("42", "new")).expect(201);
    watch.nextFrame(WAIT);
    user.put("tasks", "n42", GrantScopeTest.task("42", "new")).expect(201);
    watch.nextFrame(WAIT);
    admin.delete("tasks", "n42").expect(204);
    watch.nextFrame(WAIT);
    forbidden(user.post("tasks", GrantScopeTest.task("43", "new")));
    forbidden(user.put("tasks", "n43", GrantScopeTest.task("43", "new")));
    forbidden(user.post("tasks", Rest.obj("title", "no project at all")));
    assertEquals(404, admin.get("tasks", "n43").status());
  }

  @Test
  @DisplayName("moving a task from project 42 to 43 needs a grant for both (before AND after); PUT and PATCH alike")
  void move() {
    forbidden(user.patch("tasks", "t42", Rest.patch(Rest.op("replace", "/project_id", "43"))));
    forbidden(user.put("tasks", "t42", GrantScopeTest.task("43", "in 42")));
    forbidden(user.patch("tasks", "t43", Rest.patch(Rest.op("replace", "/project_id", "42"))));
    forbidden(user.patch("tasks", "t43", Rest.patch(Rest.op("replace", "/title", "mine now"))));
    forbidden(user.put("tasks", "t43", GrantScopeTest.task("42", "mine now")));
    // inside before and after: fine
    user.patch("tasks", "t42", Rest.patch(Rest.op("replace", "/status", "done"))).expect(200);
    watch.nextFrame(WAIT);
    user.patch("tasks", "t42", Rest.patch(Rest.op("replace", "/status", "todo"))).expect(200);
    watch.nextFrame(WAIT);
    Rest both = new Rest(server.baseUrl(), Jwt.token("u4243", 600, "{\"write\":[{\"c\":\"tasks\",\"where\":"
        + "{\"project_id\":\"42\"}},{\"c\":\"tasks\",\"where\":{\"project_id\":\"43\"}}]}"));
    both.patch("tasks", "t42", Rest.patch(Rest.op("replace", "/project_id", "43"))).expect(200);
    assertEquals("43", admin.get("tasks", "t42").expect(200).json().path("project_id").asText());
  }

  @Test
  @DisplayName("delete needs the document inside a grant before; outside is 403 and deletes nothing")
  void delete() {
    forbidden(user.delete("tasks", "t43"));
    user.delete("tasks", "nosuch").expect(404);
    user.delete("tasks", "t42").expect(204);
    assertEquals(404, admin.get("tasks", "t42").status());
  }
}
