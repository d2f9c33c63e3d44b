package dev.patchwire.tools;

import static dev.patchwire.testing.Rest.obj;
import static dev.patchwire.testing.Rest.op;
import static dev.patchwire.testing.Rest.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.TestServer;
import dev.patchwire.wire.Position;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Records the kanban session whose streams are checked into {@code src/test/resources/recordings/},
 * against a fresh in-process engine, and writes {@code expected.json} beside them.
 *
 * <p>Re-record (from {@code engine/}): {@code mvn -o test-compile} then
 * {@code java -cp target/test-classes:target/classes:$(mvn -o -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout) dev.patchwire.tools.KanbanSession src/test/resources/recordings},
 * or {@code mvn -o test -Dtest=RecordingsMatchEngineTest -Drecordings.rewrite=true}.
 *
 * <p>The session is one writer doing its writes one after another, so that every seq, every frame
 * and every final document is the same on each run; only the epoch, the {@code created_at} /
 * {@code updated_at} times, the {@code t} of each line and the frames a stalled subscriber received
 * before its backlog was dropped differ ({@link RecordingNormalizer} takes those out).
 *
 * <ol>
 *   <li>{@code kanban-alpha-ws}: WebSocket {@code tasks?where=project_id:alpha}: creates, edits, a
 *       task moved in from project beta (add) and one moved out (remove), deletes.</li>
 *   <li>{@code kanban-todo-sse}: SSE {@code tasks?where=status:todo}: tasks entering and leaving the
 *       filter as their status changes.</li>
 *   <li>{@code kanban-resync-sse}: SSE {@code tasks}, all of them, with a small receive buffer; it stops
 *       reading during a burst of large writes, is dropped, and gets Resync and a snapshot. The burst
 *       must exceed what loopback TCP buffers hold (the server's send buffer grows to 4 MiB), so this
 *       recording is megabytes of repetitive text, kept gzipped ({@code .jsonl.gz}).</li>
 *   <li>{@code kanban-resume-sse-1} and {@code -2}: SSE {@code tasks?where=project_id:alpha}; the first
 *       stops after a few changes, the second reconnects with {@code since} and gets the missed
 *       changes replayed ({@code resumed:true}).</li>
 * </ol>
 */
public final class KanbanSession {

  /** The recordings, by set: a set is one client's successive connections. */
  public static final Map<String, List<String>> SETS = new LinkedHashMap<>();

  static {
    SETS.put("kanban-alpha-ws", List.of("kanban-alpha-ws.jsonl"));
    SETS.put("kanban-todo-sse", List.of("kanban-todo-sse.jsonl"));
    SETS.put("kanban-resync-sse", List.of("kanban-resync-sse.jsonl.gz"));
    SETS.put("kanban-resume-sse", List.of("kanban-resume-sse-1.jsonl", "kanban-resume-sse-2.jsonl"));
  }

  static final int BURST_WRITES = 300;
  static final int BURST_DESCRIPTION = 19_000;
  static final long WAIT_MILLIS = 20_000;

  private final Path dir;
  private final Vertx clients = Vertx.vertx();
  private final List<Stream> streams = new ArrayList<>();
  private TestServer server;
  private Rest rest;

  private KanbanSession(Path dir) {
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/recordings");
    ObjectNode expected = record(dir);
    System.out.println("recorded " + SETS.keySet() + " into " + dir.toAbsolutePath() + "; epoch " + expected.path("epoch").asText());
    System.exit(0);
  }

  /** Runs the session, writes the recordings and {@code expected.json} into {@code dir}; returns the latter. */
  public static ObjectNode record(Path dir) throws Exception {
    Files.createDirectories(dir);
    KanbanSession s = new KanbanSession(dir);
    try {
      return s.run();
    } finally {
      s.close();
    }
  }

  /** One recorded stream, and what the session has seen of it so far. */
  private final class Stream {
    final String file;
    final PrintStream out;
    final Recorder recorder;
    volatile long lastSeq = -1;
    volatile boolean ready;
    volatile int snapshots;
    volatile int resyncs;

    Stream(String file, String url, Recorder.Limits limits) throws IOException {
      this.file = file;
      java.io.OutputStream raw = Files.newOutputStream(dir.resolve(file));
      this.out = new PrintStream(file.endsWith(".gz") ? new java.util.zip.GZIPOutputStream(raw, 64 * 1024) : raw,
          false, StandardCharsets.UTF_8);
      this.recorder = Recorder.start(clients, StreamUrl.parse(url), new RecordingWriter(out, this::seen), limits);
      streams.add(this);
    }

    private void seen(ObjectNode line) {
      JsonNode f = line.get("frame");
      JsonNode e = line.get("sse");
      if (f != null) {
        if (f.has("JsonPatch")) {
          lastSeq = f.path("seq").asLong();
          snapshots += f.path("snapshot").asBoolean() ? 1 : 0;
        }
        ready |= f.has("Ready");
        resyncs += f.has("Resync") ? 1 : 0;
      } else if (e != null && e.has("event")) {
        String name = e.path("event").asText();
        if (name.equals("json_patch")) {
          String id = e.path("id").asText();
          lastSeq = Position.require(id).seq();
          JsonNode data = e.path("data");
          snapshots += data.size() == 1 && data.path(0).path("path").asText().equals("/tasks") ? 1 : 0;
        }
        ready |= name.equals("ready");
        resyncs += name.equals("resync") ? 1 : 0;
      }
    }

    void awaitSeq(long seq) {
      await(() -> lastSeq >= seq, file + " reaches seq " + seq + " (at " + lastSeq + ")");
    }
  }

  private ObjectNode run() throws Exception {
    server = TestServer.start(TestServer.defaults()
        .setSubscriberBufferBytes(16 * 1024)
        .setSsePingIntervalMillis(3_600_000)
        .setPingIntervalMillis(3_600_000));
    rest = new Rest(server.baseUrl());
    String ws = "ws://127.0.0.1:" + server.port() + "/api/collections/tasks/stream/ws";
    String sse = server.baseUrl() + "/api/collections/tasks/stream/sse";

    rest.put("projects", "alpha", obj("name", "Alpha")).expect(201);
    rest.put("projects", "beta", obj("name", "Beta")).expect(201);
    rest.put("tasks", "a1", obj("project_id", "alpha", "title", "Sketch the board", "position", 1000)).expect(201);
    long start = rest.put("tasks", "b1", obj("project_id", "beta", "title", "Beta kickoff", "status", "inprogress")).expect(201).seq();

    Stream alpha = new Stream("kanban-alpha-ws.jsonl", ws + "?where=project_id:alpha", Recorder.Limits.NONE);
    Stream todo = new Stream("kanban-todo-sse.jsonl", sse + "?where=status:todo", Recorder.Limits.NONE);
    Stream all = new Stream("kanban-resync-sse.jsonl.gz", sse, new Recorder.Limits(null, 0, 16 * 1024));
    // snapshot + Ready + 7 live changes of project alpha, then it stops on its own
    Stream resume1 = new Stream("kanban-resume-sse-1.jsonl", sse + "?where=project_id:alpha", new Recorder.Limits(null, 9, 0));
    for (Stream s : streams) {
      await(() -> s.ready, s.file + " is Ready");
    }

    // creates, edits, moves between projects and statuses, deletes
    rest.put("tasks", "a2", obj("project_id", "alpha", "title", "Write the API", "position", 2000)).expect(201);
    rest.put("tasks", "a3", obj("project_id", "alpha", "title", "Wire the stream", "status", "inprogress", "position", 3000)).expect(201);
    rest.put("tasks", "a4/odd~id", obj("project_id", "alpha", "title", "Odd id ~ and / tests", "position", 4000)).expect(201);
    rest.put("tasks", "b2", obj("project_id", "beta", "title", "Beta review")).expect(201);
    rest.patch("tasks", "a1", patch(op("test", "/status", "todo"), op("replace", "/status", "inprogress"))).expect(200);
    rest.patch("tasks", "a2", patch(op("replace", "/title", "Write the REST API"), op("add", "/description", "PUT, PATCH, DELETE"))).expect(200);
    rest.patch("tasks", "a3", patch(op("replace", "/status", "todo"))).expect(200);
    long moved = rest.patch("tasks", "b1", patch(op("replace", "/project_id", "alpha"))).expect(200).seq();
    resume1.awaitSeq(moved);
    await(() -> resume1.recorder.done().isDone(), "the first resume recording stops after 9 messages");
    rest.patch("tasks", "a4/odd~id", patch(op("replace", "/project_id", "beta"))).expect(200);
    rest.delete("tasks", "a2").expect(204);
    rest.put("tasks", "a1", obj("project_id", "alpha", "title", "Sketch the board, again", "status", "inreview", "position", 500)).expect(200);
    rest.patch("tasks", "b2", patch(op("replace", "/status", "done"))).expect(200);
    long beforeResume = rest.put("tasks", "c1", obj("project_id", "alpha", "title", "Ship it", "description", null)).expect(201).seq();
    alpha.awaitSeq(beforeResume);

    Stream resume2 = new Stream("kanban-resume-sse-2.jsonl",
        sse + "?where=project_id:alpha&since=" + server.epoch() + ":" + resume1.lastSeq, Recorder.Limits.NONE);
    await(() -> resume2.ready, resume2.file + " is Ready");

    // the unfiltered WebSocket stops reading; a burst in project gamma overflows its budget
    all.awaitSeq(beforeResume);
    long stallAfter = beforeResume;
    all.recorder.pause();
    String pad = "x".repeat(BURST_DESCRIPTION);
    long burstSeq = 0;
    for (int i = 0; i < BURST_WRITES; i++) {
      burstSeq = rest.put("tasks", "g" + (i % 4), obj("project_id", "gamma", "title", "Load " + i, "status", "done",
          "description", pad + i)).expect(i < 4 ? 201 : 200).seq();
    }
    long burstEnd = burstSeq;
    long drops = rest.stats().path("totals").path("drops").asLong();
    if (drops == 0) {
      throw new IllegalStateException("the burst of " + BURST_WRITES + " writes did not overflow the stalled subscriber: raise BURST_WRITES; " + rest.stats());
    }
    all.recorder.resume();
    await(() -> all.resyncs == 1 && all.snapshots == 2 && all.lastSeq == burstEnd, "the stalled stream is resynced at seq " + burstEnd);

    for (int g = 0; g < 4; g++) {
      rest.delete("tasks", "g" + g).expect(204);
    }
    rest.patch("tasks", "a3", patch(op("replace", "/status", "done"))).expect(200);
    rest.patch("tasks", "c1", patch(op("remove", "/description", null), op("add", "/position", 1500.5))).expect(200);
    long last = rest.put("tasks", "z1", obj("project_id", "alpha", "title", "The last one")).expect(201).seq();
    for (Stream s : List.of(alpha, todo, all, resume2)) {
      s.awaitSeq(last);
    }
    String epoch = server.epoch();
    server.close();
    server = null;
    for (Stream s : streams) {
      s.recorder.done().get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
      s.out.close();
    }

    ObjectNode expected = Rest.MAPPER.createObjectNode();
    expected.put("epoch", epoch);
    expected.put("firstSeq", start);
    expected.put("stallAfterSeq", stallAfter);
    expected.put("resyncSnapshotSeq", burstEnd);
    ObjectNode sets = expected.putObject("sets");
    for (Map.Entry<String, List<String>> set : SETS.entrySet()) {
      List<Recording> recordings = new ArrayList<>();
      for (String f : set.getValue()) {
        recordings.add(Recording.read(dir.resolve(f)));
      }
      ReplayResult replay = Replayer.replay(recordings);
      ObjectNode e = sets.putObject(set.getKey());
      e.set("files", Rest.MAPPER.valueToTree(set.getValue()));
      e.put("seq", replay.seq());
      e.set("counts", Rest.MAPPER.valueToTree(replay.counts()));
      e.set("document", replay.document());
    }
    Files.writeString(dir.resolve("expected.json"),
        Rest.MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(expected) + "\n");
    return expected;
  }

  private void await(BooleanSupplier condition, String what) {
    long deadline = System.currentTimeMillis() + WAIT_MILLIS;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("timed out waiting until " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private void close() throws Exception {
    for (Stream s : streams) {
      s.recorder.stop("session over");
      s.out.close();
    }
    if (server != null) {
      server.close();
    }
    clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
