package dev.patchwire.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for the benchmarks, as the engine's tests start one
 * (engine/src/test/.../TestPostgres, which this module cannot see): Debian's server binaries,
 * {@code initdb} in a temp folder, {@code pg_ctl start} on 127.0.0.1 and a free port, as the
 * {@code postgres} user when run as root. Settings as the tests' (fsync off: a throwaway), so the
 * figures measure the engine and the protocol, not this machine's disk. {@link #close} stops it
 * ({@code pg_ctl stop -m immediate}) and removes the folder.
 */
final class BenchPostgres implements AutoCloseable {

  private final Path bin;
  private final Path dir;
  final int port;
  private final boolean asPostgres;
  private int databases;

  private BenchPostgres(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /** The server binaries, or null when PostgreSQL is not installed. */
  static Path binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(b -> b.getParent().getFileName().toString()))
          .orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  static BenchPostgres start() {
    Path bin = binaries();
    if (bin == null) {
      throw new IllegalStateException("PostgreSQL is not installed (apt-get install postgresql)");
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    try {
      Path dir = Files.createTempDirectory("patchwire-bench-pg");
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()), false, 30);
      }
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      BenchPostgres pg = new BenchPostgres(bin, dir, port, root);
      pg.pg(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
          "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"), 120);
      pg.pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
          dir.resolve("pg.log").toString(), "-w", "-t", "60", "-o",
          "-c listen_addresses=127.0.0.1 -p " + port + " -k " + dir + " -c fsync=off"
              + " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"), 90);
      return pg;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start PostgreSQL", e);
    }
  }

  /** A fresh, empty database: {@code postgresql://postgres@127.0.0.1:PORT/NAME}. */
  String newDatabaseUrl() {
    String name = "bench_" + ProcessHandle.current().pid() + "_" + (++databases);
    run(List.of(bin.resolve("psql").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
        "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At", "-c", "CREATE DATABASE " + name),
        false, 60);
    return "postgresql://postgres@127.0.0.1:" + port + "/" + name;
  }

  /** The pids of the cluster's processes (postmaster and backends), for CPU accounting. */
  List<Long> pids() {
    try {
      long postmaster = Long.parseLong(Files.readAllLines(dir.resolve("data").resolve("postmaster.pid")).get(0).strip());
      List<Long> pids = new ArrayList<>();
      pids.add(postmaster);
      ProcessHandle.of(postmaster).ifPresent(p -> p.children().forEach(c -> pids.add(c.pid())));
      return pids;
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  @Override
  public void close() {
    if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
      try {
        pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
            "-w", "-t", "30", "stop"), 60);
      } catch (RuntimeException e) {
        System.err.println("could not stop the benchmark PostgreSQL: " + e.getMessage());
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temp folder: best effort
    }
  }

  private void pg(List<String> cmd, int timeoutSeconds) {
    run(cmd, asPostgres, timeoutSeconds);
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
      Path out = Files.createTempFile("patchwire-bench-pg", ".log");
      try {
        // no inherited stdin or pipes: pg_ctl's server child must not hold ours
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
}
