package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static dev.patchwire.testing.Rest.op;
import static dev.patchwire.testing.Rest.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.Rest.Response;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 3 {@code where=F:V} and 3.1 step 3: a document that starts to match arrives as
 * {@code add /c/<id>} with the whole document, one that stops matching as {@code remove /c/<id>},
 * changes outside the filter never arrive; numbers, booleans and null match by their JSON text.
 */
@DisplayName("A filtered stream")
class FilterTest extends StreamTestBase {

  @Test
  @DisplayName("sends add with the whole document when a task enters status todo, remove when it leaves, and nothing for other tasks")
  void taskMovesInAndOutOfTodo() {
    start();
    rest.post("projects", obj("id", "p1", "name", "Project")).expect(201);
    Response t0 = rest.post("tasks", obj("id", "t0", "project_id", "p1", "title", "Already todo")).expect(201);
    rest.post("tasks", obj("id", "d0", "project_id", "p1", "title", "Already done", "status", "done")).expect(201);
    assertEquals("todo", t0.json().path("status").asText(), "status defaults to todo");

    WsRecorder ws = ws("tasks", "where=status:todo");
    Frame snap = ws.nextFrame(WAIT);
    ObjectNode expected = Rest.MAPPER.createObjectNode();
    expected.set("t0", t0.json());
    assertTrue(snap.isSnapshot(), "snapshot: " + snap);
    assertDocs(patch(op("add", "/tasks", expected)), snap.patch(), "snapshot holds only the todo task");
    assertReady(ws.nextFrame(WAIT), snap.seq(), false);
    StrictPatcher client = new StrictPatcher("tasks").applyWs(snap.json());

    Response created = rest.post("tasks", obj("id", "t1", "project_id", "p1", "title", "New")).expect(201);
    expectPatch(ws, client, created, patch(op("add", "/tasks/t1", created.json())));

    rest.post("tasks", obj("id", "d1", "project_id", "p1", "title", "Done one", "status", "done")).expect(201);
    rest.patch("tasks", "d0", patch(op("replace", "/title", "Still done"))).expect(200);
    ws.assertExhausted(QUIET_MILLIS);

    Response out = rest.patch("tasks", "t1", patch(op("replace", "/status", "inprogress"))).expect(200);
    expectPatch(ws, client, out, patch(op("remove", "/tasks/t1", null)));

    rest.patch("tasks", "t1", patch(op("replace", "/title", "Renamed while in progress"))).expect(200);
    rest.delete("tasks", "d1").expect(204);
    ws.assertExhausted(QUIET_MILLIS);

    Response back = rest.patch("tasks", "t1", patch(op("replace", "/status", "todo"))).expect(200);
    expectPatch(ws, client, back, patch(op("add", "/tasks/t1", back.json())));
    assertEquals("Renamed while in progress", back.json().path("title").asText());

    Response edit = rest.patch("tasks", "t0", patch(op("replace", "/title", "Edited"))).expect(200);
    Frame f = ws.nextFrame(WAIT);
    assertEquals(edit.seq(), f.seq(), "an edit of a matching task arrives");
    client.applyWs(f.json());

    Response deleted = rest.delete("tasks", "t0").expect(204);
    expectPatch(ws, client, deleted, patch(op("remove", "/tasks/t0", null)));

    ws.assertExhausted(QUIET_MILLIS);
    assertDocs(restDocs("tasks", "status:todo"), client.docs(), "client vs REST ?where=status:todo");
  }

  private void expectPatch(WsRecorder ws, StrictPatcher client, Response write, JsonNode expectedPatch) {
    Frame f = ws.nextFrame(WAIT);
    assertTrue(f.isLive(), "live frame for " + write.method() + " " + write.uri() + ": " + f);
    assertEquals(write.seq(), f.seq(), "frame seq = Patchwire-Seq of " + write.method() + " " + write.uri());
    assertDocs(expectedPatch, f.patch(), "patch for " + write.method() + " " + write.uri());
    client.applyWs(f.json());
  }

  @Test
  @DisplayName("matches numbers, booleans and null by their JSON text and strings by their text")
  void scalarsMatchByJsonText() {
    start();
    List<Response> docs = Arrays.asList(
        rest.put("items", "num42", obj("n", 42)).expect(201),
        rest.put("items", "str42", obj("n", "42")).expect(201),
        rest.put("items", "num420", obj("n", 420)).expect(201),
        rest.put("items", "num4", obj("n", 4)).expect(201),
        rest.put("items", "yes", obj("flag", true)).expect(201),
        rest.put("items", "yesText", obj("flag", "true")).expect(201),
        rest.put("items", "no", obj("flag", false)).expect(201),
        rest.put("items", "nil", obj("x", null)).expect(201),
        rest.put("items", "nilText", obj("x", "null")).expect(201),
        rest.put("items", "noField", obj("y", 1)).expect(201),
        rest.put("items", "nested", obj("n", List.of(42), "flag", obj("v", true))).expect(201),
        rest.put("items", "colon", obj("title", "a:b")).expect(201),
        rest.put("items", "empty", obj("title", "")).expect(201));
    assertEquals(13, docs.size());

    expectSnapshotIds("n:42", "num42", "str42");
    expectSnapshotIds("flag:true", "yes", "yesText");
    expectSnapshotIds("flag:false", "no");
    expectSnapshotIds("x:null", "nil", "nilText");
    expectSnapshotIds("title:a:b", "colon");
    expectSnapshotIds("title:", "empty");
    expectSnapshotIds("n:4", "num4");
    expectSnapshotIds("missing:1");
  }

  /** Opens a WS and an SSE stream with {@code where} and checks both snapshots hold exactly {@code ids}. */
  private void expectSnapshotIds(String where, String... ids) {
    String query = "where=" + Rest.encode(where);
    ObjectNode expected = Rest.MAPPER.createObjectNode();
    for (String id : ids) {
      expected.set(id, rest.get("items", id).expect(200).json());
    }
    WsRecorder ws = ws("items", query);
    Frame snap = ws.nextFrame(WAIT);
    assertTrue(snap.isSnapshot(), where + ": snapshot " + snap);
    assertDocs(expected, new StrictPatcher("items").applyWs(snap.json()).docs(), "WS snapshot for where=" + where);
    assertReady(ws.nextFrame(WAIT), snap.seq(), false);
    ws.close();

    try (SseRecorder sse = SseRecorder.open(server.port(), ssePath("items", query))) {
      assertEquals(200, sse.status(), "SSE status for where=" + where + ": " + sse.body());
      SseRecorder.Event e = sse.nextEvent(WAIT);
      assertDocs(expected, new StrictPatcher("items").applySse(e).docs(), "SSE snapshot for where=" + where);
    }
    assertDocs(expected, restDocs("items", where), "REST ?where=" + where);
  }

  @Test
  @DisplayName("turns a number field change into remove and add, and keeps a still-matching edit applicable")
  void numberTransitions() {
    start();
    rest.put("items", "a", obj("n", 42, "label", "a")).expect(201);
    rest.put("items", "b", obj("n", 41, "label", "b")).expect(201);
    WsRecorder ws = ws("items", "where=n:42");
    StrictPatcher client = expectSnapshotAndReady(ws, "items");
    SseRecorder sse = sse("items", "where=n:42");
    StrictPatcher sseClient = new StrictPatcher("items").applySse(sse.nextEvent(WAIT));
    assertEquals("ready", sse.nextEvent(WAIT).event());

    Response bIn = rest.patch("items", "b", patch(op("replace", "/n", 42))).expect(200);
    expectPatch(ws, client, bIn, patch(op("add", "/items/b", bIn.json())));
    Response aOut = rest.patch("items", "a", patch(op("replace", "/n", 43))).expect(200);
    expectPatch(ws, client, aOut, patch(op("remove", "/items/a", null)));
    rest.patch("items", "a", patch(op("replace", "/label", "a2"))).expect(200);
    rest.patch("items", "a", patch(op("replace", "/n", "43"))).expect(200);
    Response bEdit = rest.patch("items", "b", patch(op("add", "/more", List.of(1, 2)))).expect(200);
    Frame f = ws.nextFrame(WAIT);
    assertEquals(bEdit.seq(), f.seq(), "edit of a matching document");
    client.applyWs(f.json());
    Response aText = rest.patch("items", "a", patch(op("replace", "/n", "42"))).expect(200);
    expectPatch(ws, client, aText, patch(op("add", "/items/a", aText.json())));
    ws.assertExhausted(QUIET_MILLIS);
    ObjectNode restState = restDocs("items", "n:42");
    assertDocs(restState, client.docs(), "WS client vs REST");

    for (long seq : List.of(bIn.seq(), aOut.seq(), bEdit.seq(), aText.seq())) {
      SseRecorder.Event e = sse.nextEvent(WAIT);
      assertEquals("json_patch", e.event(), "SSE event " + e);
      assertEquals(server.epoch() + ":" + seq, e.id(), "SSE id");
      sseClient.applySse(e);
    }
    sse.assertExhausted(QUIET_MILLIS);
    assertDocs(restState, sseClient.docs(), "SSE client vs REST");
  }
}
