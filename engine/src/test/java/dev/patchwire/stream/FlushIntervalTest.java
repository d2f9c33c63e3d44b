package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.Rest;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code --flush-interval}: changes wait to share a socket write, and nothing else changes. */
@DisplayName("A stream with a flush interval")
class FlushIntervalTest extends StreamTestBase {

  @Test
  @DisplayName("still gets every change exactly once, in seq order, and converges")
  void everyChangeOnceInOrder() {
    start(TestServer.defaults().setFlushIntervalMillis(30));
    WsRecorder ws = ws("items", null);
    StrictPatcher client = expectSnapshotAndReady(ws, "items");

    // concurrent writes, so that several changes wait in one interval
    List<CompletableFuture<Rest.Response>> writes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String id = "d" + (i % 8);
      int n = i;
      writes.add(CompletableFuture.supplyAsync(() -> rest.put("items", id, obj("n", n))));
    }
    List<Long> seqs = new ArrayList<>();
    for (CompletableFuture<Rest.Response> w : writes) {
      seqs.add(w.join().ok().seq());
    }
    seqs.sort(Long::compare);
    for (long seq : seqs) {
      Frame f = ws.nextFrame(WAIT);
      assertTrue(f.isLive(), "a live frame, got " + f);
      assertEquals(seq, f.seq(), "each change once, in seq order");
      client.applyWs(f.json());
    }
    ws.assertExhausted(QUIET_MILLIS);
    assertDocs(restDocs("items", null), client.docs(), "client vs REST");
  }
}
