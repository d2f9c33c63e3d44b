package dev.patchwire.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.msg.Change;
import dev.patchwire.msg.MsgStore;
import dev.patchwire.impl.EngineOptions;
import dev.patchwire.store.CollectionSpec;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.store.Write;
import dev.patchwire.store.WriteResult;
import dev.patchwire.wire.CloseCode;
import dev.patchwire.wire.FrameEncoder;
import dev.patchwire.wire.StrictDocument;
import dev.patchwire.wire.WsFrames;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One subscription's messages in order, in process (a real store and fan-out, no socket): a
 * recording sink sees the snapshot, Ready, live changes, then, once it fell behind its buffer
 * and drained, Resync and a fresh snapshot (no second Ready), and live changes again; a filtered
 * subscription sees a document enter as its whole add, change as its patch and leave as its
 * remove; nothing else. The socket tests (StreamSequenceTest, SlowConsumerTest, FilterTest)
 * hold the same over the wire.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("One subscription, in process")
class StreamOrderTest {

  private static final String C = "c";
  /** Small enough that three live frames pass it, so the test can make the subscriber lag. */
  private static final long BUFFER_BYTES = 250;

  @TempDir
  Path dir;

  @Test
  @DisplayName("sends snapshot, Ready, live, then Resync and a snapshot after a lag, then live, and nothing else")
  void snapshotReadyLiveResync(Vertx vertx) throws Exception {
    DocumentStore store = new DocumentStore(dir, Map.of(C, CollectionSpec.schemaless(C)), new DocumentStore.Retention(
        EngineOptions.DEFAULT_LOG_RETENTION_AGE, EngineOptions.DEFAULT_LOG_RETENTION_BYTES,
        EngineOptions.DEFAULT_LOG_COMPACT_INTERVAL_MILLIS));
    await(vertx.deployVerticle(store));
    MsgStore msgStore = new MsgStore(vertx, 1L << 20, store.committedSeq());
    Streams streams = new Streams(store, msgStore, BUFFER_BYTES, 10);
    Context context = vertx.getOrCreateContext();
    Fanout fanout = new Fanout(context, streams);
    await(onContext(context, fanout::listen));
    RecordingSink sink = new RecordingSink();
    await(onContext(context, () -> {
      fanout.open(new StreamRequest(C, Filter.ALL, null, false), sink);
      return Future.succeededFuture();
    }));
    waitFor(() -> sink.count() == 2, sink, "snapshot and Ready");

    // Changes pushed straight into the MsgStore at seqs past the store's head stand for commits;
    // the documents stay out of the store, so each snapshot is of the empty collection.
    long seq = store.committedSeq() + 100;
    msgStore.push(create(++seq, "a"));
    waitFor(() -> sink.count() == 3, sink, "the first live change");

    sink.full = true;  // the socket stops taking frames: live frames wait, then pass the buffer
    for (int i = 0; i < 6; i++) {
      msgStore.push(create(++seq, "b" + i));
    }
    Thread.sleep(200);
    assertEquals(3, sink.count(), "nothing goes out while the socket is full: " + sink.messages());

    sink.full = false;
    await(onContext(context, () -> {
      sink.onDrain.run();
      return Future.succeededFuture();
    }));
    waitFor(() -> sink.count() == 5, sink, "Resync and a fresh snapshot once the socket drains");
    msgStore.push(create(++seq, "c"));
    waitFor(() -> sink.count() == 6, sink, "live again after the resync snapshot");
    Thread.sleep(100);  // anything extra would have arrived by now

    List<JsonNode> got = sink.messages();
    assertEquals(List.of("snapshot", "ready", "live", "resync", "snapshot", "live"),
        got.stream().map(StreamOrderTest::kind).toList(), got.toString());
    assertEquals("lagged", got.get(3).path("Resync").path("reason").asText(), got.get(3).toString());
    assertTrue(got.get(3).path("Resync").path("dropped").asLong() >= 1, got.get(3).toString());
    assertEquals("/c/a", got.get(2).path("JsonPatch").path(0).path("path").asText());
    assertEquals("/c/c", got.get(5).path("JsonPatch").path(0).path("path").asText());
    assertEquals(seq, got.get(5).path("seq").asLong());
    await(onContext(context, () -> fanout.closeAll(CloseCode.GOING_AWAY.code(), "test")));
  }

  @Test
  @DisplayName("filtered: only matching documents, each entering as its add, changing as its patch, leaving as its remove")
  void filteredEnterPatchLeave(Vertx vertx) throws Exception {
    DocumentStore store = new DocumentStore(dir, Map.of(C, CollectionSpec.schemaless(C)), new DocumentStore.Retention(
        EngineOptions.DEFAULT_LOG_RETENTION_AGE, EngineOptions.DEFAULT_LOG_RETENTION_BYTES,
        EngineOptions.DEFAULT_LOG_COMPACT_INTERVAL_MILLIS));
    await(vertx.deployVerticle(store));
    MsgStore msgStore = new MsgStore(vertx, 1L << 20, store.committedSeq());
    store.publishTo(msgStore::push);  // real commits, as the engine wires them
    Streams streams = new Streams(store, msgStore, 1L << 20, 10);
    Context context = vertx.getOrCreateContext();
    Fanout fanout = new Fanout(context, streams);
    await(onContext(context, fanout::listen));
    put(store, "a", "todo");
    put(store, "b", "done");
    RecordingSink sink = new RecordingSink();
    await(onContext(context, () -> {
      fanout.open(new StreamRequest(C, Filter.parse("status:todo"), null, false), sink);
      return Future.succeededFuture();
    }));
    waitFor(() -> sink.count() == 2, sink, "snapshot and Ready");

    long patched = patch(store, "a", "/title", "a2").seq();  // matches before and after
    put(store, "x", "done");                                  // never matches
    WriteResult entered = patch(store, "b", "/status", "todo");
    long left = patch(store, "a", "/status", "done").seq();
    patch(store, "x", "/title", "x2");
    long deleted = await(store.write(new Write.Delete(C, "b", null))).seq();
    long created = put(store, "z", "todo");
    waitFor(() -> sink.count() == 7, sink, "the five changes that concern the filter");
    Thread.sleep(100);  // anything extra would have arrived by now

    List<JsonNode> got = sink.messages();
    assertEquals(List.of("snapshot", "ready", "live", "live", "live", "live", "live"),
        got.stream().map(StreamOrderTest::kind).toList(), got.toString());
    assertEquals(List.of("a"), fieldNames(got.get(0).path("JsonPatch").path(0).path("value")),
        "the snapshot holds the matching documents only: " + got.get(0));
    assertEquals(List.of(patched, entered.seq(), left, deleted, created),
        got.subList(2, 7).stream().map(m -> m.path("seq").asLong()).toList(), "live seqs: " + got);
    assertEquals(Json.parse("[{\"op\":\"replace\",\"path\":\"/c/a/title\",\"value\":\"a2\"}]"),
        got.get(2).path("JsonPatch"), "a matching update is its own patch");
    ObjectNode enter = Json.object().put("op", "add").put("path", "/c/b");
    enter.set("value", entered.doc());
    assertEquals(Json.MAPPER.createArrayNode().add(enter), got.get(3).path("JsonPatch"),
        "a document that starts to match: the add of the whole document");
    assertEquals(Json.parse("[{\"op\":\"remove\",\"path\":\"/c/a\"}]"), got.get(4).path("JsonPatch"),
        "a document that stops matching");
    assertEquals(Json.parse("[{\"op\":\"remove\",\"path\":\"/c/b\"}]"), got.get(5).path("JsonPatch"),
        "a matching document deleted");
    assertEquals("add", got.get(6).path("JsonPatch").path(0).path("op").asText(), got.get(6).toString());
    assertEquals("/c/z", got.get(6).path("JsonPatch").path(0).path("path").asText(), got.get(6).toString());

    // and a strict client holding them all has exactly the matching documents of the store
    StrictDocument held = new StrictDocument(C);
    held.snapshot(got.get(0).path("JsonPatch"), got.get(0).path("seq").asLong());
    held.moveTo(got.get(1).path("seq").asLong());
    for (JsonNode live : got.subList(2, 7)) {
      held.live(live.path("JsonPatch"), live.path("seq").asLong());
    }
    assertEquals(Json.parse(await(store.get(C, "z")).docs().get(0).json()), held.document().path(C).path("z"));
    assertEquals(List.of("z"), fieldNames(held.document().path(C)));
    await(onContext(context, () -> fanout.closeAll(CloseCode.GOING_AWAY.code(), "test")));
  }

  private static long put(DocumentStore store, String id, String status) throws Exception {
    return await(store.write(new Write.Put(C, id, Json.object().put("id", id).put("status", status)
        .put("title", id), null))).seq();
  }

  private static WriteResult patch(DocumentStore store, String id, String path, String value) throws Exception {
    return await(store.write(new Write.Patch(C, id, Json.parse("[{\"op\":\"replace\",\"path\":\"" + path
        + "\",\"value\":\"" + value + "\"}]"), null)));
  }

  private static List<String> fieldNames(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String kind(JsonNode m) {
    if (m.has("JsonPatch")) {
      return m.path("snapshot").asBoolean(false) ? "snapshot" : "live";
    }
    if (m.has("Ready")) {
      return "ready";
    }
    if (m.has("Resync")) {
      return "resync";
    }
    return "other " + m;
  }

  private static Change create(long seq, String id) {
    var doc = Json.object().put("id", id).put("text", "x".repeat(40));
    return new Change(seq, C, id, null, doc, Json.write(doc), 0, null);
  }

  /** Records every message whole (fragments joined); only the fan-out's event loop writes to it. */
  private static final class RecordingSink implements StreamSink {
    private final List<String> messages = new ArrayList<>();
    private Buffer fragments;
    volatile boolean full;
    volatile Runnable onDrain = () -> { };

    synchronized int count() {
      return messages.size();
    }

    synchronized List<JsonNode> messages() {
      return messages.stream().map(Json::parse).toList();
    }

    private synchronized void record(Buffer message) {
      messages.add(message.toString());
    }

    @Override public FrameEncoder encoder() { return WsFrames.INSTANCE; }
    @Override public String transport() { return "ws"; }
    @Override public void write(Buffer frame) { record(frame); }

    @Override
    public boolean writeDeferred(Buffer frame) {
      record(frame);
      return false;
    }

    @Override
    public void writeFragment(Buffer fragment, boolean first, boolean last) {
      fragments = first ? fragment.copy() : fragments.appendBuffer(fragment);
      if (last) {
        record(fragments);
      }
    }

    @Override public void flush() { }
    @Override public boolean writeQueueFull() { return full; }
    @Override public void drainHandler(Runnable onDrain) { this.onDrain = onDrain; }
    @Override public void closedHandler(Runnable onClosed) { }
    @Override public void close(short code, String reason) { }
  }

  private static void waitFor(BooleanSupplier condition, RecordingSink sink, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what + ": got " + sink.messages());
      Thread.sleep(5);
    }
  }

  private static <T> Future<T> onContext(Context context, Supplier<Future<T>> task) {
    return Future.future(p -> context.runOnContext(v -> task.get().onComplete(p)));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
