package dev.patchwire.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue #9, class 5: 2,500 valid tasks of 20 KB (50 MB) made {@code GET .../docs} and every
 * stream open run the engine out of its 256 MB heap, and never answer, while {@code /health} said
 * UP. Here the engine runs as a child JVM with that heap ({@link ProcessServer}); five subscribers
 * (three WebSocket, two SSE) open at once while writes go on, and a {@code GET .../docs} with
 * them. Every one must converge on the engine's state (strictly patched), {@code /health} must
 * answer throughout, the engine must not run out of memory, and its resident set must stay bounded
 * (the peak is printed).
 */
@DisplayName("A 50 MB collection")
class LargeCollectionMemoryTest {

  private static final int TASKS = 2_500;
  private static final int DESCRIPTION_CHARS = 19_900;
  /** VmRSS of the engine at most: its heap is 256 MB, the rest is the JVM's own and Netty's. */
  private static final long MAX_RSS_KB = 560L << 10;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  @DisplayName("is streamed to five subscribers at once and read by GET while writes go on, in bounded memory")
  void fiveSubscribersAtOnce() throws Exception {
    Path data = Files.createTempDirectory("patchwire-large-collection");
    Vertx clients = Vertx.vertx();
    ExecutorService pool = Executors.newCachedThreadPool();
    try (ProcessServer server = ProcessServer.start(data, "--history-bytes", "4m")) {
      Rest rest = new Rest(server.baseUrl());
      long started = System.nanoTime();
      long seeded = seed(rest, pool);
      long seedMillis = (System.nanoTime() - started) / 1_000_000;
      long seededRss = rssKb(server);

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong peakRss = new AtomicLong(seededRss);
      AtomicLong slowestHealthMillis = new AtomicLong();
      ConcurrentLinkedQueue<String> healthProblems = new ConcurrentLinkedQueue<>();
      Future<?> sampler = pool.submit(() -> {
        while (running.get()) {
          peakRss.accumulateAndGet(rssKb(server), Math::max);
          long t0 = System.nanoTime();
          Rest.Response h = rest.send("GET", "/health", null, null);
          long ms = (System.nanoTime() - t0) / 1_000_000;
          slowestHealthMillis.accumulateAndGet(ms, Math::max);
          if (h.status() != 200 || ms > 5_000) {
            healthProblems.add(h.status() + " after " + ms + " ms: " + h.body());
          }
          sleep(100);
        }
        return null;
      });

      // the writes that go on meanwhile: small patches of random tasks
      AtomicLong lastWrite = new AtomicLong(seeded);
      AtomicBoolean writing = new AtomicBoolean(true);
      Future<?> writer = pool.submit(() -> {
        Random random = new Random(9);
        String[] statuses = {"todo", "inprogress", "inreview", "done"};
        while (writing.get()) {
          String id = taskId(random.nextInt(TASKS));
          Rest.Response r = rest.patch("tasks", id, Rest.patch(
              Rest.obj("op", "replace", "path", "/status", "value", statuses[random.nextInt(4)]))).expect(200);
          lastWrite.accumulateAndGet(r.seq(), Math::max);
          sleep(10);
        }
        return null;
      });

      openedNanos = System.nanoTime();
      List<Callable<JsonNode>> subscribers = new ArrayList<>();
      List<AutoCloseable> streams = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        WsRecorder ws = WsRecorder.connect(clients, server.port(), "/api/collections/tasks/stream/ws");
        streams.add(ws);
        subscribers.add(() -> followWs(ws));
      }
      for (int i = 0; i < 2; i++) {
        SseRecorder sse = SseRecorder.open(server.port(), "/api/collections/tasks/stream/sse");
        streams.add(sse);
        subscribers.add(() -> followSse(sse));
      }
      Future<Rest.Response> list = pool.submit(() -> rest.list("tasks"));
      List<Future<JsonNode>> states = new ArrayList<>();
      subscribers.forEach(s -> states.add(pool.submit(s)));

      long t1 = System.nanoTime();
      Rest.Response listed = list.get(WAIT.toSeconds(), TimeUnit.SECONDS).expect(200);
      long listMillis = (System.nanoTime() - t1) / 1_000_000;
      assertEquals(TASKS, Rest.parse(listed.body()).get("tasks").size(), "GET .../docs lists every task");
      listed = null;
      // every subscriber has its snapshot: let the writes go on a little, then stop them
      awaitReady(states);
      long readyMillis = (System.nanoTime() - t1) / 1_000_000;
      sleep(500);
      writing.set(false);
      writer.get(30, TimeUnit.SECONDS);
      long finalSeq = lastWrite.get();
      this.finalSeq.set(finalSeq);
      JsonNode expected = Rest.parse(rest.list("tasks").expect(200).body()).get("tasks");
      for (int i = 0; i < states.size(); i++) {
        JsonNode state = states.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertTrue(expected.equals(state.get("tasks")),
            "subscriber " + i + " holds the engine's state at seq " + finalSeq);
      }
      running.set(false);
      sampler.get(30, TimeUnit.SECONDS);
      for (AutoCloseable s : streams) {
        s.close();
      }

      String facts = "engine VmRSS " + (seededRss >> 10) + " MB after seeding, peak " + (peakRss.get() >> 10)
          + " MB; slowest /health " + slowestHealthMillis.get() + " ms; " + (finalSeq - seeded)
          + " writes during the snapshots; seeding " + seedMillis + " ms, GET " + listMillis
          + " ms, the snapshots arrived after " + arrivedMillis + " ms and were checked and applied after "
          + readyMillis + " ms";
      System.out.println("LargeCollectionMemoryTest: " + facts);
      assertFalse(server.output().contains("OutOfMemoryError"), "the engine ran out of heap: " + facts
          + "\n" + tail(server.output()));
      assertTrue(healthProblems.isEmpty(), "/health answered " + healthProblems + "; " + facts);
      assertTrue(peakRss.get() <= MAX_RSS_KB, "the engine's resident set stays bounded: " + facts);
    } finally {
      pool.shutdownNow();
      clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      ProcessServer.deleteTree(data);
    }
  }

  /** Seqs of the snapshots the subscribers got. */
  private final ConcurrentLinkedQueue<Long> ready = new ConcurrentLinkedQueue<>();
  /** When the streams were opened, and when each snapshot had arrived whole (before the test's checks). */
  private volatile long openedNanos;
  private final ConcurrentLinkedQueue<Long> arrivedMillis = new ConcurrentLinkedQueue<>();
  /** The seq of the last write, once the writes have stopped; -1 before. */
  private final AtomicLong finalSeq = new AtomicLong(-1);

  private void awaitReady(List<Future<JsonNode>> subscribers) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (ready.size() < subscribers.size()) {
      for (Future<JsonNode> f : subscribers) {
        if (f.isDone()) {
          f.get();  // a subscriber that failed says why
        }
      }
      assertTrue(System.nanoTime() < deadline, "only " + ready.size() + " of " + subscribers.size()
          + " subscribers got their snapshot within " + WAIT);
      sleep(50);
    }
  }

  /**
   * True once the subscriber holding {@code lastSeq} has every write; while the writes go on and
   * nothing is waiting for it, it waits here rather than in a blocking read.
   */
  private boolean caughtUp(long lastSeq, java.util.function.Supplier<List<Object>> pending) {
    while (finalSeq.get() < 0 && pending.get().isEmpty()) {
      sleep(20);
    }
    long fin = finalSeq.get();
    return fin >= 0 && lastSeq >= fin;
  }

  /** 2,500 tasks of 20 KB, written by 16 clients at once; the seq of the last. */
  private static long seed(Rest rest, ExecutorService pool) throws Exception {
    rest.put("projects", "p1", Rest.obj("name", "Large")).expect(201);
    List<Future<Long>> parts = new ArrayList<>();
    for (int w = 0; w < 16; w++) {
      int first = w;
      parts.add(pool.submit(() -> {
        long seq = 0;
        for (int i = first; i < TASKS; i += 16) {
          String description = Character.toString('a' + i % 26).repeat(DESCRIPTION_CHARS);
          seq = Math.max(seq, rest.put("tasks", taskId(i), Rest.obj("project_id", "p1", "title", "Task " + i,
              "description", description, "position", i)).expect(201).seq());
        }
        return seq;
      }));
    }
    long last = 0;
    for (Future<Long> p : parts) {
      last = Math.max(last, p.get(120, TimeUnit.SECONDS));
    }
    return last;
  }

  private static String taskId(int i) {
    return String.format("t%04d", i);
  }

  /** Applies the snapshot, Ready and every live frame until the writes have stopped and it has the last. */
  private JsonNode followWs(WsRecorder ws) {
    StrictPatcher p = new StrictPatcher("tasks");
    WsRecorder.Frame snapshot = ws.nextFrame(WAIT);
    arrivedMillis.add((snapshot.nanos() - openedNanos) / 1_000_000);
    assertTrue(snapshot.isSnapshot(), "a snapshot first, got " + snapshot);
    p.applyWs(snapshot.json());
    assertTrue(ws.nextFrame(WAIT).isReady(), "then Ready");
    ready.add(snapshot.seq());
    while (!caughtUp(p.lastSeq(), ws::pending)) {
      WsRecorder.Frame f = ws.nextFrame(WAIT);
      assertTrue(f.isLive(), "only live frames after Ready (no resync), got " + f);
      p.applyWs(f.json());
    }
    return p.document();
  }

  private JsonNode followSse(SseRecorder sse) {
    StrictPatcher p = new StrictPatcher("tasks");
    SseRecorder.Event snapshot = sse.nextEvent(WAIT);
    arrivedMillis.add((snapshot.nanos() - openedNanos) / 1_000_000);
    p.applySse(snapshot);
    assertEquals("ready", sse.nextEvent(WAIT).event(), "then Ready");
    ready.add(snapshot.seq());
    while (!caughtUp(p.lastSeq(), sse::pending)) {
      SseRecorder.Event e = sse.nextEvent(WAIT);
      assertEquals("json_patch", e.event(), "only live events after Ready (no resync)");
      p.applySse(e);
    }
    return p.document();
  }

  /** The engine's resident set, from /proc/PID/status (VmRSS, in kB). */
  private static long rssKb(ProcessServer server) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(server.process().pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;  // the process is gone; the assertions say why
    }
    return 0;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String tail(String s) {
    return s.substring(Math.max(0, s.length() - 3000));
  }
}
