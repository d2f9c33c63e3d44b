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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 1 (ids with {@code /} and {@code ~} are legal, escaped as RFC 6901 says) and 3.1
 * "Convergence": strict application of every patch for ids that break naive pointer building.
 * A pointer built without escaping does not apply strictly (its parent does not exist) or lands
 * on the wrong key, so convergence fails.
 */
@DisplayName("Documents with odd ids")
class OddIdConvergenceTest extends StreamTestBase {

  static final List<String> IDS = List.of(
      "a/b", "~", "~1", "~0", "/", "a~/~b/", "a b", " lead", "50%+?#&=", "..x", "ünïcødé-日本語-😀",
      "quote\"back\\slash", "0", "-", "a".repeat(200) + "/~".repeat(28));

  @Test
  @DisplayName("changed fields named with '=' or '~' are addressed by RFC 6901 pointers (a=b stays a=b, not ~2)")
  void fieldNamesWithEqualsAndTilde() {
    start();
    rest.put("items", "k=v", obj("a=b", 1, "c~d", 1, "e/f", 1)).expect(201);
    WsRecorder ws = ws("items", null);
    StrictPatcher client = expectSnapshotAndReady(ws, "items");
    Response r = rest.put("items", "k=v", obj("a=b", 2, "c~d", 2, "e/f", 2)).expect(200);
    Frame f = ws.nextFrame(WAIT);
    assertEquals(r.seq(), f.seq());
    for (JsonNode op : f.patch()) {
      String path = op.path("path").asText();
      assertTrue(path.matches("(/([^/~]|~[01])*)*"), "RFC 6901 pointer (only ~0 and ~1 escapes): " + path + " in " + f);
    }
    client.applyWs(f.json());
    assertDocs(restDocs("items", null), client.docs(), "client vs REST");
  }

  @Test
  @DisplayName("converge by strict patching on WebSocket and SSE to the REST state, with RFC 6901 escaped paths")
  void oddIdsConverge() {
    start();
    assertEquals(256, IDS.get(IDS.size() - 1).length(), "longest id is 256 characters");
    rest.put("items", "plain", obj("v", 0)).expect(201);
    WsRecorder ws = ws("items", null);
    StrictPatcher client = expectSnapshotAndReady(ws, "items");
    SseRecorder sse = sse("items", null);
    StrictPatcher sseClient = new StrictPatcher("items").applySse(sse.nextEvent(WAIT));
    assertEquals("ready", sse.nextEvent(WAIT).event());

    List<Response> writes = new ArrayList<>();
    for (String id : IDS) {
      Response created = rest.put("items", id, obj("label", id, "v", 0)).expect(201);
      assertEquals(id, created.json().path("id").asText(), "the stored id of " + id);
      writes.add(created);
      Frame f = ws.nextFrame(WAIT);
      assertEquals(created.seq(), f.seq());
      assertDocs(patch(op("add", "/items/" + Rest.escape(id), created.json())), f.patch(),
          "a create of '" + id + "' is an add at the escaped path");
      client.applyWs(f.json());
    }
    for (String id : IDS) {
      Response patched = rest.patch("items", id, patch(op("replace", "/v", 1), op("add", "/" + Rest.escape(id), id))).expect(200);
      assertEquals(id, patched.json().path(id).asText(null),
          "PATCH add at /" + Rest.escape(id) + " (RFC 6901) creates the member '" + id + "': " + patched.body());
      writes.add(patched);
    }
    for (int i = 0; i < IDS.size(); i += 2) {
      writes.add(rest.delete("items", IDS.get(i)).expect(204));
    }
    for (int i = 0; i < IDS.size(); i += 4) {
      writes.add(rest.post("items", obj("id", IDS.get(i), "again", true)).expect(201));
    }
    for (Response w : writes.subList(IDS.size(), writes.size())) {
      Frame f = ws.nextFrame(WAIT);
      assertEquals(w.seq(), f.seq(), "frame for " + w.method() + " " + w.uri());
      client.applyWs(f.json());
    }
    for (Response w : writes) {
      SseRecorder.Event e = sse.nextEvent(WAIT);
      assertEquals(server.epoch() + ":" + w.seq(), e.id(), "SSE event for " + w.method() + " " + w.uri());
      sseClient.applySse(e);
    }
    ws.assertExhausted(QUIET_MILLIS);
    sse.assertExhausted(0);

    ObjectNode restState = restDocs("items", null);
    assertDocs(restState, client.docs(), "WS client vs REST");
    assertDocs(restState, sseClient.docs(), "SSE client vs REST");
    for (String id : IDS) {
      Response one = rest.get("items", id);
      JsonNode inList = restState.get(id);
      if (inList == null) {
        assertEquals(404, one.status(), "deleted '" + id + "' is gone");
      } else {
        assertDocs(inList, one.expect(200).json(), "GET one '" + id + "' vs the list");
      }
    }

    WsRecorder late = ws("items", null);
    Frame snap = late.nextFrame(WAIT);
    assertTrue(snap.isSnapshot(), "snapshot " + snap);
    assertDocs(restState, new StrictPatcher("items").applyWs(snap.json()).docs(), "a late snapshot vs REST");
  }
}
