package dev.patchwire.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.PatchConformanceTest;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.TestServer;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The json-patch-tests suite through the engine's REST API and its store (H2, or PostgreSQL in
 * the {@code postgresql-tests} run): each case's document is stored, its patch sent as a PATCH,
 * and the stored result read back. So the suite holds for what the database keeps (numbers,
 * strings, member order as the store returns them), not only for the in-memory patcher.
 *
 * <p>A document must be an object, and a case's document may be any value: each is stored as
 * {@code {"id": ID, "v": doc}} and every valid pointer of its patch ({@code path}, {@code from}) gets the prefix
 * {@code /v}, which keeps each case's meaning (a root pointer {@code ""} names {@code /v}).
 * A failing case must answer a 4xx and change nothing: the document and the collection's seq
 * stay as they were.
 */
class RestPatchConformanceTest {

  /** Numbers compare by value (1 == 1.0), everything else structurally. */
  private static final Comparator<JsonNode> NUMERIC = (a, b) ->
      a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) : a.equals(b) ? 0 : 1;
  private static final Set<Integer> PATCH_ERRORS = Set.of(400, 409, 413, 422);
  private static final AtomicInteger IDS = new AtomicInteger();

  private static TestServer server;
  private static Rest rest;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    rest = new Rest(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static Stream<Arguments> cases() throws Exception {
    return PatchConformanceTest.cases();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  @DisplayName("a json-patch-tests case sent as PATCH and read back from the store")
  void conformsThroughTheStore(String name, JsonNode c) {
    String id = "rfc-" + IDS.incrementAndGet();
    ObjectNode stored = Rest.obj("id", id, "v", c.get("doc"));
    rest.put("items", id, stored).ok();
    long seqBefore = listSeq();

    Rest.Response answer = rest.patch("items", id, wrap(c.get("patch")));
    JsonNode after = rest.get("items", id).expect(200).json();

    if (c.has("error")) {
      assertTrue(PATCH_ERRORS.contains(answer.status()),
          "must fail (" + c.get("error").asText() + ") with a 4xx, got " + answer.status() + ": " + answer.body());
      assertTrue(stored.equals(NUMERIC, after), "a failed patch changes nothing: " + after);
      assertEquals(seqBefore, listSeq(), "a failed patch commits nothing");
    } else {
      assertEquals(200, answer.status(), "must apply: " + answer.body());
      if (c.has("expected")) {
        JsonNode expected = Rest.obj("id", id, "v", c.get("expected"));
        assertTrue(expected.equals(NUMERIC, after),
            "stored result\n expected " + expected + "\n but got  " + after);
      }
    }
  }

  private static long listSeq() {
    return rest.list("items").expect(200).json().get("seq").asLong();
  }

  /** The case's patch with {@code /v} before every pointer; anything malformed stays as it is. */
  private static JsonNode wrap(JsonNode patch) {
    if (!patch.isArray()) {
      return patch;
    }
    ArrayNode out = patch.deepCopy();
    for (JsonNode op : out) {
      if (op instanceof ObjectNode o) {
        for (String field : new String[] {"path", "from"}) {
          JsonNode pointer = o.get(field);
          // only a valid pointer gets the prefix: "a/b" must stay malformed
          if (pointer != null && pointer.isTextual() && (pointer.asText().isEmpty() || pointer.asText().startsWith("/"))) {
            o.put(field, "/v" + pointer.asText());
          }
        }
      }
    }
    return out;
  }
}
