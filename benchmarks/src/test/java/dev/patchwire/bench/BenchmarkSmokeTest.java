package dev.patchwire.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Keeps every benchmark compiling and running: each JMH benchmark for a tenth of a second in this
 * JVM, and a small load run against the engine jar. Correctness only (the benchmarks check their
 * own delivery counts); no timing is asserted here.
 */
class BenchmarkSmokeTest {

  private static ChainedOptionsBuilder tiny(Class<?> benchmark) {
    return new OptionsBuilder()
        .include(benchmark.getName() + "\\.")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .shouldFailOnError(true);
  }

  private static void runs(ChainedOptionsBuilder options, int expectedRuns) throws Exception {
    Collection<RunResult> results = new Runner(options.build()).run();
    assertEquals(expectedRuns, results.size());
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark());
    }
  }

  @Test
  @DisplayName("MsgStore push runs with 0, 1 and 100 subscribers and delivers every frame")
  void msgStorePush() throws Exception {
    runs(tiny(MsgStorePushBenchmark.class).param("subscribers", "0", "1", "100")
        .param("historyBytes", "65536"), 3);
  }

  @Test
  @DisplayName("the fan-out and both naive baselines deliver every frame")
  void fanout() throws Exception {
    runs(tiny(FanoutBenchmark.class).param("filter", "project"), 3);
  }

  @Test
  @DisplayName("the filtered fan-out delivers every frame to the matching subscribers only")
  void filteredFanout() throws Exception {
    runs(tiny(FilteredFanoutBenchmark.class).param("nonMatching", "100"), 1);
  }

  @Test
  @DisplayName("a snapshot of a small board is built and serialized")
  void snapshot() throws Exception {
    runs(tiny(SnapshotBenchmark.class).param("tasks", "200"), 2);
  }

  @Test
  @DisplayName("zjsonpatch diff and apply run")
  void patches() throws Exception {
    runs(tiny(PatchBenchmark.class), 4);
  }

  @Test
  @DisplayName("building a Change runs")
  void changes() throws Exception {
    runs(tiny(ChangeBenchmark.class), 1);
  }

  @Test
  @DisplayName("the H2 write path runs")
  void writes() throws Exception {
    runs(tiny(WriteBenchmark.class), 3);
  }

  @Test
  @DisplayName("the write path and a snapshot run on PostgreSQL, and the CPU-time profiler reports")
  void onPostgres() throws Exception {
    Assumptions.assumeTrue(BenchPostgres.binaries() != null, "PostgreSQL is not installed");
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(WriteBenchmark.class.getName() + "\\.putBenchDoc")
        .include(SnapshotBenchmark.class.getName() + "\\.snapshot$")
        .param("store", "postgresql").param("tasks", "200")
        .addProfiler(CpuTimeProfiler.class)
        .forks(0).warmupIterations(0).measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100)).shouldFailOnError(true).build()).run();
    assertEquals(2, results.size());
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark());
      assertTrue(r.getSecondaryResults().get("cpu.us/op").getScore() > 0, "CPU time per operation");
    }
  }

  @Test
  @DisplayName("PostgreSQL writes from two nodes at once are acknowledged and counted")
  void pgWriteLoad() throws Exception {
    Assumptions.assumeTrue(BenchPostgres.binaries() != null, "PostgreSQL is not installed");
    Path jar = Path.of(System.getProperty("patchwire.engineJar", "../engine/target/patchwire.jar"));
    assertTrue(Files.exists(jar), "build the engine first: " + jar);
    PgWriteLoad.Options o = PgWriteLoad.Options.parse("--jar", jar.toString(), "--nodes", "2",
        "--in-flight", "4", "--warmup", "3", "--duration", "2", "--label", "smoke");
    PgWriteLoad.Result r = new PgWriteLoad(o, System.out).run();
    assertTrue(r.acked > 0, "writes acknowledged: " + r.acked);
    assertEquals(0, r.errors, "errors");
    assertTrue(r.nodeCpuSeconds > 0 && r.postgresCpuSeconds > 0, "CPU of the nodes and of PostgreSQL");
    assertFalse(r.toJson(o).encode().isEmpty());
  }

  @Test
  @DisplayName("a load run of 20 subscribers x 20 writes/s loses and doubles nothing")
  void loadRun() throws Exception {
    Path jar = Path.of(System.getProperty("patchwire.engineJar", "../engine/target/patchwire.jar"));
    assertTrue(Files.exists(jar), "build the engine first: " + jar);
    LoadRun.Result r = smokeLoad("--jar", jar.toString());
    assertTrue(r.serverCpuSeconds >= 0 && r.serverRssBytes > 0, "server stats from /proc");
  }

  @Test
  @DisplayName("the load run's peer, the bare Vert.x broadcast, serves the same run")
  void broadcastPeer() throws Exception {
    LoadRun.Result r = smokeLoad("--server", "broadcast");
    assertEquals("broadcast", r.toJson().getString("server"));
  }

  @Test
  @DisplayName("the load run's peer, the Node ws hub, serves the same run")
  void wsHubPeer() throws Exception {
    assertTrue(Files.exists(Path.of("ws-hub/node_modules/ws")), "npm ci in benchmarks/ws-hub (the build does it)");
    LoadRun.Result r = smokeLoad("--server", "ws");
    assertEquals("ws", r.toJson().getString("server"));
  }

  /** 20 subscribers x 20 writes/s x 2 s against a spawned server: nothing lost or doubled. */
  private static LoadRun.Result smokeLoad(String... server) throws Exception {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--spawn",
        "--clients", "20", "--rate", "20", "--warmup", "1", "--duration", "2", "--drain", "10",
        "--label", "smoke"));
    args.addAll(java.util.List.of(server));
    LoadRun.Options options = LoadRun.Options.parse(args.toArray(String[]::new));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    LoadRun.Result r = new LoadRun(options, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
    r.print(System.out);
    assertEquals(20, r.connected, log.toString(StandardCharsets.UTF_8));
    assertEquals(0, r.connectFailures);
    assertTrue(r.writesAcked >= 40, "writes acked: " + r.writesAcked);
    assertEquals(0, r.writeErrors);
    assertEquals(0, r.lost, "lost deliveries");
    assertEquals(0, r.duplicated, "duplicated deliveries");
    assertEquals(0, r.closedEarly);
    assertTrue(r.deliveries > 0);
    assertTrue(r.latencyMicros.getTotalCount() > 0);
    assertFalse(r.toJson().encode().isEmpty());
    return r;
  }
}
