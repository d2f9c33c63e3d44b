package dev.patchwire.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.impl.EngineOptions;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code Main} as an operator meets it, in child JVMs: one engine configured only by environment
 * variables (wildcard host, JSON logs at debug), and short-lived ones for --version, -h, a busy
 * port and a data folder in use. The engine is stopped with SIGTERM last.
 */
@DisplayName("Main in a child process")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MainProcessTest {

  private Path tmp;
  private Path data;
  private int port;
  private Child engine;

  @BeforeAll
  void startFromEnvironmentOnly() throws Exception {
    tmp = Files.createTempDirectory("patchwire-main");
    data = tmp.resolve("env-data");
    port = freePort();
    Map<String, String> env = Map.of(
        "PATCHWIRE_HOST", "0.0.0.0",
        "PATCHWIRE_PORT", Integer.toString(port),
        "PATCHWIRE_DATA", data.toString(),
        "PATCHWIRE_NO_SEED", "true",
        "PATCHWIRE_COLLECTION", "notes",
        "PATCHWIRE_LOG_FORMAT", "json",
        "PATCHWIRE_LOG_LEVEL", "debug");
    engine = Child.start(List.of(), env);
    engine.awaitStdout(l -> l.contains("patchwire listening on"), 60);
  }

  @AfterAll
  void cleanUp() {
    if (engine != null) {
      engine.process.destroyForcibly();
    }
    ProcessServer.deleteTree(tmp);
  }

  @Test
  @Order(1)
  @DisplayName("PATCHWIRE_* variables alone configure the engine: port, data folder, no seed, an extra collection")
  void configuredByEnvironment() {
    assertTrue(engine.stdout().contains("patchwire listening on http://127.0.0.1:" + port + " "), engine.all());
    assertTrue(engine.stdout().contains("(data " + data.toAbsolutePath()), engine.all());
    Rest rest = new Rest("http://127.0.0.1:" + port);
    JsonNode collections = rest.send("GET", "/api/collections", null, null).expect(200).json().get("collections");
    assertEquals("[\"projects\",\"tasks\",\"notes\"]", collections.toString());
    assertEquals(0, rest.list("tasks").expect(200).json().get("tasks").size(), "PATCHWIRE_NO_SEED=true");
  }

  @Test
  @Order(2)
  @DisplayName("a wildcard bind prints URLs one can open (127.0.0.1 first), never http://0.0.0.0")
  void wildcardUrls() {
    assertFalse(engine.all().contains("http://0.0.0.0"), engine.all());
    JsonNode listening = engine.logLine(l -> l.contains("reachable at"));
    String message = listening.get("formattedMessage").asText();
    assertTrue(message.startsWith("reachable at http://127.0.0.1:" + port), message);
    assertTrue(message.contains("every interface"), message);
    // Netty's native epoll transport ships for Linux x86_64; NIO (with the reason) elsewhere.
    boolean epollHere = System.getProperty("os.name").equals("Linux")
        && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    assertTrue(epollHere ? message.endsWith("(transport epoll)") : message.contains("transport nio"), message);
  }

  @Test
  @Order(3)
  @DisplayName("every stderr line is a JSON object with level, logger and message; startup says version, node and store")
  void jsonLogLines() {
    List<String> lines = engine.stderrLines();
    assertTrue(lines.size() >= 3, engine.all());
    for (String line : lines) {
      JsonNode event = Rest.parse(line);
      assertTrue(event.isObject() && event.has("level") && event.has("loggerName")
          && event.has("formattedMessage") && event.has("timestamp"), line);
    }
    String starting = engine.logLine(l -> l.contains("starting")).get("formattedMessage").asText();
    assertTrue(starting.startsWith("patchwire " + System.getProperty("patchwire.version") + " starting: node "), starting);
    String store = engine.logLine(l -> l.contains("store:")).get("formattedMessage").asText();
    assertTrue(store.contains(data.toAbsolutePath().toString()) && store.contains("epoch"), store);
  }

  @Test
  @Order(4)
  @DisplayName("at debug, a stream's open and close are logged with its filter, close code and counts")
  void streamOpenAndCloseAtDebug() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    WebSocket ws = http.newWebSocketBuilder().buildAsync(
        URI.create("ws://127.0.0.1:" + port + "/api/collections/notes/stream/ws?where=kind:todo"),
        new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            if (data.toString().contains("\"Ready\"")) {
              ready.complete(null);
            }
            socket.request(1);
            return null;
          }
        }).get(20, TimeUnit.SECONDS);
    ready.get(20, TimeUnit.SECONDS);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    engine.awaitStderr(l -> l.contains("closed by the client"), 20);
    JsonNode opened = engine.logLine(l -> l.contains(" opened: "));
    assertEquals("DEBUG", opened.get("level").asText());
    assertTrue(opened.get("formattedMessage").asText().contains("ws notes where=kind:todo"), opened.toString());
    String closed = engine.logLine(l -> l.contains("closed by the client")).get("formattedMessage").asText();
    assertTrue(closed.contains("ws notes where=kind:todo") && closed.contains("0 live messages sent")
        && closed.contains("0 dropped") && closed.contains("0 resyncs"), closed);
  }

  @Test
  @Order(5)
  @DisplayName("a busy port: one ERROR line naming the port, exit 75")
  void busyPort() throws Exception {
    Child second = Child.start(List.of("--port", Integer.toString(port), "--data", tmp.resolve("other").toString(),
        "--no-seed"), Map.of());
    assertEquals(Main.EXIT_PORT_IN_USE, second.exitCode(60), second.all());
    List<String> errors = second.stderrLines().stream().filter(l -> l.contains("ERROR")).toList();
    assertEquals(1, errors.size(), second.all());
    assertTrue(errors.get(0).contains("port " + port + " on 127.0.0.1 is already in use"), errors.get(0));
    assertFalse(second.all().contains("Exception"), "no stack trace: " + second.all());
  }

  @Test
  @Order(6)
  @DisplayName("a data folder another engine holds: one ERROR line naming the folder, exit 73")
  void dataFolderInUse() throws Exception {
    Child second = Child.start(List.of("--port", "0", "--data", data.toString()), Map.of());
    assertEquals(Main.EXIT_DATA_IN_USE, second.exitCode(60), second.all());
    List<String> errors = second.stderrLines().stream().filter(l -> l.contains("ERROR")).toList();
    assertEquals(1, errors.size(), second.all());
    assertTrue(errors.get(0).contains("the data folder " + data.toAbsolutePath() + " is in use by another engine"),
        errors.get(0));
    assertFalse(second.all().contains("Exception"), "no stack trace: " + second.all());
  }

  @Test
  @Order(7)
  @DisplayName("--version prints the build's version; -h and --help list the subcommands and every variable")
  void versionAndHelp() throws Exception {
    Child version = Child.start(List.of("--version"), Map.of());
    assertEquals(0, version.exitCode(30), version.all());
    String v = System.getProperty("patchwire.version");
    assertNotNull(v);
    assertEquals("patchwire " + v, version.stdout().trim());

    Child h = Child.start(List.of("-h"), Map.of());
    assertEquals(0, h.exitCode(30), h.all());
    String help = h.stdout();
    for (String expected : List.of("record URL", "replay FILE", "--version", "-h, --help",
        "--log-format", "PATCHWIRE_PORT", "PATCHWIRE_DATA", "PATCHWIRE_NO_SEED=true")) {
      assertTrue(help.contains(expected), expected + " missing from:\n" + help);
    }
    Child longHelp = Child.start(List.of("--help"), Map.of());
    assertEquals(0, longHelp.exitCode(30), longHelp.all());
    assertEquals(help, longHelp.stdout());
  }

  @Test
  @Order(8)
  @DisplayName("SIGTERM: a line with the reason and the streams closed, then exit 143")
  void sigtermPrintsALine() throws Exception {
    assertTrue(engine.process.isAlive(), "engine alive before SIGTERM:\n" + engine.all());
    engine.process.destroy(); // SIGTERM
    assertEquals(143, engine.exitCode(30), engine.all());
    String stopping = engine.logLine(l -> l.contains("stopping")).get("formattedMessage").asText();
    assertTrue(stopping.startsWith("stopping (SIGTERM): closing 0 streams"), stopping);
    assertTrue(engine.logLine(l -> l.contains("\"stopped: ")).get("level").asText().equals("INFO"));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Main in a child JVM, its stdout and stderr kept apart in files. */
  private static final class Child {
    private static final java.util.concurrent.atomic.AtomicInteger COUNT = new java.util.concurrent.atomic.AtomicInteger();
    final Process process;
    private final Path out;
    private final Path err;

    private Child(Process process, Path out, Path err) {
      this.process = process;
      this.out = out;
      this.err = err;
    }

    static Child start(List<String> args, Map<String, String> env) throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
          "dev.patchwire.server.Main"));
      cmd.addAll(args);
      Path dir = Files.createTempDirectory("patchwire-child");
      int n = COUNT.incrementAndGet();
      Path out = dir.resolve("out-" + n);
      Path err = dir.resolve("err-" + n);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      Map<String, String> childEnv = pb.environment();
      childEnv.keySet().removeIf(k -> k.startsWith(EngineOptions.ENV_PREFIX));
      childEnv.putAll(new HashMap<>(env));
      return new Child(pb.start(), out, err);
    }

    int exitCode(int seconds) throws Exception {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("still running after " + seconds + " s:\n" + all());
      }
      return process.exitValue();
    }

    private static List<String> lines(Path file) {
      try {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    String stdout() {
      return String.join("\n", lines(out)) + "\n";
    }

    List<String> stderrLines() {
      return lines(err);
    }

    String all() {
      return "stdout:\n" + stdout() + "stderr:\n" + String.join("\n", stderrLines());
    }

    /** The first JSON log line that matches. */
    JsonNode logLine(Predicate<String> p) {
      return Rest.parse(stderrLines().stream().filter(p).findFirst()
          .orElseThrow(() -> new AssertionError("no such log line in\n" + all())));
    }

    void awaitStdout(Predicate<String> p, int seconds) throws Exception {
      await(out, p, seconds);
    }

    void awaitStderr(Predicate<String> p, int seconds) throws Exception {
      await(err, p, seconds);
    }

    private void await(Path file, Predicate<String> p, int seconds) throws Exception {
      long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      while (System.nanoTime() < deadline) {
        boolean alive = process.isAlive();
        if (lines(file).stream().anyMatch(p)) {
          return;
        }
        if (!alive) {
          throw new AssertionError("the process ended (" + process.exitValue() + "):\n" + all());
        }
        Thread.sleep(50);
      }
      throw new AssertionError("no matching line within " + seconds + " s:\n" + all());
    }
  }
}
