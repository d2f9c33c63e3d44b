package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static dev.patchwire.testing.Rest.op;
import static dev.patchwire.testing.Rest.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.Rest.Response;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 2 "A 2xx answer MUST mean the change is committed to the database: after a crash and
 * a restart it is still there", and 1 "seq strictly increasing ... epoch changes only when the
 * history is lost". The engine runs as a separate JVM and is killed with SIGKILL right after the
 * last acknowledgement.
 */
@DisplayName("An engine killed with SIGKILL")
class DurabilityTest {

  private static Vertx clients;

  @BeforeAll
  static void startClients() {
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stopClients() throws Exception {
    clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("keeps every acknowledged write, with the same content, and continues seq upward in the same epoch")
  void acknowledgedWritesSurviveKill9() throws Exception {
    Path data = Files.createTempDirectory("patchwire-durability");
    try {
      killAndRestart(data);
    } finally {
      ProcessServer.deleteTree(data);
    }
  }

  private void killAndRestart(Path data) throws Exception {
    ConcurrentHashMap<String, JsonNode> expected = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<Long> seqs = new ConcurrentLinkedQueue<>();
    String epoch;
    long lastSeq;
    try (ProcessServer first = ProcessServer.start(data, "--collection", "items")) {
      Rest rest = new Rest(first.baseUrl());
      for (int i = 0; i < 20; i++) {
        Response r = rest.put("items", "s" + i, obj("i", i, "text", "sequential " + i)).expect(201);
        expected.put("s" + i, r.json());
        seqs.add(r.seq());
      }
      for (int i = 0; i < 20; i += 3) {
        Response r = rest.patch("items", "s" + i, patch(op("add", "/patched", true))).expect(200);
        expected.put("s" + i, r.json());
        seqs.add(r.seq());
      }
      for (int i = 1; i < 20; i += 5) {
        Response r = rest.delete("items", "s" + i).expect(204);
        expected.remove("s" + i);
        seqs.add(r.seq());
      }
      epoch = rest.list("items").expect(200).epoch();

      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          int writer = w;
          futures.add(pool.submit(() -> {
            Rest own = new Rest(first.baseUrl());
            for (int i = 0; i < 25; i++) {
              String id = "c" + writer + "-" + (i % 10);
              Response r = own.put("items", id, obj("writer", writer, "i", i));
              assertTrue(r.status() == 200 || r.status() == 201, "PUT " + id + " -> " + r.status() + " " + r.body());
              expected.put(id, r.json());
              seqs.add(r.seq());
            }
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      Response lastWrite = rest.put("items", "last", obj("written", "just before the kill")).expect(201);
      first.kill();
      expected.put("last", lastWrite.json());
      seqs.add(lastWrite.seq());
      lastSeq = seqs.stream().mapToLong(Long::longValue).max().orElseThrow();
      assertEquals(seqs.size(), seqs.stream().distinct().count(), "every acknowledged write has its own seq");
    }

    try (ProcessServer second = ProcessServer.start(data, "--collection", "items")) {
      Rest rest = new Rest(second.baseUrl());
      Response list = rest.list("items").expect(200);
      ObjectNode docs = (ObjectNode) list.json().get("items");
      ObjectNode want = Rest.MAPPER.createObjectNode();
      expected.forEach(want::set);
      StreamTestBase.assertDocs(want, docs, "documents after kill -9 and restart vs every acknowledged write");
      assertEquals(epoch, list.epoch(), "the epoch survives a restart on the same database");
      assertTrue(list.seq() >= lastSeq, "the position after restart (" + list.seq() + ") is not behind the last ack (" + lastSeq + ")");

      WsRecorder ws = WsRecorder.connect(clients, second.port(), "/api/collections/items/stream/ws");
      try (ws) {
        Frame snap = ws.nextFrame(WsRecorder.TIMEOUT);
        assertTrue(snap.isSnapshot(), "snapshot " + snap);
        assertEquals(epoch, snap.epoch(), "snapshot epoch after restart");
        StrictPatcher client = new StrictPatcher("items").applyWs(snap.json());
        StreamTestBase.assertDocs(want, client.docs(), "stream snapshot after restart");
        assertTrue(ws.nextFrame(WsRecorder.TIMEOUT).isReady());

        Response next = rest.put("items", "after", obj("v", 1)).expect(201);
        assertEquals(epoch, next.epoch(), "same epoch for new writes");
        assertTrue(next.seq() > lastSeq, "a new write's seq " + next.seq() + " continues above " + lastSeq);
        Frame f = ws.nextFrame(WsRecorder.TIMEOUT);
        assertEquals(next.seq(), f.seq());
        client.applyWs(f.json());
      }
    }
  }

  @Test
  @DisplayName("keeps every acknowledged write when killed in the middle of concurrent traffic; an unanswered one may or may not be there")
  void killedMidTraffic() throws Exception {
    Path data = Files.createTempDirectory("patchwire-durability");
    int writers = 4;
    // Per writer: the last acknowledged document per id, and the one in flight (sent, no answer yet).
    List<ConcurrentHashMap<String, JsonNode>> acked = new ArrayList<>();
    List<ConcurrentHashMap<String, JsonNode>> inFlight = new ArrayList<>();
    ConcurrentLinkedQueue<Long> seqs = new ConcurrentLinkedQueue<>();
    try {
      String epoch;
      try (ProcessServer first = ProcessServer.start(data, "--collection", "items")) {
        epoch = new Rest(first.baseUrl()).list("items").expect(200).epoch();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
          for (int w = 0; w < writers; w++) {
            int writer = w;
            ConcurrentHashMap<String, JsonNode> mine = new ConcurrentHashMap<>();
            ConcurrentHashMap<String, JsonNode> pending = new ConcurrentHashMap<>();
            acked.add(mine);
            inFlight.add(pending);
            pool.submit(() -> {
              Rest own = new Rest(first.baseUrl());
              for (int i = 0; i < 2000; i++) {
                String id = "k" + writer + "-" + (i % 5);
                ObjectNode body = obj("id", id, "writer", writer, "i", i);
                pending.put(id, body);
                Response r;
                try {
                  r = own.put("items", id, body);
                } catch (AssertionError connectionGone) {
                  return null;
                }
                if (r.status() != 200 && r.status() != 201) {
                  return null;
                }
                mine.put(id, r.json());
                pending.remove(id);
                seqs.add(r.seq());
              }
              return null;
            });
          }
          long deadline = System.nanoTime() + 60_000_000_000L;
          while (seqs.size() < 150 && System.nanoTime() < deadline) {
            Thread.sleep(5);
          }
          first.kill();
        } finally {
          pool.shutdown();
          pool.awaitTermination(60, TimeUnit.SECONDS);
        }
      }
      assertTrue(seqs.size() >= 150, "enough writes were acknowledged before the kill: " + seqs.size());
      long lastAck = seqs.stream().mapToLong(Long::longValue).max().orElseThrow();

      try (ProcessServer second = ProcessServer.start(data, "--collection", "items")) {
        Rest rest = new Rest(second.baseUrl());
        Response list = rest.list("items").expect(200);
        JsonNode docs = list.json().get("items");
        assertEquals(epoch, list.epoch(), "the epoch survives");
        assertTrue(list.seq() >= lastAck, "position " + list.seq() + " is not behind the last ack " + lastAck);
        for (int w = 0; w < writers; w++) {
          for (var e : acked.get(w).entrySet()) {
            JsonNode stored = docs.get(e.getKey());
            JsonNode unanswered = inFlight.get(w).get(e.getKey());
            boolean isAcked = stored != null && StreamTestBase.equalDocs(e.getValue(), stored);
            boolean isInFlight = stored != null && unanswered != null && StreamTestBase.equalDocs(unanswered, stored);
            assertTrue(isAcked || isInFlight, "document " + e.getKey() + " after the kill: acknowledged " + e.getValue()
                + (unanswered == null ? "" : ", or the unanswered " + unanswered) + ", found " + stored);
          }
        }
        Response next = rest.put("items", "after", obj("v", 1)).expect(201);
        assertTrue(next.seq() > lastAck, "a new write's seq " + next.seq() + " continues above " + lastAck);
      }
    } finally {
      ProcessServer.deleteTree(data);
    }
  }
}
