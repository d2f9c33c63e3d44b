package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static dev.patchwire.testing.Rest.op;
import static dev.patchwire.testing.Rest.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.Rest.Response;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 3.1 "No loss, no duplicate between snapshot and live" and "Convergence", under load:
 * writers hammer a collection from several HTTP clients while subscribers join at random moments.
 *
 * <p>Every acknowledged write is logged with its seq and resulting document (null for a delete);
 * every write touches the collection, so the log replayed up to any seq is the exact server state
 * at that seq. For each subscriber the test then proves: the snapshot at S equals the log state at
 * S; the live frames carry exactly the logged seqs greater than S, each once, in order; after each
 * live frame N the strictly patched document equals the log state at N.
 */
@DisplayName("Snapshot and live under concurrent writers")
class SnapshotLiveBoundaryTest extends StreamTestBase {

  private static final int WRITERS = 4;
  private static final int MAX_WRITES_PER_WRITER = 120;
  private static final int SUBSCRIBERS = 36;

  /** One acknowledged write: its seq, the document id and the document after it (null: deleted). */
  private record Logged(long seq, String id, JsonNode doc) {}

  /** A stream message reduced to what the check needs, for WS frames and SSE events alike. */
  private record Msg(String kind, long seq, JsonNode body, String raw) {}

  @Test
  @DisplayName("lose nothing and double nothing for subscribers that join at random moments")
  void noLossNoDuplicateAtTheBoundary() throws Exception {
    start();
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String why = " (seed " + seed + ")";

    ConcurrentLinkedQueue<Logged> log = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> writers = new ArrayList<>();
    long writeStart = System.nanoTime();
    for (int w = 0; w < WRITERS; w++) {
      int writer = w;
      long writerSeed = seed + w;
      Thread t = new Thread(() -> write(writer, new Random(writerSeed), log, errors, stop), "writer-" + w);
      writers.add(t);
      t.start();
    }

    // Subscribers join at random points of the write sequence (not of the clock, which a busy
    // 2-core machine stretches unpredictably): subscriber i waits until the log holds target i.
    List<Integer> targets = new ArrayList<>();
    for (int i = 0; i < SUBSCRIBERS; i++) {
      targets.add(random.nextInt(WRITERS * MAX_WRITES_PER_WRITER * 5 / 6));
    }
    targets.sort(null);
    List<Object> subscribers = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    for (int i = 0; i < SUBSCRIBERS && errors.isEmpty(); i++) {
      while (log.size() < targets.get(i) && errors.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      Thread.sleep(random.nextInt(3));
      subscribers.add(i % 4 == 3 ? sse("items", null) : ws("items", null));
    }
    for (Thread t : writers) {
      t.join(90_000);
    }
    stop.set(true);
    assertTrue(errors.isEmpty(), "writes failed: " + errors);

    TreeMap<Long, Logged> bySeq = new TreeMap<>();
    for (Logged l : log) {
      Logged previous = bySeq.put(l.seq(), l);
      if (previous != null) {
        fail("two acknowledged writes share seq " + l.seq() + ": " + previous.id() + " and " + l.id());
      }
    }
    long last = bySeq.lastKey();
    assertEquals(WRITERS * MAX_WRITES_PER_WRITER, bySeq.size(), "every write was acknowledged");

    long verifyStart = System.nanoTime();
    List<Long> snapshotSeqs = new ArrayList<>();
    for (int i = 0; i < subscribers.size(); i++) {
      snapshotSeqs.add(verify(subscribers.get(i), bySeq, last, "subscriber " + i + why));
    }
    long midStream = snapshotSeqs.stream().filter(s -> s > bySeq.firstKey() && s < last).count();
    System.out.printf("boundary: %d writes (seq %d..%d) in %d ms, verified in %d ms, %d subscribers, snapshot seqs %s%s%n",
        bySeq.size(), bySeq.firstKey(), last, (verifyStart - writeStart) / 1_000_000, (System.nanoTime() - verifyStart) / 1_000_000,
        subscribers.size(), snapshotSeqs, why);
    assertTrue(midStream >= subscribers.size() / 2,
        "only " + midStream + " of " + subscribers.size() + " subscribers joined while writes were going on: " + snapshotSeqs + why);
    Thread.sleep(QUIET_MILLIS);
    for (int i = 0; i < subscribers.size(); i++) {
      List<Object> pending = subscribers.get(i) instanceof WsRecorder ws ? ws.pending() : ((SseRecorder) subscribers.get(i)).pending();
      assertTrue(pending.isEmpty(), "subscriber " + i + " got more after the last write: " + pending + why);
    }
    assertDocs(stateAt(bySeq, last), restDocs("items", null), "REST state vs the log" + why);
  }

  /** One writer: creates, patches and deletes documents of its own, until told to stop. */
  private void write(int writer, Random random, ConcurrentLinkedQueue<Logged> log,
      ConcurrentLinkedQueue<String> errors, AtomicBoolean stop) {
    Rest client = new Rest(server.baseUrl());
    List<String> live = new ArrayList<>();
    Map<String, Integer> counters = new HashMap<>();
    int created = 0;
    for (int n = 0; n < MAX_WRITES_PER_WRITER && !stop.get() && errors.isEmpty(); n++) {
      int dice = random.nextInt(10);
      try {
        if (live.isEmpty() || dice < 3) {
          String id = "w" + writer + "-" + created++;
          Response r = client.put("items", id, obj("writer", writer, "v", 0, "pad", "x".repeat(random.nextInt(200))));
          record(r, 201, id, log, errors);
          live.add(id);
          counters.put(id, 0);
        } else if (dice < 9) {
          String id = live.get(random.nextInt(live.size()));
          int v = counters.merge(id, 1, Integer::sum);
          JsonNode p = random.nextBoolean()
              ? patch(op("replace", "/v", v))
              : patch(op("replace", "/v", v), op("add", "/k" + random.nextInt(3), v));
          record(client.patch("items", id, p), 200, id, log, errors);
        } else {
          String id = live.remove(random.nextInt(live.size()));
          record(client.delete("items", id), 204, id, log, errors);
        }
      } catch (Throwable t) {
        errors.add(t.toString());
      }
    }
  }

  private static void record(Response r, int status, String id, ConcurrentLinkedQueue<Logged> log,
      ConcurrentLinkedQueue<String> errors) {
    if (r.status() != status) {
      errors.add(r.method() + " " + r.uri() + " -> " + r.status() + " " + r.body());
      return;
    }
    log.add(new Logged(r.seq(), id, status == 204 ? null : r.json()));
  }

  /** The collection map after every logged write with seq at most {@code seq}. */
  private static ObjectNode stateAt(TreeMap<Long, Logged> bySeq, long seq) {
    ObjectNode state = Rest.MAPPER.createObjectNode();
    for (Logged l : bySeq.headMap(seq, true).values()) {
      apply(state, l);
    }
    return state;
  }

  private static void apply(ObjectNode state, Logged l) {
    if (l.doc() == null) {
      state.remove(l.id());
    } else {
      state.set(l.id(), l.doc());
    }
  }

  /** Like assertDocs, but on a difference names, for each differing id, its writes and the frames that touched it. */
  private static void compare(ObjectNode expected, ObjectNode actual, String what, TreeMap<Long, Logged> bySeq, List<Msg> lives) {
    try {
      assertDocs(expected, actual, what);
    } catch (AssertionError e) {
      Set<String> ids = new TreeSet<>();
      expected.fieldNames().forEachRemaining(ids::add);
      actual.fieldNames().forEachRemaining(ids::add);
      StringBuilder why = new StringBuilder(what);
      for (String id : ids) {
        if (!Objects.equals(expected.get(id), actual.get(id))) {
          why.append("\n  id ").append(id).append(": expected ").append(expected.get(id)).append(", client has ").append(actual.get(id));
          for (Logged l : bySeq.values()) {
            if (l.id().equals(id)) {
              why.append("\n    write seq ").append(l.seq()).append(" -> ").append(l.doc());
            }
          }
          for (Msg m : lives) {
            if (m.raw().contains("/items/" + id + "\"") || m.raw().contains("/items/" + id + "/")) {
              why.append("\n    frame ").append(m.raw());
            }
          }
        }
      }
      throw new AssertionError(why.toString(), e);
    }
  }

  /** Checks one subscriber's whole stream against the log; returns its snapshot seq. */
  private long verify(Object subscriber, TreeMap<Long, Logged> bySeq, long last, String who) {
    Msg snap = next(subscriber);
    assertEquals("snapshot", snap.kind(), who + ": first message " + snap.raw());
    long s = snap.seq();
    Msg ready = next(subscriber);
    assertEquals("ready", ready.kind(), who + ": second message " + ready.raw());
    assertEquals(s, ready.seq(), who + ": Ready seq = snapshot seq");

    StrictPatcher client = new StrictPatcher("items");
    client.apply(snap.body(), s, true);
    ObjectNode expected = stateAt(bySeq, s);
    compare(expected, client.docs(), who + ": snapshot at seq " + s + " vs the log", bySeq, List.of());

    List<Long> expectedSeqs = new ArrayList<>(bySeq.tailMap(s, false).keySet());
    List<Long> got = new ArrayList<>();
    List<Msg> lives = new ArrayList<>();
    long cursor = s;
    while (cursor < last) {
      Msg m = next(subscriber);
      if (!"live".equals(m.kind())) {
        fail(who + ": expected live messages up to seq " + last + ", got " + m.raw());
      }
      got.add(m.seq());
      lives.add(m);
      client.apply(m.body(), m.seq(), false);
      for (Logged l : bySeq.subMap(cursor, false, m.seq(), true).values()) {
        apply(expected, l);
      }
      compare(expected, client.docs(), who + ": state after seq " + m.seq() + " (previous frame seq " + cursor
          + ", snapshot seq " + s + ") vs the log", bySeq, lives);
      cursor = m.seq();
    }
    if (!got.equals(expectedSeqs)) {
      List<Long> missing = new ArrayList<>(expectedSeqs);
      missing.removeAll(got);
      List<Long> extra = new ArrayList<>(got);
      extra.removeAll(expectedSeqs);
      fail(who + ": snapshot seq " + s + "; live seqs differ from the acknowledged writes after it: missing "
          + missing + ", unexpected " + extra + ", duplicates " + (got.size() - new HashSet<>(got).size()));
    }
    return s;
  }

  private static Msg next(Object subscriber) {
    Duration wait = WAIT;
    if (subscriber instanceof WsRecorder ws) {
      Frame f = ws.nextFrame(wait);
      if (f.isSnapshot()) {
        return new Msg("snapshot", f.seq(), f.patch(), f.toString());
      }
      if (f.isReady()) {
        return new Msg("ready", f.seq(), null, f.toString());
      }
      if (f.isLive()) {
        return new Msg("live", f.seq(), f.patch(), f.toString());
      }
      return new Msg("other", -1, null, f.toString());
    }
    SseRecorder sse = (SseRecorder) subscriber;
    SseRecorder.Event e = sse.nextEvent(wait);
    switch (e.event()) {
      case "json_patch" -> {
        JsonNode p = e.json();
        boolean snapshot = new StrictPatcher("items").isSnapshotPatch(p);
        return new Msg(snapshot ? "snapshot" : "live", e.seq(), p, e.toString());
      }
      case "ready" -> {
        return new Msg("ready", e.json().path("seq").asLong(-1), null, e.toString());
      }
      default -> {
        return new Msg("other", -1, null, e.toString());
      }
    }
  }
}
