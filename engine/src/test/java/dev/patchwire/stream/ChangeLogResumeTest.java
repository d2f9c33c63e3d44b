package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static dev.patchwire.testing.Rest.op;
import static dev.patchwire.testing.Rest.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.patchwire.testing.Rest.Response;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The durable change log as the cold tier of resume: a position the in-memory history has lost
 * (evicted, or a restart) is replayed from the log, exactly and filtered; only a position older
 * than the log's retention gets a snapshot.
 */
@DisplayName("Resuming from the durable change log")
class ChangeLogResumeTest extends StreamTestBase {

  @Test
  @DisplayName("replays a position evicted from memory, exactly the missed changes, with resumed:true")
  void replaysWhatMemoryEvicted() {
    start(TestServer.defaults().setHistoryBytes(4096));
    rest.put("items", "seed", obj("v", 0)).expect(201);
    WsRecorder first = ws("items", null);
    StrictPatcher client = expectSnapshotAndReady(first, "items");
    long old = client.lastSeq();
    first.close();

    List<Long> missed = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      missed.add(rest.put("items", "d" + (i % 5), obj("i", i, "pad", "p".repeat(300))).ok().seq());
    }
    assertTrue(rest.stats().path("history").path("oldestSeq").asLong() > old + 1,
        "the test needs the history to have evicted the position");

    WsRecorder second = ws("items", "since=" + server.epoch() + ":" + old);
    for (long seq : missed) {
      Frame f = second.nextFrame(WAIT);
      assertTrue(f.isLive(), "a replayed change, got " + f);
      assertEquals(seq, f.seq(), "replayed in seq order, each once");
      client.applyWs(f.json());
    }
    assertReady(second.nextFrame(WAIT), missed.get(missed.size() - 1), true);
    second.assertExhausted(QUIET_MILLIS);
    assertDocs(restDocs("items", null), client.docs(), "client after the replay vs REST");
  }

  @Test
  @DisplayName("after a restart, replays a filtered stream's missed changes, enter and leave included")
  void replaysAcrossARestartWithAFilter() {
    start();
    rest.put("items", "a", obj("k", "x", "n", 1)).expect(201);
    rest.put("items", "b", obj("k", "y", "n", 2)).expect(201);
    WsRecorder first = ws("items", "where=k:x");
    StrictPatcher client = expectSnapshotAndReady(first, "items");
    long old = client.lastSeq();
    first.close();

    Response leave = rest.patch("items", "a", patch(op("replace", "/k", "y"))).expect(200);
    rest.patch("items", "b", patch(op("replace", "/n", 3))).expect(200);   // never matches
    restartServer();
    Response enter = rest.patch("items", "b", patch(op("replace", "/k", "x"))).expect(200);
    Response update = rest.patch("items", "b", patch(op("replace", "/n", 4))).expect(200);
    Response created = rest.put("items", "c", obj("k", "x")).expect(201);
    Response deleted = rest.delete("items", "c").expect(204);

    WsRecorder second = ws("items", "where=k:x&since=" + server.epoch() + ":" + old);
    long[] expected = {leave.seq(), enter.seq(), update.seq(), created.seq(), deleted.seq()};
    String[] ops = {"remove", "add", "replace", "add", "remove"};
    for (int i = 0; i < expected.length; i++) {
      Frame f = second.nextFrame(WAIT);
      assertTrue(f.isLive(), "a replayed change, got " + f);
      assertEquals(expected[i], f.seq());
      assertEquals(ops[i], f.patch().get(0).get("op").asText(), "op of " + f);
      client.applyWs(f.json());
    }
    assertReady(second.nextFrame(WAIT), deleted.seq(), true);
    assertDocs(restDocs("items", "k:x"), client.docs(), "filtered client vs REST");

    Response live = rest.patch("items", "b", patch(op("replace", "/n", 5))).expect(200);
    Frame f = second.nextFrame(WAIT);
    assertEquals(live.seq(), f.seq(), "live after the replay");
    client.applyWs(f.json());
    assertDocs(restDocs("items", "k:x"), client.docs(), "filtered client vs REST after live");
  }

  @Test
  @DisplayName("gets a snapshot once the position is older than the log's retention")
  void snapshotPastRetention() throws InterruptedException {
    start(TestServer.defaults().setHistoryBytes(1024).setLogRetention("2k").setLogCompactIntervalMillis(50));
    rest.put("items", "seed", obj("v", 0)).expect(201);
    long old = restSeq("items");
    Response last = null;
    for (int i = 0; i < 40; i++) {
      last = rest.put("items", "d" + i, obj("pad", "p".repeat(200))).expect(201);
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      WsRecorder probe = ws("items", "since=" + server.epoch() + ":" + old);
      Frame first = probe.nextFrame(WAIT);
      probe.close();
      if (first.isSnapshot()) {
        assertEquals(last.seq(), first.seq(), "snapshot at the store's head");
        break;
      }
      if (System.nanoTime() > deadline) {
        fail("the log was never compacted past seq " + old);
      }
      Thread.sleep(100);
    }
  }
}
