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
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 3.1 steps 1-3 for a new subscriber, frame by frame: snapshot, Ready, one live frame
 * per change with the write's own seq, and nothing else. Also 2: a refused or no-op write emits
 * nothing.
 */
@DisplayName("A new WebSocket subscriber")
class StreamSequenceTest extends StreamTestBase {

  @Test
  @DisplayName("gets a snapshot, then Ready at the same seq, then exactly one live frame per write, then nothing")
  void snapshotThenReadyThenOneFramePerWrite() {
    start();
    Response a = rest.put("items", "a", obj("n", 1)).expect(201);
    Response b = rest.post("items", obj("id", "b", "n", 2, "tags", List.of("x"))).expect(201);
    long before = restSeq("items");
    assertEquals(b.seq(), before, "GET list position after the last write");

    WsRecorder ws = ws("items", null);
    Frame snap = ws.nextFrame(WAIT);
    assertTrue(snap.isSnapshot(), "first frame is a snapshot: " + snap);
    assertEquals(before, snap.seq(), "snapshot seq = the store's position");
    assertEquals(server.epoch(), snap.epoch(), "snapshot epoch");
    ObjectNode expected = Rest.MAPPER.createObjectNode();
    expected.set("a", a.json());
    expected.set("b", b.json());
    assertDocs(patch(op("add", "/items", expected)), snap.patch(), "snapshot patch");
    assertReady(ws.nextFrame(WAIT), before, false);
    StrictPatcher client = new StrictPatcher("items").applyWs(snap.json());

    List<Runnable> writes = List.of(
        () -> expectFrame(ws, client, expected, "c", rest.post("items", obj("id", "c", "s", "new")).expect(201)),
        () -> expectFrame(ws, client, expected, "a", rest.patch("items", "a",
            patch(op("replace", "/n", 10), op("add", "/extra", obj("deep", true)))).expect(200)),
        () -> expectFrame(ws, client, expected, "b", rest.put("items", "b", obj("n", 3)).expect(200)),
        () -> expectFrame(ws, client, expected, "b", rest.patch("items", "b", patch(op("remove", "/n", null))).expect(200)),
        () -> expectFrame(ws, client, expected, "a", rest.delete("items", "a").expect(204)),
        () -> expectFrame(ws, client, expected, "a", rest.put("items", "a", obj("again", true)).expect(201)));
    writes.forEach(Runnable::run);

    ws.assertExhausted(QUIET_MILLIS);
    assertDocs(restDocs("items", null), client.docs(), "client document vs REST");
  }

  /** Takes the write's frame, checks seq and epoch against Patchwire-Seq, applies it and compares. */
  private void expectFrame(WsRecorder ws, StrictPatcher client, ObjectNode expected, String id, Response write) {
    assertEquals(server.epoch(), write.epoch(), "Patchwire-Seq epoch of " + write.method() + " " + write.uri());
    Frame f = ws.nextFrame(WAIT);
    assertTrue(f.isLive(), "a live JsonPatch frame for " + write.method() + " " + write.uri() + ", got " + f);
    assertEquals(write.seq(), f.seq(), "frame seq = Patchwire-Seq of " + write.method() + " " + write.uri());
    client.applyWs(f.json());
    if (write.status() == 204) {
      expected.remove(id);
    } else {
      expected.set(id, write.json());
    }
    assertDocs(expected, client.docs(), "client state after seq " + f.seq());
  }

  @Test
  @DisplayName("of an empty collection gets an add of {} and Ready")
  void emptyCollectionSnapshot() {
    start();
    WsRecorder ws = ws("items", null);
    Frame snap = ws.nextFrame(WAIT);
    assertTrue(snap.isSnapshot(), "snapshot: " + snap);
    assertDocs(patch(op("add", "/items", obj())), snap.patch(), "empty snapshot");
    assertReady(ws.nextFrame(WAIT), snap.seq(), false);
    ws.assertExhausted(QUIET_MILLIS);
  }

  @Test
  @DisplayName("sees nothing of refused writes, no-op writes or writes to another collection")
  void refusedNoOpAndForeignWritesEmitNothing() {
    start();
    Response a = rest.put("items", "a", obj("n", 1)).expect(201);
    rest.post("projects", obj("id", "p1", "name", "P")).expect(201);
    rest.post("tasks", obj("id", "t1", "project_id", "p1", "title", "T")).expect(201);
    WsRecorder items = ws("items", null);
    WsRecorder tasks = ws("tasks", null);
    StrictPatcher itemsClient = expectSnapshotAndReady(items, "items");
    expectSnapshotAndReady(tasks, "tasks");

    long position = restSeq("items");
    rest.patch("items", "a", patch(op("test", "/n", 2), op("replace", "/n", 3))).expect(409);
    rest.patch("items", "a", patch(op("replace", "/missing", 3))).expect(409);
    rest.patch("items", "nope", patch(op("add", "/n", 3))).expect(404);
    rest.post("items", obj("id", "a", "n", 5)).expect(409);
    rest.send("POST", Rest.docs("items"), "application/json", "{not json").expect(400);
    rest.post("tasks", obj("id", "t2", "project_id", "p1", "title", "T", "bogus", 1)).expect(422);
    rest.patch("tasks", "t1", patch(op("replace", "/status", "nonsense"))).expect(422);

    Response noOpTest = rest.patch("items", "a", patch(op("test", "/n", 1))).expect(200);
    assertEquals(position, noOpTest.seq(), "a test-only patch answers the current position");
    Response noOpSame = rest.patch("items", "a", patch(op("replace", "/n", 1))).expect(200);
    assertEquals(position, noOpSame.seq(), "setting the same value answers the current position");
    assertDocs(a.json(), noOpSame.json(), "no-op write leaves the document as it was");

    rest.put("projects", "p2", obj("name", "other collection")).expect(201);

    items.assertExhausted(QUIET_MILLIS);
    tasks.assertExhausted(0);
    Response z = rest.put("items", "z", obj()).expect(201);
    assertTrue(z.seq() > position, "the next accepted write gets a greater seq");
    Frame zf = items.nextFrame(WAIT);
    assertEquals(z.seq(), zf.seq(), "the first frame after the refused writes is the next accepted one");
    itemsClient.applyWs(zf.json());
    assertDocs(restDocs("items", null), itemsClient.docs(), "client document vs REST");
  }

  @Test
  @DisplayName("and a second subscriber receive identical frames for the same writes")
  void twoSubscribersSeeTheSameFrames() {
    start();
    WsRecorder first = ws("items", null);
    WsRecorder second = ws("items", null);
    StrictPatcher c1 = expectSnapshotAndReady(first, "items");
    StrictPatcher c2 = expectSnapshotAndReady(second, "items");
    for (int i = 0; i < 20; i++) {
      rest.put("items", "d" + (i % 5), obj("i", i)).ok();
    }
    for (int i = 0; i < 20; i++) {
      Frame f1 = first.nextFrame(WAIT);
      Frame f2 = second.nextFrame(WAIT);
      assertEquals(f1.json(), f2.json(), "frame " + i);
      c1.applyWs(f1.json());
      c2.applyWs(f2.json());
    }
    first.assertExhausted(QUIET_MILLIS);
    second.assertExhausted(0);
    JsonNode rest = restDocs("items", null);
    assertDocs(rest, c1.docs(), "first client vs REST");
    assertDocs(rest, c2.docs(), "second client vs REST");
  }
}
