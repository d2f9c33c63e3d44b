package dev.patchwire.hostile;

import static dev.patchwire.hostile.Probe.fragments;
import static dev.patchwire.hostile.Probe.http;
import static dev.patchwire.hostile.Probe.message;
import static dev.patchwire.hostile.Probe.raw;
import static dev.patchwire.hostile.Probe.wsRefused;
import static dev.patchwire.hostile.Probe.wsSending;
import static dev.patchwire.hostile.Row.of;
import static dev.patchwire.hostile.Row.ofEither;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The bad-input corpus of issue #9: every kind of hostile input the engine must refuse, each with
 * its exact status (or close code) and error code, run by {@link HostileRunner}, which proves
 * that each refusal changed nothing, emitted nothing and left the engine serving. Every example
 * of the classes 1, 2, 8 and 9 is a row.
 */
@DisplayName("Bad-input corpus")
class BadInputCorpusTest {

  static final int MAX_BODY = 256 * 1024;
  static final int MAX_DOC = 64 * 1024;
  static final String JSON = "application/json";
  static final String PATCH = "application/json-patch+json";
  static final String ITEMS = "/api/collections/items/docs";
  static final String TASKS = "/api/collections/tasks/docs";

  private static TestServer server;
  private static HostileRunner runner;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(TestServer.defaults().setMaxBodyBytes(MAX_BODY).setMaxDocBytes(MAX_DOC));
    seed();
    runner = new HostileRunner("127.0.0.1", server.port(), HostileRunner::kanbanSentinel);
  }

  /** The documents the rows aim at: a project, a task, an item, and an item to amplify. */
  static void seed() throws Exception {
    Probe.Target t = new Probe.Target("127.0.0.1", server.port());
    String[][] docs = {
        {"/api/collections/projects/docs/p1", "{\"name\":\"Project one\"}"},
        {TASKS + "/t1", "{\"project_id\":\"p1\",\"title\":\"Task one\"}"},
        {ITEMS + "/x1", "{\"n\":1,\"s\":\"one\",\"list\":[1,2,3],\"o\":{\"a\":1}}"},
        {ITEMS + "/amp", "{\"s\":\"" + "x".repeat(1000) + "\"}"},
        {ITEMS + "/big", "{\"s\":\"" + "y".repeat(20_000) + "\"}"},
    };
    for (String[] d : docs) {
      assertEquals(201, http("PUT", d[0], JSON, d[1]).send(t).status(), d[0]);
    }
  }

  @AfterAll
  static void stop() {
    if (runner != null) {
      runner.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @TestFactory
  @DisplayName("every row is refused exactly, changes nothing, emits nothing, and the engine serves on")
  List<DynamicTest> corpus() {
    return runner.tests(rows());
  }

  @Test
  @DisplayName("holds at least 80 kinds of bad input, each named once, across every area")
  void size() {
    List<Row> rows = rows();
    Set<String> names = new HashSet<>();
    rows.forEach(r -> assertTrue(names.add(r.toString()), "named twice: " + r));
    assertTrue(rows.size() >= 80, "only " + rows.size() + " rows");
    Set<String> areas = new HashSet<>();
    rows.forEach(r -> areas.add(r.area()));
    assertEquals(Set.of("body", "patch", "id and path", "query", "header", "framing", "websocket", "sse"), areas);
  }

  static List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    rows.addAll(bodies());
    rows.addAll(patches());
    rows.addAll(idsAndPaths());
    rows.addAll(queries());
    rows.addAll(headers());
    rows.addAll(framing());
    rows.addAll(webSockets());
    rows.addAll(sse());
    return rows;
  }

  // ---- REST bodies ----------------------------------------------------------------------------

  static List<Row> bodies() {
    String area = "body";
    byte[] edA080 = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
    return List.of(
        // issue #9 class 1, as written in the issue
        of(area, "lone high surrogate escape in a task title (issue #9 class 1)", 400, "malformed_json",
            http("PUT", TASKS + "/x", JSON, "{\"project_id\":\"demo\",\"title\":\"\\ud800\"}")),
        of(area, "lone low surrogate escape in a value", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, "{\"s\":\"a\\udc00b\"}")),
        of(area, "high surrogate escape followed by a non-surrogate escape", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, "{\"s\":\"\\ud800\\u0041\"}")),
        of(area, "two high surrogate escapes", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, "{\"s\":\"\\ud83d\\ud83d\"}")),
        of(area, "lone surrogate escape in a member name", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, "{\"\\ud800\":1}")),
        of(area, "lone surrogate escape in a POSTed id", 400, "malformed_json",
            http("POST", ITEMS, JSON, "{\"id\":\"\\ud800\",\"n\":1}")),
        of(area, "lone surrogate escape in a replacing PUT of an existing document", 400, "malformed_json",
            http("PUT", ITEMS + "/x1", JSON, "{\"n\":\"\\udbff\"}")),
        of(area, "raw bytes ED A0 80 (an encoded surrogate) in a value", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, bytes("{\"s\":\"", edA080, "\"}"))),
        of(area, "raw bytes ED A0 80 in a member name", 400, "malformed_json",
            http("POST", ITEMS, JSON, bytes("{\"", edA080, "\":1}"))),
        of(area, "overlong UTF-8 C0 AF for '/' (issue #9 class 8)", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, bytes("{\"s\":\"a", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\"}"))),
        of(area, "overlong three-byte UTF-8 E0 80 AF", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, bytes("{\"s\":\"", new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, "\"}"))),
        of(area, "bytes FF FE that are no UTF-8", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, bytes("{\"s\":\"", new byte[] {(byte) 0xFF, (byte) 0xFE}, "\"}"))),
        of(area, "a UTF-8 sequence cut short", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, bytes("{\"s\":\"", new byte[] {(byte) 0xE2, (byte) 0x82}, "\"}"))),
        of(area, "code point above U+10FFFF (F4 90 80 80)", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, bytes("{\"s\":\"", new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, "\"}"))),
        of(area, "a UTF-16LE body without byte-order mark (issue #9 class 8)", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, encoded("{\"n\":1}", StandardCharsets.UTF_16LE))),
        of(area, "a UTF-16 body with byte-order mark", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, encoded("{\"n\":1}", StandardCharsets.UTF_16))),
        of(area, "a UTF-32 body", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, encoded("{\"n\":1}", Charset.forName("UTF-32BE")))),
        of(area, "a UTF-8 byte-order mark before the JSON", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, bytes("", new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, "{\"n\":1}"))),
        of(area, "1e400, which a double cannot hold (issue #9 class 8)", 400, "unrepresentable_number",
            http("PUT", ITEMS + "/new", JSON, "{\"n\":1e400}")),
        of(area, "-1e400", 400, "unrepresentable_number", http("PUT", ITEMS + "/new", JSON, "{\"n\":-1e400}")),
        of(area, "1e-400, which a double rounds to 0", 400, "unrepresentable_number",
            http("PUT", ITEMS + "/new", JSON, "{\"n\":1e-400}")),
        of(area, "a 400-digit integer, past a double's range (issue #9 class 8)", 400, "unrepresentable_number",
            http("PUT", ITEMS + "/new", JSON, "{\"n\":" + "9".repeat(400) + "}")),
        of(area, "-1e-400", 400, "unrepresentable_number", http("PUT", ITEMS + "/new", JSON, "{\"n\":-1e-400}")),
        of(area, "1.8e308, just past the largest double", 400, "unrepresentable_number",
            http("PUT", ITEMS + "/new", JSON, "{\"n\":1.8e308}")),
        of(area, "an exponent past 32 bits (found by the fuzz test: once a 500)", 400, "unrepresentable_number",
            http("PUT", ITEMS + "/new", JSON, "{\"n\":-914363672281e40043043317}")),
        of(area, "a 2000-digit number, past the parser's number length", 400, "unrepresentable_number",
            http("PUT", ITEMS + "/new", JSON, "{\"n\":" + "1".repeat(2000) + "}")),
        of(area, "a duplicate member name (issue #9 class 8)", 400, "duplicate_member",
            http("PUT", ITEMS + "/new", JSON, "{\"n\":1,\"n\":2}")),
        of(area, "a duplicate member name in a nested object", 400, "duplicate_member",
            http("PUT", ITEMS + "/new", JSON, "{\"o\":{\"a\":1,\"b\":2,\"a\":3}}")),
        of(area, "a duplicate id member in a POST", 400, "duplicate_member",
            http("POST", ITEMS, JSON, "{\"id\":\"d1\",\"id\":\"d2\"}")),
        of(area, "65 nested arrays", 400, "nesting_too_deep",
            http("PUT", ITEMS + "/new", JSON, "{\"a\":" + "[".repeat(64) + "]".repeat(64) + "}")),
        of(area, "65 nested objects", 400, "nesting_too_deep",
            http("PUT", ITEMS + "/new", JSON, "{\"a\":" + "{\"a\":".repeat(64) + "1" + "}".repeat(64) + "}")),
        of(area, "100,000 nested arrays (a stack-depth attack)", 400, "nesting_too_deep",
            http("PUT", ITEMS + "/new", JSON, "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}")),
        of(area, "a raw NUL inside a string", 400, "malformed_json",
            http("PUT", ITEMS + "/new", JSON, bytes("{\"s\":\"a", new byte[] {0}, "\"}"))),
        of(area, "an unknown escape \\x", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{\"s\":\"\\x41\"}")),
        of(area, "a cut \\u escape", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{\"s\":\"\\u12\"}")),
        of(area, "NaN", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{\"n\":NaN}")),
        of(area, "Infinity", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{\"n\":Infinity}")),
        of(area, "a leading zero", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{\"n\":0123}")),
        of(area, "a trailing comma", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{\"n\":1,}")),
        of(area, "a comment", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{/* c */\"n\":1}")),
        of(area, "single quotes", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{'n':1}")),
        of(area, "an unquoted member name", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{n:1}")),
        of(area, "two documents in one body", 400, "malformed_json", http("PUT", ITEMS + "/new", JSON, "{\"n\":1}{\"n\":2}")),
        of(area, "an empty body", 400, "malformed_json", http("POST", ITEMS, JSON, "")),
        of(area, "a JSON null body", 400, "not_an_object", http("PUT", ITEMS + "/new", JSON, "null")),
        of(area, "an array body", 400, "not_an_object", http("PUT", ITEMS + "/new", JSON, "[1]")),
        of(area, "a body over --max-body-bytes", 413, "body_too_large",
            http("PUT", ITEMS + "/new", JSON, "{\"s\":\"" + "z".repeat(MAX_BODY) + "\"}")),
        of(area, "a PUT whose document is over --max-doc-bytes", 413, "document_too_large",
            http("PUT", ITEMS + "/new", JSON, "{\"s\":\"" + "z".repeat(MAX_DOC) + "\"}")),
        of(area, "a POST whose document is over --max-doc-bytes", 413, "document_too_large",
            http("POST", ITEMS, JSON, "{\"s\":\"" + "z".repeat(MAX_DOC) + "\"}")),
        of(area, "a PUT of more values than the document limit allows", 413, "document_too_large",
            http("PUT", ITEMS + "/new", JSON, "{\"a\":[" + "0,".repeat(MAX_DOC / 7) + "0]}")),
        of(area, "a body of more values than a parse may build (twice a document's)", 413, "document_too_large",
            http("PUT", ITEMS + "/new", JSON, "{\"a\":[" + "{},".repeat(MAX_DOC / 3) + "{}]}")),
        of(area, "a body id that differs from the URL's", 400, "id_mismatch",
            http("PUT", ITEMS + "/x1", JSON, "{\"id\":\"other\"}")),
        of(area, "a numeric POSTed id", 400, "bad_id", http("POST", ITEMS, JSON, "{\"id\":42}")),
        of(area, "a POSTed id with a control character", 400, "bad_id", http("POST", ITEMS, JSON, "{\"id\":\"a\\u0001\"}")),
        of(area, "a task without its required project_id", 422, "schema_violation",
            http("PUT", TASKS + "/new", JSON, "{\"title\":\"no project\"}")),
        of(area, "text/plain", 415, "unsupported_media_type", http("PUT", ITEMS + "/new", "text/plain", "{\"n\":1}")),
        of(area, "no content type", 415, "unsupported_media_type", http("PUT", ITEMS + "/new", null, "{\"n\":1}")));
  }

  // ---- JSON Patch -----------------------------------------------------------------------------

  /** The copy amplification of issue #9 class 2: 16 MB from about 640 bytes, unbounded. */
  static String amplification(boolean thenRemove) {
    StringBuilder p = new StringBuilder("[{\"op\":\"add\",\"path\":\"/b\",\"value\":[]},"
        + "{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/b/-\"}");
    for (int i = 0; i < 14; i++) {
      p.append(",{\"op\":\"copy\",\"from\":\"/b\",\"path\":\"/b/-\"}");
    }
    return p.append(thenRemove ? ",{\"op\":\"remove\",\"path\":\"/b\"}]" : "]").toString();
  }

  static List<Row> patches() {
    String area = "patch";
    String x1 = ITEMS + "/x1";
    String deep63 = "[".repeat(63) + "]".repeat(63);
    StringBuilder costly = new StringBuilder("[");
    for (int i = 0; i < 60; i++) {
      costly.append("{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/c\"},{\"op\":\"remove\",\"path\":\"/c\"},");
    }
    costly.setLength(costly.length() - 1);
    costly.append(']');
    StringBuilder deepen = new StringBuilder("[{\"op\":\"add\",\"path\":\"/d\",\"value\":{}}");
    for (int i = 0; i < 70; i++) {
      deepen.append(",{\"op\":\"copy\",\"from\":\"/d\",\"path\":\"/d/d\"}");
    }
    deepen.append(']');
    return List.of(
        of(area, "the copy amplification of issue #9 class 2", 413, "document_too_large",
            http("PATCH", ITEMS + "/amp", PATCH, amplification(false))),
        of(area, "the copy amplification ending in remove /b", 413, "document_too_large",
            http("PATCH", ITEMS + "/amp", PATCH, amplification(true))),
        of(area, "copy and remove of a 20 KB value 60 times over (work past the limit)", 413, "patch_too_costly",
            http("PATCH", ITEMS + "/big", PATCH, costly.toString())),
        of(area, "an added value that makes the document 65 levels deep", 400, "nesting_too_deep",
            http("PATCH", x1, PATCH, "[{\"op\":\"add\",\"path\":\"/o/deep\",\"value\":" + deep63 + "}]")),
        of(area, "copies of an object into itself, one level deeper each", 400, "nesting_too_deep",
            http("PATCH", x1, PATCH, deepen.toString())),
        of(area, "a lone surrogate escape in a PATCH value (issue #9 class 1)", 400, "malformed_json",
            http("PATCH", x1, PATCH, "[{\"op\":\"replace\",\"path\":\"/s\",\"value\":\"\\ud800\"}]")),
        of(area, "a lone surrogate escape in a PATCH path", 400, "malformed_json",
            http("PATCH", x1, PATCH, "[{\"op\":\"add\",\"path\":\"/\\ud800\",\"value\":1}]")),
        of(area, "raw ED A0 80 in a PATCH value", 400, "malformed_json",
            http("PATCH", x1, PATCH, bytes("[{\"op\":\"add\",\"path\":\"/s\",\"value\":\"",
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}]"))),
        of(area, "1e400 in a PATCH value", 400, "unrepresentable_number",
            http("PATCH", x1, PATCH, "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":1e400}]")),
        of(area, "an operation naming op twice", 400, "duplicate_member",
            http("PATCH", x1, PATCH, "[{\"op\":\"add\",\"op\":\"remove\",\"path\":\"/n\",\"value\":1}]")),
        of(area, "a patch that is an object", 400, "invalid_patch",
            http("PATCH", x1, PATCH, "{\"op\":\"remove\",\"path\":\"/n\"}")),
        of(area, "an unknown op", 400, "invalid_patch", http("PATCH", x1, PATCH, "[{\"op\":\"merge\",\"path\":\"/n\",\"value\":1}]")),
        of(area, "an op without a path", 400, "invalid_patch", http("PATCH", x1, PATCH, "[{\"op\":\"remove\"}]")),
        of(area, "a pointer without its leading slash", 400, "invalid_patch",
            http("PATCH", x1, PATCH, "[{\"op\":\"remove\",\"path\":\"n\"}]")),
        of(area, "a pointer with the escape ~2", 400, "invalid_patch",
            http("PATCH", x1, PATCH, "[{\"op\":\"remove\",\"path\":\"/~2\"}]")),
        of(area, "an add without a value", 400, "invalid_patch", http("PATCH", x1, PATCH, "[{\"op\":\"add\",\"path\":\"/q\"}]")),
        of(area, "a copy without from", 400, "invalid_patch", http("PATCH", x1, PATCH, "[{\"op\":\"copy\",\"path\":\"/q\"}]")),
        of(area, "an array index with a leading zero", 400, "invalid_patch",
            http("PATCH", x1, PATCH, "[{\"op\":\"remove\",\"path\":\"/list/01\"}]")),
        of(area, "a removal of the id", 400, "id_mismatch", http("PATCH", x1, PATCH, "[{\"op\":\"remove\",\"path\":\"/id\"}]")),
        of(area, "a replacement of the whole document by an array", 400, "not_an_object",
            http("PATCH", x1, PATCH, "[{\"op\":\"replace\",\"path\":\"\",\"value\":[]}]")),
        of(area, "a failing test", 409, "test_failed",
            http("PATCH", x1, PATCH, "[{\"op\":\"test\",\"path\":\"/n\",\"value\":2},{\"op\":\"remove\",\"path\":\"/s\"}]")),
        of(area, "a path into a missing member", 409, "patch_conflict",
            http("PATCH", x1, PATCH, "[{\"op\":\"add\",\"path\":\"/missing/x\",\"value\":1}]")),
        of(area, "an index past the end of an array", 409, "patch_conflict",
            http("PATCH", x1, PATCH, "[{\"op\":\"add\",\"path\":\"/list/9\",\"value\":1}]")),
        of(area, "an index past 2^31", 409, "patch_conflict",
            http("PATCH", x1, PATCH, "[{\"op\":\"add\",\"path\":\"/list/9999999999\",\"value\":1}]")),
        of(area, "a move into its own child", 409, "patch_conflict",
            http("PATCH", x1, PATCH, "[{\"op\":\"move\",\"from\":\"/o\",\"path\":\"/o/a/b\"}]")),
        of(area, "a good op then a bad one: nothing applies", 409, "patch_conflict",
            http("PATCH", x1, PATCH, "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":5},{\"op\":\"remove\",\"path\":\"/nope\"}]")),
        of(area, "a PATCH as text/plain", 415, "unsupported_media_type",
            http("PATCH", x1, "text/plain", "[]")),
        of(area, "a PATCH of a missing document", 404, "not_found",
            http("PATCH", ITEMS + "/absent", PATCH, "[{\"op\":\"add\",\"path\":\"/n\",\"value\":1}]")),
        of(area, "a PATCH with a stale If-Match", 409, "precondition_failed",
            http("PATCH", x1, PATCH, "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":5}]", "If-Match", "\"1\"")));
  }

  // ---- ids and paths --------------------------------------------------------------------------

  static List<Row> idsAndPaths() {
    String area = "id and path";
    return List.of(
        of(area, "an id percent-encoding a surrogate (%ED%A0%80)", 400, "bad_id",
            http("PUT", ITEMS + "/%ED%A0%80", JSON, "{\"n\":1}")),
        of(area, "an id with overlong %C0%AF", 400, "bad_id", http("PUT", ITEMS + "/a%C0%AFb", JSON, "{\"n\":1}")),
        of(area, "an id with %FF", 400, "bad_id", http("DELETE", ITEMS + "/%FF", null, (String) null)),
        of(area, "an id with %00", 400, "bad_id", http("PUT", ITEMS + "/a%00", JSON, "{\"n\":1}")),
        of(area, "an id of 257 characters", 400, "bad_id", http("PUT", ITEMS + "/" + "i".repeat(257), JSON, "{\"n\":1}")),
        of(area, "the id %2E", 400, "bad_id", http("PUT", ITEMS + "/%2E", JSON, "{\"n\":1}")),
        of(area, "the id %2E%2E", 400, "bad_id", http("DELETE", ITEMS + "/%2E%2E", null, (String) null)),
        of(area, "a malformed escape %G1 (the router cannot decode the path)", 400, "bad_request", raw(request("PUT", ITEMS + "/a%G1", "{\"n\":1}"))),
        of(area, "a raw 0xFF in a document id (issue #9 class 8)", 400, "bad_request",
            raw(request("PUT", ITEMS + "/a\u00ffb", "{\"n\":1}"))),
        of(area, "a raw 0xFF in a collection name", 400, "bad_request",
            raw(request("GET", "/api/collections/items\u00ff/docs", null))),
        of(area, "raw UTF-8 é (C3 A9) in a path", 400, "bad_request",
            raw(request("PUT", ITEMS + "/caf\u00c3\u00a9", "{\"n\":1}"))),
        of(area, "a raw DEL in a path", 400, "bad_request", raw(request("DELETE", ITEMS + "/a\u007fb", null))),
        of(area, "an unknown collection", 404, "unknown_collection", http("PUT", "/api/collections/nope/docs/a", JSON, "{}")),
        of(area, "a collection name with an encoded surrogate", 404, "unknown_collection",
            http("GET", "/api/collections/%ED%A0%80/docs", null, (String) null)),
        of(area, "an empty id", 400, "bad_id", http("PUT", ITEMS + "/", JSON, "{\"n\":1}")));
  }

  // ---- query parameters -----------------------------------------------------------------------

  static List<Row> queries() {
    String area = "query";
    return List.of(
        of(area, "where without a colon", 400, "bad_where", http("GET", ITEMS + "?where=nocolon", null, (String) null)),
        of(area, "where with an empty field name", 400, "bad_where", http("GET", ITEMS + "?where=:x", null, (String) null)),
        of(area, "a raw 0xFF in the query", 400, "bad_request", raw(request("GET", ITEMS + "?where=a:\u00ff", null))),
        of(area, "a raw space in the query", 400, "bad_request", raw(request("GET", ITEMS + "?where=a: b", null))));
  }

  // ---- headers --------------------------------------------------------------------------------

  static List<Row> headers() {
    String area = "header";
    return List.of(
        of(area, "JSON Patch content type on a PUT", 415, "unsupported_media_type",
            http("PUT", ITEMS + "/new", PATCH, "{\"n\":1}")),
        of(area, "an If-Match that is no ETag", 409, "precondition_failed",
            http("PUT", ITEMS + "/x1", JSON, "{\"n\":1}", "If-Match", "garbage")),
        of(area, "If-Match * on a missing document", 409, "precondition_failed",
            http("DELETE", ITEMS + "/absent", null, (String) null, "If-Match", "*")),
        of(area, "a header line without a colon", 400, "bad_request",
            raw("GET /health HTTP/1.1\r\nHost: {HOST}\r\nno colon here\r\nConnection: close\r\n\r\n")),
        of(area, "a header name with a space", 400, "bad_request",
            raw("GET /health HTTP/1.1\r\nHost: {HOST}\r\nBad Name: x\r\nConnection: close\r\n\r\n")),
        of(area, "a Content-Length that is no number", 400, "bad_request",
            raw("PUT " + ITEMS + "/new HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                + "Content-Length: abc\r\n\r\n{}")),
        of(area, "two different Content-Lengths", 400, "bad_request",
            raw("PUT " + ITEMS + "/new HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                + "Content-Length: 2\r\nContent-Length: 7\r\n\r\n{}")),
        of(area, "a negative Content-Length", 400, "bad_request",
            raw("PUT " + ITEMS + "/new HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                + "Content-Length: -1\r\n\r\n{}")),
        of(area, "headers over 8 KiB", 431, "headers_too_large",
            raw("GET /health HTTP/1.1\r\nHost: {HOST}\r\nX-Big: " + "h".repeat(9000) + "\r\n\r\n")),
        of(area, "a request line over 4 KiB", 414, "uri_too_long",
            raw("GET /health?" + "q".repeat(5000) + " HTTP/1.1\r\nHost: {HOST}\r\n\r\n")));
  }

  // ---- raw HTTP framing -----------------------------------------------------------------------

  static List<Row> framing() {
    String area = "framing";
    String head = "PUT " + ITEMS + "/smuggled HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n";
    return List.of(
        of(area, "Content-Length with Transfer-Encoding: chunked (issue #9 class 8, smuggling)", 400, "bad_request",
            raw(head + "Content-Length: 8\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"n\": 1}\r\n0\r\n\r\n")),
        of(area, "Transfer-Encoding: chunked before Content-Length", 400, "bad_request",
            raw(head + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\n{\"n\": 1}\r\n0\r\n\r\n")),
        of(area, "a bad chunk size (issue #9 class 8)", 400, "bad_request",
            raw(head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{\"n\": 1}\r\n0\r\n\r\n")),
        of(area, "a chunk size past 2^63", 400, "bad_request",
            raw(head + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n{}\r\n0\r\n\r\n")),
        of(area, "a chunk size with a negative sign", 400, "bad_request",
            raw(head + "Transfer-Encoding: chunked\r\n\r\n-8\r\n{\"n\": 1}\r\n0\r\n\r\n")),
        of(area, "a request line that is no HTTP", 400, "bad_request", raw("HELLO\r\n\r\n")),
        // Vert.x answers a version it does not speak with a bare 501 and closes, before any handler
        of(area, "an HTTP/2 preface on the HTTP/1.1 port", 501, null,
            raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")),
        of(area, "an unknown HTTP version", 501, null,
            raw("GET /health HTTP/7.1\r\nHost: {HOST}\r\n\r\n")));
  }

  // ---- WebSocket frames -----------------------------------------------------------------------

  static List<Row> webSockets() {
    String area = "websocket";
    String items = "/api/collections/items/stream/ws";
    return List.of(
        of(area, "a malformed where", 4400, "bad_where", wsRefused(items + "?where=nocolon")),
        of(area, "an unknown collection", 4404, "unknown_collection", wsRefused("/api/collections/nope/stream/ws")),
        of(area, "a foreign Origin", 4403, "origin_not_allowed", wsRefused(items, "Origin", "https://evil.example")),
        of(area, "a text message over --max-inbound-frame-bytes (issue #9 class 9)", 1009, null,
            wsSending(items, List.of(message("x".repeat(5000))))),
        of(area, "a binary message over the limit", 1009, null, wsSending(items, List.of(message(new byte[5000])))),
        of(area, "a message of many small frames over the limit", 1009, null,
            wsSending(items, List.of(fragments(6000, 1000, false)))),
        // Netty refuses the frame from its header, before buffering it, and the connection closes
        // while the client is still sending: the kernel may then reset it (1006 at the client)
        ofEither(area, "a single 200 KiB frame", 1009, 1006, null, wsSending(items, List.of(message("y".repeat(200 * 1024))))),
        of(area, "small messages, which are ignored (the stream stays open)", 0, null,
            wsSending(items, List.of(message("hello"), message(new byte[100]), message("{\"JsonPatch\":[]}")))));
  }

  // ---- SSE ------------------------------------------------------------------------------------

  static List<Row> sse() {
    String area = "sse";
    String items = "/api/collections/items/stream/sse";
    return List.of(
        of(area, "a malformed where", 400, "bad_where", http("GET", items + "?where=nocolon", null, (String) null)),
        of(area, "an empty where field", 400, "bad_where", http("GET", items + "?where=:v", null, (String) null)),
        of(area, "an unknown collection", 404, "unknown_collection",
            http("GET", "/api/collections/nope/stream/sse", null, (String) null)),
        of(area, "a raw 0xFF in the stream path", 400, "bad_request", raw(request("GET", items + "\u00ff", null))));
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** One HTTP/1.1 request as raw text; chars up to U+00FF are sent as single bytes. */
  static String request(String method, String target, String jsonBody) {
    StringBuilder r = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: {HOST}\r\n");
    if (jsonBody != null) {
      r.append("Content-Type: application/json\r\nContent-Length: ").append(jsonBody.length()).append("\r\n");
    }
    return r.append("Connection: close\r\n\r\n").append(jsonBody == null ? "" : jsonBody).toString();
  }

  static byte[] bytes(String before, byte[] middle, String after) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(middle);
    out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  static byte[] encoded(String text, Charset charset) {
    return text.getBytes(charset);
  }
}
