package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.Rest.Response;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Closed;
import dev.patchwire.testing.WsRecorder.Frame;
import io.vertx.core.http.WebSocketClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 3.1 "Slow consumers do not hurt others" and step 4 (Resync), plus "Convergence
 * across a Resync".
 *
 * <p>A subscriber stops reading (its client socket has a 16 KiB receive buffer, so the server feels
 * it soon) while one writer puts megabytes of ~8 KiB documents. The engine must: keep the stalled
 * subscriber's retained bytes bounded; drop its backlog and count it; deliver every change to a
 * reading subscriber with no extra delay; and, once the stalled one reads again, send
 * {@code Resync{reason:lagged,dropped>0}}, a snapshot and live frames that converge.
 *
 * <p>The memory bound asserted on {@code /api/stats} is {@link #RETAINED_BOUND}: the configured
 * budget, plus 64 KiB for the socket's own write queue (Netty's default write-buffer high-water
 * mark, which Vert.x's {@code writeQueueFull()} reflects), plus one message (the one whose arrival
 * crossed the budget). It does not grow with the megabytes written, which is what matters.
 */
@DisplayName("A slow consumer")
class SlowConsumerTest extends StreamTestBase {

  static final int BUDGET = 64 * 1024;
  static final int MESSAGE = 16 * 1024;
  static final long RETAINED_BOUND = BUDGET + 64 * 1024 + MESSAGE;
  static final int DOC_IDS = 40;
  static final int MIN_WRITES = 300;
  static final int MAX_WRITES = 1200;
  static final int SMALL_RCVBUF = 16 * 1024;

  private final Random random = new Random(7);
  private final List<Response> acks = new ArrayList<>();
  private final List<Long> ackNanos = new ArrayList<>();
  private long maxRetained;
  private long maxPeak;

  @Test
  @DisplayName("is resynced within its byte budget while a reading subscriber gets every change promptly (WS and SSE)")
  void pausedSubscribersAreResynced() {
    start(TestServer.defaults().setSubscriberBufferBytes(BUDGET));
    seedDocs();
    WsRecorder slow = track(WsRecorder.connect(clients, server.port(), wsPath("items", "where=k:v"),
        new WebSocketClientOptions().setReceiveBufferSize(SMALL_RCVBUF)));
    StrictPatcher slowClient = expectSnapshotAndReady(slow, "items");
    SseRecorder slowSse = track(SseRecorder.open(server.port(), ssePath("items", "where=k:v"), null, SMALL_RCVBUF));
    StrictPatcher slowSseClient = new StrictPatcher("items").applySse(slowSse.nextEvent(WAIT));
    assertEquals("ready", slowSse.nextEvent(WAIT).event());
    WsRecorder fast = ws("items", null);
    StrictPatcher fastClient = expectSnapshotAndReady(fast, "items");

    slow.pause();
    slowSse.pause();
    writeUntil(stats -> dropped(stats, "ws") > 0 && dropped(stats, "sse") > 0);

    JsonNode stats = rest.stats();
    System.out.printf("slow consumer: %d writes of ~8 KiB; stalled subscribers' max retainedBytes %d, max peakRetainedBytes %d (bound %d); stats %s%n",
        acks.size(), maxRetained, maxPeak, RETAINED_BOUND, stats);
    assertTrue(maxRetained <= RETAINED_BOUND && maxPeak <= RETAINED_BOUND,
        "retained bytes of the stalled subscribers stay within " + RETAINED_BOUND + " (budget " + BUDGET
            + "): max retainedBytes " + maxRetained + ", max peakRetainedBytes " + maxPeak + "; " + stats);
    JsonNode fastStats = subscriber(stats, "ws", null);
    assertEquals(0, fastStats.path("dropped").asLong(), "the reading subscriber lost nothing: " + fastStats);
    assertEquals(0, fastStats.path("resyncs").asLong(), "the reading subscriber was never resynced: " + fastStats);
    assertTrue(stats.path("totals").path("drops").asLong() > 0, "totals.drops counts the drops: " + stats);

    long maxDelayNanos = 0;
    for (int i = 0; i < acks.size(); i++) {
      Frame f = fast.nextFrame(WAIT);
      assertEquals(acks.get(i).seq(), f.seq(), "the reading subscriber gets write " + i + " in order");
      fastClient.applyWs(f.json());
      maxDelayNanos = Math.max(maxDelayNanos, f.nanos() - ackNanos.get(i));
    }
    fast.assertExhausted(0);
    System.out.printf("slow consumer: the reading subscriber's worst delay after an ack: %d ms%n", maxDelayNanos / 1_000_000);
    assertTrue(maxDelayNanos < Duration.ofSeconds(5).toNanos(),
        "the reading subscriber's worst delay after an ack is " + maxDelayNanos / 1_000_000 + " ms (sanity bound 5 s)");
    ObjectNode restState = restDocs("items", null);
    assertDocs(restState, fastClient.docs(), "reading subscriber vs REST");

    slow.resume();
    recoverWs(slow, slowClient);
    assertDocs(restDocs("items", "k:v"), slowClient.docs(), "resynced WS subscriber vs REST");
    slowSse.resume();
    recoverSse(slowSse, slowSseClient);
    assertDocs(restDocs("items", "k:v"), slowSseClient.docs(), "resynced SSE subscriber vs REST");

    JsonNode after = subscriber(rest.stats(), "ws", "k:v");
    assertTrue(after.path("resyncs").asLong() >= 1, "stats count the resync: " + after);
  }

  @Test
  @DisplayName("that asked for lag=close is closed (WS 4008, SSE end of stream) after the frames it had, with no gap and no Resync")
  void lagCloseCloses() {
    start(TestServer.defaults().setSubscriberBufferBytes(BUDGET));
    seedDocs();
    WsRecorder slow = track(WsRecorder.connect(clients, server.port(), wsPath("items", "where=k:v&lag=close"),
        new WebSocketClientOptions().setReceiveBufferSize(SMALL_RCVBUF)));
    StrictPatcher slowClient = expectSnapshotAndReady(slow, "items");
    SseRecorder slowSse = track(SseRecorder.open(server.port(), ssePath("items", "where=k:v&lag=close"), null, SMALL_RCVBUF));
    StrictPatcher slowSseClient = new StrictPatcher("items").applySse(slowSse.nextEvent(WAIT));
    assertEquals("ready", slowSse.nextEvent(WAIT).event());
    WsRecorder fast = ws("items", null);
    expectSnapshotAndReady(fast, "items");

    slow.pause();
    slowSse.pause();
    writeUntil(stats -> stats.path("totals").path("lagCloses").asLong() >= 2);
    for (Response ack : acks) {
      assertEquals(ack.seq(), fast.nextFrame(WAIT).seq(), "the reading subscriber gets every write in order");
    }
    fast.assertExhausted(0);

    slow.resume();
    List<Frame> frames = new ArrayList<>();
    Closed closed = slow.drainUntilClose(frames, Duration.ofSeconds(30));
    assertEquals((short) 4008, closed.code(), "close code for a lagging lag=close subscriber (reason " + closed.reason() + ")");
    if (!frames.isEmpty() && frames.get(frames.size() - 1).isError()) {
      Frame error = frames.remove(frames.size() - 1);
      assertEquals("lagged", error.json().getJsonObject("error").getString("code"),
          "an error frame before the 4008 close (3.1 step 6) names the cause: " + error);
    }
    for (int i = 0; i < frames.size(); i++) {
      Frame f = frames.get(i);
      assertTrue(f.isLive(), "only live frames (and at most a final error frame) before the close, got " + f);
      assertEquals(acks.get(i).seq(), f.seq(), "frames before the close are a gap-free prefix of the writes");
      slowClient.applyWs(f.json());
    }
    assertTrue(frames.size() < acks.size(), "some frames were dropped (" + frames.size() + " of " + acks.size() + ")");

    slowSse.resume();
    int i = 0;
    while (true) {
      Object next = slowSse.nextEventOrEnd(Duration.ofSeconds(30));
      if (next == null) {
        break;
      }
      SseRecorder.Event e = (SseRecorder.Event) next;
      if ("error".equals(e.event())) {
        assertEquals("lagged", e.json().path("error").path("code").asText(), "error event names the cause: " + e);
        assertEquals(null, slowSse.nextEventOrEnd(Duration.ofSeconds(30)), "the stream ends after the error event");
        break;
      }
      assertEquals("json_patch", e.event(), "only json_patch events (and at most a final error) before the end: " + e);
      assertEquals(acks.get(i).seq(), e.seq(), "SSE events before the end are a gap-free prefix of the writes");
      slowSseClient.applySse(e);
      i++;
    }
    assertTrue(i < acks.size(), "some SSE events were dropped (" + i + " of " + acks.size() + ")");
  }

  private void seedDocs() {
    for (int i = 0; i < DOC_IDS; i++) {
      acks.add(rest.put("items", "d" + i, doc(-1)).expect(201));
      ackNanos.add(System.nanoTime());
    }
    acks.clear();
    ackNanos.clear();
  }

  private ObjectNode doc(int i) {
    StringBuilder pad = new StringBuilder(8000);
    for (int j = 0; j < 8000; j++) {
      pad.append((char) ('a' + random.nextInt(26)));
    }
    return obj("k", "v", "i", i, "pad", pad.toString());
  }

  /** Writes ~8 KiB documents until {@code done} holds on /api/stats (at least MIN_WRITES, at most MAX_WRITES). */
  private void writeUntil(Predicate<JsonNode> done) {
    for (int i = 0; i < MAX_WRITES; i++) {
      Response r = rest.put("items", "d" + (i % DOC_IDS), doc(i)).expect(200);
      ackNanos.add(System.nanoTime());
      acks.add(r);
      if (i % 10 == 9) {
        JsonNode stats = rest.stats();
        for (JsonNode s : stats.path("subscribers")) {
          if ("k:v".equals(s.path("where").asText(null))) {
            maxRetained = Math.max(maxRetained, s.path("retainedBytes").asLong());
            maxPeak = Math.max(maxPeak, s.path("peakRetainedBytes").asLong());
          }
        }
        if (i + 1 >= MIN_WRITES && done.test(stats)) {
          return;
        }
      }
    }
    fail("after " + MAX_WRITES + " writes of ~8 KiB the engine still reports no drop / lag close for the stalled subscriber: "
        + rest.stats());
  }

  private static long dropped(JsonNode stats, String transport) {
    JsonNode s = subscriberOrNull(stats, transport, "k:v");
    return s == null ? 0 : s.path("dropped").asLong();
  }

  private static JsonNode subscriber(JsonNode stats, String transport, String where) {
    JsonNode s = subscriberOrNull(stats, transport, where);
    if (s == null) {
      fail("no " + transport + " subscriber with where " + where + " in " + stats);
    }
    return s;
  }

  private static JsonNode subscriberOrNull(JsonNode stats, String transport, String where) {
    for (JsonNode s : stats.path("subscribers")) {
      JsonNode w = s.get("where");
      String sw = w == null || w.isNull() ? null : w.asText();
      if (transport.equals(s.path("transport").asText()) && (where == null ? sw == null || sw.isEmpty() : where.equals(sw))) {
        return s;
      }
    }
    return null;
  }

  /** The collection state right after the acknowledged write with seq {@code seq} (the seed docs are replaced by then). */
  private ObjectNode stateAt(long seq, ObjectNode start) {
    ObjectNode state = start.deepCopy();
    for (Response r : acks) {
      if (r.seq() <= seq) {
        JsonNode d = r.json();
        state.set(d.path("id").asText(), d);
      }
    }
    return state;
  }

  /**
   * After resume: live frames that were already on their way (a gap-free continuation), then
   * Resync{lagged, dropped>0}, then a snapshot (optionally Ready at its seq), then live frames with
   * exactly the later writes; until the client has the last write.
   */
  private void recoverWs(WsRecorder ws, StrictPatcher client) {
    ObjectNode start = client.docs().deepCopy();
    long last = acks.get(acks.size() - 1).seq();
    int next = 0;
    boolean resynced = false;
    while (client.lastSeq() < last || !resynced) {
      Frame f = ws.nextFrame(WAIT);
      if (f.isResync()) {
        JsonNode resync = Rest.parse(f.json().getJsonObject("Resync").encode());
        assertEquals("lagged", resync.path("reason").asText(), "Resync reason: " + f);
        assertTrue(resync.path("dropped").asLong() > 0, "Resync counts dropped messages: " + f);
        Frame snap = ws.nextFrame(WAIT);
        assertTrue(snap.isSnapshot(), "a snapshot right after Resync, got " + snap);
        client.applyWs(snap.json());
        assertDocs(stateAt(snap.seq(), start), client.docs(), "the snapshot after Resync holds exactly the writes up to its seq " + snap.seq());
        next = firstAckAfter(snap.seq());
        resynced = true;
      } else if (f.isReady()) {
        assertTrue(resynced && client.lastSeq() == f.seq(), "Ready only right after the resync snapshot, at its seq: " + f);
      } else if (f.isLive()) {
        assertTrue(next < acks.size(), "more live frames than writes: " + f);
        assertEquals(acks.get(next).seq(), f.seq(), "live frames have no gap (resynced: " + resynced + ")");
        client.applyWs(f.json());
        next++;
      } else {
        fail("unexpected frame from the recovering subscriber: " + f);
      }
    }
    ws.assertExhausted(QUIET_MILLIS);
  }

  private void recoverSse(SseRecorder sse, StrictPatcher client) {
    ObjectNode start = client.docs().deepCopy();
    long last = acks.get(acks.size() - 1).seq();
    int next = 0;
    boolean resynced = false;
    boolean expectSnapshot = false;
    while (client.lastSeq() < last || !resynced) {
      SseRecorder.Event e = sse.nextEvent(WAIT);
      switch (e.event()) {
        case "resync" -> {
          assertEquals("lagged", e.json().path("reason").asText(), "resync reason: " + e);
          assertTrue(e.json().path("dropped").asLong() > 0, "resync counts dropped messages: " + e);
          expectSnapshot = true;
        }
        case "json_patch" -> {
          boolean snapshot = client.isSnapshotPatch(e.json());
          assertEquals(expectSnapshot, snapshot, "a snapshot exactly right after resync: " + e);
          client.applySse(e);
          if (snapshot) {
            assertDocs(stateAt(e.seq(), start), client.docs(), "the snapshot after resync holds exactly the writes up to " + e.seq());
            next = firstAckAfter(e.seq());
            resynced = true;
            expectSnapshot = false;
          } else {
            assertTrue(next < acks.size(), "more json_patch events than writes: " + e);
            assertEquals(acks.get(next).seq(), e.seq(), "SSE live events have no gap (resynced: " + resynced + ")");
            next++;
          }
        }
        case "ready" -> assertTrue(resynced && client.lastSeq() == e.json().path("seq").asLong(),
            "ready only right after the resync snapshot: " + e);
        default -> fail("unexpected event from the recovering SSE subscriber: " + e);
      }
    }
    sse.assertExhausted(QUIET_MILLIS);
  }

  private int firstAckAfter(long seq) {
    int i = 0;
    while (i < acks.size() && acks.get(i).seq() <= seq) {
      i++;
    }
    return i;
  }
}
