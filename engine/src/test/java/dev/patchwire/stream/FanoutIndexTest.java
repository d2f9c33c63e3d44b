package dev.patchwire.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.json.Patches;
import dev.patchwire.msg.Change;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.impl.EngineOptions;
import dev.patchwire.store.CollectionSpec;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.wire.FrameEncoder;
import dev.patchwire.wire.WsFrames;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fan-out's subscriber index (issue #13 target 2): a change reaches exactly the subscribers
 * whose filter matches its before or after state, with exactly the frame a scan of every
 * subscriber would send; and a lookup touches only the subscribers a change may concern.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("The fan-out's subscriber index")
class FanoutIndexTest {

  private static final String C = "c";
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  @TempDir
  static Path dir;
  static Vertx vertx;
  static DocumentStore store;
  static MsgStore msgStore;
  static Streams streams;

  /** The Vertx VertxExtension gives a {@code @BeforeAll} lives for the whole class and is closed after it. */
  @BeforeAll
  static void startStore(Vertx classVertx) {
    vertx = classVertx;
    store = new DocumentStore(dir, Map.of(C, CollectionSpec.schemaless(C)), new DocumentStore.Retention(
        EngineOptions.DEFAULT_LOG_RETENTION_AGE, EngineOptions.DEFAULT_LOG_RETENTION_BYTES,
        EngineOptions.DEFAULT_LOG_COMPACT_INTERVAL_MILLIS));
    await(vertx.deployVerticle(store));
    msgStore = new MsgStore(vertx, 1L << 20, store.committedSeq());
    streams = new Streams(store, msgStore, 64L << 20, Integer.MAX_VALUE);
  }

  // ---- random filters and changes against a scan of every subscriber ----------------------

  /** Values a field takes in the random documents: texts, numbers that equal by value, the rest. */
  private static JsonNode randomValue(Random r) {
    return switch (r.nextInt(13)) {
      case 0 -> F.textNode("p0");
      case 1 -> F.textNode("p1");
      case 2 -> F.textNode("1");
      case 3 -> F.numberNode(1);
      case 4 -> F.numberNode(1.0);
      case 5 -> F.numberNode(new java.math.BigDecimal("1.00"));
      case 6 -> F.numberNode(2L);
      case 7 -> F.numberNode(0.0);
      case 8 -> F.booleanNode(true);
      case 9 -> F.nullNode();
      case 10 -> F.objectNode().put("x", 1);
      case 11 -> F.textNode("true");
      default -> null;  // missing
    };
  }

  private static final String[] FIELDS = {"a", "b", "n"};
  private static final String[] WHERE_VALUES = {"p0", "p1", "1", "1.0", "1e0", "2", "0", "-0.0", "true", "null", "x"};

  private static Filter randomEquality(Random r) {
    return Filter.equalTo(FIELDS[r.nextInt(FIELDS.length)], WHERE_VALUES[r.nextInt(WHERE_VALUES.length)]);
  }

  /** A client where (or none) and read grants (or none) of every shape auth makes. */
  private static StreamRequest randomRequest(Random r) {
    Filter where = r.nextInt(5) == 0 ? Filter.ALL : randomEquality(r);
    Filter grants = switch (r.nextInt(6)) {
      case 0 -> Filter.NONE;
      case 1 -> randomEquality(r);
      case 2 -> Filter.allOf(List.of(randomEquality(r), randomEquality(r)));
      case 3 -> Filter.anyOf(List.of(randomEquality(r), Filter.allOf(List.of(randomEquality(r), randomEquality(r)))));
      default -> Filter.ALL;
    };
    return new StreamRequest(C, where, null, false, grants, null, 0);
  }

  private static ObjectNode randomDoc(Random r, String id) {
    ObjectNode doc = Json.object().put("id", id);
    for (String f : FIELDS) {
      JsonNode v = randomValue(r);
      if (v != null) {
        doc.set(f, v);
      }
    }
    return doc;
  }

  @Test
  @DisplayName("delivers to exactly the subscribers a scan of all would, the same frames, over random filters and changes")
  void matchesBruteForce() throws Exception {
    Random r = new Random(13);
    Context context = vertx.getOrCreateContext();
    Fanout fanout = new Fanout(context, streams);
    onContext(context, () -> fanout.listen()).get(10, TimeUnit.SECONDS);

    int subscribers = 400;
    List<StreamRequest> requests = new ArrayList<>();
    List<RecordingSink> sinks = new ArrayList<>();
    for (int i = 0; i < subscribers; i++) {
      requests.add(randomRequest(r));
      sinks.add(new RecordingSink());
    }
    onContext(context, () -> {
      for (int i = 0; i < subscribers; i++) {
        fanout.open(requests.get(i), sinks.get(i));
      }
      return Future.succeededFuture();
    }).get(10, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!sinks.stream().allMatch(s -> s.ready)) {
      assertTrue(System.nanoTime() < deadline, "every stream gets its Ready");
      Thread.sleep(10);
    }

    // Random creates, updates (moving documents in and out of filters) and deletes.
    List<Change> changes = new ArrayList<>();
    ObjectNode[] docs = new ObjectNode[30];
    long seq = store.committedSeq() + 1000;
    for (int i = 0; i < 600; i++) {
      int d = r.nextInt(docs.length);
      String id = "d" + d;
      ObjectNode before = docs[d];
      ObjectNode after = before != null && r.nextInt(6) == 0 ? null : randomDoc(r, id);
      if (before == null && after == null) {
        continue;
      }
      Change c = new Change(++seq, C, id, before, after, after == null ? null : Json.write(after),
          before == null ? 0 : Json.write(before).length(),
          before != null && after != null ? Patches.diff(before, after) : null);
      changes.add(c);
      docs[d] = after;
    }
    for (Change c : changes) {
      msgStore.push(c);
    }

    List<List<String>> expected = new ArrayList<>();
    long expectedTotal = 0;
    for (StreamRequest req : requests) {
      List<String> frames = new ArrayList<>();
      for (Change c : changes) {
        Delivery d = Delivery.of(req.visible(), c);
        if (d != Delivery.NONE) {
          frames.add(WsFrames.INSTANCE.live(store.epoch(), c.seq(), d.ops(c)).toString());
        }
      }
      expectedTotal += frames.size();
      expected.add(frames);
    }
    long total;
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    do {
      Thread.sleep(20);
      total = onContext(context, () -> Future.succeededFuture(
          sinks.stream().mapToLong(s -> s.live.size()).sum())).get(10, TimeUnit.SECONDS);
    } while (total < expectedTotal && System.nanoTime() < deadline);
    Thread.sleep(100);  // anything extra would have arrived by now
    assertTrue(expectedTotal > changes.size(), "the random filters match something: " + expectedTotal);
    for (int i = 0; i < subscribers; i++) {
      List<String> got = onContext(context, sinks.get(i)::copy).get(10, TimeUnit.SECONDS);
      assertEquals(expected.get(i), got, "subscriber " + i + " with " + requests.get(i).visible());
    }
    onContext(context, () -> fanout.closeAll((short) 1001, "test")).get(10, TimeUnit.SECONDS);
  }

  // ---- what a lookup touches -----------------------------------------------------------

  private static ObjectNode doc(Object... kv) {
    ObjectNode d = Json.object();
    for (int i = 0; i < kv.length; i += 2) {
      d.set((String) kv[i], Json.MAPPER.valueToTree(kv[i + 1]));
    }
    return d;
  }

  @Test
  @DisplayName("a change touches only the subscribers of its before and after values, plus the unindexed ones")
  void lookupTouchesTheMatchingOnly() {
    SubscriberIndex<Integer> index = new SubscriberIndex<>();
    for (int i = 0; i < 10_000; i++) {
      index.add(i, Filter.parse("project:p" + (i % 1000)));
    }
    index.add(-1, Filter.ALL);
    index.add(-2, Filter.anyOf(List.of(Filter.parse("project:p1"), Filter.parse("owner:ann"))));
    // the where value of a number field, and a grant ANDed to a where
    index.add(-3, Filter.parse("n:1.0"));
    index.add(-4, Filter.and(Filter.parse("status:todo"),
        Filter.anyOf(List.of(Filter.parse("project:p7"), Filter.parse("project:p8")))));

    List<Integer> out = new ArrayList<>();
    index.candidates(doc("project", "p5", "n", 2), doc("project", "p5", "n", 2), out);
    assertEquals(12, out.size(), "10 of p5 and the 2 unindexed: " + out);
    assertTrue(out.containsAll(List.of(-1, -2, 5, 1005, 9005)));

    index.candidates(doc("project", "p5"), doc("project", "p6"), out);
    assertEquals(22, out.size(), "a move from p5 to p6 concerns both boards (leave and enter)");

    index.candidates(null, doc("n", 1), out);
    assertTrue(out.contains(-3), "the number 1 finds where=n:1.0");
    index.candidates(doc("n", "1.0"), null, out);
    assertTrue(out.contains(-3), "the text 1.0 finds where=n:1.0");
    index.candidates(doc("n", "1"), null, out);
    assertEquals(List.of(-1, -2), out, "the text 1 is not the text 1.0");
    index.candidates(doc("status", "todo"), null, out);
    assertTrue(out.contains(-4), "indexed by the where of an AND");

    for (int i = 0; i < 10_000; i += 1000) {
      index.remove(i + 5, Filter.parse("project:p" + ((i + 5) % 1000)));
    }
    index.candidates(doc("project", "p5"), doc("project", "p5"), out);
    assertEquals(List.of(-1, -2), out, "removed subscribers are gone");
    assertEquals(10_004 - 10, index.size());
  }

  // ---- helpers -------------------------------------------------------------------------

  /** Keeps the live frames after Ready; only the fan-out's event loop touches it. */
  private static final class RecordingSink implements StreamSink {
    volatile boolean ready;
    final List<String> live = new ArrayList<>();

    Future<List<String>> copy() {
      return Future.succeededFuture(new ArrayList<>(live));
    }

    @Override public FrameEncoder encoder() { return WsFrames.INSTANCE; }
    @Override public String transport() { return "ws"; }

    @Override
    public void write(Buffer frame) {
      if (ready) {
        live.add(frame.toString());
      } else if (frame.toString().contains("Ready")) {
        ready = true;
      }
    }

    @Override
    public boolean writeDeferred(Buffer frame) {
      live.add(frame.toString());
      return false;
    }

    @Override public void writeFragment(Buffer fragment, boolean first, boolean last) { }
    @Override public void flush() { }
    @Override public boolean writeQueueFull() { return false; }
    @Override public void drainHandler(Runnable onDrain) { }
    @Override public void closedHandler(Runnable onClosed) { }
    @Override public void close(short code, String reason) { }
  }

  private static <T> CompletableFuture<T> onContext(Context context, java.util.function.Supplier<Future<T>> task) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> task.get().onComplete(ar -> {
      if (ar.succeeded()) {
        done.complete(ar.result());
      } else {
        done.completeExceptionally(ar.cause());
      }
    }));
    return done;
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
