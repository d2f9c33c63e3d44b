package dev.patchwire.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestPostgres;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A node whose tailer falls behind a change log that another node compacts (issue 11): node B is
 * frozen (SIGSTOP, by its PID) while node A, with a tiny --log-retention, writes a change B's
 * subscriber must see and then compacts pw_changes past it. When B runs again its tailer finds
 * the log trimmed past what it applied; its subscriber must get a Resync and a fresh snapshot,
 * then live changes, and end equal to REST. Without the gap handling the subscriber would go on
 * with live changes after a silent hole and never learn the change it missed.
 */
class TrimmedLogResyncTest {

  static final Duration WAIT = Duration.ofSeconds(30);

  static Vertx clients;

  @BeforeAll
  static void start() {
    Assumptions.assumeTrue(TestPostgres.binaries() != null, "PostgreSQL is not installed");
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (clients != null) {
      clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  static void signal(ProcessServer node, String signal) throws Exception {
    Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(node.process().pid()))
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "kill -" + signal + " failed");
  }

  @Test
  void aNodeBehindACompactedLogResyncsItsSubscribers() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    String url = pg.newDatabaseUrl();
    String database = url.substring(url.lastIndexOf('/') + 1);
    List<AutoCloseable> open = new ArrayList<>();
    try {
      ProcessServer a = ProcessServer.start(Files.createTempDirectory("patchwire-node"), "--database-url", url,
          "--node-id", "a", "--collection", "items", "--no-kanban",
          "--log-retention", "1k", "--log-compact-interval", "200");
      open.add(a);
      ProcessServer b = ProcessServer.start(Files.createTempDirectory("patchwire-node"), "--database-url", url,
          "--node-id", "b", "--collection", "items", "--no-kanban");
      open.add(b);
      Rest onA = new Rest(a.baseUrl());
      Rest onB = new Rest(b.baseUrl());
      WsRecorder ws = WsRecorder.connect(clients, b.port(), "/api/collections/items/stream/ws");
      open.add(ws);
      ws.awaitFrame(WsRecorder.Frame::isReady, WAIT);
      long first = onA.put("items", "x", Rest.obj("v", "before")).ok().seq();
      ws.awaitSeq(first, WAIT);

      signal(b, "STOP");
      try {
        // the change B's subscriber must learn, then enough others that A's compaction trims it
        long missed = onA.put("items", "x", Rest.obj("v", "missed while B was frozen")).ok().seq();
        String pad = "p".repeat(200);
        for (int i = 0; i < 30; i++) {
          onA.put("items", "filler-" + i, Rest.obj("pad", pad)).ok();
        }
        long end = System.nanoTime() + WAIT.toNanos();
        long oldest = 0;
        while (System.nanoTime() < end
            && (oldest = Long.parseLong(pg.psql(database, "SELECT coalesce(min(seq), 0) FROM pw_changes"))) <= missed) {
          Thread.sleep(100);
        }
        assertTrue(oldest > missed, "A did not compact the log past seq " + missed + " (oldest " + oldest + ")");
      } finally {
        signal(b, "CONT");
      }

      // B's tailer now reads a first row past what it applied: every subscriber of B resyncs
      long last = onA.put("items", "after", Rest.obj("v", "live again")).ok().seq();
      StrictPatcher patcher = new StrictPatcher("items");
      boolean resync = false;
      boolean snapshotAfterResync = false;
      long end = System.nanoTime() + WAIT.toNanos();
      while (patcher.lastSeq() < last && System.nanoTime() < end) {
        WsRecorder.Frame f = ws.nextFrame(WAIT);
        if (f.isResync()) {
          resync = true;
        } else if (f.isPatch()) {
          patcher.applyWs(f.json());
          snapshotAfterResync |= resync && f.isSnapshot();
        }
      }
      assertTrue(resync, "B's subscriber got no Resync after B's tailer found the log compacted past it");
      assertTrue(snapshotAfterResync, "no fresh snapshot after the Resync");
      assertTrue(patcher.lastSeq() >= last, "B's subscriber did not reach seq " + last + " live");
      JsonNode seen = patcher.document().get("items");
      for (Rest rest : List.of(onA, onB)) {
        JsonNode docs = rest.list("items").expect(200).json().get("items");
        assertTrue(StrictPatcher.equalJson(docs, seen), "B's subscriber differs from " + rest.baseUrl()
            + "'s REST snapshot:\n rest " + docs + "\n seen " + seen);
      }
      JsonNode stats = onB.stats();
      assertTrue(stats.path("node").path("logGaps").asLong() >= 1, "B's stats count no log gap: " + stats);
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        try {
          open.get(i).close();
        } catch (Exception | AssertionError ignored) {
          // best effort
        }
      }
    }
  }
}
