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
import dev.patchwire.testing.SseRecorder.Event;
import dev.patchwire.testing.StrictPatcher;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 3.2: the same stream as named SSE events ({@code json_patch} with {@code id: E:N},
 * {@code ready}), {@code Last-Event-ID} resumes like {@code since} and wins over {@code ?since=}.
 */
@DisplayName("An SSE stream")
class SseStreamTest extends StreamTestBase {

  @Test
  @DisplayName("sends the snapshot as json_patch with id E:S, then ready, then one json_patch per write with id E:N")
  void namedEventsInOrder() {
    start();
    Response a = rest.put("items", "a", obj("v", 1)).expect(201);
    SseRecorder sse = sse("items", null);
    assertEquals(200, sse.status());
    assertTrue(sse.header("content-type").startsWith("text/event-stream"), "Content-Type " + sse.header("content-type"));
    String epoch = server.epoch();

    Event snap = sse.nextEvent(WAIT);
    assertEquals("json_patch", snap.event(), "snapshot event name: " + snap);
    assertEquals(epoch + ":" + a.seq(), snap.id(), "snapshot id E:S");
    ObjectNode docs = Rest.MAPPER.createObjectNode();
    docs.set("a", a.json());
    assertDocs(patch(op("add", "/items", docs)), snap.json(), "snapshot data is the patch array");

    Event ready = sse.nextEvent(WAIT);
    assertEquals("ready", ready.event(), "second event: " + ready);
    assertEquals(epoch + ":" + a.seq(), ready.id(), "ready id E:S");
    assertDocs(obj("Ready", true, "epoch", epoch, "seq", a.seq(), "resumed", false), ready.json(), "ready data");

    StrictPatcher client = new StrictPatcher("items").applySse(snap);
    List<Response> writes = List.of(
        rest.put("items", "b", obj("v", 2)).expect(201),
        rest.patch("items", "a", patch(op("replace", "/v", 3))).expect(200),
        rest.delete("items", "b").expect(204));
    for (Response w : writes) {
      Event e = sse.nextEvent(WAIT);
      assertEquals("json_patch", e.event(), "event for " + w.method() + " " + w.uri());
      assertEquals(epoch + ":" + w.seq(), e.id(), "id = Patchwire-Seq of " + w.method() + " " + w.uri());
      assertTrue(e.json().isArray(), "data is the patch array: " + e);
      client.applySse(e);
    }
    sse.assertExhausted(QUIET_MILLIS);
    assertDocs(restDocs("items", null), client.docs(), "SSE client vs REST");
  }

  @Test
  @DisplayName("resumes from Last-Event-ID with the missed changes, then ready resumed:true")
  void lastEventIdResumes() {
    start();
    rest.put("items", "a", obj("v", 1)).expect(201);
    SseRecorder first = sse("items", "where=kind:x");
    StrictPatcher client = new StrictPatcher("items").applySse(first.nextEvent(WAIT));
    Event ready = first.nextEvent(WAIT);
    assertEquals("ready", ready.event());
    first.close();

    Response in = rest.put("items", "b", obj("kind", "x")).expect(201);
    rest.put("items", "c", obj("kind", "y")).expect(201);
    Response edit = rest.patch("items", "b", patch(op("add", "/n", 1))).expect(200);

    SseRecorder second = sse("items", "where=kind:x", ready.id());
    expectReplay(second, client, List.of(in, edit), "kind:x");
  }

  @Test
  @DisplayName("resumes from ?since= like WebSocket")
  void sinceQueryResumes() {
    start();
    SseRecorder first = sse("items", null);
    StrictPatcher client = new StrictPatcher("items").applySse(first.nextEvent(WAIT));
    Event ready = first.nextEvent(WAIT);
    first.close();
    Response w = rest.put("items", "b", obj("kind", "x")).expect(201);
    SseRecorder second = sse("items", "since=" + Rest.encode(ready.id()));
    expectReplay(second, client, List.of(w), null);
  }

  @Test
  @DisplayName("lets Last-Event-ID win over ?since= in both directions")
  void lastEventIdWinsOverSince() {
    start();
    rest.put("items", "a", obj("v", 1)).expect(201);
    SseRecorder first = sse("items", null);
    StrictPatcher client = new StrictPatcher("items").applySse(first.nextEvent(WAIT));
    String position = first.nextEvent(WAIT).id();
    first.close();
    Response w = rest.put("items", "b", obj("v", 2)).expect(201);

    SseRecorder resumed = sse("items", "since=" + Rest.encode("other-epoch:0"), position);
    expectReplay(resumed, client, List.of(w), null);

    SseRecorder fresh = sse("items", "since=" + Rest.encode(position), "other-epoch:0");
    Event snap = fresh.nextEvent(WAIT);
    assertTrue(new StrictPatcher("items").isSnapshotPatch(snap.json()),
        "a Last-Event-ID from another epoch gives a snapshot even with a usable ?since=, got " + snap);
    Event ready = fresh.nextEvent(WAIT);
    assertEquals("ready", ready.event());
    assertEquals(false, ready.json().path("resumed").asBoolean(true), "resumed:false " + ready);
  }

  /** Replayed json_patch events (ids = the writes' positions), then ready resumed:true, then nothing. */
  private void expectReplay(SseRecorder sse, StrictPatcher client, List<Response> missed, String where) {
    assertEquals(200, sse.status(), "status; body " + sse.body());
    for (Response m : missed) {
      Event e = sse.nextEvent(WAIT);
      assertEquals("json_patch", e.event(), "replayed event " + e);
      assertEquals(server.epoch() + ":" + m.seq(), e.id(), "replayed id for " + m.method() + " " + m.uri());
      assertTrue(!client.isSnapshotPatch(e.json()), "a replay, not a snapshot: " + e);
      client.applySse(e);
    }
    Event ready = sse.nextEvent(WAIT);
    assertEquals("ready", ready.event(), "ready after the replay: " + ready);
    JsonNode data = ready.json();
    assertTrue(data.path("resumed").asBoolean(false), "resumed:true " + ready);
    assertEquals(server.epoch(), data.path("epoch").asText());
    assertEquals(ready.id(), server.epoch() + ":" + data.path("seq").asLong(), "ready id matches its data");
    sse.assertExhausted(QUIET_MILLIS);
    assertDocs(restDocs("items", where), client.docs(), "resumed client vs REST");
  }
}
