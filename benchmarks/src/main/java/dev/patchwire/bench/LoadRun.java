package dev.patchwire.bench;

import dev.patchwire.wire.Position;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The WebSocket load run: N subscribers on {@code /api/collections/bench/stream/ws}, one writer
 * doing R writes per second over HTTP, and a report of deliveries per second, lost and duplicated
 * deliveries (by seq), write-to-delivery latency (HdrHistogram), connect failures, and the CPU and
 * memory of the server and of the load generator itself.
 *
 * <p>Every write is a PUT of a ~200-byte document {@code d-K} (the first {@code --ids} create
 * documents, the later ones change them) that carries its send time ({@code ts}, this process's
 * {@code System.nanoTime()}), so the subscriber that receives the patch knows the latency. Every
 * subscriber follows the whole collection, so it must receive every acknowledged seq after its
 * snapshot exactly once: what it does not is lost, what it gets twice is duplicated.
 *
 * <p>Run {@code java -cp benchmarks.jar dev.patchwire.bench.LoadRun --help}. Loopback only, and
 * bounded: it stops after warm-up + duration + drain.
 */
public final class LoadRun {

  static final String USAGE = String.join("\n",
      "usage: LoadRun (--url http://127.0.0.1:PORT [--server-pid PID] | --spawn [--jar engine/target/patchwire.jar]) [options]",
      "  --clients N           subscriber WebSockets (default 100)",
      "  --rate R              writes per second (default 100; 0 = idle subscribers only)",
      "  --duration S          measured seconds (default 20)",
      "  --warmup S            seconds of load before measuring (default 5)",
      "  --drain S             at most this long to wait for the last deliveries (default 10)",
      "  --pin                 server on core 0 and this generator on core 1 (taskset)",
      "  --doc-bytes B         document size (default 200)",
      "  --ids K               distinct documents: the first K writes create, later ones change (default 1000)",
      "  --loops L             generator event loops (default 2)",
      "  --connect-concurrency C   connections being opened at once (default 200)",
      "  --heap                measure the server's live heap before and after connecting (jcmd)",
      "  --server-opt OPT      extra JVM option for the spawned server (repeatable), e.g. -Xmx2g",
      "  --server-main CLASS   spawn this main class from LoadRun's class path instead of the engine jar",
      "  --server-arg ARG      extra argument for the spawned server (repeatable)",
      "  --server KIND         what --spawn starts: engine (default), broadcast (BroadcastProto, the bare",
      "                        Vert.x broadcast) or ws (the Node ws hub, benchmarks/ws-hub/hub.js)",
      "  --ws-hub PATH         the Node hub's script (default benchmarks/ws-hub/hub.js or ws-hub/hub.js)",
      "  --nodes N             spawn N engine nodes on --database-url (PostgreSQL): subscribers spread",
      "                        over them round robin, the writer on node 1; latency also per other node",
      "  --database-url URL    postgresql://USER@HOST:PORT/DB for --nodes (a fresh database per run)",
      "  --collection NAME     collection to write and follow (default bench)",
      "  --label TEXT          name of this run in the report",
      "  --out FILE            append the result as one JSON line",
      "  --check               exit 1 on any loss, duplicate or connect failure");

  // ---- options ---------------------------------------------------------------------------

  /** The command line. */
  static final class Options {
    int clients = 100;
    int rate = 100;
    double duration = 20;
    double warmup = 5;
    double drain = 10;
    String url;
    boolean spawn;
    boolean pin;
    String jar = "engine/target/patchwire.jar";
    long serverPid = -1;
    int docBytes = 200;
    int ids = 1000;
    int loops = 2;
    int connectConcurrency = 200;
    boolean heap;
    List<String> serverOpts = new ArrayList<>();
    String serverMain;
    List<String> serverArgs = new ArrayList<>();
    String collection = "bench";
    String server = "engine";
    String wsHub;
    int nodes = 1;
    String databaseUrl;
    String label = "";
    Path out;
    boolean check;

    static Options parse(String... args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--spawn" -> o.spawn = true;
          case "--pin" -> o.pin = true;
          case "--heap" -> o.heap = true;
          case "--check" -> o.check = true;
          default -> {
            if (i + 1 >= args.length) {
              throw new IllegalArgumentException("missing value after " + a);
            }
            String v = args[++i];
            switch (a) {
              case "--clients" -> o.clients = Integer.parseInt(v);
              case "--rate" -> o.rate = Integer.parseInt(v);
              case "--duration" -> o.duration = Double.parseDouble(v);
              case "--warmup" -> o.warmup = Double.parseDouble(v);
              case "--drain" -> o.drain = Double.parseDouble(v);
              case "--url" -> o.url = v;
              case "--jar" -> o.jar = v;
              case "--server-pid" -> o.serverPid = Long.parseLong(v);
              case "--doc-bytes" -> o.docBytes = Integer.parseInt(v);
              case "--ids" -> o.ids = Integer.parseInt(v);
              case "--loops" -> o.loops = Integer.parseInt(v);
              case "--connect-concurrency" -> o.connectConcurrency = Integer.parseInt(v);
              case "--server-opt" -> o.serverOpts.add(v);
              case "--server-main" -> o.serverMain = v;
              case "--server-arg" -> o.serverArgs.add(v);
              case "--collection" -> o.collection = v;
              case "--server" -> o.server = v;
              case "--ws-hub" -> o.wsHub = v;
              case "--nodes" -> o.nodes = Integer.parseInt(v);
              case "--database-url" -> o.databaseUrl = v;
              case "--label" -> o.label = v;
              case "--out" -> o.out = Path.of(v);
              default -> throw new IllegalArgumentException("unknown option " + a);
            }
          }
        }
      }
      if (o.spawn == (o.url != null)) {
        throw new IllegalArgumentException("give either --url or --spawn");
      }
      if (o.clients < 0 || o.rate < 0 || o.duration <= 0 || o.warmup < 0 || o.loops < 1
          || o.nodes < 1 || o.nodes > 8) {
        throw new IllegalArgumentException("bad numbers");
      }
      if (!List.of("engine", "broadcast", "ws").contains(o.server)) {
        throw new IllegalArgumentException("--server wants engine, broadcast or ws, not " + o.server);
      }
      if (o.nodes > 1 && (!o.spawn || !o.server.equals("engine") || o.databaseUrl == null)) {
        throw new IllegalArgumentException("--nodes N wants --spawn, the engine and --database-url");
      }
      return o;
    }
  }

  // ---- result ----------------------------------------------------------------------------

  /** What a run measured; {@link #toJson()} is the line {@code --out} appends. */
  public static final class Result {
    public String label;
    public int clients;
    public int rate;
    public double durationSeconds;
    public int connected;
    public int connectFailures;
    public long writesSent;
    public long writesAcked;
    public long writeErrors;
    public long writerBehind;
    /** Writes still unanswered when LoadRun stopped waiting (60 s after the window). */
    public long writesUnanswered;
    public long deliveries;
    public double deliveriesPerSecond;
    public double offeredPerSecond;
    public long lost;
    public long duplicated;
    public long resyncFrames;
    public long errorFrames;
    public long closedEarly;
    public Histogram latencyMicros;
    /** With --nodes: latency of the subscribers on nodes other than the writer's. */
    public Histogram otherNodeLatencyMicros;
    public int nodes = 1;
    public String server = "engine";
    public Histogram writeAckMicros;
    public double serverCpuSeconds = -1;
    public double serverUserSeconds = -1;
    public double serverSystemSeconds = -1;
    public double serverCpuMicrosPerDelivery = -1;
    public double serverCoreUse = -1;
    public long serverRssBytes = -1;
    public long serverPeakRssBytes = -1;
    public long heapBeforeBytes = -1;
    public long heapAfterBytes = -1;
    public double generatorCpuSeconds;
    public double generatorCoreUse;
    public int generatorCores;
    public boolean generatorSaturated;
    public long serverDrops = -1;
    public long serverResyncs = -1;
    public boolean pinned;
    /** Seconds the server's threads waited for a CPU during the window (other processes). */
    public double serverRunQueueSeconds = -1;
    public double generatorRunQueueSeconds = -1;
    public double loadAverageStart = -1;
    public double loadAverageEnd = -1;
    /** Server CPU seconds in the window by thread group, largest first. */
    public java.util.Map<String, Double> serverThreads = new java.util.LinkedHashMap<>();

    public boolean clean() {
      return lost == 0 && duplicated == 0 && connectFailures == 0 && closedEarly == 0;
    }

    double heapPerClientBytes() {
      return heapBeforeBytes < 0 || heapAfterBytes < 0 || connected == 0 ? -1
          : (heapAfterBytes - heapBeforeBytes) / (double) connected;
    }

    JsonObject toJson() {
      JsonObject j = new JsonObject()
          .put("label", label).put("date", Instant.now().toString())
          .put("server", server).put("nodes", nodes)
          .put("clients", clients).put("rate", rate).put("durationSeconds", durationSeconds)
          .put("pinned", pinned)
          .put("connected", connected).put("connectFailures", connectFailures)
          .put("writesSent", writesSent).put("writesAcked", writesAcked).put("writeErrors", writeErrors)
          .put("writerBehind", writerBehind).put("writesUnanswered", writesUnanswered)
          .put("deliveries", deliveries).put("deliveriesPerSecond", round(deliveriesPerSecond))
          .put("offeredPerSecond", round(offeredPerSecond))
          .put("lost", lost).put("duplicated", duplicated).put("resyncFrames", resyncFrames)
          .put("errorFrames", errorFrames).put("closedEarly", closedEarly)
          .put("serverCpuSeconds", round(serverCpuSeconds))
          .put("serverUserSeconds", round(serverUserSeconds))
          .put("serverSystemSeconds", round(serverSystemSeconds))
          .put("serverCpuMicrosPerDelivery", round(serverCpuMicrosPerDelivery))
          .put("serverCoreUse", round(serverCoreUse))
          .put("serverRssBytes", serverRssBytes).put("serverPeakRssBytes", serverPeakRssBytes)
          .put("heapBeforeBytes", heapBeforeBytes).put("heapAfterBytes", heapAfterBytes)
          .put("heapPerClientBytes", round(heapPerClientBytes()))
          .put("generatorCpuSeconds", round(generatorCpuSeconds))
          .put("generatorCoreUse", round(generatorCoreUse)).put("generatorCores", generatorCores)
          .put("generatorSaturated", generatorSaturated)
          .put("serverDrops", serverDrops).put("serverResyncs", serverResyncs)
          .put("serverRunQueueSeconds", round(serverRunQueueSeconds))
          .put("generatorRunQueueSeconds", round(generatorRunQueueSeconds))
          .put("loadAverageStart", loadAverageStart).put("loadAverageEnd", loadAverageEnd);
      JsonObject threads = new JsonObject();
      serverThreads.forEach((k, v) -> threads.put(k, round(v)));
      j.put("serverThreadCpuSeconds", threads);
      if (latencyMicros != null && latencyMicros.getTotalCount() > 0) {
        j.put("latencyMillis", percentiles(latencyMicros));
      }
      if (writeAckMicros != null && writeAckMicros.getTotalCount() > 0) {
        j.put("writeAckMillis", percentiles(writeAckMicros));
      }
      if (otherNodeLatencyMicros != null && otherNodeLatencyMicros.getTotalCount() > 0) {
        j.put("otherNodeLatencyMillis", percentiles(otherNodeLatencyMicros));
      }
      return j;
    }

    private static JsonObject percentiles(Histogram h) {
      return new JsonObject()
          .put("p50", h.getValueAtPercentile(50) / 1000.0)
          .put("p90", h.getValueAtPercentile(90) / 1000.0)
          .put("p99", h.getValueAtPercentile(99) / 1000.0)
          .put("p999", h.getValueAtPercentile(99.9) / 1000.0)
          .put("max", h.getMaxValue() / 1000.0)
          .put("count", h.getTotalCount());
    }

    private static double round(double v) {
      return Math.round(v * 1000) / 1000.0;
    }

    void print(PrintStream out) {
      out.printf(Locale.ROOT, "== patchwire load run %s (%s%s)%n", label == null ? "" : label, server,
          nodes > 1 ? ", " + nodes + " nodes" : "");
      out.printf(Locale.ROOT, "clients %d (connected %d, connect failures %d, closed early %d), "
          + "rate %d/s, measured %.1f s%s%n", clients, connected, connectFailures, closedEarly, rate,
          durationSeconds, pinned ? ", server on core 0, generator on core 1" : "");
      out.printf(Locale.ROOT, "writes: sent %d, acked %d, errors %d, writer fell behind %d times%s%n",
          writesSent, writesAcked, writeErrors, writerBehind,
          writesUnanswered > 0 ? ", ** " + writesUnanswered + " never answered **" : "");
      out.printf(Locale.ROOT, "deliveries: %d in window = %.0f/s (offered %.0f/s)%n", deliveries,
          deliveriesPerSecond, offeredPerSecond);
      out.printf(Locale.ROOT, "lost %d, duplicated %d, resync frames %d, error frames %d%n", lost,
          duplicated, resyncFrames, errorFrames);
      if (latencyMicros != null && latencyMicros.getTotalCount() > 0) {
        out.printf(Locale.ROOT, "write-to-delivery ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n",
            latencyMicros.getValueAtPercentile(50) / 1000.0, latencyMicros.getValueAtPercentile(90) / 1000.0,
            latencyMicros.getValueAtPercentile(99) / 1000.0, latencyMicros.getValueAtPercentile(99.9) / 1000.0,
            latencyMicros.getMaxValue() / 1000.0);
      }
      if (otherNodeLatencyMicros != null && otherNodeLatencyMicros.getTotalCount() > 0) {
        Histogram h = otherNodeLatencyMicros;
        out.printf(Locale.ROOT, "  on other nodes ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n",
            h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
            h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
      }
      if (writeAckMicros != null && writeAckMicros.getTotalCount() > 0) {
        out.printf(Locale.ROOT, "write ack ms:       p50 %.2f  p99 %.2f  max %.2f%n",
            writeAckMicros.getValueAtPercentile(50) / 1000.0, writeAckMicros.getValueAtPercentile(99) / 1000.0,
            writeAckMicros.getMaxValue() / 1000.0);
      }
      if (serverCpuSeconds >= 0) {
        out.printf(Locale.ROOT, "server: cpu %.2f s (user %.2f, sys %.2f) = %.0f%% of a core, %.2f us per delivery, "
            + "RSS %.0f MiB (peak %.0f MiB)%n", serverCpuSeconds, serverUserSeconds, serverSystemSeconds,
            serverCoreUse * 100, serverCpuMicrosPerDelivery, serverRssBytes / 1048576.0,
            serverPeakRssBytes / 1048576.0);
      }
      if (!serverThreads.isEmpty()) {
        StringBuilder sb = new StringBuilder("server cpu by thread (s):");
        serverThreads.entrySet().stream().limit(8).forEach(e ->
            sb.append(String.format(Locale.ROOT, "  %s %.2f", e.getKey().trim(), e.getValue())));
        out.println(sb);
      }
      if (heapBeforeBytes >= 0) {
        out.printf(Locale.ROOT, "server live heap: %.1f MiB before, %.1f MiB after connecting = %.0f bytes "
            + "(%.2f KiB) per subscriber%n", heapBeforeBytes / 1048576.0, heapAfterBytes / 1048576.0,
            heapPerClientBytes(), heapPerClientBytes() / 1024);
      }
      if (serverDrops >= 0) {
        out.printf(Locale.ROOT, "server counters: drops %d, resyncs %d%n", serverDrops, serverResyncs);
      }
      out.printf(Locale.ROOT, "contention: server waited %.2f s for a CPU, generator %.2f s; load average %.1f -> %.1f%n",
          serverRunQueueSeconds, generatorRunQueueSeconds, loadAverageStart, loadAverageEnd);
      out.printf(Locale.ROOT, "generator: cpu %.2f s = %.0f%% of its %d core(s)%s%n", generatorCpuSeconds,
          generatorCoreUse * 100, generatorCores,
          generatorSaturated ? "  ** SATURATED: the generator may be the bottleneck **" : "");
    }
  }

  // ---- one subscriber --------------------------------------------------------------------

  private static final byte[] SEQ_KEY = ",\"seq\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TS_REPLACE = "/ts\",\"value\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TS_FIELD = "\"ts\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SNAPSHOT_END = "\"snapshot\":true}".getBytes(StandardCharsets.US_ASCII);

  /** One subscriber WebSocket; every method runs on its connection's event loop. */
  final class Sub {
    ClientWebSocket ws;
    /** Index of the node it follows (0: the writer's). */
    int node;
    boolean ready;
    boolean snapshotSeen;
    boolean closed;
    /** Seq of the last snapshot: everything after it must arrive. */
    long base = -1;
    /** Volatile: the main thread polls it while draining. */
    volatile long lastSeq = -1;
    final BitSet received = new BitSet();
    long duplicates;
    long resyncs;
    long errors;
    long inWindow;

    void onFrame(Buffer frame) {
      int len = frame.length();
      if (len < 2) {
        return;
      }
      byte second = frame.getByte(2);
      if (second == 'J') {
        if (endsWith(frame, SNAPSHOT_END)) {
          long seq = numberAfter(frame, lastIndexOf(frame, SEQ_KEY, len));
          base = seq;
          lastSeq = seq;
          received.clear();
          snapshotSeen = true;
          return;
        }
        onLive(frame, len);
      } else if (second == 'R' && frame.getByte(3) == 'e' && frame.getByte(4) == 'a') {
        ready = true;
        readyCount.incrementAndGet();
      } else if (second == 'R') {
        resyncs++;
      } else if (second == 'e') {
        errors++;
      }
    }

    private void onLive(Buffer frame, int len) {
      long now = System.nanoTime();
      long seq = numberAfter(frame, lastIndexOf(frame, SEQ_KEY, len));
      if (seq <= lastSeq || (base >= 0 && received.get((int) (seq - base)))) {
        duplicates++;
        return;
      }
      lastSeq = seq;
      if (base >= 0) {
        received.set((int) (seq - base));
      }
      if (now >= windowStart && now < windowEnd) {
        inWindow++;
        int at = indexOf(frame, TS_REPLACE);
        if (at < 0) {
          at = indexOf(frame, TS_FIELD);
        }
        if (at >= 0) {
          long sent = numberAfter(frame, at);
          long micros = (now - sent) / 1000;
          long v = Math.max(0, Math.min(micros, MAX_LATENCY_MICROS));
          latency.recordValue(v);
          if (node > 0) {
            otherNodeLatency.recordValue(v);
          }
        }
      }
    }
  }

  private static final long MAX_LATENCY_MICROS = TimeUnit.SECONDS.toMicros(120);

  static boolean endsWith(Buffer b, byte[] suffix) {
    int off = b.length() - suffix.length;
    if (off < 0) {
      return false;
    }
    for (int i = 0; i < suffix.length; i++) {
      if (b.getByte(off + i) != suffix[i]) {
        return false;
      }
    }
    return true;
  }

  /** Position just after {@code key}'s last occurrence before {@code end}, or -1. */
  static int lastIndexOf(Buffer b, byte[] key, int end) {
    outer:
    for (int i = end - key.length; i >= 0; i--) {
      for (int k = 0; k < key.length; k++) {
        if (b.getByte(i + k) != key[k]) {
          continue outer;
        }
      }
      return i + key.length;
    }
    return -1;
  }

  /** Position just after {@code key}'s first occurrence, or -1. */
  static int indexOf(Buffer b, byte[] key) {
    int n = b.length() - key.length;
    outer:
    for (int i = 0; i <= n; i++) {
      for (int k = 0; k < key.length; k++) {
        if (b.getByte(i + k) != key[k]) {
          continue outer;
        }
      }
      return i + key.length;
    }
    return -1;
  }

  /** The non-negative integer written at {@code at}; -1 when there is none. */
  static long numberAfter(Buffer b, int at) {
    if (at < 0) {
      return -1;
    }
    long v = 0;
    int i = at;
    int n = b.length();
    for (; i < n; i++) {
      byte c = b.getByte(i);
      if (c < '0' || c > '9') {
        break;
      }
      v = v * 10 + (c - '0');
    }
    return i == at ? -1 : v;
  }

  // ---- the run ---------------------------------------------------------------------------

  private final Options opt;
  private final PrintStream log;
  private Vertx vertx;
  /** Kept in fields: a Vert.x 5 client nothing references is closed by the garbage collector. */
  private final List<WebSocketClient> wsClients = new ArrayList<>();
  private HttpClientAgent http;
  private final List<Sub> subs = new ArrayList<>();
  /** One context per generator event loop; subscribers are spread over them. */
  private final List<Context> loops = new ArrayList<>();
  private final AtomicInteger readyCount = new AtomicInteger();
  private final AtomicInteger connectFailures = new AtomicInteger();
  private final Recorder latency = new Recorder(TimeUnit.SECONDS.toMicros(120), 3);
  private final Recorder writeAck = new Recorder(TimeUnit.SECONDS.toMicros(120), 3);
  private final Recorder otherNodeLatency = new Recorder(TimeUnit.SECONDS.toMicros(120), 3);
  private volatile long windowStart = Long.MAX_VALUE;
  private volatile long windowEnd = Long.MAX_VALUE;
  private String host;
  private int port;
  /** Every node's port (one unless --nodes); subscriber i follows node i % N. */
  private final List<Integer> ports = new ArrayList<>();
  private final List<Process> servers = new ArrayList<>();
  private final List<Path> serverData = new ArrayList<>();
  /** The first server's pid (its /proc figures); every node's in {@link #serverPids}. */
  private long serverPid;
  private final List<Long> serverPids = new ArrayList<>();

  // writer state, on the writer's context only
  private long writesSent;
  private long writesAcked;
  private long writeErrors;
  private long writerBehind;
  private int inFlight;
  private final BitSet acked = new BitSet();
  private long maxAcked = -1;
  private long minAcked = Long.MAX_VALUE;

  LoadRun(Options opt, PrintStream log) {
    this.opt = opt;
    this.log = log;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || List.of(args).contains("--help")) {
      System.out.println(USAGE);
      return;
    }
    Options opt;
    try {
      opt = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("LoadRun: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    Result r = new LoadRun(opt, System.out).run();
    r.print(System.out);
    if (opt.out != null) {
      Files.writeString(opt.out, r.toJson().encode() + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
    System.exit(opt.check && !r.clean() ? 1 : 0);
  }

  /** Runs the whole thing and cleans up (spawned server, Vert.x) whatever happens. */
  public Result run() throws Exception {
    try {
      return measure();
    } finally {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      stopServer();
    }
  }

  private Result measure() throws Exception {
    long self = ProcessHandle.current().pid();
    int generatorCores = Runtime.getRuntime().availableProcessors();
    if (opt.pin) {
      // -a: every thread that exists now; threads made later inherit the mask
      if (ProcStats.run(List.of("taskset", "-a", "-p", "-c", "1", Long.toString(self))) == null) {
        throw new IllegalStateException("taskset failed: is util-linux installed?");
      }
      generatorCores = 1;
    }
    if (opt.spawn) {
      for (int n = 0; n < opt.nodes; n++) {
        spawnServer(n);
      }
      port = ports.get(0);
    } else {
      URI uri = URI.create(opt.url);
      host = uri.getHost();
      port = uri.getPort();
      ports.add(port);
      serverPid = opt.serverPid;
      if (serverPid > 0) {
        serverPids.add(serverPid);
      }
    }

    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(opt.loops));
    http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(host).setDefaultPort(port)
        .setKeepAlive(true).setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(16).setMaxWaitQueueSize(-1));

    Result r = new Result();
    r.label = opt.label;
    r.server = opt.server;
    r.nodes = ports.size();
    r.clients = opt.clients;
    r.rate = opt.rate;
    r.durationSeconds = opt.duration;
    r.pinned = opt.pin;
    r.generatorCores = generatorCores;

    if (opt.heap && serverPid > 0) {
      r.heapBeforeBytes = ProcStats.liveHeapBytes(serverPid);
    }

    connectAll();
    r.connected = readyCount.get();
    r.connectFailures = connectFailures.get();
    log.printf(Locale.ROOT, "connected %d of %d subscribers (%d failed)%n", r.connected, opt.clients,
        r.connectFailures);

    if (opt.heap && serverPid > 0) {
      Thread.sleep(1000);
      String histogram = ProcStats.classHistogram(serverPid);
      r.heapAfterBytes = ProcStats.liveHeapBytes(histogram);
      if (histogram != null) {
        log.println("server live heap by class after connecting (top 30):");
        histogram.lines().skip(1).limit(33).forEach(l -> log.println("  " + l));
      }
    }

    Context writer = vertx.getOrCreateContext();
    long start = System.nanoTime();
    windowStart = start + (long) (opt.warmup * 1e9);
    windowEnd = windowStart + (long) (opt.duration * 1e9);
    CompletableFuture<Void> writesDone = new CompletableFuture<>();
    writer.runOnContext(v -> startWriter(start, writesDone));

    sleepUntil(windowStart);
    latency.reset();
    writeAck.reset();
    otherNodeLatency.reset();
    ProcStats.Sample s0 = serversSample();
    long q0 = serversRunDelay();
    java.util.Map<String, Long> th0 = serversThreadCpu();
    long gq0 = ProcStats.runDelayNanos(self);
    r.loadAverageStart = ProcStats.loadAverage();
    long g0 = generatorCpuNanos();
    long t0 = System.nanoTime();
    sleepUntil(windowEnd);
    ProcStats.Sample s1 = serversSample();
    long q1 = serversRunDelay();
    java.util.Map<String, Long> th1 = serversThreadCpu();
    th1.entrySet().stream()
        .map(e -> java.util.Map.entry(e.getKey(), (e.getValue() - th0.getOrDefault(e.getKey(), 0L)) / 1e9))
        .filter(e -> e.getValue() > 0)
        .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
        .forEach(e -> r.serverThreads.put(e.getKey(), e.getValue()));
    long gq1 = ProcStats.runDelayNanos(self);
    r.loadAverageEnd = ProcStats.loadAverage();
    long g1 = generatorCpuNanos();
    long t1 = System.nanoTime();
    Histogram lat = latency.getIntervalHistogram();
    Histogram otherLat = otherNodeLatency.getIntervalHistogram();

    try {
      writesDone.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // A server that stops answering is a result, not a crash: report what was measured.
      r.writesUnanswered = onContext(writer, () -> (long) inFlight);
      log.printf("%d writes still unanswered 60 s after the window; not waiting longer%n", r.writesUnanswered);
    }
    long lastAcked = onContext(writer, () -> maxAcked);
    awaitDrain(lastAcked);
    lat.add(latency.getIntervalHistogram());
    otherLat.add(otherNodeLatency.getIntervalHistogram());
    if (ports.size() > 1) {
      r.otherNodeLatencyMicros = otherLat;
    }

    double wall = (t1 - t0) / 1e9;
    r.latencyMicros = lat;
    r.writeAckMicros = writeAck.getIntervalHistogram();
    r.generatorCpuSeconds = (g1 - g0) / 1e9;
    r.generatorCoreUse = r.generatorCpuSeconds / wall / generatorCores;
    r.generatorSaturated = r.generatorCoreUse > 0.9;
    if (q0 >= 0 && q1 >= 0) {
      r.serverRunQueueSeconds = (q1 - q0) / 1e9;
    }
    if (gq0 >= 0 && gq1 >= 0) {
      r.generatorRunQueueSeconds = (gq1 - gq0) / 1e9;
    }
    if (s0 != null && s1 != null) {
      r.serverCpuSeconds = (s1.cpuNanos() - s0.cpuNanos()) / 1e9;
      r.serverUserSeconds = (s1.userNanos() - s0.userNanos()) / 1e9;
      r.serverSystemSeconds = (s1.systemNanos() - s0.systemNanos()) / 1e9;
      r.serverCoreUse = r.serverCpuSeconds / wall;
      r.serverRssBytes = s1.rssBytes();
      r.serverPeakRssBytes = s1.hwmBytes();
    }
    onContext(writer, () -> {
      r.writesSent = writesSent;
      r.writesAcked = writesAcked;
      r.writeErrors = writeErrors;
      r.writerBehind = writerBehind;
      return null;
    });
    tally(r, writer);
    r.deliveriesPerSecond = r.deliveries / opt.duration;
    r.offeredPerSecond = (double) opt.rate * r.connected;
    if (r.serverCpuSeconds >= 0 && r.deliveries > 0) {
      r.serverCpuMicrosPerDelivery = r.serverCpuSeconds * 1e6 / r.deliveries;
    }
    readServerCounters(r);
    return r;
  }

  // ---- server ----------------------------------------------------------------------------

  /** Spawns server number {@code n} (0 unless --nodes) and waits until it listens. */
  private void spawnServer(int n) throws Exception {
    Path data = Files.createTempDirectory("patchwire-load");
    serverData.add(data);
    List<String> cmd = new ArrayList<>();
    if (opt.pin) {
      cmd.addAll(List.of("taskset", "-c", "0"));
    }
    if (opt.server.equals("ws")) {
      cmd.addAll(List.of("node", wsHubScript().toString()));
    } else {
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(opt.serverOpts);
      String main = opt.server.equals("broadcast") ? BroadcastProto.class.getName() : opt.serverMain;
      if (main == null) {
        cmd.addAll(List.of("-jar", opt.jar));
      } else {
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
      }
    }
    cmd.addAll(List.of("--port", "0", "--data", data.toString(), "--no-kanban",
        "--collection", opt.collection, "--no-seed",
        "--max-subscribers", Integer.toString(Math.max(20_000, opt.clients * 2))));
    if (opt.server.equals("engine") && opt.serverMain == null) {
      // every subscriber comes from 127.0.0.1: past the engine's default 1,000 per address
      cmd.addAll(List.of("--max-connections-per-ip", Integer.toString(Math.max(20_000, opt.clients * 2))));
    }
    if (opt.databaseUrl != null) {
      cmd.addAll(List.of("--database-url", opt.databaseUrl, "--node-id", "load-node-" + (n + 1)));
    }
    cmd.addAll(opt.serverArgs);
    log.println("spawning: " + String.join(" ", cmd));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith(dev.patchwire.impl.EngineOptions.ENV_PREFIX));  // an open engine, whatever the shell exported
    Process server = pb.start();
    servers.add(server);
    serverPids.add(server.pid());
    if (n == 0) {
      serverPid = server.pid();
    }
    String tag = opt.nodes > 1 ? "[node " + (n + 1) + "] " : "[server] ";
    BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try {
        String line;
        while ((line = out.readLine()) != null) {
          int at = line.indexOf("listening on http://");
          if (at >= 0) {
            log.println(tag + line);
            listening.complete(line.substring(at + "listening on http://".length()).split("[ /]")[0]);
          } else if (!line.isBlank()) {
            log.println(tag + line);
          }
        }
      } catch (IOException e) {
        // the server went away
      }
      listening.completeExceptionally(new IllegalStateException("server exited before listening"));
    }, "loadrun-server-output");
    reader.setDaemon(true);
    reader.start();
    String hostPort = listening.get(90, TimeUnit.SECONDS);
    int colon = hostPort.lastIndexOf(':');
    host = hostPort.substring(0, colon);
    ports.add(Integer.parseInt(hostPort.substring(colon + 1)));
    log.printf(Locale.ROOT, "server pid %d listening on %s%n", server.pid(), hostPort);
  }

  /** The Node hub's script: --ws-hub, else where it is from the repository root or benchmarks/. */
  private Path wsHubScript() {
    if (opt.wsHub != null) {
      return Path.of(opt.wsHub);
    }
    for (String candidate : List.of("benchmarks/ws-hub/hub.js", "ws-hub/hub.js")) {
      if (Files.exists(Path.of(candidate))) {
        return Path.of(candidate);
      }
    }
    throw new IllegalStateException("benchmarks/ws-hub/hub.js not found: run from the repository root or give --ws-hub");
  }

  private void stopServer() {
    for (Process server : servers) {
      server.destroy();
    }
    for (Process server : servers) {
      try {
        if (!server.waitFor(20, TimeUnit.SECONDS)) {
          server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        server.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    servers.clear();
    serverData.forEach(Fixtures::deleteTree);
    serverData.clear();
  }

  /** CPU and memory of every server process, summed (null when there is none to read). */
  private ProcStats.Sample serversSample() {
    long user = 0;
    long sys = 0;
    long rss = 0;
    long hwm = 0;
    for (long pid : serverPids) {
      ProcStats.Sample s = ProcStats.read(pid);
      if (s == null) {
        return null;
      }
      user += s.userNanos();
      sys += s.systemNanos();
      rss += s.rssBytes();
      hwm += s.hwmBytes();
    }
    return serverPids.isEmpty() ? null : new ProcStats.Sample(user, sys, rss, hwm);
  }

  private long serversRunDelay() {
    long sum = 0;
    for (long pid : serverPids) {
      long d = ProcStats.runDelayNanos(pid);
      if (d < 0) {
        return -1;
      }
      sum += d;
    }
    return serverPids.isEmpty() ? -1 : sum;
  }

  private java.util.Map<String, Long> serversThreadCpu() {
    java.util.Map<String, Long> all = new java.util.HashMap<>();
    for (long pid : serverPids) {
      ProcStats.threadCpuNanos(pid).forEach((k, v) -> all.merge(k, v, Long::sum));
    }
    return all;
  }

  private void readServerCounters(Result r) {
    try {
      JsonObject stats = http.request(new RequestOptions().setMethod(HttpMethod.GET).setURI("/api/stats"))
          .compose(req -> req.send())
          .compose(resp -> resp.body())
          .map(Buffer::toJsonObject)
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      JsonObject totals = stats.getJsonObject("totals");
      r.serverDrops = totals.getLong("drops", -1L);
      r.serverResyncs = totals.getLong("resyncs", -1L);
    } catch (Exception e) {
      log.println("could not read /api/stats: " + e);
    }
  }

  // ---- subscribers -----------------------------------------------------------------------

  private void connectAll() throws Exception {
    for (int i = 0; i < opt.loops; i++) {
      wsClients.add(vertx.createWebSocketClient(new WebSocketClientOptions()
          .setMaxConnections(opt.clients + 1)
          .setMaxFrameSize(64 << 20)
          .setMaxMessageSize(64 << 20)
          .setConnectTimeout(30_000)
          .setTcpNoDelay(true)));
    }
    String uri = "/api/collections/" + opt.collection + "/stream/ws";
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    CompletableFuture<Void> all = new CompletableFuture<>();
    if (opt.clients == 0) {
      all.complete(null);
    }
    for (int i = 0; i < opt.loops; i++) {
      loops.add(vertx.getOrCreateContext());
    }
    for (int i = 0; i < opt.clients; i++) {
      subs.add(new Sub());
    }
    Runnable[] open = new Runnable[1];
    open[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= opt.clients) {
        return;
      }
      Sub sub = subs.get(i);
      sub.node = i % ports.size();
      int subPort = ports.get(sub.node);
      Context ctx = loops.get(i % loops.size());
      ctx.runOnContext(v -> {
        ClientWebSocket ws = wsClients.get(i % wsClients.size()).webSocket();
        sub.ws = ws;
        ws.handler(sub::onFrame);
        ws.closeHandler(x -> sub.closed = true);
        ws.exceptionHandler(x -> { });
        Promise<Void> readyOrFailed = Promise.promise();
        ws.connect(new WebSocketConnectOptions().setHost(host).setPort(subPort).setURI(uri))
            .onComplete(ar -> {
              if (ar.failed()) {
                connectFailures.incrementAndGet();
              }
              readyOrFailed.tryComplete();
            });
        readyOrFailed.future().onComplete(x -> {
          if (finished.incrementAndGet() == opt.clients) {
            all.complete(null);
          }
          open[0].run();
        });
      });
    };
    for (int i = 0; i < Math.min(opt.connectConcurrency, opt.clients); i++) {
      open[0].run();
    }
    all.get(600, TimeUnit.SECONDS);
    // Connected is not started: wait for every snapshot and Ready.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (readyCount.get() + connectFailures.get() < opt.clients && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    int notReady = opt.clients - readyCount.get() - connectFailures.get();
    if (notReady > 0) {
      log.printf("%d subscribers connected but got no Ready%n", notReady);
      connectFailures.addAndGet(notReady);
    }
  }

  /** Waits until every open subscriber has received {@code lastSeq}, at most {@code --drain} seconds. */
  private void awaitDrain(long lastSeq) throws Exception {
    long deadline = System.nanoTime() + (long) (opt.drain * 1e9);
    while (System.nanoTime() < deadline) {
      int behind = 0;
      for (Sub s : subs) {
        if (s.ready && !s.closed && s.lastSeq < lastSeq) {
          behind++;
        }
      }
      if (behind == 0) {
        return;
      }
      Thread.sleep(100);
    }
    log.println("drain: some subscribers did not receive the last write in " + opt.drain + " s");
  }

  private void tally(Result r, Context writer) throws Exception {
    // A barrier on every event loop so that the subscribers' plain fields are visible here.
    for (Context loop : loops) {
      onContext(loop, () -> null);
    }
    BitSet ackedCopy = onContext(writer, () -> (BitSet) acked.clone());
    for (Sub s : subs) {
      if (!s.ready) {
        continue;
      }
      r.deliveries += s.inWindow;
      r.duplicated += s.duplicates;
      r.resyncFrames += s.resyncs;
      r.errorFrames += s.errors;
      if (s.closed) {
        r.closedEarly++;
      }
      // every acknowledged seq after this subscriber's snapshot must have arrived
      for (int seq = ackedCopy.nextSetBit((int) s.base + 1); seq >= 0; seq = ackedCopy.nextSetBit(seq + 1)) {
        if (!s.received.get((int) (seq - s.base))) {
          r.lost++;
        }
      }
    }
  }

  private static <T> T onContext(Context ctx, java.util.concurrent.Callable<T> read) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    ctx.runOnContext(v -> {
      try {
        f.complete(read.call());
      } catch (Exception e) {
        f.completeExceptionally(e);
      }
    });
    return f.get(30, TimeUnit.SECONDS);
  }

  // ---- writer ----------------------------------------------------------------------------

  private void startWriter(long start, CompletableFuture<Void> done) {
    if (opt.rate == 0) {
      vertx.setTimer(Math.max(1, (windowEnd - System.nanoTime()) / 1_000_000), t -> done.complete(null));
      return;
    }
    int maxInFlight = Math.max(64, opt.rate);
    long[] issued = {0};
    vertx.setPeriodic(1, id -> {
      long now = System.nanoTime();
      if (now >= windowEnd) {
        vertx.cancelTimer(id);
        waitForAcks(done);
        return;
      }
      long due = (long) ((now - start) / 1e9 * opt.rate);
      while (issued[0] < due) {
        if (inFlight >= maxInFlight) {
          writerBehind++;
          break;
        }
        write(issued[0]++);
      }
    });
  }

  private void waitForAcks(CompletableFuture<Void> done) {
    if (inFlight == 0) {
      done.complete(null);
    } else {
      vertx.setTimer(5, t -> waitForAcks(done));
    }
  }

  private void write(long k) {
    String id = "d-" + (k % opt.ids);
    long ts = System.nanoTime();
    String head = "{\"id\":\"" + id + "\",\"ts\":" + ts + ",\"n\":" + k + ",\"payload\":\"";
    int pad = Math.max(8, opt.docBytes - head.length() - 2);
    String body = head + Fixtures.filler(k, pad) + "\"}";
    inFlight++;
    writesSent++;
    http.request(new RequestOptions().setMethod(HttpMethod.PUT)
            .setURI("/api/collections/" + opt.collection + "/docs/" + id)
            .putHeader("Content-Type", "application/json"))
        .compose(req -> req.send(body).compose(resp -> resp.body().map(b -> resp)))
        .onComplete(ar -> {
          inFlight--;
          if (ar.failed() || ar.result().statusCode() >= 300) {
            writeErrors++;
            return;
          }
          writeAck.recordValue(Math.min((System.nanoTime() - ts) / 1000, MAX_LATENCY_MICROS));
          String pos = ar.result().getHeader("Patchwire-Seq");
          Position position = Position.parse(pos);
          long seq = position == null ? -1 : position.seq();
          if (seq >= 0) {
            writesAcked++;
            acked.set((int) seq);
            maxAcked = Math.max(maxAcked, seq);
            minAcked = Math.min(minAcked, seq);
          }
        });
  }

  // ---- helpers ---------------------------------------------------------------------------

  private static long generatorCpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    ProcStats.Sample s = ProcStats.read(ProcessHandle.current().pid());
    return s == null ? 0 : s.cpuNanos();
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, Math.min(left / 1_000_000, 100)));
    }
  }
}
