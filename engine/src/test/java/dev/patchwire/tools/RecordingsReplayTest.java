package dev.patchwire.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.WireSchemas;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The recorded kanban streams of {@code src/test/resources/recordings/} (see {@link KanbanSession}),
 * replayed strictly: each set ends in exactly the document, position and message counts stored in
 * {@code expected.json}, every line is a valid wire message, and a recording that breaks the
 * protocol is caught with exit code 1.
 */
@DisplayName("The checked-in recordings")
class RecordingsReplayTest {

  static final Path DIR = Path.of("src/test/resources/recordings");

  static JsonNode expected() throws IOException {
    return Rest.parse(Files.readString(DIR.resolve("expected.json")));
  }

  static Stream<String> sets() {
    return KanbanSession.SETS.keySet().stream();
  }

  static List<Recording> read(Path dir, String set) throws IOException {
    List<Recording> out = new ArrayList<>();
    for (String f : KanbanSession.SETS.get(set)) {
      out.add(Recording.read(dir.resolve(f)));
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sets")
  @DisplayName("replay to the exact document, position and counts stored beside them")
  void replayToTheExpectedState(String set) throws IOException {
    JsonNode all = expected();
    JsonNode want = all.path("sets").path(set);
    ReplayResult replay = Replayer.replay(read(DIR, set));
    assertEquals(all.path("epoch").asText(), replay.epoch(), set + " epoch");
    assertEquals(want.path("seq").asLong(), replay.seq(), set + " last seq");
    assertEquals(want.path("counts"), Rest.MAPPER.valueToTree(replay.counts()), set + " message counts");
    assertEquals(want.path("document"), replay.document(), set + " final document");
    assertTrue(replay.notes().isEmpty(), set + " notes: " + replay.notes());
  }

  @Test
  @DisplayName("cover creates, moves between projects and statuses, deletes, an odd id, a resync and a resume")
  void coverTheSession() throws IOException {
    JsonNode sets = expected().path("sets");
    assertEquals(1, sets.path("kanban-resync-sse").path("counts").path("resyncs").asInt(), "one Resync");
    assertEquals(2, sets.path("kanban-resync-sse").path("counts").path("snapshots").asInt(), "start and resync snapshots");
    assertEquals(1, sets.path("kanban-resume-sse").path("counts").path("resumes").asInt(), "one resumed Ready");
    List<String> alpha = ops(read(DIR, "kanban-alpha-ws"));
    assertTrue(alpha.contains("add /tasks/b1"), "b1 moved into project alpha arrives whole: " + alpha);
    assertTrue(alpha.contains("remove /tasks/a4~1odd~0id"), "a4/odd~id moved out of alpha leaves, escaped: " + alpha);
    assertTrue(alpha.contains("remove /tasks/a2"), "a2 deleted: " + alpha);
    List<String> todo = ops(read(DIR, "kanban-todo-sse"));
    assertTrue(todo.contains("remove /tasks/a1") && todo.contains("add /tasks/a3"),
        "status changes move tasks out of and into where=status:todo: " + todo);
  }

  private static List<String> ops(List<Recording> recs) {
    List<String> out = new ArrayList<>();
    for (Recording r : recs) {
      for (ObjectNode e : r.entries()) {
        JsonNode patch = e.has("frame") ? e.get("frame").get("JsonPatch") : e.path("sse").get("data");
        if (patch != null && patch.isArray()) {
          patch.forEach(op -> out.add(op.path("op").asText() + " " + op.path("path").asText()));
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sets")
  @DisplayName("hold only messages valid against the wire schemas")
  void everyMessageIsValid(String set) throws IOException {
    for (Recording r : read(DIR, set)) {
      for (ObjectNode e : r.entries()) {
        if (e.has("frame")) {
          WireSchemas.assertValidWsFrame(new JsonObject(e.get("frame").toString()));
        } else if (e.has("sse") && e.get("sse").has("event")) {
          JsonNode s = e.get("sse");
          WireSchemas.assertValidSseEvent(s.path("event").asText(), s.hasNonNull("id") ? s.get("id").asText() : null,
              s.has("data") ? s.get("data").toString() : null);
        }
      }
    }
  }

  @Test
  @DisplayName("replay through the command line: exit 0 and the expected document on stdout")
  void commandLineReplay() throws IOException {
    List<String> args = new ArrayList<>(List.of("replay"));
    KanbanSession.SETS.get("kanban-resume-sse").forEach(f -> args.add(DIR.resolve(f).toString()));
    Run run = Run.tool(args.toArray(String[]::new));
    assertEquals(StreamTool.OK, run.code, run.err);
    assertEquals(expected().path("sets").path("kanban-resume-sse").path("document"), Rest.parse(run.out));
    assertTrue(run.err.contains("1 resumed"), run.err);
  }

  @Test
  @DisplayName("fail with exit 1 on a live seq that does not increase")
  void seqNotIncreasing(@TempDir Path tmp) throws IOException {
    Path f = tamper(tmp, "kanban-alpha-ws.jsonl", lines -> {
      int a = indexOfLive(lines, 0);
      int b = indexOfLive(lines, a + 1);
      String x = lines.get(a);
      lines.set(a, lines.get(b));
      lines.set(b, x);
      return lines;
    });
    Run run = Run.tool("replay", f.toString());
    assertEquals(StreamTool.VIOLATION, run.code, run.err);
    assertTrue(run.err.contains("not greater than"), run.err);
  }

  @Test
  @DisplayName("fail with exit 1 on a patch that does not apply strictly (a lost create)")
  void patchDoesNotApply(@TempDir Path tmp) throws IOException {
    Path f = tamper(tmp, "kanban-alpha-ws.jsonl", lines -> {
      lines.removeIf(l -> l.contains("\"path\":\"/tasks/a2\",\"value\""));
      return lines;
    });
    Run run = Run.tool("replay", f.toString());
    assertEquals(StreamTool.VIOLATION, run.code, run.err);
    assertTrue(run.err.contains("does not apply"), run.err);
  }

  @Test
  @DisplayName("fail on a Resync not followed by a snapshot, and on a resumed stream replayed without its predecessor")
  void resyncWithoutSnapshotAndOrphanResume(@TempDir Path tmp) throws IOException {
    Recording resync = Recording.read(DIR.resolve("kanban-resync-sse.jsonl.gz"));
    List<ObjectNode> entries = new ArrayList<>(resync.entries());
    int r = 0;
    while (!entries.get(r).path("sse").path("event").asText().equals("resync")) {
      r++;
    }
    entries.remove(r + 1);
    ReplayViolation v = assertThrows(ReplayViolation.class,
        () -> Replayer.replay(new Recording("tampered", resync.url(), entries)));
    assertTrue(v.getMessage().contains("after Resync and before its snapshot"), v.getMessage());

    Run run = Run.tool("replay", DIR.resolve("kanban-resume-sse-2.jsonl").toString());
    assertEquals(StreamTool.VIOLATION, run.code, run.err);
    assertTrue(run.err.contains("replay the recording this one continues first"), run.err);
  }

  private static int indexOfLive(List<String> lines, int from) {
    for (int i = Math.max(from, 1); i < lines.size(); i++) {
      if (lines.get(i).contains("\"JsonPatch\"") && !lines.get(i).contains("\"snapshot\":true")) {
        return i;
      }
    }
    throw new AssertionError("no live frame after line " + from);
  }

  private static Path tamper(Path tmp, String file, UnaryOperator<List<String>> change) throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(DIR.resolve(file)));
    Path out = tmp.resolve(file);
    Files.write(out, change.apply(lines));
    return out;
  }

  /** One in-process run of the command line tool, with what it printed. */
  record Run(int code, String out, String err) {
    static Run tool(String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = StreamTool.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

}
