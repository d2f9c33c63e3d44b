package dev.patchwire.http;

import static dev.patchwire.http.HttpCalls.JSON;
import static dev.patchwire.http.HttpCalls.JSON_PATCH;
import static dev.patchwire.http.HttpCalls.doc;
import static dev.patchwire.http.HttpCalls.docs;
import static dev.patchwire.http.HttpCalls.escape;
import static dev.patchwire.http.HttpCalls.op;
import static dev.patchwire.http.HttpCalls.ops;
import static dev.patchwire.http.HttpCalls.remove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.JsonPatch;
import dev.patchwire.http.HttpCalls.Reply;
import dev.patchwire.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The REST success paths of PROTOCOL.md 2 over real HTTP: status codes and bodies, the
 * {@code Patchwire-Seq} and {@code ETag} headers, odd ids through every verb, filtering, no-op
 * writes that commit and emit nothing, and the fields the server sets on kanban documents.
 */
class RestWritesTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Numbers compare by value (1.5e300 == 1.5E300), everything else structurally. */
  private static final Comparator<JsonNode> NUMERIC = (a, b) ->
      a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) : a.equals(b) ? 0 : 1;
  private static final String UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

  private static TestServer server;
  private static HttpCalls api;
  private static int sentinels;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    api = new HttpCalls(server.baseUrl());
    api.put("projects", "p1", new JsonObject().put("name", "Project one")).expect(201);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** A 200/201 answer carrying a document: JSON content type, the body as an object. */
  private static JsonObject document(Reply r) {
    String type = r.header("Content-Type").orElse("");
    assertTrue(type.toLowerCase().startsWith(JSON), r.request() + ": document answer is '" + type + "', not application/json");
    return r.json();
  }

  private static long position() {
    return api.list("items").expect(200).seq();
  }

  private static Reply sentinel() {
    return api.put("items", "w-sentinel-" + (++sentinels), new JsonObject().put("sentinel", sentinels)).expect(201);
  }

  // ---- POST / PUT / PATCH / DELETE ----------------------------------------------------------

  @Test
  @DisplayName("POST without an id creates the document under a new UUID and answers 201 with it")
  void postWithoutId() {
    Reply r = api.post("items", new JsonObject().put("title", "no id")).expect(201);
    JsonObject created = document(r);
    String id = created.getString("id");
    assertTrue(id != null && id.matches(UUID), "the server made a UUID id: " + created.encode());
    assertEquals(new JsonObject().put("id", id).put("title", "no id"), created);
    r.header("Location").ifPresent(location -> assertTrue(location.endsWith(doc("items", id)),
        "Location, when sent, names the new document: " + location));
    assertEquals(created, document(api.get("items", id).expect(200)));

    String other = api.post("items", new JsonObject().put("title", "no id")).expect(201).json().getString("id");
    assertNotEquals(id, other, "each POST gets its own id");

    JsonObject named = document(api.post("items", new JsonObject().put("id", "named").put("k", 1)).expect(201));
    assertEquals(new JsonObject().put("id", "named").put("k", 1), named);
  }

  @Test
  @DisplayName("PUT creates with 201, then replaces the whole document with 200")
  void putCreatesThenReplaces() {
    JsonObject created = document(api.put("items", "pc", new JsonObject().put("a", 1).put("b", 2)).expect(201));
    assertEquals(new JsonObject().put("id", "pc").put("a", 1).put("b", 2), created);

    JsonObject replaced = document(api.put("items", "pc", new JsonObject().put("a", 3)).expect(200));
    assertEquals(new JsonObject().put("id", "pc").put("a", 3), replaced, "PUT replaces, it does not merge");

    JsonObject withId = document(api.put("items", "pc", new JsonObject().put("id", "pc").put("c", true)).expect(200));
    assertEquals(new JsonObject().put("id", "pc").put("c", true), withId, "a body id equal to the URL id is fine");
    assertEquals(withId, document(api.get("items", "pc").expect(200)));
  }

  @Test
  @DisplayName("PATCH applies the whole patch and answers 200 with the new document")
  void patchReturnsNewDocument() {
    api.put("items", "pt", new JsonObject().put("n", 1).put("tags", new JsonArray().add("a"))).expect(201);
    JsonObject patched = document(api.patch("items", "pt", ops(
        op("test", "/n", 1),
        op("replace", "/n", 2),
        op("add", "/tags/-", "b"),
        op("add", "/o", new JsonObject().putNull("k")))).expect(200));
    JsonObject expected = new JsonObject().put("id", "pt").put("n", 2)
        .put("tags", new JsonArray().add("a").add("b")).put("o", new JsonObject().putNull("k"));
    assertEquals(expected, patched);
    assertEquals(expected, document(api.get("items", "pt").expect(200)));

    // application/json is accepted for a patch as well
    JsonObject again = document(api.send("PATCH", doc("items", "pt"), JSON, ops(remove("/o")).encode()).expect(200));
    assertFalse(again.containsKey("o"));
    // and so are content types with parameters
    api.send("PATCH", doc("items", "pt"), JSON_PATCH + "; charset=utf-8", ops(op("replace", "/n", 3)).encode()).expect(200);
    api.send("POST", docs("items"), JSON + "; charset=UTF-8", "{\"id\":\"charset\"}").expect(201);
    // media type names are case-insensitive (RFC 9110 8.3.1)
    api.send("PUT", doc("items", "charset"), "Application/JSON", "{\"n\":1}").expect(200);
    api.send("PATCH", doc("items", "pt"), "application/JSON-patch+json", ops(op("replace", "/n", 4)).encode()).expect(200);
    // and a body sent in chunks, without Content-Length, is read whole
    api.sendChunked("PUT", doc("items", "chunked"), JSON, "{\"n\":1}".getBytes(StandardCharsets.UTF_8)).expect(201);
  }

  @Test
  @DisplayName("DELETE answers 204, after which the document is gone")
  void deleteThenGone() {
    api.put("items", "del", new JsonObject().put("n", 1)).expect(201);
    Reply deleted = api.delete("items", "del").expect(204);
    assertEquals("", deleted.body(), "204 has no body");
    api.get("items", "del").assertError(404, "not_found");
    api.delete("items", "del").assertError(404, "not_found");
    assertFalse(api.list("items").expect(200).json().getJsonObject("items").containsKey("del"));
    api.put("items", "del", new JsonObject().put("n", 2)).expect(201);
  }

  // ---- where --------------------------------------------------------------------------------

  @Test
  @DisplayName("GET with where=F:V keeps documents whose field F is V as text, or whose JSON text is V")
  void whereFilters() {
    Object[][] docs = {
        {"wf-str-42", "42"}, {"wf-num-42", 42}, {"wf-num-420", 420}, {"wf-true", true}, {"wf-str-true", "true"},
        {"wf-null", null}, {"wf-str-null", "null"}, {"wf-colon", "a:b"}, {"wf-frac", 4.5}, {"wf-empty", ""},
        {"wf-space", "a b"}, {"wf-uni", "ü名"}, {"wf-obj", new JsonObject().put("x", 1)}, {"wf-false", false}};
    for (Object[] d : docs) {
      api.put("items", (String) d[0], new JsonObject().put("wf", d[1])).expect(201);
    }
    api.put("items", "wf-absent", new JsonObject().put("other", 42)).expect(201);

    assertWhere("wf:42", "wf-str-42", "wf-num-42");
    assertWhere("wf:420", "wf-num-420");
    assertWhere("wf:true", "wf-true", "wf-str-true");
    assertWhere("wf:false", "wf-false");
    assertWhere("wf:null", "wf-null", "wf-str-null");
    assertWhere("wf:a:b", "wf-colon");
    assertWhere("wf:4.5", "wf-frac");
    assertWhere("wf:", "wf-empty");
    assertWhere("wf:a b", "wf-space");
    assertWhere("wf:ü名", "wf-uni");
    assertWhere("wf:4");
    assertWhere("nofield:42");
  }

  private static void assertWhere(String where, String... ids) {
    Reply r = api.list("items", where).expect(200);
    JsonObject body = document(r);
    assertEquals(Set.of("items", "seq"), body.fieldNames(), "where=" + where + ": {\"items\":{...},\"seq\":S}");
    assertEquals(r.seq(), body.getLong("seq"), "where=" + where + ": body seq is the Patchwire-Seq");
    JsonObject items = body.getJsonObject("items");
    assertEquals(Set.of(ids), items.fieldNames(), "where=" + where);
    for (String id : ids) {
      assertEquals(document(api.get("items", id).expect(200)), items.getJsonObject(id));
    }
  }

  // ---- Patchwire-Seq and ETag ---------------------------------------------------------------

  @Test
  @DisplayName("every 2xx carries Patchwire-Seq EPOCH:SEQ, strictly increasing across writes, and writes emit exactly their change")
  void seqHeaderOnEvery2xx() throws Exception {
    try (StreamWatch watch = StreamWatch.open(server.port(), "items")) {
      Reply post = api.post("items", new JsonObject().put("n", 1)).expect(201);
      String id = post.json().getString("id");
      Reply put = api.put("items", id, new JsonObject().put("n", 2).put("m", "x")).expect(200);
      Reply create = api.put("items", "seq-created", new JsonObject().put("k", 1)).expect(201);
      Reply patch = api.patch("items", id, ops(op("replace", "/n", 3), remove("/m"))).expect(200);
      Reply getOne = api.get("items", id).expect(200);
      Reply list = api.list("items").expect(200);
      Reply filtered = api.list("items", "n:3").expect(200);
      Reply delete = api.delete("items", "seq-created").expect(204);
      Reply listAfter = api.list("items").expect(200);

      for (Reply r : new Reply[] {post, put, create, patch, getOne, list, filtered, delete, listAfter}) {
        assertEquals(server.epoch(), r.epoch(), r.request() + ": the epoch is the store's");
      }
      assertTrue(post.seq() < put.seq() && put.seq() < create.seq() && create.seq() < patch.seq()
          && patch.seq() < delete.seq(), "writes get strictly increasing seqs");
      assertEquals(patch.seq(), getOne.seq(), "a read names the store's current position");
      assertEquals(patch.seq(), list.seq());
      assertEquals(patch.seq(), filtered.seq());
      assertEquals(delete.seq(), listAfter.seq());
      assertEquals(list.seq(), list.json().getLong("seq"));

      // ETag: the seq of the document's last change
      assertEquals(post.seq(), post.etagSeq());
      assertEquals(put.seq(), put.etagSeq());
      assertEquals(patch.seq(), patch.etagSeq());
      assertEquals(patch.seq(), getOne.etagSeq());

      // one live frame per write, with the write's seq, that takes a client to the answered state
      JsonNode state = MAPPER.readTree("{\"items\":{}}");
      String path = "/items/" + escape(id);
      JsonObject f1 = watch.expectLive(post.seq(), "POST");
      assertEquals(ops(op("add", path, post.json())), f1.getJsonArray("JsonPatch"), "a new document arrives as one add");
      state = apply(state, f1);
      state = apply(state, watch.expectLive(put.seq(), "PUT"));
      assertEquals(MAPPER.readTree(put.body()), state.get("items").get(id));
      JsonObject f3 = watch.expectLive(create.seq(), "PUT create");
      assertEquals(ops(op("add", "/items/seq-created", create.json())), f3.getJsonArray("JsonPatch"));
      state = apply(state, f3);
      state = apply(state, watch.expectLive(patch.seq(), "PATCH"));
      assertEquals(MAPPER.readTree(patch.body()), state.get("items").get(id));
      JsonObject f5 = watch.expectLive(delete.seq(), "DELETE");
      assertEquals(ops(remove("/items/seq-created")), f5.getJsonArray("JsonPatch"), "a deleted document leaves as one remove");
      state = apply(state, f5);
      assertFalse(state.get("items").has("seq-created"));
    }
  }

  private static JsonNode apply(JsonNode state, JsonObject frame) throws Exception {
    return JsonPatch.apply(MAPPER.readTree(frame.getJsonArray("JsonPatch").encode()), state);
  }

  @Test
  @DisplayName("If-Match with the current ETag, or *, lets a write through")
  void ifMatchSuccess() {
    Reply created = api.put("items", "ims", new JsonObject().put("n", 1)).expect(201);
    Reply patched = api.patch("items", "ims", ops(op("replace", "/n", 2)), "If-Match", "\"" + created.etagSeq() + "\"").expect(200);
    assertTrue(patched.etagSeq() > created.etagSeq());
    Reply put = api.put("items", "ims", new JsonObject().put("n", 3), "If-Match", "\"" + patched.etagSeq() + "\"").expect(200);
    Reply star = api.put("items", "ims", new JsonObject().put("n", 4), "If-Match", "*").expect(200);
    assertTrue(star.etagSeq() > put.etagSeq());
    assertEquals(star.etagSeq(), api.get("items", "ims").expect(200).etagSeq());
    api.delete("items", "ims", "If-Match", "\"" + star.etagSeq() + "\"").expect(204);
  }

  // ---- odd ids ------------------------------------------------------------------------------

  static Stream<String> oddIds() {
    return Stream.of("a/b", "~", "~1", "~0", "a b", "ü名", " ", "%41", "a+b", "a?b#c", "😀",
        "x".repeat(256), "a/~b".repeat(64));
  }

  @ParameterizedTest(name = "id \"{0}\"")
  @MethodSource("oddIds")
  @DisplayName("odd ids round-trip through every verb, and stream paths escape them as RFC 6901 says")
  void oddIdsRoundTrip(String id) {
    String path = "/items/" + escape(id);
    try (StreamWatch watch = StreamWatch.open(server.port(), "items")) {
      Reply post = api.post("items", new JsonObject().put("id", id).put("v", 1)).expect(201);
      assertEquals(new JsonObject().put("id", id).put("v", 1), document(post));
      JsonObject added = watch.expectLive(post.seq(), "POST " + id);
      assertEquals(ops(op("add", path, post.json())), added.getJsonArray("JsonPatch"));

      assertEquals(post.json(), document(api.get("items", id).expect(200)));

      Reply put = api.put("items", id, new JsonObject().put("v", 2)).expect(200);
      assertEquals(new JsonObject().put("id", id).put("v", 2), document(put));
      JsonObject replaced = watch.expectLive(put.seq(), "PUT " + id);
      assertPathsUnder(replaced, path);

      Reply patch = api.patch("items", id, ops(op("replace", "/v", 3))).expect(200);
      assertEquals(new JsonObject().put("id", id).put("v", 3), document(patch));
      JsonObject patched = watch.expectLive(patch.seq(), "PATCH " + id);
      assertPathsUnder(patched, path);

      assertEquals(patch.json(), api.list("items").expect(200).json().getJsonObject("items").getJsonObject(id));
      assertEquals(patch.json(), api.list("items", "v:3").expect(200).json().getJsonObject("items").getJsonObject(id));

      Reply delete = api.delete("items", id).expect(204);
      JsonObject removed = watch.expectLive(delete.seq(), "DELETE " + id);
      assertEquals(ops(remove(path)), removed.getJsonArray("JsonPatch"));
      api.get("items", id).assertError(404, "not_found");

      Reply recreated = api.put("items", id, new JsonObject().put("v", 4)).expect(201);
      assertEquals(id, recreated.json().getString("id"));
      api.post("items", new JsonObject().put("id", id)).assertError(409, "already_exists");
      if (id.contains("~")) {
        // ~ may also come percent-encoded
        assertEquals(recreated.json(), document(api.send("GET", docs("items") + "/" + HttpCalls.encode(id).replace("~", "%7E"), null, null).expect(200)));
      }
      api.delete("items", id).expect(204);
    }
  }

  private static void assertPathsUnder(JsonObject frame, String docPath) {
    for (Object o : frame.getJsonArray("JsonPatch")) {
      JsonObject op = (JsonObject) o;
      String p = op.getString("path");
      assertTrue(p.equals(docPath) || p.startsWith(docPath + "/"), "op stays inside " + docPath + ": " + op.encode());
    }
  }

  // ---- no-op writes -------------------------------------------------------------------------

  @Test
  @DisplayName("writes that change nothing answer 200 with the document and the current position, and emit nothing")
  void noOpWrites() {
    JsonObject body = new JsonObject().put("n", 1).put("s", "x").put("o", new JsonObject().put("a", new JsonArray().add(1).add(2)));
    Reply created = api.put("items", "noop", body).expect(201);
    JsonObject doc = created.json();
    String[] patches = {
        "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1}]",
        "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1},{\"op\":\"test\",\"path\":\"/o/a/1\",\"value\":2}]",
        "[]",
        "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":1}]",
        "[{\"op\":\"replace\",\"path\":\"/o\",\"value\":{\"a\":[1,2]}}]",
        "[{\"op\":\"add\",\"path\":\"/s\",\"value\":\"x\"}]",
        "[{\"op\":\"replace\",\"path\":\"/id\",\"value\":\"noop\"}]",
        "[{\"op\":\"remove\",\"path\":\"/n\"},{\"op\":\"add\",\"path\":\"/n\",\"value\":1}]",
        "[{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/s\"}]",
    };
    try (StreamWatch watch = StreamWatch.open(server.port(), "items")) {
      for (String p : patches) {
        assertNoOp(watch, doc, created.seq(), () -> api.send("PATCH", doc("items", "noop"), JSON_PATCH, p));
      }
      assertNoOp(watch, doc, created.seq(), () -> api.put("items", "noop", body));
      assertNoOp(watch, doc, created.seq(), () -> api.put("items", "noop", doc));
      assertNoOp(watch, doc, created.seq(), () -> api.put("items", "noop",
          new JsonObject().put("o", new JsonObject().put("a", new JsonArray().add(1).add(2))).put("s", "x").put("n", 1)));
    }
  }

  private static void assertNoOp(StreamWatch watch, JsonObject doc, long docSeq, Supplier<Reply> call) {
    long before = position();
    Reply r = call.get().expect(200);
    assertEquals(doc, document(r), r.request() + ": a no-op answers the unchanged document");
    assertEquals(before, r.seq(), r.request() + ": a no-op answers the current position");
    r.header("ETag").ifPresent(e -> assertEquals(docSeq, r.etagSeq(), r.request() + ": ETag still names the document's last change"));
    assertEquals(before, position(), r.request() + ": a no-op commits nothing");
    assertEquals(doc, api.get("items", "noop").expect(200).json());
    Reply s = sentinel();
    watch.expectLive(s.seq(), r.request() + " changed nothing, so it must emit nothing");
  }

  @Test
  @DisplayName("a PATCH whose test compares 1 with a stored 1.0 passes (RFC 6902 4.6: numbers compare by value)")
  void testOpComparesNumbersByValue() {
    Reply created = api.send("PUT", doc("items", "num"), JSON, "{\"f\":1.0,\"i\":10}").expect(201);
    api.send("PATCH", doc("items", "num"), JSON_PATCH,
        "[{\"op\":\"test\",\"path\":\"/f\",\"value\":1},{\"op\":\"test\",\"path\":\"/i\",\"value\":1e1}]").expect(200);
    Reply patched = api.send("PATCH", doc("items", "num"), JSON_PATCH,
        "[{\"op\":\"test\",\"path\":\"/f\",\"value\":1},{\"op\":\"replace\",\"path\":\"/i\",\"value\":11}]").expect(200);
    assertTrue(patched.seq() > created.seq());
  }

  // ---- member names that need escaping, values that must survive ----------------------------

  @Test
  @DisplayName("documents with member names that need RFC 6901 escaping stream patches that apply exactly")
  void oddMemberNamesStreamCorrectly() throws Exception {
    try (StreamWatch watch = StreamWatch.open(server.port(), "items")) {
      JsonNode state = MAPPER.readTree("{\"items\":{}}");
      Reply created = api.put("items", "om", new JsonObject().put("a/b", 1).put("~c", 2).put("", 3).put("x y", 4)
          .put("~1", new JsonObject().put("/", 5)).put("list", new JsonArray().add(1).add(2).add(3))).expect(201);
      state = apply(state, watch.expectLive(created.seq(), "PUT create"));
      Reply replaced = api.put("items", "om", new JsonObject().put("a/b", 10).put("~c", 2).put("", 30).put("x y", 4)
          .put("~1", new JsonObject().put("/", 50).put("~", 6)).put("new/~", 9).put("list", new JsonArray().add(3))
          .put("k=v", 1).put("50%", 2)).expect(200);
      state = apply(state, watch.expectLive(replaced.seq(), "PUT replace"));
      assertEquals(MAPPER.readTree(replaced.body()), state.get("items").get("om"));
      Reply patched = api.patch("items", "om", ops(remove("/a~1b"), op("replace", "/~01/~1", 51), op("add", "/~0~1", true),
          op("replace", "/k=v", 2), op("replace", "/50%", 3))).expect(200);
      state = apply(state, watch.expectLive(patched.seq(), "PATCH"));
      assertEquals(MAPPER.readTree(patched.body()), state.get("items").get("om"));
      assertEquals(MAPPER.readTree(api.get("items", "om").expect(200).body()), state.get("items").get("om"));
    }
  }

  @Test
  @DisplayName("JSON values round-trip exactly: big and decimal numbers, escapes, control characters in strings, deep nesting")
  void valuesRoundTrip() throws Exception {
    String text = "{\"big\":12345678901234567890123,\"long\":9223372036854775807,\"dec\":0.1,\"exp\":1.5e300,"
        + "\"neg\":-42,\"s\":\"\\u0000 \\\" \\\\ \\n \\t \\u2028 ü名 😀\",\"nested\":[[[]],{},[{\"a\":[null,true,false]}]],"
        + "\"empty\":\"\",\"nul\":null}";
    JsonNode sent = MAPPER.readTree(text);
    Reply put = api.send("PUT", doc("items", "values"), JSON, text).expect(201);
    JsonNode expected = ((ObjectNode) sent.deepCopy()).put("id", "values");
    assertTrue(expected.equals(NUMERIC, MAPPER.readTree(put.body())), "201 body: " + put.body());
    Reply get = api.get("items", "values").expect(200);
    assertTrue(expected.equals(NUMERIC, MAPPER.readTree(get.body())), "stored: " + get.body());
    JsonNode listed = MAPPER.readTree(api.list("items").expect(200).body()).get("items").get("values");
    assertTrue(expected.equals(NUMERIC, listed), "listed: " + listed);
  }

  // ---- concurrency and durability -----------------------------------------------------------

  @Test
  @DisplayName("concurrent PATCHes to one document are all applied, each once, with distinct seqs streamed in order")
  void concurrentPatchesAreNotLost() throws Exception {
    api.put("items", "conc", new JsonObject().put("list", new JsonArray())).expect(201);
    int n = 40;
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try (StreamWatch watch = StreamWatch.open(server.port(), "items")) {
      List<Future<Reply>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int v = i;
        futures.add(pool.submit(() -> api.patch("items", "conc", ops(op("add", "/list/-", v)))));
      }
      TreeSet<Long> seqs = new TreeSet<>();
      for (Future<Reply> f : futures) {
        Reply r = f.get(30, TimeUnit.SECONDS).expect(200);
        assertTrue(seqs.add(r.seq()), "seq " + r.seq() + " given twice");
      }
      JsonArray list = api.get("items", "conc").expect(200).json().getJsonArray("list");
      assertEquals(n, list.size(), "no update lost: " + list.encode());
      assertEquals(n, new HashSet<>(list.getList()).size(), "none applied twice: " + list.encode());
      for (long seq : seqs) {
        watch.expectLive(seq, "concurrent PATCH");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("concurrent POSTs with one id: exactly one 201, the others 409 already_exists")
  void concurrentPostsWithOneId() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      List<Future<Reply>> futures = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        int v = i;
        futures.add(pool.submit(() -> api.post("items", new JsonObject().put("id", "race").put("v", v))));
      }
      int created = 0;
      for (Future<Reply> f : futures) {
        Reply r = f.get(30, TimeUnit.SECONDS);
        if (r.status() == 201) {
          created++;
        } else {
          r.assertError(409, "already_exists");
        }
      }
      assertEquals(1, created);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("answered writes survive a restart: same documents, same epoch and position, and seqs keep rising")
  void survivesRestart() {
    TestServer own = TestServer.start();
    try {
      HttpCalls a = new HttpCalls(own.baseUrl());
      a.put("items", "keep", new JsonObject().put("n", 1)).expect(201);
      a.put("items", "gone", new JsonObject().put("n", 1)).expect(201);
      a.patch("items", "keep", ops(op("replace", "/n", 2))).expect(200);
      a.delete("items", "gone").expect(204);
      a.post("tasks", new JsonObject().put("project_id", "p").put("title", "t").put("id", "t1")).expect(201);
      Reply items = a.list("items").expect(200);
      Reply tasks = a.list("tasks").expect(200);
      String epoch = own.epoch();

      own = own.restart();
      HttpCalls b = new HttpCalls(own.baseUrl());
      assertEquals(epoch, own.epoch(), "the same database keeps its epoch");
      assertEquals(items.json(), b.list("items").expect(200).json());
      assertEquals(tasks.json(), b.list("tasks").expect(200).json());
      Reply next = b.put("items", "after", new JsonObject()).expect(201);
      assertTrue(next.seq() > items.seq(), "seqs keep rising after a restart");
      assertEquals(epoch, next.epoch());
    } finally {
      own.close();
    }
  }

  // ---- kanban -------------------------------------------------------------------------------

  @Test
  @DisplayName("the server sets created_at and updated_at on kanban documents, and a task's status defaults to todo")
  void kanbanServerFields() throws Exception {
    Instant start = Instant.now().minus(Duration.ofMinutes(5));
    String longAgo = "2000-01-01T00:00:00Z";

    JsonObject project = document(api.post("projects", new JsonObject().put("name", "Board")).expect(201));
    Instant projectCreated = time(project, "created_at");
    assertTrue(projectCreated.isAfter(start), "created_at is now: " + project.encode());
    time(project, "updated_at");

    Reply postTask = api.post("tasks", new JsonObject().put("project_id", project.getString("id")).put("title", "T")
        .put("created_at", longAgo).put("updated_at", longAgo)).expect(201);
    JsonObject task = document(postTask);
    String id = task.getString("id");
    assertEquals("todo", task.getString("status"), "status defaults to todo");
    Instant created = time(task, "created_at");
    Instant updated = time(task, "updated_at");
    assertTrue(created.isAfter(start), "a client-sent created_at is overridden: " + task.encode());
    assertTrue(updated.isAfter(start), "a client-sent updated_at is overridden: " + task.encode());
    assertFalse(updated.isBefore(created));
    assertEquals(task, document(api.get("tasks", id).expect(200)));

    Thread.sleep(20);
    JsonObject patched = document(api.patch("tasks", id, ops(op("replace", "/title", "T2"))).expect(200));
    assertEquals(task.getString("created_at"), patched.getString("created_at"), "created_at is kept");
    assertTrue(time(patched, "updated_at").isAfter(updated), "updated_at moves on each change: " + patched.encode());
    assertEquals("T2", patched.getString("title"));

    // a change that changes nothing does not touch updated_at either
    long before = position();
    Reply same = api.patch("tasks", id, ops(op("replace", "/title", "T2"))).expect(200);
    assertEquals(patched, document(same));
    assertEquals(before, same.seq());

    Thread.sleep(20);
    JsonObject replaced = document(api.put("tasks", id, new JsonObject().put("project_id", project.getString("id"))
        .put("title", "T3").put("created_at", longAgo)).expect(200));
    assertEquals(task.getString("created_at"), replaced.getString("created_at"), "PUT keeps created_at");
    assertTrue(time(replaced, "updated_at").isAfter(time(patched, "updated_at")));
    assertEquals("todo", replaced.getString("status"), "a replaced task without status gets the default");

    // writing back what the server answered, or the same fields without the server's, changes nothing
    long unchanged = position();
    Reply echo = api.put("tasks", id, replaced).expect(200);
    assertEquals(replaced, document(echo));
    assertEquals(unchanged, echo.seq(), "PUT of the document as answered is a no-op");
    Reply bare = api.put("tasks", id, new JsonObject().put("project_id", project.getString("id")).put("title", "T3")).expect(200);
    assertEquals(replaced, document(bare), "PUT of the same fields keeps the timestamps");
    assertEquals(unchanged, bare.seq(), "... and is a no-op");

    JsonObject explicit = document(api.put("tasks", "t-explicit", new JsonObject().put("project_id", project.getString("id"))
        .put("title", "X").put("status", "inprogress").put("created_at", longAgo)).expect(201));
    assertEquals("inprogress", explicit.getString("status"));
    assertTrue(time(explicit, "created_at").isAfter(start), "PUT create overrides created_at too");
  }

  private static Instant time(JsonObject doc, String field) {
    String text = doc.getString(field);
    assertTrue(text != null, field + " is set: " + doc.encode());
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new AssertionError(field + " is not an RFC 3339 date-time: " + text, e);
    }
  }
}
