package dev.patchwire.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.json.Patches;
import dev.patchwire.wire.Position;
import dev.patchwire.wire.StrictDocument;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays recordings as a strict client would (PROTOCOL.md 3 and 5): every {@code JsonPatch} is
 * applied to a document that starts at {@code {}} with {@link Patches#apply} (RFC 6902 to the
 * letter, by {@link StrictDocument}, which the stream tests use too), and anything a conforming server must never send is a {@link ReplayViolation}.
 *
 * <p>Several recordings are successive connections of one client: the second continues from the
 * document and position the first left, as a client that reconnects with {@code since} does.
 *
 * <p>Checked, per connection: a start (a snapshot, or the replayed changes of a resume) then Ready
 * in the same epoch, with {@code resumed} true exactly when no snapshot came; a snapshot is exactly
 * one {@code add} of an object at {@code /c} and comes only at the start or right after a Resync;
 * live seqs are strictly greater than the position held (a snapshot's seq or Ready's, or the last
 * live one) and their paths lie under {@code /c/}; every patch applies; nothing follows the end.
 */
public final class Replayer {

  private enum Phase { START, AFTER_SNAPSHOT, LIVE, AWAIT_SNAPSHOT, ENDED }

  /** One stream message, the same for both transports. */
  private record Message(String kind, JsonNode patch, long seq, String epoch, boolean snapshot, JsonNode body) {}

  /** The document and position held, and the rules of each message (created with the collection). */
  private StrictDocument held;
  private String collection;
  private String where;
  private String epoch;
  private final List<String> notes = new ArrayList<>();
  private int connections;
  private int messages;
  private int snapshots;
  private int live;
  private int readies;
  private int resumes;
  private int resyncs;
  private int errors;

  private String source;
  private int line;
  private Phase phase;
  private boolean snapshotThisConnection;
  private String sinceEpoch;
  private long sinceSeq;

  private Replayer() {
  }

  /** Replays {@code recordings} in order as one client's connections. */
  public static ReplayResult replay(List<Recording> recordings) {
    Replayer r = new Replayer();
    for (Recording rec : recordings) {
      r.connection(rec);
    }
    return r.result();
  }

  public static ReplayResult replay(Recording recording) {
    return replay(List.of(recording));
  }

  private ReplayResult result() {
    return new ReplayResult(held == null ? Json.object() : held.document(), collection, where, epoch,
        held == null ? -1 : held.seq(),
        new ReplayResult.Counts(connections, messages, snapshots, live, readies, resumes, resyncs, errors),
        List.copyOf(notes));
  }

  private void connection(Recording rec) {
    source = rec.source();
    line = 1;
    if (collection != null && !collection.equals(rec.url().collection())) {
      throw violation("a continued recording must be of the same collection: " + collection
          + " then " + rec.url().collection());
    }
    if (held == null) {
      held = new StrictDocument(rec.url().collection());
    }
    collection = rec.url().collection();
    where = rec.url().where();
    connections++;
    phase = Phase.START;
    snapshotThisConnection = false;
    sinceEpoch = null;
    sinceSeq = -1;
    Position sincePosition = Position.parse(rec.url().since());
    if (sincePosition != null) {
      sinceEpoch = sincePosition.epoch();
      sinceSeq = sincePosition.seq();
    }
    for (int i = 0; i < rec.entries().size(); i++) {
      line = Recording.lineOf(i);
      entry(rec.entries().get(i));
    }
    if (phase == Phase.AWAIT_SNAPSHOT) {
      notes.add(source + ": ended after a Resync and before its snapshot; the document is the one before the Resync");
    }
  }

  private void entry(ObjectNode e) {
    Message m;
    if (e.has("frame")) {
      m = wsMessage(e.get("frame"));
    } else if (e.has("sse")) {
      m = sseMessage(e.get("sse"));
    } else if (e.has("rawFrame")) {
      throw violation("a WebSocket text frame that is not JSON: " + e.get("rawFrame"));
    } else if (e.has("closed") || e.has("stopped") || e.has("refused") || e.has("failed")) {
      if (phase == Phase.ENDED) {
        throw violation("a second end of the stream: " + e);
      }
      if (e.has("refused") || e.has("failed")) {
        notes.add(source + ":" + line + ": the stream did not start: " + e);
      }
      phase = Phase.ENDED;
      return;
    } else {
      throw violation("an entry of no known kind: " + e);
    }
    if (m == null) {
      return;
    }
    if (phase == Phase.ENDED) {
      throw violation("a message after the end of the stream: " + e);
    }
    messages++;
    switch (m.kind()) {
      case "patch" -> {
        if (m.snapshot()) {
          snapshot(m);
        } else {
          livePatch(m);
        }
      }
      case "ready" -> ready(m);
      case "resync" -> {
        if (phase != Phase.LIVE) {
          throw violation("Resync before Ready or during another resync: " + m.body());
        }
        resyncs++;
        phase = Phase.AWAIT_SNAPSHOT;
      }
      case "error" -> {
        errors++;
        notes.add(source + ":" + line + ": error " + m.body());
      }
      case "finished" -> notes.add(source + ":" + line + ": finished");
      default -> throw new IllegalStateException(m.kind());
    }
  }

  private Message wsMessage(JsonNode f) {
    if (!f.isObject()) {
      throw violation("a frame that is not a JSON object: " + f);
    }
    if (f.has("JsonPatch")) {
      JsonNode s = f.get("seq");
      if (s == null || !s.canConvertToLong() || !s.isIntegralNumber()) {
        throw violation("a JsonPatch frame without an integer seq: " + f);
      }
      boolean snap = f.path("snapshot").asBoolean(false);
      String e = f.hasNonNull("epoch") ? f.get("epoch").asText() : null;
      if (snap && e == null) {
        throw violation("a snapshot frame without an epoch: " + f);
      }
      return new Message("patch", f.get("JsonPatch"), s.asLong(), e, snap, f);
    }
    if (f.has("Ready")) {
      return new Message("ready", null, f.path("seq").asLong(-1), f.path("epoch").asText(null), false, f);
    }
    if (f.has("Resync")) {
      return new Message("resync", null, -1, null, false, f.get("Resync"));
    }
    if (f.has("error")) {
      return new Message("error", null, -1, null, false, f.get("error"));
    }
    if (f.has("finished")) {
      return new Message("finished", null, -1, null, false, f);
    }
    throw violation("a frame of no known kind: " + f);
  }

  private Message sseMessage(JsonNode s) {
    if (s.has("comment") || s.has("retry")) {
      return null;
    }
    if (s.has("rawData")) {
      throw violation("SSE data that is not JSON: " + s);
    }
    String event = s.path("event").asText();
    JsonNode data = s.get("data");
    String id = s.hasNonNull("id") ? s.get("id").asText() : null;
    switch (event) {
      case "json_patch" -> {
        Position position = Position.parse(id);
        if (position == null) {
          throw violation("a json_patch event without an id EPOCH:SEQ: " + s);
        }
        return new Message("patch", data, position.seq(), position.epoch(), held.isSnapshotShape(data), s);
      }
      case "ready" -> {
        if (data == null || !data.isObject()) {
          throw violation("a ready event without the Ready object: " + s);
        }
        return new Message("ready", null, data.path("seq").asLong(-1), data.path("epoch").asText(null), false, data);
      }
      case "resync" -> {
        return new Message("resync", null, -1, null, false, data);
      }
      case "error" -> {
        return new Message("error", null, -1, null, false, data);
      }
      case "finished" -> {
        return new Message("finished", null, -1, null, false, data);
      }
      default -> throw violation("an SSE event of no known name: " + s);
    }
  }

  private void snapshot(Message m) {
    if (phase != Phase.START && phase != Phase.AWAIT_SNAPSHOT) {
      throw violation("a snapshot neither at the start nor right after a Resync (seq " + m.seq() + ")");
    }
    if (phase == Phase.START && snapshotThisConnection) {
      throw violation("a second snapshot before Ready");
    }
    checked(() -> held.snapshot(m.patch(), m.seq()));
    epoch = m.epoch();
    snapshots++;
    snapshotThisConnection = true;
    phase = phase == Phase.START ? Phase.AFTER_SNAPSHOT : Phase.LIVE;
  }

  private void livePatch(Message m) {
    switch (phase) {
      case AFTER_SNAPSHOT -> throw violation("a live change between the snapshot and Ready (seq " + m.seq() + ")");
      case AWAIT_SNAPSHOT -> throw violation("a live change after Resync and before its snapshot (seq " + m.seq() + ")");
      case START -> {
        if (epoch == null) {
          throw violation("replayed changes (resume) with no state to apply them to:"
              + " replay the recording this one continues first");
        }
        if (sinceEpoch == null || !sinceEpoch.equals(epoch)) {
          throw violation("replayed changes although the stream's since (" + sinceEpoch + ":" + sinceSeq
              + ") is not in the epoch held (" + epoch + ")");
        }
        if (m.seq() <= sinceSeq) {
          throw violation("a replayed change with seq " + m.seq() + " at or before since " + sinceSeq);
        }
      }
      default -> { }
    }
    if (m.epoch() != null && !m.epoch().equals(epoch)) {
      throw violation("a live change in epoch " + m.epoch() + " while the stream is in " + epoch);
    }
    checked(() -> held.live(m.patch(), m.seq()));
    live++;
  }

  private void ready(Message m) {
    JsonNode r = m.body();
    if (!r.path("Ready").asBoolean(false)) {
      throw violation("a Ready message without Ready:true: " + r);
    }
    if (phase != Phase.START && phase != Phase.AFTER_SNAPSHOT) {
      throw violation("Ready " + (phase == Phase.ENDED ? "after the end" : "a second time"));
    }
    boolean resumed = r.path("resumed").asBoolean(false);
    if (resumed == snapshotThisConnection) {
      throw violation("Ready resumed:" + resumed + (snapshotThisConnection ? " after a snapshot" : " without a snapshot"));
    }
    if (resumed) {
      if (epoch == null || !epoch.equals(sinceEpoch)) {
        throw violation("Ready resumed:true with no state in epoch " + sinceEpoch
            + " to continue: replay the recording this one continues first");
      }
      if (!epoch.equals(m.epoch())) {
        throw violation("Ready epoch " + m.epoch() + " differs from the resumed position's " + epoch);
      }
      resumes++;
    } else if (!m.epoch().equals(epoch)) {
      throw violation("Ready epoch " + m.epoch() + " differs from the snapshot's " + epoch);
    }
    if (m.seq() < held.seq()) {
      throw violation("Ready seq " + m.seq() + " is behind the position held, " + held.seq());
    }
    held.moveTo(m.seq());
    readies++;
    phase = Phase.LIVE;
  }

  /** Runs one of {@link StrictDocument}'s checks, naming this line when it fails. */
  private void checked(Runnable check) {
    try {
      check.run();
    } catch (StrictDocument.Violation e) {
      throw new ReplayViolation(source + ":" + line, e.getMessage(), e.getCause());
    }
  }

  private ReplayViolation violation(String message) {
    return new ReplayViolation(source + ":" + line, message, null);
  }
}
