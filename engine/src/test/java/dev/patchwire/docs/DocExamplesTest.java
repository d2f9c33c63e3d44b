package dev.patchwire.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.TestPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * Every shell example in README.md and docs/*.md, read from the markdown and run with bash as
 * shown, in document order, against an engine on a fresh demo database. What a person does by
 * hand the harness does too, and only that:
 *
 * <ul>
 *   <li>the engine listens on a free port, written in for {@code 127.0.0.1:8080};
 *   <li>{@code java -jar engine/target/patchwire.jar} runs the same {@code Main} from the test
 *       class path (the jar is built after the tests);
 *   <li>{@code npx wscat -c} (which needs the network) is {@link WsCat}; lines shown as
 *       {@code < ...} are its expected output: the same kinds of message, in the same order; a
 *       live patch shown there is made by the test meanwhile (the "other terminal");
 *   <li>a stream that runs until Ctrl-C ({@code curl -N}, {@code record}) is stopped after 2 s;
 *   <li>an engine started with {@code &} is waited for before the next line, on its own port and
 *       a fresh data folder (PATCHWIRE_PORT, PATCHWIRE_DATA), and stopped at the end of its block;
 *   <li>placeholders shown as {@code 5f0c…} take the engine's real epoch; the operations doc's
 *       restore runs on the test engine's folder while it is stopped, at the paths shown there;
 *   <li>the README's "Several nodes" (PostgreSQL, three nodes, HAProxy in the background) runs
 *       with free ports for {@code PORT} and {@code PGPORT}, is checked as a user would (every
 *       node, HAProxy, the board, a write seen on another node), and its stop block then runs in
 *       the same shell and must stop all of it.
 * </ul>
 *
 * Blocks that build (mvn), install into the system (sudo) or run a server in the foreground are
 * not run, each for the reason its skipped test gives.
 */
@DisplayName("Shell examples in the docs")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DocExamplesTest {

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  private static final Pattern BLOCK = Pattern.compile("^```(sh|bash|shell)\\n(.*?)^```", Pattern.MULTILINE | Pattern.DOTALL);
  private static final String JAR = "java -jar engine/target/patchwire.jar";
  /** The engine started without a subcommand, and without & (runs until Ctrl-C). */
  private static final Pattern FOREGROUND_SERVER =
      Pattern.compile("(?m)^(\\w+=\\S+ )*" + Pattern.quote(JAR) + "( --[\\w-]+)*\\s*$");
  private static final Pattern LIVE_OP = Pattern.compile(
      "\\{\"op\":\"replace\",\"path\":\"/(\\w+)/([\\w-]+)(/[\\w/]+)\",\"value\":(\"[^\"]*\")\\}");

  record Block(String file, int line, String text) {
    String name() {
      return file + ":" + line;
    }
  }

  private Path tmp;
  private Path data;
  private ProcessServer engine;

  @BeforeAll
  void startEngine() throws IOException {
    tmp = Files.createTempDirectory("patchwire-docs");
    data = tmp.resolve("demo-data");
    engine = ProcessServer.startSeeded(data);
  }

  @AfterAll
  void stopEngine() {
    if (engine != null) {
      engine.close();
    }
    ProcessServer.deleteTree(tmp);
  }

  @TestFactory
  Stream<DynamicTest> everyShellExample() throws IOException {
    List<Block> blocks = blocks();
    assertTrue(blocks.size() >= 10, "found only " + blocks.size() + " shell blocks");
    return blocks.stream().map(b -> DynamicTest.dynamicTest(b.name(), () -> run(b)));
  }

  static List<Block> blocks() throws IOException {
    List<Path> files = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    List<Block> blocks = new ArrayList<>();
    for (Path f : files) {
      String md = Files.readString(f);
      Matcher m = BLOCK.matcher(md);
      while (m.find()) {
        int line = (int) md.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
        blocks.add(new Block(ROOT.relativize(f).toString(), line, m.group(2)));
      }
    }
    return blocks;
  }

  /** Why a block is not run, or null. */
  static String notRun(Block b) {
    if (b.text().lines().anyMatch(l -> l.startsWith("mvn "))) {
      return "a build or test command: CI runs the build itself (mvn inside a Maven test would recurse)";
    }
    if (b.text().contains("sudo ")) {
      return "installs into the system (systemd unit, /opt)";
    }
    if (stopsNodes(b)) {
      return "stops what the block before it started: run with that block, after its checks";
    }
    if (FOREGROUND_SERVER.matcher(b.text()).find()) {
      return "runs a server in the foreground until Ctrl-C (MainProcessTest starts one configured by PATCHWIRE_* variables)";
    }
    return null;
  }

  private void run(Block b) throws Exception {
    String reason = notRun(b);
    Assumptions.assumeTrue(reason == null, reason);
    if (startsNodes(b)) {
      List<Block> all = blocks();
      Block stop = all.stream().skip(all.indexOf(b) + 1).filter(DocExamplesTest::stopsNodes).findFirst()
          .orElseThrow(() -> new AssertionError(b.name() + ": no block after it stops the nodes"));
      runSeveralNodes(b, stop);
      return;
    }
    boolean ownEngine = b.text().lines().anyMatch(l -> l.contains(JAR + " ") && l.trim().contains("&")
        && !l.contains(JAR + " token") && !l.contains(JAR + " record") && !l.contains(JAR + " replay"));
    boolean restore = b.text().contains("org.h2.tools.Shell");
    int port = ownEngine ? freePort() : engine.port();
    String epochBefore = restore || ownEngine ? null : epoch();
    if (restore) {
      epochBefore = epoch();
      engine.stop();
    }

    List<String> expected = new ArrayList<>();
    StringBuilder script = new StringBuilder(prelude());
    for (String line : b.text().split("\n")) {
      if (line.startsWith("< ")) {
        expected.add(line.substring(2));
        continue;
      }
      String l = line.replace("127.0.0.1:8080", "127.0.0.1:" + port)
          .replace(JAR, "pw_jar")
          .replace("npx wscat -c", "pw_wscat")
          .replace("5f0c…", epochBefore == null ? "5f0c" : epochBefore)
          .replace("/opt/patchwire/patchwire.jar", System.getProperty("java.class.path"))
          .replace("/var/lib/patchwire/data", data.toAbsolutePath().toString());
      if (l.trim().startsWith("curl -N") || l.trim().startsWith("pw_jar record")) {
        l = "pw_stream " + l.trim();
      }
      script.append(l).append('\n');
      if (ownEngine && l.contains("pw_jar") && l.trim().contains("&")) {
        script.append("pw_wait\n");
      }
    }

    script.append("export -p | grep -v -E '^declare -x (PW_|PATCHWIRE_PORT=|PATCHWIRE_DATA=)' > \"$PW_STATE\"\n");
    Path work = Files.createDirectories(tmp.resolve("work"));
    Path out = tmp.resolve("out-" + b.line() + ".txt");
    Path pids = tmp.resolve("pids-" + b.line());
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", script.toString())
        .directory(work.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PATCHWIRE_"));
    env.put("PW_CP", System.getProperty("java.class.path"));
    env.put("PW_PORT", Integer.toString(port));
    env.put("PW_PIDS", pids.toString());
    env.put("PW_STATE", tmp.resolve("state-" + b.file().replace('/', '_')).toString());
    if (ownEngine) {
      env.put("PATCHWIRE_PORT", Integer.toString(port));
      env.put("PATCHWIRE_DATA", tmp.resolve("data-" + b.line()).toString());
    }
    Process bash = pb.start();
    try {
      Matcher live = expected.stream().map(LIVE_OP::matcher).filter(Matcher::find).findFirst().orElse(null);
      if (live != null) {
        // the "other terminal": the write the shown live patch comes from, once the stream is ready
        awaitOutput(out, "< {\"Ready\"", bash);
        new Rest(engine.baseUrl()).patch(live.group(1), live.group(2), Rest.parse(
            "[{\"op\":\"replace\",\"path\":\"" + live.group(3) + "\",\"value\":" + live.group(4) + "}]")).expect(200);
      }
      boolean done = bash.waitFor(90, TimeUnit.SECONDS);
      String output = Files.readString(out, StandardCharsets.UTF_8);
      assertTrue(done, "still running after 90 s:\n" + output);
      assertEquals(0, bash.exitValue(), "the block failed:\n" + script + "\n--- output:\n" + output);
      assertFalse(Pattern.compile("HTTP/1\\.1 [45]\\d\\d").matcher(output).find(),
          "an error answer:\n" + output);
      assertFalse(output.contains("\"error\""), "an error:\n" + output);
      List<String> received = output.lines().filter(l -> l.startsWith("< ")).map(l -> kind(l.substring(2))).toList();
      List<String> shown = expected.stream().map(DocExamplesTest::kind).toList();
      assertTrue(received.size() >= shown.size() && received.subList(0, shown.size()).equals(shown),
          "shown " + shown + ", received " + received + ":\n" + output);
      if (live != null) {
        assertTrue(output.contains(live.group(0)), "the live patch shown:\n" + output);
      }
      if (b.text().contains("pw_wscat") || b.text().contains("npx wscat")) {
        assertTrue(output.contains("< {\"Ready\""), "no Ready:\n" + output);
      }
    } finally {
      bash.destroyForcibly();
      stopStarted(pids);
    }
    if (restore) {
      engine = ProcessServer.startSeeded(data);
      assertNotEquals(epochBefore, epoch(), "after the restore procedure the engine starts a new epoch");
    }
  }

  /** The README's "Several nodes": PostgreSQL, three nodes and HAProxy, started in the background. */
  static boolean startsNodes(Block b) {
    return b.text().contains("initdb ");
  }

  /** The block that stops them again, run in the same shell after the checks. */
  static boolean stopsNodes(Block b) {
    return b.text().contains("pg_ctl -D $D/data -m fast -w stop");
  }

  /**
   * The two "Several nodes" blocks as one terminal runs them: the first one with PORT and PGPORT
   * set to free ports, then the checks a user makes by hand (every node up, HAProxy reaching all
   * three and serving the board, a write on one node read back on another), then, in the same
   * shell, the second one, which must stop everything the first started.
   */
  private void runSeveralNodes(Block start, Block stop) throws Exception {
    Assumptions.assumeTrue(TestPostgres.binaries() != null, "PostgreSQL is not installed (.ci/run installs it)");
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/haproxy")), "HAProxy is not installed (.ci/run installs it)");
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "the block runs as root, as the README says (chown, su postgres)");
    int port = freePorts(4);
    int pgPort = freePort();
    // mktemp -d makes the cluster's folder in here: the postgres user must be able to reach it
    Path dir = Files.createTempDirectory("patchwire-nodes");
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path work = Files.createDirectories(dir.resolve("work"));
    Path out = dir.resolve("out.txt");
    Path pids = dir.resolve("pids");
    Path go = dir.resolve("go");
    String script = String.join("\n",
        "set -e",
        // the jar's Main from the test class path, exec'd so that $! is the JVM; each PID noted
        "pw_jar() { echo $BASHPID >> \"$PW_PIDS\"; exec java -Xmx256m -XX:TieredStopAtLevel=1 -cp \"$PW_CP\""
            + " dev.patchwire.server.Main \"$@\"; }",
        "haproxy() { echo $BASHPID >> \"$PW_PIDS\"; exec haproxy \"$@\"; }",
        start.text().replace(JAR, "pw_jar").replace("deploy/haproxy.cfg", ROOT.resolve("deploy/haproxy.cfg").toString()),
        "echo pw-started",
        "while [ ! -e \"$PW_GO\" ]; do sleep 0.2; done",
        stop.text(),
        "echo pw-stopped",
        "");
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", script)
        .directory(work.toFile()).redirectErrorStream(true).redirectOutput(out.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("PATCHWIRE_") || k.startsWith("PG"));
    env.put("PORT", Integer.toString(port));
    env.put("PGPORT", Integer.toString(pgPort));
    env.put("TMPDIR", dir.toString());
    env.put("PW_CP", System.getProperty("java.class.path"));
    env.put("PW_PIDS", pids.toString());
    env.put("PW_GO", go.toString());
    Process bash = pb.start();
    try {
      awaitOutput(out, "pw-started", bash, 120);
      List<String> nodes = List.of("node1", "node2", "node3");
      for (int i = 1; i <= 3; i++) {
        Rest node = new Rest("http://127.0.0.1:" + (port + i));
        JsonNode health = await("node" + i + " up on " + (port + i), 90, () -> {
          Rest.Response r = node.send("GET", "/health", null, null);
          return r.status() == 200 ? r.json() : null;
        });
        assertEquals("node" + i, health.path("node").asText());
        assertEquals("postgresql", health.path("store").asText());
      }
      // HAProxy balances over all three once it has seen them up (two checks, 1 s apart)
      Rest proxy = new Rest("http://127.0.0.1:" + port);
      java.util.Set<String> seen = new java.util.TreeSet<>();
      await("HAProxy on " + port + " reaching " + nodes, 30, () -> {
        Rest.Response r = proxy.send("GET", "/health", null, null);
        if (r.status() == 200) {
          seen.add(r.json().path("node").asText());
        }
        return seen.containsAll(nodes) ? seen : null;
      });
      Rest.Response board = proxy.send("GET", "/", null, null).expect(200);
      assertTrue(board.body().contains("data-testid=\"board\""), "the board through HAProxy:\n" + board.body());
      assertEquals(java.util.Set.of("task-1", "task-2", "task-3", "task-4", "task-5"),
          fieldNames(proxy.list("tasks", "project_id:demo").expect(200).json().path("tasks")), "the demo board, seeded once");
      // a write on node1 reads back on node3 and through HAProxy
      new Rest("http://127.0.0.1:" + (port + 1)).put("tasks", "from-node1",
          Rest.obj("project_id", "demo", "title", "written on node1")).expect(201);
      Rest node3 = new Rest("http://127.0.0.1:" + (port + 3));
      await("node1's write on node3", 10, () -> node3.get("tasks", "from-node1").status() == 200 ? true : null);
      assertEquals("written on node1", node3.get("tasks", "from-node1").json().path("title").asText());
      assertEquals("written on node1", proxy.get("tasks", "from-node1").expect(200).json().path("title").asText());

      Files.createFile(go);
      assertTrue(bash.waitFor(90, TimeUnit.SECONDS), "the stop block still runs after 90 s:\n" + Files.readString(out));
      String output = Files.readString(out, StandardCharsets.UTF_8);
      assertEquals(0, bash.exitValue(), "the blocks failed:\n" + script + "\n--- output:\n" + output);
      assertTrue(output.contains("pw-stopped"), output);
      // everything it started has stopped: the nodes and HAProxy, PostgreSQL, its folder
      for (String pid : Files.readAllLines(pids)) {
        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(h -> {
          try {
            h.onExit().get(20, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new AssertionError("process " + pid + " still runs after the stop block", e);
          }
        });
      }
      for (int p : new int[] {port, port + 1, port + 2, port + 3, pgPort}) {
        assertFalse(listening(p), "port " + p + " still open after the stop block");
      }
      try (Stream<Path> left = Files.list(dir)) {
        assertEquals(List.of("go", "out.txt", "pids", "work"), left.map(f -> f.getFileName().toString()).sorted().toList(),
            "the cluster's folder is removed");
      }
    } finally {
      if (bash.isAlive() && !Files.exists(go)) {
        Files.createFile(go);  // a failed check: the stop block still stops what the first one started
        bash.waitFor(60, TimeUnit.SECONDS);
      }
      bash.destroyForcibly();
      stopStarted(pids);
      stopClusters(dir);
      ProcessServer.deleteTree(dir);
    }
  }

  private interface Probe<T> {
    T get() throws Exception;
  }

  /** Polls {@code probe} until it gives non-null (a refused connection counts as not yet). */
  private static <T> T await(String what, int seconds, Probe<T> probe) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Throwable last = null;
    while (System.nanoTime() < end) {
      try {
        T value = probe.get();
        if (value != null) {
          return value;
        }
      } catch (AssertionError | RuntimeException notYet) {
        last = notYet;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + what + " within " + seconds + " s", last);
  }

  private static java.util.Set<String> fieldNames(JsonNode object) {
    java.util.Set<String> names = new java.util.TreeSet<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static boolean listening(int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  /** A PostgreSQL cluster the blocks left running (a failure before the stop block): immediate stop. */
  private static void stopClusters(Path dir) throws IOException {
    Path bin = TestPostgres.binaries();
    try (Stream<Path> files = Files.walk(dir, 3)) {
      for (Path pidFile : files.filter(f -> f.getFileName().toString().equals("postmaster.pid")).toList()) {
        String data = pidFile.getParent().toString();
        Process p = new ProcessBuilder("su", "postgres", "-s", "/bin/sh", "-c",
            "'" + bin.resolve("pg_ctl") + "' -D '" + data + "' -m immediate -w -t 30 stop")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
          p.waitFor(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** A free loopback port with the {@code count - 1} after it free too. */
  private static int freePorts(int count) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int first = freePort();
      boolean free = true;
      for (int p = first + 1; p < first + count && free; p++) {
        try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
          // free
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free && first + count <= 65535) {
        return first;
      }
    }
    throw new IOException("no " + count + " free ports in a row");
  }

  /** The kind of a stream message, as the docs show it: snapshot, ready, live, resync, error. */
  static String kind(String message) {
    if (message.startsWith("{\"JsonPatch\"")) {
      return message.contains("\"snapshot\":true") ? "snapshot" : "live";
    }
    if (message.startsWith("{\"Ready\"")) {
      return message.contains("\"resumed\":true") ? "ready(resumed)" : "ready";
    }
    return message.length() > 12 ? message.substring(0, 12) : message;
  }

  private static String prelude() {
    return String.join("\n",
        "set -e",
        // the jar's Main, from the test class path; its PID noted so the test can stop it
        "pw_jar() {",
        "  if [ -n \"$PW_TIMEOUT\" ]; then timeout \"$PW_TIMEOUT\" java -Xmx256m -XX:TieredStopAtLevel=1"
            + " -cp \"$PW_CP\" dev.patchwire.server.Main \"$@\" & else java -Xmx256m -XX:TieredStopAtLevel=1"
            + " -cp \"$PW_CP\" dev.patchwire.server.Main \"$@\" & fi",
        "  local pid=$!; echo $pid >> \"$PW_PIDS\"; wait $pid",
        "}",
        "pw_wscat() { java -cp \"$PW_CP\" dev.patchwire.docs.WsCat -c \"$1\"; }",
        // Ctrl-C: curl -N after 2 s (timeout's 124 is the expected end); record once it has a
        // Ready and a second more (SIGTERM: 143), read from the file its output goes to
        "pw_stream() {",
        "  local s=0",
        "  if [ \"$1\" = pw_jar ]; then",
        "    shift; local target; target=$(readlink /proc/$$/fd/1)",
        "    pw_jar \"$@\" & local job=$!",
        "    for i in $(seq 1 300); do grep -qi '\"ready\"' \"$target\" 2>/dev/null && break; sleep 0.1; done",
        "    sleep 1; kill -TERM $(tail -1 \"$PW_PIDS\"); wait $job || s=$?",
        "    [ $s -eq 0 ] || [ $s -eq 143 ]",
        "  else",
        "    timeout 2 \"$@\" || s=$?",
        "    [ $s -eq 0 ] || [ $s -eq 124 ]",
        "  fi",
        "}",
        // the variables an earlier block of the same page exported, as in one terminal
        "if [ -f \"$PW_STATE\" ]; then . \"$PW_STATE\"; fi",
        "pw_wait() {",
        "  for i in $(seq 1 300); do curl -s -o /dev/null \"http://127.0.0.1:$PW_PORT/health\" && return 0; sleep 0.2; done",
        "  return 1",
        "}",
        "");
  }

  private String epoch() {
    return new Rest(engine.baseUrl()).send("GET", "/health", null, null).json().get("epoch").asText();
  }

  private static void awaitOutput(Path out, String part, Process p) throws Exception {
    awaitOutput(out, part, p, 30);
  }

  private static void awaitOutput(Path out, String part, Process p, int seconds) throws Exception {
    for (int i = 0; i < seconds * 20; i++) {
      if (Files.exists(out) && Files.readString(out, StandardCharsets.UTF_8).contains(part)) {
        return;
      }
      if (!p.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no '" + part + "' in:\n" + (Files.exists(out) ? Files.readString(out) : ""));
  }

  /** Stops the JVMs the block started (their PIDs were written down), by PID only. */
  private static void stopStarted(Path pids) throws IOException {
    if (!Files.exists(pids)) {
      return;
    }
    for (String pid : Files.readAllLines(pids)) {
      ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(h -> {
        h.destroy();
        try {
          h.onExit().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
          h.destroyForcibly();
        }
      });
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
