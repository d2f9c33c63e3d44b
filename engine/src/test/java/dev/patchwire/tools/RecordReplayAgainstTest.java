package dev.patchwire.tools;

import static dev.patchwire.testing.Rest.obj;
import static dev.patchwire.testing.Rest.op;
import static dev.patchwire.testing.Rest.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.TestServer;
import dev.patchwire.tools.RecordingsReplayTest.Run;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code record} and {@code replay --against} end to end against a live engine: a recording
 * replays to the server's state at its last seq (exit 0); a doctored one differs (3); once the
 * server has moved on, or against another database, nothing is compared (4). The command line is
 * also run as a child JVM through {@code Main}, the jar's entry point, and stopped with SIGTERM and
 * with SIGINT.
 */
@DisplayName("record and replay --against a live engine")
class RecordReplayAgainstTest {

  @TempDir
  Path tmp;
  TestServer server;
  Rest rest;

  @BeforeEach
  void start() {
    server = TestServer.start();
    rest = new Rest(server.baseUrl());
    rest.put("tasks", "t1", obj("project_id", "p", "title", "one")).expect(201);
    rest.put("tasks", "t2", obj("project_id", "p", "title", "two", "status", "done")).expect(201);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  @DisplayName("WebSocket with --frames: equal at the last seq (0), doctored (3), moved on (4), another epoch (4)")
  void webSocketAgainstServer() throws Exception {
    Path file = tmp.resolve("ws.jsonl");
    String url = "ws://127.0.0.1:" + server.port() + "/api/collections/tasks/stream/ws?where=project_id:p";
    CompletableFuture<Integer> recording = recordInBackground(file, "record", url, "--frames", "5");
    awaitLines(file, l -> l.contains("\"Ready\""));
    rest.put("tasks", "t3", obj("project_id", "p", "title", "three")).expect(201);
    rest.patch("tasks", "t1", patch(op("replace", "/status", "inprogress"))).expect(200);
    rest.delete("tasks", "t2").expect(204);
    assertEquals(StreamTool.OK, recording.get(30, TimeUnit.SECONDS));
    List<String> lines = Files.readAllLines(file);
    assertTrue(lines.get(lines.size() - 1).contains("\"stopped\":\"frames\""), lines.get(lines.size() - 1));

    Run equal = Run.tool("replay", file.toString(), "--against", server.baseUrl());
    assertEquals(StreamTool.OK, equal.code(), equal.err());
    assertTrue(equal.err().contains("EQUAL"), equal.err());
    JsonNode printed = Rest.parse(equal.out());
    assertEquals(rest.list("tasks", "project_id:p").json().get("tasks"), printed.get("tasks"));

    Path doctored = tmp.resolve("doctored.jsonl");
    Files.write(doctored, lines.stream().map(l -> l.replace("\"three\"", "\"THREE\"")).toList());
    Run different = Run.tool("replay", doctored.toString(), "--against", server.baseUrl());
    assertEquals(StreamTool.DIFFERENT, different.code(), different.err());
    assertTrue(different.err().contains("DIFFERENT") && different.err().contains("t3"), different.err());

    rest.put("projects", "p", obj("name", "a write elsewhere moves the store on")).expect(201);
    Run movedOn = Run.tool("replay", file.toString(), "--against", server.baseUrl());
    assertEquals(StreamTool.NOT_COMPARABLE, movedOn.code(), movedOn.err());
    assertTrue(movedOn.err().contains("MOVED_ON") && movedOn.err().contains("happen to be equal"), movedOn.err());

    try (TestServer other = TestServer.start()) {
      Run otherEpoch = Run.tool("replay", file.toString(), "--against", other.baseUrl());
      assertEquals(StreamTool.NOT_COMPARABLE, otherEpoch.code(), otherEpoch.err());
      assertTrue(otherEpoch.err().contains("OTHER_EPOCH"), otherEpoch.err());
    }
  }

  @Test
  @DisplayName("SSE with --duration, filtered by status: equal at the last seq")
  void sseAgainstServer() throws Exception {
    Path file = tmp.resolve("sse.jsonl");
    String url = server.baseUrl() + "/api/collections/tasks/stream/sse?where=status:todo";
    CompletableFuture<Integer> recording = recordInBackground(file, "record", url, "--duration", "3s");
    awaitLines(file, l -> l.contains("\"ready\""));
    rest.patch("tasks", "t2", patch(op("replace", "/status", "todo"))).expect(200);
    rest.patch("tasks", "t1", patch(op("replace", "/status", "inreview"))).expect(200);
    rest.put("tasks", "t4", obj("project_id", "q", "title", "four")).expect(201);
    awaitLines(file, l -> l.contains("/tasks/t4"));
    assertEquals(StreamTool.OK, recording.get(30, TimeUnit.SECONDS));
    List<String> lines = Files.readAllLines(file);
    assertTrue(lines.get(lines.size() - 1).contains("\"stopped\":\"duration\""), lines.get(lines.size() - 1));
    Run equal = Run.tool("replay", file.toString(), "--against", server.baseUrl());
    assertEquals(StreamTool.OK, equal.code(), equal.err());
    assertEquals(List.of("t2", "t4"), fieldNames(Rest.parse(equal.out()).get("tasks")));
  }

  @Test
  @DisplayName("runs as the jar's sub-command in its own JVM and ends cleanly on SIGTERM")
  void childProcessStopsOnSigterm() throws Exception {
    recordInChildAndStop("TERM", List.of());
  }

  /**
   * Ctrl-C. A shell starts background jobs with SIGINT ignored, the child inherits that, and a
   * JVM that starts with SIGINT ignored never installs its handler (HotSpot leaves ignored
   * shutdown signals alone, and no Java API can reset them). So the child is started through
   * {@code env --default-signal=INT} (GNU coreutils), which restores the default before exec,
   * as a terminal would have it; without that, the test runs only where SIGINT reaches the child.
   */
  @Test
  @DisplayName("runs as the jar's sub-command in its own JVM and ends cleanly on SIGINT (Ctrl-C)")
  void childProcessStopsOnSigint() throws Exception {
    List<String> launcher = envCanResetSigint() ? List.of("env", "--default-signal=INT") : List.of();
    Assumptions.assumeTrue(!launcher.isEmpty() || !sigintIgnored("self"),
        "SIGINT is ignored in this process (a background job?) and env --default-signal is missing:"
            + " a child JVM could not receive it");
    recordInChildAndStop("INT", launcher);
  }

  private void recordInChildAndStop(String signal, List<String> launcher) throws Exception {
    Path file = tmp.resolve("child.jsonl");
    String url = "ws://127.0.0.1:" + server.port() + "/api/collections/tasks/stream/ws";
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new java.util.ArrayList<>(launcher);
    cmd.addAll(List.of(java, "-cp", System.getProperty("java.class.path"),
        "dev.patchwire.server.Main", "record", url));
    Process p = new ProcessBuilder(cmd)
        .redirectOutput(file.toFile())
        .redirectError(tmp.resolve("child.err").toFile())
        .start();
    try {
      awaitLines(file, l -> l.contains("\"Ready\""));
      if (signal.equals("INT")) {
        assertFalse(sigintIgnored(Long.toString(p.pid())), "the child JVM ignores SIGINT");
      }
      long seq = rest.put("tasks", "t5", obj("project_id", "p", "title", "five")).expect(201).seq();
      awaitLines(file, l -> l.contains("\"seq\":" + seq));
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
      assertEquals(0, kill.waitFor());
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "record exits after SIG" + signal);
      List<String> lines = Files.readAllLines(file);
      assertTrue(lines.get(lines.size() - 1).contains("\"stopped\":\"interrupted\""), String.join("\n", lines));
      Run equal = Run.tool("replay", file.toString(), "--against", server.baseUrl());
      assertEquals(StreamTool.OK, equal.code(), equal.err());
    } finally {
      p.destroyForcibly();
    }
  }

  /** True when {@code env --default-signal=INT} works here (GNU coreutils 8.31 and later). */
  private static boolean envCanResetSigint() {
    try {
      Process p = new ProcessBuilder("env", "--default-signal=INT", "true")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  /** Whether process {@code pid} ("self" for this one) ignores SIGINT; false where /proc is missing. */
  private static boolean sigintIgnored(String pid) throws Exception {
    Path status = Path.of("/proc", pid, "status");
    if (!Files.exists(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
        return (mask & (1L << (2 - 1))) != 0; // SIGINT is signal 2, bit 1
      }
    }
    return false;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> out = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(out::add);
    out.sort(null);
    return out;
  }

  private static CompletableFuture<Integer> recordInBackground(Path file, String... args) throws Exception {
    PrintStream out = new PrintStream(Files.newOutputStream(file), true, StandardCharsets.UTF_8);
    return CompletableFuture.supplyAsync(() -> {
      try (out) {
        return StreamTool.run(args, out, System.err);
      }
    });
  }

  private static void awaitLines(Path file, Predicate<String> p) throws Exception {
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(file) && Files.readAllLines(file).stream().anyMatch(p)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no matching line in " + file + " within 20 s: "
        + (Files.exists(file) ? Files.readString(file) : "(no file)"));
  }
}
