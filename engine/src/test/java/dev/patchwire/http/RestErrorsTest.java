package dev.patchwire.http;

import static dev.patchwire.http.HttpCalls.JSON;
import static dev.patchwire.http.HttpCalls.JSON_PATCH;
import static dev.patchwire.http.HttpCalls.doc;
import static dev.patchwire.http.HttpCalls.docs;
import static dev.patchwire.http.HttpCalls.op;
import static dev.patchwire.http.HttpCalls.ops;
import static dev.patchwire.http.HttpCalls.remove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.http.HttpCalls.Reply;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WireSchemas;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every way a request can be refused (PROTOCOL.md 2, CONTRACT "REST"): the exact status and error
 * code, a JSON error body valid against error.schema.json, and proof that the refusal changed
 * nothing (the collection and its seq are the same before and after) and emitted nothing (a
 * WebSocket subscriber's next frame after Ready is the live frame of a later, valid write).
 */
class RestErrorsTest {

  /** Small, so that a few KiB are too large; every other request here stays well below. */
  private static final int MAX_BODY_BYTES = 1024;

  private static TestServer server;
  private static HttpCalls api;
  private static int sentinels;

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.defaults().setMaxBodyBytes(MAX_BODY_BYTES));
    api = new HttpCalls(server.baseUrl());
    api.put("projects", "p1", new JsonObject().put("name", "Project one")).expect(201);
    api.put("tasks", "t1", new JsonObject().put("project_id", "p1").put("title", "Task one")).expect(201);
    api.put("items", "x1", new JsonObject().put("n", 1).put("s", "one").put("list", new JsonArray().add(1))).expect(201);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /**
   * Runs {@code call}, which must be refused with {@code status} and {@code code}, while a
   * subscriber watches {@code collection}; then proves that nothing changed and nothing was
   * emitted. Returns the error object.
   */
  private static JsonObject refused(String collection, int status, String code, Supplier<Reply> call) {
    try (StreamWatch watch = StreamWatch.open(server.port(), collection)) {
      Reply before = api.list(collection).expect(200);
      Reply reply = call.get();
      JsonObject error = reply.assertError(status, code);
      Reply after = api.list(collection).expect(200);
      assertEquals(before.json(), after.json(), reply.request() + " was refused, so " + collection + " must be unchanged");
      assertEquals(before.seq(), after.seq(), reply.request() + " was refused, so the store position must not move");
      Reply sentinel = sentinel(collection);
      watch.expectLive(sentinel.seq(), reply.request() + " was refused, so it must emit nothing");
      return error;
    }
  }

  /** A valid write to {@code collection}, whose frame must be the next one a watcher sees. */
  private static Reply sentinel(String collection) {
    String id = "sentinel-" + (++sentinels);
    JsonObject body = switch (collection) {
      case "projects" -> new JsonObject().put("name", "sentinel");
      case "tasks" -> new JsonObject().put("project_id", "p1").put("title", "sentinel");
      default -> new JsonObject().put("sentinel", sentinels);
    };
    return api.put(collection, id, body).expect(201);
  }

  private static Reply raw(String method, String path, String contentType, String body, String... headers) {
    return api.send(method, path, contentType, body, headers);
  }

  // ---- 400 malformed_json / not_an_object ---------------------------------------------------

  @Test
  @DisplayName("a body that is not JSON is refused with 400 malformed_json on POST, PUT and PATCH")
  void malformedJson() {
    refused("items", 400, "malformed_json", () -> raw("POST", docs("items"), JSON, "{\"a\":"));
    refused("items", 400, "malformed_json", () -> raw("POST", docs("items"), JSON, "{\"a\":1}}"));
    refused("items", 400, "malformed_json", () -> raw("POST", docs("items"), JSON, "{'a':1}"));
    refused("items", 400, "malformed_json", () -> raw("POST", docs("items"), JSON, ""));
    refused("items", 400, "malformed_json", () -> raw("PUT", doc("items", "x1"), JSON, "{\"n\" 2}"));
    refused("items", 400, "malformed_json", () -> raw("PUT", doc("items", "mj-new"), JSON, "{\"n\":"));
    refused("items", 400, "malformed_json", () -> raw("PATCH", doc("items", "x1"), JSON_PATCH, "[{\"op\":\"remove\","));
    refused("tasks", 400, "malformed_json", () -> raw("POST", docs("tasks"), JSON, "{"));
    api.get("items", "mj-new").assertError(404, "not_found");
  }

  @Test
  @DisplayName("a body that is not UTF-8 is malformed JSON (RFC 8259 8.1), not text to repair")
  void invalidUtf8() {
    byte[] body = {'{', '"', 's', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'};
    refused("items", 400, "malformed_json", () -> api.sendBytes("POST", docs("items"), JSON, body));
    refused("items", 400, "malformed_json", () -> api.sendBytes("PUT", doc("items", "utf8-new"), JSON, body));
    byte[] patch = {'[', '{', '"', 'o', 'p', '"', ':', '"', 'a', 'd', 'd', '"', ',', '"', 'p', 'a', 't', 'h', '"', ':',
        '"', '/', 's', '"', ',', '"', 'v', 'a', 'l', 'u', 'e', '"', ':', '"', (byte) 0xc3, '"', '}', ']'};
    refused("items", 400, "malformed_json", () -> api.sendBytes("PATCH", doc("items", "x1"), JSON_PATCH, patch));
    api.get("items", "utf8-new").assertError(404, "not_found");
  }

  @Test
  @DisplayName("requests outside the API's routes also answer a JSON error body")
  void unknownRoutesAnswerJson() {
    for (String[] call : new String[][] {
        {"GET", "/api/nope", "404"},
        {"GET", "/api/collections/items", "404"},
        {"POST", doc("items", "x1"), "405"},
        {"PUT", docs("items"), "405"},
        {"DELETE", docs("items"), "405"}}) {
      Reply r = raw(call[0], call[1], JSON, call[0].equals("GET") || call[0].equals("DELETE") ? null : "{}");
      r.expect(Integer.parseInt(call[2]));
      assertTrue(r.header("Content-Type").orElse("").startsWith(JSON), r.request() + ": " + r.body());
      WireSchemas.assertValidErrorBody(r.json());
    }
  }

  @Test
  @DisplayName("a JSON body that is not an object is refused with 400 not_an_object")
  void notAnObject() {
    for (String body : new String[] {"[1,2]", "[]", "\"str\"", "42", "true", "null"}) {
      refused("items", 400, "not_an_object", () -> raw("POST", docs("items"), JSON, body));
      refused("items", 400, "not_an_object", () -> raw("PUT", doc("items", "x1"), JSON, body));
      refused("items", 400, "not_an_object", () -> raw("PUT", doc("items", "nao-new"), JSON, body));
    }
    refused("tasks", 400, "not_an_object", () -> raw("POST", docs("tasks"), JSON, "[{\"title\":\"x\"}]"));
    api.get("items", "nao-new").assertError(404, "not_found");
  }

  // ---- PATCH: invalid_patch / test_failed / patch_conflict / id_mismatch ---------------------

  @Test
  @DisplayName("a malformed patch is refused with 400 invalid_patch")
  void invalidPatch() {
    String[] patches = {
        "{\"op\":\"add\",\"path\":\"/a\",\"value\":1}",      // not an array
        "\"add\"",                                           // not an array
        "[1]",                                               // operation not an object
        "[{\"op\":\"spam\",\"path\":\"/n\",\"value\":1}]",   // unknown op
        "[{\"path\":\"/n\",\"value\":1}]",                   // op missing
        "[{\"op\":\"add\",\"path\":\"/a\"}]",                // missing value
        "[{\"op\":\"replace\",\"path\":\"/n\"}]",            // missing value
        "[{\"op\":\"add\",\"value\":1}]",                    // missing path
        "[{\"op\":\"move\",\"path\":\"/m\"}]",               // missing from
        "[{\"op\":\"replace\",\"path\":\"a/b\",\"value\":1}]", // pointer without leading slash
        "[{\"op\":\"add\",\"path\":\"n\",\"value\":1}]",     // pointer without leading slash
        "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":2},{\"op\":\"nope\",\"path\":\"/n\"}]", // valid op, then a bad one
    };
    for (String p : patches) {
      refused("items", 400, "invalid_patch", () -> raw("PATCH", doc("items", "x1"), JSON_PATCH, p));
    }
    refused("tasks", 400, "invalid_patch", () -> raw("PATCH", doc("tasks", "t1"), JSON_PATCH,
        "[{\"op\":\"replace\",\"path\":\"title\",\"value\":\"x\"}]"));
  }

  @Test
  @DisplayName("a patch whose test op fails is refused with 409 test_failed, even after other ops")
  void testFailed() {
    refused("items", 409, "test_failed", () -> api.patch("items", "x1", ops(op("test", "/n", 999))));
    refused("items", 409, "test_failed", () -> api.patch("items", "x1", ops(op("test", "/n", "1"))));
    refused("items", 409, "test_failed", () -> api.patch("items", "x1",
        ops(op("replace", "/s", "changed"), op("test", "/n", 2))));
    refused("tasks", 409, "test_failed", () -> api.patch("tasks", "t1",
        ops(op("test", "/title", "Another title"), op("replace", "/title", "x"))));
  }

  @Test
  @DisplayName("a patch on a path that does not exist is refused with 409 patch_conflict")
  void patchConflict() {
    refused("items", 409, "patch_conflict", () -> api.patch("items", "x1", ops(remove("/nope"))));
    refused("items", 409, "patch_conflict", () -> api.patch("items", "x1", ops(op("replace", "/nope", 1))));
    refused("items", 409, "patch_conflict", () -> api.patch("items", "x1", ops(op("add", "/nope/deeper", 1))));
    refused("items", 409, "patch_conflict", () -> api.patch("items", "x1", ops(remove("/list/5"))));
    refused("items", 409, "patch_conflict", () -> api.patch("items", "x1",
        ops(op("replace", "/n", 5), remove("/nope"))));
    refused("items", 409, "patch_conflict", () -> api.send("PATCH", doc("items", "x1"), JSON_PATCH,
        "[{\"op\":\"move\",\"from\":\"/nope\",\"path\":\"/m\"}]"));
  }

  @Test
  @DisplayName("a patch that changes or removes /id is refused with 400 id_mismatch")
  void patchChangingId() {
    refused("items", 400, "id_mismatch", () -> api.patch("items", "x1", ops(op("replace", "/id", "x2"))));
    refused("items", 400, "id_mismatch", () -> api.patch("items", "x1", ops(remove("/id"))));
    refused("items", 400, "id_mismatch", () -> api.send("PATCH", doc("items", "x1"), JSON_PATCH,
        "[{\"op\":\"move\",\"from\":\"/id\",\"path\":\"/old_id\"}]"));
    refused("tasks", 400, "id_mismatch", () -> api.patch("tasks", "t1", ops(op("replace", "/id", "t2"))));
    api.get("items", "x2").assertError(404, "not_found");
  }

  // ---- PUT and POST -------------------------------------------------------------------------

  @Test
  @DisplayName("PUT whose body id differs from the URL id is refused with 400 id_mismatch")
  void putIdMismatch() {
    refused("items", 400, "id_mismatch", () -> api.put("items", "x1", new JsonObject().put("id", "x2").put("n", 2)));
    refused("items", 400, "id_mismatch", () -> api.put("items", "idm-new", new JsonObject().put("id", "other")));
    refused("tasks", 400, "id_mismatch", () -> api.put("tasks", "t1",
        new JsonObject().put("id", "t9").put("project_id", "p1").put("title", "x")));
    api.get("items", "idm-new").assertError(404, "not_found");
    api.get("items", "other").assertError(404, "not_found");
  }

  @Test
  @DisplayName("POST with an id that exists is refused with 409 already_exists, even with the same content")
  void postExistingId() {
    JsonObject current = api.get("items", "x1").expect(200).json();
    refused("items", 409, "already_exists", () -> api.post("items", new JsonObject().put("id", "x1").put("n", 7)));
    refused("items", 409, "already_exists", () -> api.post("items", current));
    refused("projects", 409, "already_exists", () -> api.post("projects", new JsonObject().put("id", "p1").put("name", "again")));
  }

  // ---- 404 ----------------------------------------------------------------------------------

  @Test
  @DisplayName("every verb on an unknown collection is refused with 404 unknown_collection")
  void unknownCollection() {
    JsonObject body = new JsonObject().put("id", "d").put("n", 1);
    refused("items", 404, "unknown_collection", () -> api.post("nope", body));
    refused("items", 404, "unknown_collection", () -> api.put("nope", "d", body));
    refused("items", 404, "unknown_collection", () -> api.patch("nope", "d", ops(op("add", "/n", 2))));
    refused("items", 404, "unknown_collection", () -> api.delete("nope", "d"));
    refused("items", 404, "unknown_collection", () -> api.get("nope", "d"));
    refused("items", 404, "unknown_collection", () -> api.list("nope"));
    refused("items", 404, "unknown_collection", () -> api.list("nope", "n:1"));
  }

  @Test
  @DisplayName("GET, PATCH and DELETE of a document that does not exist answer 404 not_found")
  void unknownDocument() {
    refused("items", 404, "not_found", () -> api.get("items", "missing"));
    refused("items", 404, "not_found", () -> api.patch("items", "missing", ops(op("add", "/n", 1))));
    refused("items", 404, "not_found", () -> api.delete("items", "missing"));
    refused("tasks", 404, "not_found", () -> api.get("tasks", "missing"));
    refused("tasks", 404, "not_found", () -> api.delete("tasks", "missing"));
  }

  // ---- 413 / 415 ----------------------------------------------------------------------------

  @Test
  @DisplayName("a body larger than --max-body-bytes is refused with 413 body_too_large")
  void bodyTooLarge() {
    String big = "x".repeat(4 * MAX_BODY_BYTES);
    refused("items", 413, "body_too_large", () -> api.post("items", new JsonObject().put("big", big)));
    refused("items", 413, "body_too_large", () -> api.put("items", "big-new", new JsonObject().put("big", big)));
    refused("items", 413, "body_too_large", () -> api.put("items", "x1", new JsonObject().put("big", big)));
    refused("items", 413, "body_too_large", () -> api.patch("items", "x1", ops(op("add", "/big", big))));
    byte[] bigBytes = new JsonObject().put("big", big).encode().getBytes(StandardCharsets.UTF_8);
    refused("items", 413, "body_too_large", () -> api.sendChunked("POST", docs("items"), JSON, bigBytes));
    api.get("items", "big-new").assertError(404, "not_found");

    // just below the limit is fine
    String fits = "y".repeat(MAX_BODY_BYTES - 100);
    JsonObject created = api.put("items", "fits", new JsonObject().put("fits", fits)).expect(201).json();
    assertEquals(fits, created.getString("fits"));
  }

  @Test
  @DisplayName("a wrong content type is refused with 415 unsupported_media_type")
  void wrongContentType() {
    refused("items", 415, "unsupported_media_type", () -> raw("POST", docs("items"), "text/plain", "{\"n\":1}"));
    refused("items", 415, "unsupported_media_type", () -> raw("PUT", doc("items", "x1"), "text/plain", "{\"n\":2}"));
    refused("items", 415, "unsupported_media_type", () -> raw("PUT", doc("items", "ct-new"), "text/plain", "{\"n\":2}"));
    refused("items", 415, "unsupported_media_type", () -> raw("PATCH", doc("items", "x1"),
        "application/merge-patch+json", "{\"n\":3}"));
    refused("items", 415, "unsupported_media_type", () -> raw("PATCH", doc("items", "x1"),
        "text/plain", "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":3}]"));
    refused("tasks", 415, "unsupported_media_type", () -> raw("POST", docs("tasks"), "application/x-www-form-urlencoded",
        "title=x&project_id=p1"));
    api.get("items", "ct-new").assertError(404, "not_found");
  }

  // ---- 422 ----------------------------------------------------------------------------------

  @Test
  @DisplayName("kanban documents that fail their schema are refused with 422 schema_violation and details")
  void schemaViolations() {
    JsonObject e;
    e = refused("tasks", 422, "schema_violation", () -> api.post("tasks", new JsonObject().put("project_id", "p1")));
    assertDetails(e, "title");
    e = refused("tasks", 422, "schema_violation", () -> api.post("tasks",
        new JsonObject().put("project_id", "p1").put("title", "x").put("status", "later")));
    assertDetails(e, "status");
    e = refused("tasks", 422, "schema_violation", () -> api.post("tasks",
        new JsonObject().put("project_id", "p1").put("title", "x").put("color", "red")));
    assertDetails(e, "color");
    e = refused("projects", 422, "schema_violation", () -> api.post("projects", new JsonObject().put("name", "")));
    assertDetails(e, "name");
    refused("projects", 422, "schema_violation", () -> api.post("projects", new JsonObject()));
    refused("projects", 422, "schema_violation", () -> api.put("projects", "p1", new JsonObject().put("name", "")));
    refused("tasks", 422, "schema_violation", () -> api.put("tasks", "t-new", new JsonObject().put("title", "no project")));
    refused("tasks", 422, "schema_violation", () -> api.patch("tasks", "t1", ops(remove("/title"))));
    refused("tasks", 422, "schema_violation", () -> api.patch("tasks", "t1", ops(op("replace", "/status", "nope"))));
    refused("tasks", 422, "schema_violation", () -> api.patch("tasks", "t1", ops(op("add", "/color", "red"))));
    refused("tasks", 422, "schema_violation", () -> api.patch("tasks", "t1", ops(op("replace", "/title", 42))));
    api.get("tasks", "t-new").assertError(404, "not_found");
  }

  /** details is a non-empty list (the schema checks that) that mentions the offending field. */
  private static void assertDetails(JsonObject error, String field) {
    JsonArray details = error.getJsonArray("details");
    assertFalse(details.isEmpty());
    assertTrue(details.encode().contains(field), "details name the field '" + field + "': " + details.encode());
  }

  // ---- 400 bad_id ---------------------------------------------------------------------------

  @Test
  @DisplayName("ids longer than 256 characters are refused with 400 bad_id on every verb")
  void idTooLong() {
    String id = "a".repeat(257);
    JsonObject body = new JsonObject().put("n", 1);
    refused("items", 400, "bad_id", () -> api.put("items", id, body));
    refused("items", 400, "bad_id", () -> api.get("items", id));
    refused("items", 400, "bad_id", () -> api.patch("items", id, ops(op("add", "/n", 2))));
    refused("items", 400, "bad_id", () -> api.delete("items", id));
    refused("items", 400, "bad_id", () -> api.post("items", body.copy().put("id", id)));
    // 257 characters of two UTF-8 bytes each: too long however one counts
    refused("items", 400, "bad_id", () -> api.put("items", "ü".repeat(257), body));
  }

  @Test
  @DisplayName("ids with control characters are refused with 400 bad_id, in the URL and in a POST body")
  void idWithControlCharacters() {
    JsonObject body = new JsonObject().put("n", 1);
    for (String id : new String[] {"a\u0001b", "\u0001", "line\nbreak", "tab\t", "del\u007f", "c1\u0085"}) {
      refused("items", 400, "bad_id", () -> api.put("items", id, body));
      refused("items", 400, "bad_id", () -> api.get("items", id));
      refused("items", 400, "bad_id", () -> api.patch("items", id, ops(op("add", "/n", 2))));
      refused("items", 400, "bad_id", () -> api.delete("items", id));
      refused("items", 400, "bad_id", () -> api.post("items", body.copy().put("id", id)));
    }
  }

  @Test
  @DisplayName("an empty id is refused with 400 bad_id; a non-string id in a body too")
  void emptyOrNonStringId() {
    JsonObject body = new JsonObject().put("n", 1);
    refused("items", 400, "bad_id", () -> api.post("items", body.copy().put("id", "")));
    refused("items", 400, "bad_id", () -> api.post("items", body.copy().put("id", 5)));
    refused("items", 400, "bad_id", () -> api.post("items", body.copy().putNull("id")));
    // PUT/PATCH/DELETE .../docs/ name a document by an empty id: a bad id, not a route miss.
    refused("items", 400, "bad_id", () -> raw("PUT", docs("items") + "/", JSON, body.encode()));
    refused("items", 400, "bad_id", () -> raw("PATCH", docs("items") + "/", JSON_PATCH, "[]"));
    refused("items", 400, "bad_id", () -> raw("DELETE", docs("items") + "/", null, null));
  }

  @Test
  @DisplayName("the ids . and .. (which URLs remove as dot segments) are refused with 400 bad_id, never routed elsewhere")
  void dotSegmentIds() {
    JsonObject body = new JsonObject().put("n", 1);
    refused("items", 400, "bad_id", () -> api.post("items", body.copy().put("id", ".")));
    refused("items", 400, "bad_id", () -> api.post("items", body.copy().put("id", "..")));
    for (String segment : new String[] {".", "..", "%2E", "%2e", "%2E%2E", ".%2e"}) {
      String path = docs("items") + "/" + segment;
      // without the check, GET .../docs/%2E would answer the whole collection with 200
      refused("items", 400, "bad_id", () -> raw("GET", path, null, null));
      refused("items", 400, "bad_id", () -> raw("PUT", path, JSON, body.encode()));
      refused("items", 400, "bad_id", () -> raw("PATCH", path, JSON_PATCH, "[]"));
      refused("items", 400, "bad_id", () -> raw("DELETE", path, null, null));
    }
    refused("items", 400, "bad_request", () -> raw("GET", docs("items") + "/../docs/x1", null, null));
    // ids that merely contain dots are ordinary
    api.put("items", "...", body).expect(201);
    api.put("items", ".x", body).expect(201);
    api.get("items", "...").expect(200);
  }

  @Test
  @DisplayName("a percent-encoded id that is not UTF-8 is a bad id, not a replacement character")
  void idNotUtf8() {
    JsonObject body = new JsonObject().put("n", 1);
    for (String encoded : new String[] {"%C3", "%FF%FE", "a%C3%28b", "%ED%A0%80"}) {
      String path = docs("items") + "/" + encoded;
      refused("items", 400, "bad_id", () -> raw("PUT", path, JSON, body.encode()));
      refused("items", 400, "bad_id", () -> raw("GET", path, null, null));
      refused("items", 400, "bad_id", () -> raw("PATCH", path, JSON_PATCH, "[]"));
      refused("items", 400, "bad_id", () -> raw("DELETE", path, null, null));
    }
  }

  @Test
  @DisplayName("malformed percent-encoding in the path or the query answers 400 with a JSON error body")
  void malformedPercentEncoding() {
    api.raw("GET", doc("items", "x1").replace("x1", "%zz"), null, null).assertJsonError(400);
    api.raw("GET", docs("items") + "/%", null, null).assertJsonError(400);
    api.raw("PUT", docs("items") + "/a%2", JSON, "{\"n\":1}").assertJsonError(400);
    api.raw("GET", docs("items") + "?where=n:%zz", null, null).assertJsonError(400);
    api.get("items", "x1").expect(200);
  }

  // ---- 400 bad_where ------------------------------------------------------------------------

  @Test
  @DisplayName("a where without a colon or with an empty field name is refused with 400 bad_where")
  void badWhere() {
    refused("items", 400, "bad_where", () -> api.list("items", "nocolon"));
    refused("items", 400, "bad_where", () -> api.list("items", ":x"));
    refused("items", 400, "bad_where", () -> api.list("items", ":"));
    refused("items", 400, "bad_where", () -> api.list("items", ""));
    refused("tasks", 400, "bad_where", () -> api.list("tasks", "status"));
  }

  // ---- 409 precondition_failed --------------------------------------------------------------

  @Test
  @DisplayName("an If-Match that does not name the document's current version is refused with 409 precondition_failed")
  void ifMatchMismatch() {
    Reply created = api.put("items", "im", new JsonObject().put("n", 1)).expect(201);
    long etag = created.etagSeq();
    assertEquals(created.seq(), etag, "a write's ETag is the seq of the change it made");
    api.patch("items", "im", ops(op("replace", "/n", 2))).expect(200); // now etag is stale
    String stale = "\"" + etag + "\"";
    refused("items", 409, "precondition_failed", () -> api.patch("items", "im", ops(op("replace", "/n", 3)), "If-Match", stale));
    refused("items", 409, "precondition_failed", () -> api.put("items", "im", new JsonObject().put("n", 3), "If-Match", stale));
    refused("items", 409, "precondition_failed", () -> api.delete("items", "im", "If-Match", stale));
    refused("items", 409, "precondition_failed", () -> api.delete("items", "im", "If-Match", "\"999999999\""));
    // If-Match: * requires the document to exist, so it cannot create one
    refused("items", 409, "precondition_failed", () -> api.put("items", "im-none", new JsonObject().put("n", 1), "If-Match", "*"));
    api.get("items", "im-none").assertError(404, "not_found");
    assertEquals(2, api.get("items", "im").expect(200).json().getInteger("n"));
  }
}
