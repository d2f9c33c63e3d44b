package dev.patchwire.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
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
 *       restore runs on the test engine's folder while it is stopped, at the paths shown there.
 * </ul>
 *
 * Blocks that build (mvn), install into the system (sudo), start a database cluster of their own
 * (initdb) or run a server in the foreground are not run, each for the reason its skipped test
 * gives.
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
    if (b.text().contains("initdb ")) {
      return "starts a PostgreSQL cluster (port 55432) and HAProxy that outlive the block, as a user"
          + " leaves them running; cluster/MultiNodeTest runs the same set-up (initdb, nodes on one"
          + " database, deploy/haproxy.cfg) on free ports and stops it";
    }
    if (FOREGROUND_SERVER.matcher(b.text()).find()) {
      return "runs a server in the foreground until Ctrl-C (MainProcessTest starts one configured by PATCHWIRE_* variables)";
    }
    return null;
  }

  private void run(Block b) throws Exception {
    String reason = notRun(b);
    Assumptions.assumeTrue(reason == null, reason);
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
    for (int i = 0; i < 600; i++) {
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
