package dev.patchwire.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The engine's {@code Main} in a child JVM, on a data folder the test chooses, so that a test can
 * kill it without warning ({@link #kill()}: SIGKILL) and start another on the same data.
 * The child's stdout and stderr are kept (the last lines) for failure messages. With
 * {@code -Dpatchwire.test.store=postgresql} the child runs on a fresh database of the test
 * PostgreSQL ({@link TestPostgres}) per data folder, unless the test passes its own
 * {@code --database-url}.
 */
public final class ProcessServer implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("patchwire listening on http://127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final int port;
  private final List<String> output;

  private ProcessServer(Process process, int port, List<String> output) {
    this.process = process;
    this.port = port;
    this.output = output;
  }

  /**
   * Starts {@code Main --port 0 --data DIR --no-seed [extra]} and waits for its stdout line
   * "patchwire listening on ..." (the log's own "listening on" line may come first).
   */
  public static ProcessServer start(Path dataDir, String... extraArgs) {
    List<String> args = new ArrayList<>(List.of("--no-seed"));
    args.addAll(List.of(extraArgs));
    return startSeeded(dataDir, args.toArray(String[]::new));
  }

  /** As {@link #start}, without {@code --no-seed}: an empty folder gets the kanban demo data. */
  public static ProcessServer startSeeded(Path dataDir, String... extraArgs) {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(javaBin,
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        "dev.patchwire.server.Main", "--port", "0", "--data", dataDir.toString()));
    cmd.addAll(List.of(extraArgs));
    if (TestServer.onPostgres() && !cmd.contains("--database-url")) {
      cmd.addAll(List.of("--database-url", databaseOf(dataDir)));
    }
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      // Main reads every flag from a PATCHWIRE_* variable too: what the shell exported (a JWT
      // secret, a port) must not change the test engines; a test passes what it wants as flags
      pb.environment().keySet().removeIf(k -> k.startsWith(dev.patchwire.impl.EngineOptions.ENV_PREFIX));
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError("cannot start " + cmd, e);
    }
    List<String> output = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          output.add(line);
          if (output.size() > 200) {
            output.remove(0);
          }
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (IOException ignored) {
        // the process is gone
      }
      port.completeExceptionally(new IllegalStateException("process ended before listening"));
    }, "process-server-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ProcessServer(p, port.get(60, TimeUnit.SECONDS), output);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new AssertionError("server process did not report 'listening on': " + e + "\n" + String.join("\n", output), e);
    }
  }

  /** The test PostgreSQL database of each data folder: a server started again on it finds its data. */
  private static final Map<Path, String> DATABASES = new ConcurrentHashMap<>();

  /** A fresh database of the test PostgreSQL for {@code dataDir}, the same one each time. */
  private static String databaseOf(Path dataDir) {
    return DATABASES.computeIfAbsent(dataDir.toAbsolutePath().normalize(),
        d -> TestPostgres.shared().newDatabaseUrl());
  }

  public int port() { return port; }

  public String baseUrl() { return "http://127.0.0.1:" + port; }

  public Process process() { return process; }

  public String output() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }

  /** SIGKILL: no shutdown hook, no flush, no goodbye. Waits until the process is gone. */
  public void kill() {
    process.destroyForcibly();
    waitGone();
  }

  /** SIGTERM: the engine's graceful stop. Waits until the process is gone. */
  public void stop() {
    process.destroy();
    waitGone();
  }

  private void waitGone() {
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  /** Deletes a data folder and everything in it (best effort), once no process uses it. */
  public static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp folder left behind is harmless
    }
  }
}
