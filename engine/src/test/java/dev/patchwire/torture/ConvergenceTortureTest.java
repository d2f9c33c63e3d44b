package dev.patchwire.torture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestPostgres;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The convergence torture test (issue 4): a seeded random run of writers, stream subscribers that
 * disconnect, resume, reconnect and stall, and engine restarts by SIGTERM and SIGKILL, on one
 * database; then every subscriber must hold exactly the REST state of its filter at the store's
 * seq, and every acknowledged write must be in the store and in the change log. The same run on
 * three nodes sharing one PostgreSQL is {@link ThreeNodeTortureTest}.
 *
 * <p>How to run it longer, and what it prints: {@code docs/testing.md}.
 */
@DisplayName("Convergence under torture")
class ConvergenceTortureTest {

  /** The filters the subscribers use, round robin. */
  static final String[][] FILTERS = {
      {"tasks", null}, {"tasks", "status:todo"}, {"tasks", "status:done"}, {"tasks", "project_id:p0"},
      {"tasks", "project_id:p1"}, {"items", null}, {"items", "k:a"}, {"items", "k:b"}};

  private final Vertx clients = Vertx.vertx();

  @Test
  @DisplayName("every subscriber converges to REST, every ack survives, across resumes, resyncs and restarts (kill -9 included)")
  void torture() throws Exception {
    torture(TortureConfig.fromSystemProperties());
  }

  /**
   * One seeded run of {@code cfg}: one engine on a data folder of its own, or {@code cfg.nodes()}
   * engines on a fresh database of the test PostgreSQL.
   */
  void torture(TortureConfig cfg) throws Exception {
    System.out.println("torture: seed " + cfg.seed() + " (rerun with -Dtorture.seed=" + cfg.seed() + "); " + cfg);
    List<Path> data = new ArrayList<>();
    try {
      for (int i = 0; i < cfg.nodes(); i++) {
        data.add(Files.createTempDirectory("patchwire-torture"));
      }
      run(cfg, data);
    } catch (Throwable t) {
      throw new AssertionError("torture failed with seed " + cfg.seed() + " (rerun with -Dtorture.seed=" + cfg.seed()
          + "): " + t.getMessage(), t);
    } finally {
      clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      data.forEach(ProcessServer::deleteTree);
    }
  }

  private void run(TortureConfig cfg, List<Path> data) throws Exception {
    long started = System.nanoTime();
    Random random = new Random(cfg.seed());
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    Queue<Writer.Ack> acks = new ConcurrentLinkedQueue<>();
    AtomicLong ops = new AtomicLong();
    AtomicBoolean stopWriters = new AtomicBoolean();
    CountDownLatch finalGo = new CountDownLatch(1);

    String[] args = {"--collection", "items", "--subscriber-buffer-bytes", "16k",
        "--history-bytes", "256k", "--sse-ping-interval", "5000", "--ping-interval", "5000"};
    try (Servers servers = cfg.nodes() == 1 ? new Servers(data.get(0), args)
        : Servers.cluster(data, TestPostgres.shared().newDatabaseUrl(), args)) {
      List<Subscriber> subscribers = new ArrayList<>();
      List<Thread> subscriberThreads = new ArrayList<>();
      for (int i = 0; i < cfg.subscribers(); i++) {
        String[] f = FILTERS[i % FILTERS.length];
        Subscriber s = new Subscriber(i, f[0], f[1], i % 2 == 0, random.nextLong(), clients, servers, failures, finalGo);
        subscribers.add(s);
        subscriberThreads.add(start(s, "torture-" + s.name()));
      }
      List<Writer> writers = new ArrayList<>();
      List<Thread> writerThreads = new ArrayList<>();
      for (int i = 0; i <= cfg.writers(); i++) {
        Writer w = new Writer(i, i == cfg.writers(), random.nextLong(), servers, ops, cfg.ops(), stopWriters::get, acks, failures);
        writers.add(w);
        writerThreads.add(start(w, "torture-writer-" + i));
      }

      // the chaos: restarts while the others run (a CI run: two on one node, three on several,
      // kill -9 and graceful alternating; the node and its time down are seeded too)
      long deadline = System.nanoTime() + cfg.duration().toNanos();
      boolean kill = random.nextBoolean();
      int restarts = 0;
      int planned = cfg.nodes() == 1 ? 2 : 3;
      long nextRestart = System.nanoTime() + (cfg.periodicRestarts() ? cfg.restartEvery().toNanos() : cfg.duration().toNanos() / (planned + 1));
      while (System.nanoTime() < deadline && ops.get() < cfg.ops() && failures.isEmpty()
          && writerThreads.stream().anyMatch(Thread::isAlive)) {
        boolean due = cfg.periodicRestarts() ? System.nanoTime() >= nextRestart
            : ops.get() >= cfg.ops() * (restarts + 1) / (planned + 1) || System.nanoTime() >= nextRestart;
        if (due && (cfg.periodicRestarts() || restarts < planned)) {
          restart(servers, random, kill, ops.get(), started);
          kill = !kill;
          restarts++;
          long every = cfg.periodicRestarts() ? cfg.restartEvery().toNanos() : cfg.duration().toNanos() / (planned + 1);
          nextRestart = System.nanoTime() + every / 2 + (long) (random.nextDouble() * every);
        }
        Thread.sleep(50);
      }
      if (!cfg.periodicRestarts()) {
        while (restarts < planned && failures.isEmpty()) {
          restart(servers, random, kill, ops.get(), started);
          kill = !kill;
          restarts++;
        }
      }

      assertTrue(failures.isEmpty(), failures.size() + " failure(s) during the run, first ones:\n  " + first(failures)
          + "\nengine output (tail):\n" + tail(servers.output()));

      // quiesce: writers stop, subscribers stop their walk and disconnect
      stopWriters.set(true);
      join(writerThreads, "writer");
      subscribers.forEach(Subscriber::finish);
      List<Servers.Up> all = servers.awaitAll(Duration.ofSeconds(60));
      Servers.Up up = all.get(0);
      Rest.Response headList = up.rest().list("tasks");
      assertEquals(200, headList.status(), "GET tasks after the run: " + headList.body() + "\nengine output (tail):\n" + tail(servers.output()));
      long head = headList.seq();
      assertEquals(head, up.rest().list("items").expect(200).seq(), "one store-wide seq");
      // every node has applied the head (its tailer caught up: on one node, its own commits)
      for (Servers.Up node : all) {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long applied;
        while ((applied = node.rest().stats().path("node").path("appliedSeq").asLong(-1)) < head && System.nanoTime() < end) {
          Thread.sleep(100);
        }
        assertEquals(head, applied, "node " + node.node() + "'s applied seq (/api/stats) once the writes stopped");
      }
      finalGo.countDown();
      join(subscriberThreads, "subscriber");
      all.forEach(servers::addStats);
      assertTrue(failures.isEmpty(), failures.size() + " failure(s), first ones:\n  " + first(failures)
          + "\nengine output (tail):\n" + tail(servers.output()));

      // 1. every subscriber, resumed once more, holds REST's filtered state at the store's seq, on every node
      for (Subscriber s : subscribers) {
        assertEquals(head, s.finalReadySeq, s.name() + ": the final Ready's seq is the store's seq");
        for (Servers.Up node : all) {
          Rest.Response list = s.where == null ? node.rest().list(s.collection) : node.rest().list(s.collection, s.where);
          assertEquals(head, list.expect(200).seq(), "REST of node " + node.node() + " answers at the same seq");
          assertSameDocs(list.json().get(s.collection), s.patcher.docs(),
              s.name() + " vs node " + node.node() + "'s REST at seq " + head);
        }
      }

      // 1b. an unfiltered subscriber got every acknowledged change of its collection, as a change
      // or inside a snapshot (each change at most once: its seqs only ever increase)
      for (Subscriber s : subscribers) {
        if (s.where != null) {
          continue;
        }
        List<Long> missed = acks.stream().filter(a -> a.collection().equals(s.collection) && !s.delivered(a.seq()))
            .map(Writer.Ack::seq).sorted().limit(5).toList();
        assertTrue(missed.isEmpty(), s.name() + " never got the acknowledged change(s) at seq " + missed);
      }

      // 2. every acknowledged write is in the store: REST holds exactly the writers' models
      Set<Long> seqs = new HashSet<>();
      for (Writer.Ack a : acks) {
        assertTrue(seqs.add(a.seq()), "two acknowledgements share seq " + a.seq());
        assertTrue(a.seq() <= head, "ack seq " + a.seq() + " above the store's seq " + head);
      }
      for (String c : List.of("tasks", "items")) {
        ObjectNode want = Rest.MAPPER.createObjectNode();
        for (Writer w : writers) {
          w.model.get(c).forEach(want::set);
        }
        for (Servers.Up node : all) {
          assertSameDocs(want, node.rest().list(c).json().get(c), c + ": node " + node.node() + "'s REST vs every acknowledged write");
        }
      }

      // 3. the change log holds every acknowledged change: replaying it from the start gives the same state
      Map<String, Long> logAudit = auditLog(all.get(all.size() - 1), acks, head, servers);

      // the numbers
      Map<String, Long> totals = new TreeMap<>();
      writers.forEach(w -> w.counts.forEach((k, v) -> totals.merge("writes." + k, v, Long::sum)));
      subscribers.forEach(s -> s.counts.forEach((k, v) -> totals.merge("streams." + k, v, Long::sum)));
      totals.put("restarts.graceful", servers.gracefulStops.get());
      totals.put("restarts.kill9", servers.kills.get());
      totals.put("nodes", (long) cfg.nodes());
      totals.put("engine.totals.resyncs", servers.statsResyncs.get());
      totals.put("engine.totals.drops", servers.statsDrops.get());
      totals.put("acks", (long) acks.size());
      totals.put("store.seq", head);
      totals.putAll(logAudit);
      System.out.printf("torture: seed %d passed in %d s: %s%n", cfg.seed(), (System.nanoTime() - started) / 1_000_000_000, totals);
      assertTrue(totals.getOrDefault("streams.resumedReady", 0L) > 0, "some resumes happened: " + totals);
      assertTrue(servers.kills.get() > 0 && servers.gracefulStops.get() > 0, "both kinds of restart happened: " + totals);
      if (cfg.nodes() > 1) {
        assertTrue(totals.getOrDefault("streams.resumedOnAnotherNode", 0L) > 0, "some resumes on another node: " + totals);
      }
    }
  }

  /** Stops one engine (kill -9 or SIGTERM) and starts it again; with several nodes, a seeded one after a seeded time down. */
  private static void restart(Servers servers, Random random, boolean kill, long ops, long started) {
    int node = servers.nodes() == 1 ? 0 : random.nextInt(servers.nodes());
    Duration down = servers.nodes() == 1 ? Duration.ZERO : Duration.ofMillis(500 + random.nextInt(2000));
    System.out.printf("torture: %s%s at %d ops, %d s%n", kill ? "kill -9" : "graceful stop",
        servers.nodes() == 1 ? "" : " of node-" + node + " for " + down.toMillis() + " ms", ops,
        (System.nanoTime() - started) / 1_000_000_000);
    servers.restart(node, kill, down);
  }

  /**
   * Streams each collection from {@code since=EPOCH:0} onto {@code {"c":{}}}: when the engine
   * replays from its change log (resumed:true), every acknowledged seq must be among the replayed
   * changes and the result must equal REST.
   */
  private Map<String, Long> auditLog(Servers.Up up, Queue<Writer.Ack> acks, long head, Servers servers) {
    Map<String, Long> out = new TreeMap<>();
    String epoch = up.rest().list("tasks").epoch();
    for (String c : List.of("tasks", "items")) {
      StrictPatcher p = new StrictPatcher(c);
      p.apply(Rest.patch(Rest.op("add", "/" + c, Rest.MAPPER.createObjectNode())), 0, true);
      Set<Long> replayed = new HashSet<>();
      boolean resumed;
      try (WsRecorder ws = WsRecorder.connect(clients, up.port(), "/api/collections/" + c + "/stream/ws?since=" + epoch + ":0")) {
        while (true) {
          WsRecorder.Frame f = ws.nextFrame(Duration.ofSeconds(60));
          if (f.isReady()) {
            resumed = Boolean.TRUE.equals(f.json().getBoolean("resumed"));
            assertEquals(head, f.seq(), c + " log audit: Ready at the store's seq");
            break;
          }
          p.applyWs(f.json());
          replayed.add(f.seq());
        }
      }
      if (!resumed) {
        String output = servers.output();
        long changes = acks.stream().filter(a -> a.collection().equals(c)).count();
        boolean oom = output.contains("OutOfMemoryError");
        System.out.println("torture: the change log did not replay " + c + " from seq 0 (" + changes
            + " acknowledged changes): the engine caps a replay (10,000 changes or 16 MiB) and sends a snapshot;"
            + " engine output (tail):\n" + output.substring(Math.max(0, output.length() - 3000)));
        assertTrue(!oom, c + ": the engine ran out of memory: " + output.substring(Math.max(0, output.length() - 3000)));
        out.put("log." + c + ".notReplayed", 1L);
        continue;
      }
      long missing = acks.stream().filter(a -> a.collection().equals(c) && !replayed.contains(a.seq())).count();
      assertEquals(0, missing, c + ": acknowledged changes missing from the change log's replay");
      assertSameDocs(up.rest().list(c).json().get(c), p.docs(), c + ": the whole change log replayed from seq 0 vs REST");
      out.put("log." + c + ".replayed", (long) replayed.size());
    }
    return out;
  }

  private static void assertSameDocs(JsonNode want, JsonNode got, String what) {
    if (!StrictPatcher.equalJson(want, got)) {
      List<String> diff = new ArrayList<>();
      Set<String> ids = new java.util.TreeSet<>();
      want.fieldNames().forEachRemaining(ids::add);
      got.fieldNames().forEachRemaining(ids::add);
      for (String id : ids) {
        JsonNode a = want.get(id);
        JsonNode b = got.get(id);
        if (a == null || b == null || !StrictPatcher.equalJson(a, b)) {
          diff.add(id + ": expected " + shorten(a) + " got " + shorten(b));
        }
      }
      throw new AssertionError(what + ": " + diff.size() + " document(s) differ: " + diff.subList(0, Math.min(5, diff.size())));
    }
  }

  private static String shorten(JsonNode n) {
    String s = String.valueOf(n);
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  private static String tail(String output) {
    return output.substring(Math.max(0, output.length() - 4000));
  }

  private static String first(Queue<String> failures) {
    return String.join("\n  ", failures.stream().limit(5).toList());
  }

  private static Thread start(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void join(List<Thread> threads, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (t.isAlive()) {
        throw new AssertionError(what + " thread " + t.getName() + " did not finish within 240 s");
      }
    }
  }
}
