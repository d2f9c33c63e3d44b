package dev.patchwire.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.json.Patches;
import dev.patchwire.msg.Change;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.store.CollectionSpec;
import dev.patchwire.impl.EngineOptions;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.stream.Fanout;
import dev.patchwire.stream.Filter;
import dev.patchwire.stream.StreamRequest;
import dev.patchwire.stream.StreamSink;
import dev.patchwire.stream.Streams;
import dev.patchwire.wire.FrameEncoder;
import dev.patchwire.wire.WsFrames;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the in-process benchmarks share: a Vert.x with a started {@link DocumentStore} on embedded
 * H2 in a temporary folder, the {@link MsgStore} it publishes to, and one {@link Fanout} on one
 * event loop whose subscribers write into {@link CountingSink}s instead of sockets.
 *
 * <p>Everything here runs outside the measured code: build it in {@code @Setup}, close it in
 * {@code @TearDown}.
 */
final class Fixtures implements AutoCloseable {

  static final String BENCH = "bench";

  final Vertx vertx;
  final Path dataDir;
  final DocumentStore store;
  final MsgStore msgStore;
  final Streams streams;
  final Context context;
  final Fanout fanout;
  /** Frames written to every sink of {@link #fanout}; only its event loop touches it. */
  final Counter delivered = new Counter();

  /** Counts frames; touched by one event loop only, read through {@link #barrier()}. */
  static final class Counter {
    long frames;
  }

  /** The PostgreSQL the store runs on, or null on H2. */
  private final BenchPostgres pg;

  private Fixtures(Vertx vertx, Path dataDir, DocumentStore store, MsgStore msgStore,
      Streams streams, Context context, Fanout fanout, BenchPostgres pg) {
    this.pg = pg;
    this.vertx = vertx;
    this.dataDir = dataDir;
    this.store = store;
    this.msgStore = msgStore;
    this.streams = streams;
    this.context = context;
    this.fanout = fanout;
  }

  /**
   * Starts the store (with {@code specs}), a MsgStore of {@code historyBytes} fed by it, and one
   * fan-out listening on its own event-loop context.
   */
  static Fixtures start(Map<String, CollectionSpec> specs, long historyBytes) {
    return start(specs, historyBytes, "h2");
  }

  /**
   * Like {@link #start(Map, long)}, on {@code store}: "h2" (embedded, the default) or
   * "postgresql", a throwaway cluster of its own ({@link BenchPostgres}) that {@link #close} stops.
   */
  static Fixtures start(Map<String, CollectionSpec> specs, long historyBytes, String store) {
    BenchPostgres pg = switch (store) {
      case "h2" -> null;
      case "postgresql" -> BenchPostgres.start();
      default -> throw new IllegalArgumentException("store is h2 or postgresql, not " + store);
    };
    try {
      return start(specs, historyBytes, pg);
    } catch (RuntimeException e) {
      if (pg != null) {
        pg.close();
      }
      throw e;
    }
  }

  private static Fixtures start(Map<String, CollectionSpec> specs, long historyBytes, BenchPostgres pg) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    Path dir;
    try {
      dir = Files.createTempDirectory("patchwire-bench");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // The engine's default change-log retention (EngineOptions' defaults).
    DocumentStore store = new DocumentStore(dir, pg == null ? null : pg.newDatabaseUrl(), specs,
        new DocumentStore.Retention(EngineOptions.DEFAULT_LOG_RETENTION_AGE,
            EngineOptions.DEFAULT_LOG_RETENTION_BYTES, EngineOptions.DEFAULT_LOG_COMPACT_INTERVAL_MILLIS),
        DocumentStore.Reads.DEFAULT);
    await(vertx.deployVerticle(store));
    MsgStore msgStore = new MsgStore(vertx, historyBytes, store.committedSeq());
    store.publishTo(msgStore::push);
    Streams streams = new Streams(store, msgStore, 1L << 20, Integer.MAX_VALUE);
    Context context = vertx.getOrCreateContext();
    Fanout fanout = new Fanout(context, streams);
    CompletableFuture<Void> listening = new CompletableFuture<>();
    context.runOnContext(v -> fanout.listen().onComplete(ar -> {
      if (ar.succeeded()) {
        listening.complete(null);
      } else {
        listening.completeExceptionally(ar.cause());
      }
    }));
    join(listening);
    return new Fixtures(vertx, dir, store, msgStore, streams, context, fanout, pg);
  }

  static Fixtures bench(long historyBytes) {
    return start(Map.of(BENCH, CollectionSpec.schemaless(BENCH)), historyBytes);
  }

  /**
   * Opens {@code n} subscriptions of {@code collection} on the fan-out and waits until each has
   * its snapshot and Ready, so that every later frame a sink sees is a live one.
   */
  void subscribe(int n, String collection, Filter filter) {
    subscribe(n, collection, i -> filter);
  }

  /** Like {@link #subscribe(int, String, Filter)}, subscriber {@code i} with {@code filters(i)}. */
  void subscribe(int n, String collection, java.util.function.IntFunction<Filter> filters) {
    long target = barrier() + 2L * n;
    CompletableFuture<Void> opened = new CompletableFuture<>();
    context.runOnContext(v -> {
      for (int i = 0; i < n; i++) {
        fanout.open(new StreamRequest(collection, filters.apply(i), null, false), new CountingSink(delivered));
      }
      opened.complete(null);
    });
    join(opened);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (barrier() < target) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("subscriptions did not start: " + barrier() + " of " + target);
      }
      sleep(5);
    }
  }

  /**
   * Waits until the fan-out's event loop has worked off everything queued before this call
   * (event-bus deliveries from this thread are queued in order), and returns the frames delivered.
   */
  long barrier() {
    // The fan-out works off a long backlog in several tasks, each queueing the next behind
    // whatever is waiting: two reads in a row that agree mean no drain ran in between.
    long seen = framesSoFar();
    long again;
    while ((again = framesSoFar()) != seen) {
      seen = again;
    }
    return seen;
  }

  private long framesSoFar() {
    CompletableFuture<Long> seen = new CompletableFuture<>();
    context.runOnContext(v -> seen.complete(delivered.frames));
    return join(seen);
  }

  @Override
  public void close() {
    try {
      await(vertx.close());
    } finally {
      deleteTree(dataDir);
      if (pg != null) {
        pg.close();
      }
    }
  }

  // ---- data ------------------------------------------------------------------------------

  /** A document of about {@code bytes} bytes of JSON, like the load run's. */
  static ObjectNode benchDoc(String id, long n, int bytes) {
    ObjectNode doc = Json.object().put("id", id).put("project_id", "p1").put("ts", 1_700_000_000_000L + n)
        .put("n", n);
    int pad = Math.max(0, bytes - Json.write(doc).length() - 14);
    return doc.put("payload", filler(n, pad));
  }

  /** Text of {@code length} letters that differs with {@code n}. */
  static String filler(long n, int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append((char) ('a' + (int) ((n * 31 + i * 7) % 26)));
    }
    return sb.toString();
  }

  /** A ready-made edit of one ~200-byte document: what an update Change needs. */
  record Edit(String id, ObjectNode before, ObjectNode after, String afterJson, int beforeLength,
      ArrayNode ops) {

    static Edit of(String id, long n, int bytes) {
      ObjectNode before = benchDoc(id, n, bytes);
      ObjectNode after = benchDoc(id, n + 1, bytes);
      return new Edit(id, before, after, Json.write(after), Json.write(before).length(),
          Patches.diff(before, after));
    }

    Change change(long seq, String collection) {
      return new Change(seq, collection, id, before, after, afterJson, beforeLength, ops);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  static <T> T await(Future<T> future) {
    return join(future.toCompletionStage().toCompletableFuture());
  }

  static <T> T join(CompletableFuture<T> future) {
    try {
      return future.get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() != null ? e.getCause() : e);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp folder left behind is harmless
    }
  }

  /** A subscriber without a socket: counts the frames the fan-out hands it, keeps none. */
  static final class CountingSink implements StreamSink {
    private final Counter counter;

    CountingSink(Counter counter) {
      this.counter = counter;
    }

    @Override
    public FrameEncoder encoder() {
      return WsFrames.INSTANCE;
    }

    @Override
    public String transport() {
      return "ws";
    }

    @Override
    public void write(Buffer frame) {
      counter.frames++;
    }

    /** Counts the frame like {@link #write}; nothing is ever left to flush. */
    @Override
    public boolean writeDeferred(Buffer frame) {
      counter.frames++;
      return false;
    }

    /** Counts a whole message once, at its last fragment. */
    @Override
    public void writeFragment(Buffer fragment, boolean first, boolean last) {
      if (last) {
        counter.frames++;
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public void drainHandler(Runnable onDrain) {
    }

    @Override
    public void closedHandler(Runnable onClosed) {
    }

    @Override
    public void close(short code, String reason) {
    }
  }
}
