package dev.patchwire.torture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One stream client on its own thread, WebSocket or SSE, with a {@code where} filter. It applies
 * every patch strictly ({@link StrictPatcher}) to one document for its whole life, across
 * connections, and checks the protocol as it goes (start, Ready, live seqs strictly increasing,
 * Resync then a snapshot). At random it keeps reading, disconnects and resumes with
 * {@code since} (or Last-Event-ID), reconnects fresh, or stalls (stops reading for seconds, so the
 * engine drops and resyncs it). A close by the engine (a restart) is followed by a resume.
 * At the end it resumes once more and holds the position Ready gives, to be compared with REST.
 * With several nodes it keeps to its own node while that one runs and goes to another (resuming
 * with {@code since}) while it is down. It records the seq of every change it got and the range
 * each snapshot stood for, so that the test can check that no change was missed.
 */
final class Subscriber implements Runnable {

  static final int RCVBUF = 16 * 1024;

  final int index;
  /** The node this subscriber connects to while it runs. */
  private final int node;
  final String collection;
  final String where;
  final boolean ws;
  private final Random random;
  private final Vertx clients;
  private final Servers servers;
  private final Queue<String> failures;
  private final CountDownLatch finalGo;
  private volatile boolean finishing;
  final StrictPatcher patcher;
  final Map<String, Long> counts = new HashMap<>();
  /** The seq of every change applied (replayed or live), across connections. */
  final Set<Long> changeSeqs = new HashSet<>();
  /** {from, to}: a snapshot at seq {@code to} applied while holding {@code from}; it stands for every change in between. */
  final List<long[]> snapshotCovers = new ArrayList<>();

  String epoch;
  long position = -1;
  /** The Ready seq of the final resume; -1 until then. */
  volatile long finalReadySeq = -1;
  volatile boolean finalResumed;

  private Connection conn;

  Subscriber(int index, String collection, String where, boolean ws, long seed, Vertx clients, Servers servers,
      Queue<String> failures, CountDownLatch finalGo) {
    this.index = index;
    this.node = index % servers.nodes();
    this.collection = collection;
    this.where = where;
    this.ws = ws;
    this.random = new Random(seed);
    this.clients = clients;
    this.servers = servers;
    this.failures = failures;
    this.finalGo = finalGo;
    this.patcher = new StrictPatcher(collection);
  }

  String name() {
    return "subscriber " + index + " (" + (ws ? "ws" : "sse") + " " + collection + (where == null ? "" : "?where=" + where) + ")";
  }

  /** Whether the change at {@code seq} reached this subscriber: as a change, or inside a snapshot. */
  boolean delivered(long seq) {
    if (changeSeqs.contains(seq)) {
      return true;
    }
    for (long[] c : snapshotCovers) {
      if (seq > c[0] && seq <= c[1]) {
        return true;
      }
    }
    return false;
  }

  /** Asks the thread to stop its random walk, disconnect and wait for the final resume. */
  void finish() {
    finishing = true;
  }

  @Override
  public void run() {
    try {
      connect(false);
      while (!finishing) {
        long until = System.nanoTime() + (300 + random.nextInt(3000)) * 1_000_000L;
        if (!readUntil(until)) {
          count("serverCloses");
          connect(true);
          continue;
        }
        if (finishing) {
          break;
        }
        int r = random.nextInt(100);
        if (r < 20) {
          conn.close();
          count("disconnects");
          connect(true);
        } else if (r < 30) {
          conn.close();
          count("disconnects");
          connect(false);
        } else if (r < 45) {
          stall();
        }
      }
      conn.close();
      if (!finalGo.await(300, TimeUnit.SECONDS)) {
        throw new AssertionError("no final go");
      }
      connect(true);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!conn.ready && System.nanoTime() < deadline) {
        if (!readUntil(System.nanoTime() + 100_000_000L)) {
          throw new AssertionError("the final resume stream closed before Ready");
        }
      }
      if (!conn.ready) {
        throw new AssertionError("no Ready on the final resume within 60 s");
      }
      readUntil(System.nanoTime() + 300_000_000L);
      finalResumed = conn.resumed;
      finalReadySeq = conn.readySeq;
      conn.close();
    } catch (Throwable t) {
      failures.add(name() + ": " + t.getMessage());
      if (!(t instanceof AssertionError)) {
        t.printStackTrace();
      }
      if (conn != null) {
        conn.closeQuietly();
      }
    }
  }

  private void stall() {
    count("stalls");
    conn.pause();
    long ms = 3000 + random.nextInt(7000);
    long end = System.nanoTime() + ms * 1_000_000L;
    while (System.nanoTime() < end && !finishing) {
      sleep(50);
    }
    conn.resume();
  }

  /** Opens a stream, resuming from the position held when {@code resume} and there is one; retries while the engine restarts. */
  private void connect(boolean resume) {
    String since = resume && epoch != null ? epoch + ":" + position : null;
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    long backoff = 100;
    while (true) {
      Servers.Up up = servers.awaitUp(node, Duration.ofSeconds(180));
      try {
        conn = new Connection(up.node(), up.port(), since);
        count(since == null ? "freshConnects" : "resumeConnects");
        return;
      } catch (AssertionError e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not connect for 180 s: " + e.getMessage(), e);
        }
        sleep(backoff);
        backoff = Math.min(2000, backoff * 2);
      }
    }
  }

  /** Reads and applies until {@code deadlineNanos}; false when the stream ended. */
  private boolean readUntil(long deadlineNanos) {
    while (System.nanoTime() < deadlineNanos) {
      if (!conn.poll()) {
        return false;
      }
    }
    return true;
  }

  private void count(String what) {
    counts.merge(what, 1L, Long::sum);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** One connection and its place in the protocol. */
  private final class Connection {
    final String since;
    /** This connection's node, and the previous connection's (-1 for the first). */
    final int onNode;
    final int previousNode;
    final WsRecorder wsRec;
    final SseRecorder sseRec;
    boolean sawSnapshot;
    boolean ready;
    boolean resumed;
    long readySeq = -1;
    boolean expectingSnapshot;

    Connection(int onNode, int port, String since) {
      this.since = since;
      this.onNode = onNode;
      this.previousNode = conn == null ? -1 : conn.onNode;
      StringBuilder q = new StringBuilder();
      if (where != null) {
        q.append("where=").append(Rest.encode(where));
      }
      boolean lastEventId = !ws && since != null && random.nextBoolean();
      if (since != null && !lastEventId) {
        q.append(q.length() > 0 ? "&" : "").append("since=").append(since);
      }
      String path = "/api/collections/" + collection + "/stream/" + (ws ? "ws" : "sse") + (q.length() > 0 ? "?" + q : "");
      if (ws) {
        wsRec = WsRecorder.connect(clients, port, path, new WebSocketClientOptions().setReceiveBufferSize(RCVBUF));
        sseRec = null;
      } else {
        wsRec = null;
        SseRecorder s = SseRecorder.open(port, path, lastEventId ? since : null, RCVBUF);
        if (s.status() != 200) {
          s.close();
          throw new AssertionError("SSE " + path + " answered " + s.status() + ": " + s.body());
        }
        sseRec = s;
      }
    }

    /** Takes one event if there is one (else sleeps a little); false at the end of the stream. */
    boolean poll() {
      if (ws) {
        if (wsRec.pending().isEmpty()) {
          sleep(2);
          return true;
        }
        Object e = wsRec.nextEvent(Duration.ofSeconds(5));
        if (e instanceof WsRecorder.Closed) {
          wsRec.close();
          return false;
        }
        JsonObject f = ((WsRecorder.Frame) e).json();
        if (f.containsKey("JsonPatch")) {
          patch(Rest.parse(f.getJsonArray("JsonPatch").encode()), f.getLong("seq"), f.getString("epoch"),
              Boolean.TRUE.equals(f.getValue("snapshot")));
        } else if (f.containsKey("Ready")) {
          ready(f.getString("epoch"), f.getLong("seq"), f.getBoolean("resumed"));
        } else if (f.containsKey("Resync")) {
          resync(Rest.parse(f.getJsonObject("Resync").encode()));
        } else {
          throw new AssertionError("unexpected frame " + f.encode());
        }
        return true;
      }
      if (sseRec.pending().isEmpty()) {
        sleep(2);
        return true;
      }
      SseRecorder.Event e = sseRec.nextEventOrEnd(Duration.ofSeconds(5));
      if (e == null) {
        sseRec.close();
        return false;
      }
      switch (e.event()) {
        case "json_patch" -> {
          JsonNode p = e.json();
          patch(p, e.seq(), e.epoch(), patcher.isSnapshotPatch(p));
        }
        case "ready" -> {
          JsonNode r = e.json();
          ready(r.path("epoch").asText(), r.path("seq").asLong(), r.path("resumed").asBoolean());
        }
        case "resync" -> resync(e.json());
        default -> throw new AssertionError("unexpected SSE event " + e);
      }
      return true;
    }

    private void patch(JsonNode patch, long seq, String frameEpoch, boolean snapshot) {
      if (snapshot) {
        if (ready && !expectingSnapshot) {
          throw new AssertionError("a snapshot (seq " + seq + ") after Ready without a Resync");
        }
        if (!ready && sawSnapshot) {
          throw new AssertionError("a second snapshot before Ready (seq " + seq + ")");
        }
        checkEpoch(frameEpoch);
        if (seq < position) {
          throw new AssertionError("a snapshot at seq " + seq + " behind the position held, " + position
              + " (every change up to it was already committed)");
        }
        patcher.apply(patch, seq, true);
        snapshotCovers.add(new long[] {position, seq});
        position = seq;
        sawSnapshot = true;
        expectingSnapshot = false;
        count("snapshots");
        return;
      }
      if (expectingSnapshot) {
        throw new AssertionError("live seq " + seq + " after Resync and before its snapshot");
      }
      if (!ready && sawSnapshot) {
        throw new AssertionError("live seq " + seq + " between the snapshot and Ready");
      }
      if (!ready && since == null) {
        throw new AssertionError("replayed seq " + seq + " on a stream opened without since");
      }
      if (frameEpoch != null) {
        checkEpoch(frameEpoch);
      }
      if (seq <= position) {
        throw new AssertionError("live seq " + seq + " is not greater than the position held, " + position);
      }
      patcher.apply(patch, seq, false);
      changeSeqs.add(seq);
      position = seq;
      count(ready ? "live" : "replayed");
    }

    private void ready(String readyEpoch, long seq, boolean isResumed) {
      if (ready) {
        throw new AssertionError("a second Ready");
      }
      if (isResumed == sawSnapshot) {
        throw new AssertionError("Ready resumed:" + isResumed + (sawSnapshot ? " after a snapshot" : " without a snapshot"));
      }
      if (isResumed && since == null) {
        throw new AssertionError("Ready resumed:true on a stream opened without since");
      }
      checkEpoch(readyEpoch);
      if (seq < position) {
        throw new AssertionError("Ready seq " + seq + " behind the position held " + position);
      }
      position = seq;
      ready = true;
      resumed = isResumed;
      readySeq = seq;
      count(isResumed ? "resumedReady" : "snapshotReady");
      if (isResumed && previousNode >= 0 && previousNode != onNode) {
        count("resumedOnAnotherNode");
      }
    }

    /** PROTOCOL.md 3.1: a Resync only after the engine dropped this subscriber's messages. */
    private void resync(JsonNode body) {
      if (!ready || expectingSnapshot) {
        throw new AssertionError("Resync before Ready or twice in a row");
      }
      if (!"lagged".equals(body.path("reason").asText()) || !body.path("dropped").canConvertToLong()
          || body.path("dropped").asLong() < 0) {
        throw new AssertionError("a Resync the protocol does not allow: " + body);
      }
      expectingSnapshot = true;
      count("resyncs");
    }

    private void checkEpoch(String e) {
      if (epoch == null) {
        epoch = e;
      } else if (!epoch.equals(e)) {
        throw new AssertionError("epoch changed from " + epoch + " to " + e + " on the same database");
      }
    }

    void pause() {
      if (ws) {
        wsRec.pause();
      } else {
        sseRec.pause();
      }
    }

    void resume() {
      if (ws) {
        wsRec.resume();
      } else {
        sseRec.resume();
      }
    }

    void close() {
      if (ws) {
        wsRec.close();
      } else {
        sseRec.close();
      }
    }

    void closeQuietly() {
      try {
        close();
      } catch (Throwable ignored) {
        // failing already
      }
    }
  }
}
