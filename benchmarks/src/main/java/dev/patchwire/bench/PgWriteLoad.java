package dev.patchwire.bench;

import dev.patchwire.json.Json;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Acknowledged writes per second on PostgreSQL with group commit, from one node or several at
 * once (issue 11): starts a throwaway PostgreSQL ({@link BenchPostgres}), N engine nodes as
 * separate JVMs on it ({@code --database-url}, {@code --node-id}), then keeps {@code --in-flight}
 * HTTP PUTs of ~200-byte schemaless documents outstanding against every node, over keep-alive
 * connections, and counts the 2xx answers in the window. It reports writes/s, the CPU of the
 * nodes, of PostgreSQL and of itself (all on the same machine: they share its cores), and stops
 * everything it started.
 */
public final class PgWriteLoad {

  static final String USAGE = String.join("\n",
      "usage: PgWriteLoad [--jar engine/target/patchwire.jar] [options]",
      "  --nodes N             engine nodes on the one PostgreSQL (default 1)",
      "  --in-flight N         PUTs outstanding per node (default 64)",
      "  --warmup S            seconds of writes before the window (default 5)",
      "  --duration S          seconds measured (default 15)",
      "  --bytes N             document size (default 200)",
      "  --label TEXT          label of the JSON line",
      "  --out FILE            append the result as one JSON line");

  static final class Options {
    String jar = "engine/target/patchwire.jar";
    int nodes = 1;
    int inFlight = 64;
    double warmup = 5;
    double duration = 15;
    int bytes = 200;
    String label = "";
    String out;

    static Options parse(String... args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--help")) {
          throw new IllegalArgumentException(USAGE);
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
        }
        String v = args[++i];
        switch (a) {
          case "--jar" -> o.jar = v;
          case "--nodes" -> o.nodes = Integer.parseInt(v);
          case "--in-flight" -> o.inFlight = Integer.parseInt(v);
          case "--warmup" -> o.warmup = Double.parseDouble(v);
          case "--duration" -> o.duration = Double.parseDouble(v);
          case "--bytes" -> o.bytes = Integer.parseInt(v);
          case "--label" -> o.label = v;
          case "--out" -> o.out = v;
          default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
        }
      }
      if (o.nodes < 1 || o.nodes > 8 || o.inFlight < 1 || o.inFlight > 1024 || o.duration <= 0 || o.warmup < 0) {
        throw new IllegalArgumentException("nodes 1-8, in-flight 1-1024, duration > 0, warmup >= 0\n" + USAGE);
      }
      return o;
    }
  }

  /** What one run measured. */
  static final class Result {
    long acked;
    long errors;
    double seconds;
    double nodeCpuSeconds;
    double postgresCpuSeconds;
    double generatorCpuSeconds;
    double loadBefore;
    double loadAfter;

    double writesPerSecond() {
      return acked / seconds;
    }

    JsonObject toJson(Options o) {
      return new JsonObject().put("label", o.label).put("nodes", o.nodes).put("inFlightPerNode", o.inFlight)
          .put("bytes", o.bytes).put("seconds", seconds).put("acked", acked).put("errors", errors)
          .put("writesPerSecond", Math.round(writesPerSecond()))
          .put("nodeCpuSeconds", nodeCpuSeconds).put("postgresCpuSeconds", postgresCpuSeconds)
          .put("generatorCpuSeconds", generatorCpuSeconds)
          .put("cpuMicrosPerWrite", acked == 0 ? null : (nodeCpuSeconds + postgresCpuSeconds) * 1e6 / acked)
          .put("loadAverage", List.of(loadBefore, loadAfter));
    }
  }

  private final Options opt;
  private final PrintStream log;
  private final List<Process> nodes = new ArrayList<>();
  private final List<Path> dataDirs = new ArrayList<>();

  PgWriteLoad(Options opt, PrintStream log) {
    this.opt = opt;
    this.log = log;
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Result r = new PgWriteLoad(o, System.out).run();
    String line = r.toJson(o).encode();
    System.out.println(line);
    if (o.out != null) {
      Files.writeString(Path.of(o.out), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  /** Starts PostgreSQL and the nodes, drives the writes, and stops what it started, whatever happens. */
  Result run() throws Exception {
    try (BenchPostgres pg = BenchPostgres.start()) {
      try {
        String url = pg.newDatabaseUrl();
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < opt.nodes; i++) {
          ports.add(spawnNode(url, i));
        }
        return drive(ports, pg);
      } finally {
        stopNodes();  // before their database
      }
    }
  }

  private Result drive(List<Integer> ports, BenchPostgres pg) throws Exception {
    Vertx vertx = Vertx.vertx();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicBoolean measuring = new AtomicBoolean(false);
    AtomicLong acked = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong outstanding = new AtomicLong();
    try {
      for (int node = 0; node < ports.size(); node++) {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
            .setDefaultHost("127.0.0.1").setDefaultPort(ports.get(node)), new PoolOptions().setHttp1MaxSize(opt.inFlight));
        for (int w = 0; w < opt.inFlight; w++) {
          write(client, node, w, 0, running, measuring, acked, errors, outstanding);
        }
      }
      Thread.sleep((long) (opt.warmup * 1000));
      Result r = new Result();
      r.loadBefore = ProcStats.loadAverage();
      List<Long> nodePids = nodes.stream().map(Process::pid).toList();
      List<Long> pgPids = pg.pids();
      long nodeCpu0 = cpu(nodePids);
      long pgCpu0 = cpu(pgPids);
      long genCpu0 = cpu(List.of(ProcessHandle.current().pid()));
      long t0 = System.nanoTime();
      measuring.set(true);
      Thread.sleep((long) (opt.duration * 1000));
      measuring.set(false);
      long t1 = System.nanoTime();
      r.acked = acked.get();
      r.errors = errors.get();
      r.nodeCpuSeconds = (cpu(nodePids) - nodeCpu0) / 1e9;
      r.postgresCpuSeconds = (cpu(pg.pids()) - pgCpu0) / 1e9;  // backends of the same connections
      r.generatorCpuSeconds = (cpu(List.of(ProcessHandle.current().pid())) - genCpu0) / 1e9;
      r.seconds = (t1 - t0) / 1e9;
      r.loadAfter = ProcStats.loadAverage();
      running.set(false);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (outstanding.get() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      log.printf(Locale.ROOT, "%d node(s), %d in flight each: %d writes acknowledged in %.1f s = %.0f/s, %d errors;"
              + " CPU nodes %.1f s, PostgreSQL %.1f s, generator %.1f s (all on this machine's cores); load %.1f-%.1f%n",
          opt.nodes, opt.inFlight, r.acked, r.seconds, r.writesPerSecond(), r.errors, r.nodeCpuSeconds,
          r.postgresCpuSeconds, r.generatorCpuSeconds, r.loadBefore, r.loadAfter);
      return r;
    } finally {
      running.set(false);
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** One writer: a PUT, and the next one when it is answered, until the run ends. */
  private void write(HttpClient client, int node, int writer, long n, AtomicBoolean running,
      AtomicBoolean measuring, AtomicLong acked, AtomicLong errors, AtomicLong outstanding) {
    if (!running.get()) {
      return;
    }
    String id = "n" + node + "-w" + writer + "-" + (n % 16);
    Buffer body = Buffer.buffer(Json.write(Fixtures.benchDoc(id, n, opt.bytes)));
    outstanding.incrementAndGet();
    Future<Integer> status = client.request(new RequestOptions().setMethod(HttpMethod.PUT)
            .setURI("/api/collections/bench/docs/" + id).putHeader("Content-Type", "application/json"))
        .compose(req -> req.send(body).compose(resp -> resp.body().map(b -> resp.statusCode())));
    status.onComplete(ar -> {
      outstanding.decrementAndGet();
      boolean ok = ar.succeeded() && ar.result() / 100 == 2;
      if (measuring.get()) {
        (ok ? acked : errors).incrementAndGet();
      }
      if (!ok && ar.failed() && !running.get()) {
        return;
      }
      write(client, node, writer, n + 1, running, measuring, acked, errors, outstanding);
    });
  }

  private static long cpu(List<Long> pids) {
    long sum = 0;
    for (long pid : pids) {
      ProcStats.Sample s = ProcStats.read(pid);
      if (s != null) {
        sum += s.cpuNanos();
      }
    }
    return sum;
  }

  private int spawnNode(String databaseUrl, int i) throws Exception {
    Path data = Files.createTempDirectory("patchwire-pgload");
    dataDirs.add(data);
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", opt.jar, "--port", "0", "--data", data.toString(), "--database-url", databaseUrl,
        "--node-id", "load-" + i, "--no-kanban", "--collection", "bench", "--no-seed");
    log.println("spawning: " + String.join(" ", cmd));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    // an open engine, whatever the shell exported
    pb.environment().keySet().removeIf(k -> k.startsWith(dev.patchwire.impl.EngineOptions.ENV_PREFIX));
    Process p = pb.start();
    nodes.add(p);
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try {
        String line;
        while ((line = out.readLine()) != null) {
          int at = line.indexOf("listening on http://");
          if (at >= 0) {
            String hostPort = line.substring(at + "listening on http://".length()).split("[ /]")[0];
            listening.complete(Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1)));
          } else if (line.contains("WARN") || line.contains("ERROR")) {
            log.println("[node " + i + "] " + line);
          }
        }
      } catch (IOException e) {
        // the node went away
      }
      listening.completeExceptionally(new IllegalStateException("node " + i + " exited before listening"));
    }, "pgload-node-" + i);
    reader.setDaemon(true);
    reader.start();
    return listening.get(90, TimeUnit.SECONDS);
  }

  /** SIGTERM to every node this run started (by its own handle), then its data folder. */
  private void stopNodes() {
    for (Process p : nodes) {
      p.destroy();
    }
    for (Process p : nodes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    dataDirs.forEach(Fixtures::deleteTree);
  }
}
