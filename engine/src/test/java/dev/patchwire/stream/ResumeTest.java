package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static dev.patchwire.testing.Rest.op;
import static dev.patchwire.testing.Rest.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.Rest.Response;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PROTOCOL.md 4 "History and resume" and 3.1 step 1: a {@code since} position in the same epoch
 * and still in the history is replayed (the missed matching changes, one frame each, then Ready
 * resumed:true); anything else gets a snapshot with resumed:false, never an error, never a gap.
 * Replay is filtered by the same {@code where}. Convergence across a reconnect and a restart.
 */
@DisplayName("Resuming a stream with since")
class ResumeTest extends StreamTestBase {

  @Test
  @DisplayName("replays exactly the missed changes that match the filter, then Ready resumed:true, then live")
  void replaysMissedMatchingChanges() {
    start();
    rest.post("projects", obj("id", "p", "name", "P")).expect(201);
    rest.post("tasks", obj("id", "t1", "project_id", "p", "title", "one")).expect(201);
    rest.post("tasks", obj("id", "t2", "project_id", "p", "title", "two", "status", "done")).expect(201);

    WsRecorder first = ws("tasks", "where=status:todo");
    StrictPatcher client = expectSnapshotAndReady(first, "tasks");
    long position = client.lastSeq();
    first.close();

    Response t3 = rest.post("tasks", obj("id", "t3", "project_id", "p", "title", "three")).expect(201);
    rest.patch("tasks", "t2", patch(op("replace", "/title", "two, still done"))).expect(200);
    Response t1out = rest.patch("tasks", "t1", patch(op("replace", "/status", "done"))).expect(200);
    rest.post("tasks", obj("id", "t4", "project_id", "p", "title", "four", "status", "inreview")).expect(201);
    rest.put("projects", "p", obj("name", "renamed project")).expect(200);
    Response t3edit = rest.patch("tasks", "t3", patch(op("replace", "/title", "three!"))).expect(200);
    rest.patch("tasks", "t4", patch(op("replace", "/title", "four!"))).expect(200);
    long now = restSeq("tasks");

    WsRecorder second = ws("tasks", "where=status:todo&since=" + server.epoch() + ":" + position);
    for (Response missed : List.of(t3, t1out, t3edit)) {
      Frame f = second.nextFrame(WAIT);
      assertTrue(f.isLive(), "a replayed change is live-shaped (no snapshot flag): " + f);
      assertEquals(missed.seq(), f.seq(), "replayed seq for " + missed.method() + " " + missed.uri());
      client.applyWs(f.json());
    }
    Frame ready = second.nextFrame(WAIT);
    assertTrue(ready.isReady(), "Ready after the replay: " + ready);
    assertEquals(true, ready.json().getBoolean("resumed"), "resumed:true " + ready);
    assertEquals(server.epoch(), ready.epoch());
    assertTrue(ready.seq() >= t3edit.seq() && ready.seq() <= now,
        "Ready seq " + ready.seq() + " between the last replayed change " + t3edit.seq() + " and the store's position " + now);
    assertDocs(restDocs("tasks", "status:todo"), client.docs(), "replayed client vs REST");

    Response live = rest.patch("tasks", "t2", patch(op("replace", "/status", "todo"))).expect(200);
    Frame f = second.nextFrame(WAIT);
    assertEquals(live.seq(), f.seq(), "live after the replay");
    client.applyWs(f.json());
    second.assertExhausted(QUIET_MILLIS);
    assertDocs(restDocs("tasks", "status:todo"), client.docs(), "client vs REST");
  }

  @Test
  @DisplayName("at the current position replays nothing and sends Ready resumed:true")
  void resumeAtTheHead() {
    start();
    rest.put("items", "a", obj("v", 1)).expect(201);
    WsRecorder first = ws("items", null);
    StrictPatcher client = expectSnapshotAndReady(first, "items");
    first.close();
    rest.put("projects", "p", obj("name", "elsewhere")).expect(201);

    WsRecorder second = ws("items", "since=" + server.epoch() + ":" + client.lastSeq());
    Frame ready = second.nextFrame(WAIT);
    assertTrue(ready.isReady(), "Ready straight away: " + ready);
    assertTrue(ready.json().getBoolean("resumed"), "resumed:true " + ready);
    second.assertExhausted(QUIET_MILLIS);
    Response w = rest.patch("items", "a", patch(op("replace", "/v", 2))).expect(200);
    Frame f = second.nextFrame(WAIT);
    assertEquals(w.seq(), f.seq());
    client.applyWs(f.json());
    assertDocs(restDocs("items", null), client.docs(), "client vs REST");
  }

  @ParameterizedTest(name = "since={0}")
  @ValueSource(strings = {"other-epoch:1", "EPOCH:999999999", "garbage", "EPOCH:", ":1", "EPOCH:abc", "EPOCH:-1",
      "EPOCH:1.5", "", "EPOCH:99999999999999999999999"})
  @DisplayName("that is from another epoch, in the future or malformed gets a snapshot with resumed:false")
  void unusableSinceGetsASnapshot(String since) {
    start();
    rest.put("items", "a", obj("v", 1)).expect(201);
    rest.put("items", "b", obj("v", 2)).expect(201);
    String value = since.replace("EPOCH", server.epoch());
    WsRecorder ws = ws("items", "since=" + Rest.encode(value));
    Frame snap = ws.nextFrame(WAIT);
    assertTrue(snap.isSnapshot(), "since=" + value + " must give a snapshot, got " + snap);
    assertReady(ws.nextFrame(WAIT), snap.seq(), false);
    StrictPatcher client = new StrictPatcher("items").applyWs(snap.json());
    assertDocs(restDocs("items", null), client.docs(), "snapshot vs REST");
    Response w = rest.patch("items", "a", patch(op("replace", "/v", 3))).expect(200);
    Frame f = ws.nextFrame(WAIT);
    assertEquals(w.seq(), f.seq(), "live after the snapshot");
    client.applyWs(f.json());
    ws.assertExhausted(QUIET_MILLIS);
  }

  @Test
  @DisplayName("older than everything the engine keeps (memory history and change log) gets a snapshot with resumed:false; a recent one is replayed")
  void sinceOlderThanAllHistoryGetsASnapshot() throws InterruptedException {
    start(TestServer.defaults().setHistoryBytes(4096).setLogRetentionBytes(4096).setLogCompactIntervalMillis(100));
    rest.put("items", "seed", obj("v", 0)).expect(201);
    WsRecorder first = ws("items", null);
    StrictPatcher client = expectSnapshotAndReady(first, "items");
    long old = client.lastSeq();
    first.close();
    List<Response> missed = writePaddedDocs(60);
    Response last = missed.get(missed.size() - 1);
    JsonNode history = rest.stats().path("history");
    assertTrue(history.path("bytes").asLong() <= 4096, "the history holds at most its configured bytes: " + history);
    assertTrue(history.path("oldestSeq").asLong() > old + 1, "the oldest entries went first: " + history);
    // The change log is compacted every 100 ms; until then the position may still be replayed
    // from it (PROTOCOL.md 4 allows either while the engine holds it), so probe until compacted.
    WsRecorder second;
    Frame snap;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      second = ws("items", "since=" + server.epoch() + ":" + old);
      snap = second.nextFrame(WAIT);
      if (snap.isSnapshot() || System.nanoTime() > deadline) {
        break;
      }
      second.close();
      Thread.sleep(100);
    }
    assertTrue(snap.isSnapshot(), "a position older than the history and the change log gets a snapshot, got " + snap);
    assertEquals(last.seq(), snap.seq(), "snapshot at the store's position");
    assertReady(second.nextFrame(WAIT), snap.seq(), false);
    client.applyWs(snap.json());
    assertDocs(restDocs("items", null), client.docs(), "client after the snapshot vs REST");

    WsRecorder third = ws("items", "since=" + server.epoch() + ":" + missed.get(missed.size() - 2).seq());
    Frame replayed = third.nextFrame(WAIT);
    assertTrue(replayed.isLive(), "a position still in the history is replayed: " + replayed);
    assertEquals(last.seq(), replayed.seq());
    Frame ready = third.nextFrame(WAIT);
    assertTrue(ready.isReady() && ready.json().getBoolean("resumed"), "Ready resumed:true " + ready);
  }

  /** {@code n} writes of ~350 bytes over 7 ids. */
  private List<Response> writePaddedDocs(int n) {
    List<Response> writes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      writes.add(rest.put("items", "d" + (i % 7), obj("i", i, "pad", "p".repeat(300))).expect(i < 7 ? 201 : 200));
    }
    return writes;
  }

  @Test
  @DisplayName("after a server restart converges from the old position, by replay or by snapshot")
  void resumeAcrossRestart() {
    start();
    rest.put("items", "a", obj("v", 1)).expect(201);
    rest.put("items", "b", obj("v", 1)).expect(201);
    WsRecorder first = ws("items", null);
    StrictPatcher client = expectSnapshotAndReady(first, "items");
    String epoch = server.epoch();
    rest.patch("items", "a", patch(op("replace", "/v", 2))).expect(200);
    client.applyWs(first.nextFrame(WAIT).json());
    first.close();
    rest.delete("items", "b").expect(204);

    restartServer();
    rest.put("items", "c", obj("v", 3)).expect(201);
    Response last = rest.patch("items", "a", patch(op("replace", "/v", 4))).expect(200);

    WsRecorder second = ws("items", "since=" + epoch + ":" + client.lastSeq());
    boolean ready = false;
    while (!ready) {
      Frame f = second.nextFrame(WAIT);
      if (f.isReady()) {
        ready = true;
        assertEquals(f.json().getBoolean("resumed"), !second.received().get(0).isSnapshot(),
            "resumed:true exactly when no snapshot was sent: " + second.received());
      } else if (f.isPatch()) {
        client.applyWs(f.json());
      } else {
        fail("unexpected frame while resuming: " + f);
      }
    }
    assertTrue(client.lastSeq() >= last.seq(), "the client caught up to seq " + last.seq() + ", is at " + client.lastSeq());
    assertDocs(restDocs("items", null), client.docs(), "client after the restart vs REST");
    Response after = rest.put("items", "d", obj("v", 5)).expect(201);
    Frame f = second.nextFrame(WAIT);
    assertEquals(after.seq(), f.seq(), "live after the restart");
    client.applyWs(f.json());
    assertDocs(restDocs("items", null), client.docs(), "client vs REST");
    assertFalse(second.isClosed());
  }
}
