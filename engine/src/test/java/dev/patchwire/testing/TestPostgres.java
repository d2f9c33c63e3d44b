package dev.patchwire.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for the tests: Debian's server binaries
 * ({@code /usr/lib/postgresql/N/bin}), {@code initdb} in a temp folder, {@code pg_ctl start} on
 * 127.0.0.1 and a free port, its socket in the same folder. As root the commands run as the
 * {@code postgres} user (PostgreSQL refuses to run as root). One cluster per test JVM, stopped by
 * its own {@code pg_ctl stop} when the JVM ends (or by {@link #stop()}); each test takes a fresh
 * database of it with {@link #newDatabaseUrl()}.
 */
public final class TestPostgres {

  private static TestPostgres shared;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgres;

  private TestPostgres(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /** The server binaries, or null when PostgreSQL is not installed. */
  public static Path binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
          .orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  /** The cluster of this JVM, started on first use. */
  public static synchronized TestPostgres shared() {
    if (shared == null) {
      shared = start();
      TestPostgres p = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(p::stop, "test-postgres-stop"));
    }
    return shared;
  }

  /** A new cluster of its own (a test that restarts PostgreSQL must not disturb the others). */
  public static TestPostgres start() {
    Path bin = binaries();
    if (bin == null) {
      throw new IllegalStateException("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)");
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    try {
      Path dir = Files.createTempDirectory("patchwire-pg");
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()), false, 30);
      }
      TestPostgres pg = new TestPostgres(bin, dir, freePort(), root);
      pg.pg(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
          "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"), 120);
      pg.startServer();
      return pg;
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the PostgreSQL folder", e);
    }
  }

  /** {@code pg_ctl start}, waiting until it accepts connections. */
  public void startServer() {
    // fsync off: a throwaway cluster; the engine's durability against kill -9 of a node does not
    // depend on it (the database process survives that), only a crash of the machine would
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
        dir.resolve("pg.log").toString(), "-w", "-t", "60", "-o",
        "-c listen_addresses=127.0.0.1 -p " + port + " -k " + dir + " -c fsync=off"
            + " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"), 90);
  }

  /** {@code pg_ctl restart -m fast} under whatever traffic runs. */
  public void restart() {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
        dir.resolve("pg.log").toString(), "-m", "fast", "-w", "-t", "60", "restart"), 90);
  }

  /** {@code pg_ctl stop -m fast}, keeping the data: {@link #startServer()} brings it back. */
  public void stopServer() {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast",
        "-w", "-t", "60", "stop"), 90);
  }

  /**
   * {@code pg_ctl stop -m immediate} of this cluster only (a throwaway: no shutdown checkpoint,
   * which after a few hundred test databases takes longer than the JVM's exit may), then its
   * folder is removed.
   */
  public synchronized void stop() {
    if (!Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
      return;
    }
    try {
      pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
          "-w", "-t", "30", "stop"), 60);
    } catch (RuntimeException e) {
      System.err.println("could not stop the test PostgreSQL: " + e.getMessage());
    }
    deleteTree(dir);
  }

  public int port() { return port; }

  /** A fresh, empty database of this cluster. */
  public String newDatabaseUrl() {
    String name = "pw_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    psql("CREATE DATABASE " + name);
    return url(name);
  }

  public String url(String database) {
    return "postgresql://postgres@127.0.0.1:" + port + "/" + database;
  }

  /** Runs one statement with psql on database {@code postgres}; its output. */
  public String psql(String sql) {
    return run(List.of(bin.resolve("psql").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
        "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql), false, 60);
  }

  /** Runs one statement on {@code database}; its output. */
  public String psql(String database, String sql) {
    return run(List.of(bin.resolve("psql").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
        "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql), false, 60);
  }

  private String pg(List<String> cmd, int timeoutSeconds) {
    return run(cmd, asPostgres, timeoutSeconds);
  }

  private static String run(List<String> cmd, boolean asPostgres, int timeoutSeconds) {
    List<String> full = new ArrayList<>();
    if (asPostgres) {
      StringBuilder line = new StringBuilder();
      for (String part : cmd) {
        line.append(line.length() == 0 ? "" : " ").append("'").append(part.replace("'", "'\\''")).append("'");
      }
      full.addAll(List.of("su", "postgres", "-s", "/bin/sh", "-c", line.toString()));
    } else {
      full.addAll(cmd);
    }
    try {
      Path out = Files.createTempFile("patchwire-pg-cmd", ".log");
      try {
        // no terminal and no inherited stdin: pg_ctl's child must not hold the test's pipes
        Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(out.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException("timed out: " + full);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
          throw new IllegalStateException("failed (" + p.exitValue() + "): " + full + "\n" + text);
        }
        return text.strip();
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + full, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + full, e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temp folder: best effort
    }
  }
}
