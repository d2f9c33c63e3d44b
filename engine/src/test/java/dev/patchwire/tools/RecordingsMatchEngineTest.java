package dev.patchwire.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.Rest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records the {@link KanbanSession} again against today's engine and compares it, message by
 * message, with the checked-in recordings (apart from times, epoch and what a stall makes vary, see
 * {@link RecordingNormalizer}). A change of the wire format, of a patch's shape, of a seq or of
 * the order of messages fails here; if the change is intended, re-record with
 * {@code -Drecordings.rewrite=true} and review the diff.
 */
@DisplayName("The engine, recorded again")
class RecordingsMatchEngineTest {

  @Test
  @DisplayName("sends exactly the checked-in recordings (times, epoch and stall window aside)")
  void sameStreamsAsRecorded(@TempDir Path tmp) throws Exception {
    boolean rewrite = Boolean.getBoolean("recordings.rewrite");
    Path dir = rewrite ? RecordingsReplayTest.DIR : tmp;
    JsonNode now = KanbanSession.record(dir);
    if (rewrite) {
      System.out.println("recordings rewritten in " + dir.toAbsolutePath());
      return;
    }
    JsonNode before = Rest.parse(Files.readString(RecordingsReplayTest.DIR.resolve("expected.json")));
    for (String name : List.of("firstSeq", "stallAfterSeq", "resyncSnapshotSeq")) {
      assertEquals(before.path(name).asLong(), now.path(name).asLong(), name);
    }
    for (var set : KanbanSession.SETS.entrySet()) {
      for (String file : set.getValue()) {
        List<JsonNode> was = RecordingNormalizer.normalize(Recording.read(RecordingsReplayTest.DIR.resolve(file)),
            before.path("epoch").asText(), before.path("stallAfterSeq").asLong());
        List<JsonNode> is = RecordingNormalizer.normalize(Recording.read(dir.resolve(file)),
            now.path("epoch").asText(), now.path("stallAfterSeq").asLong());
        for (int i = 0; i < Math.min(was.size(), is.size()); i++) {
          assertEquals(was.get(i), is.get(i), file + " normalized line " + (i + 1) + " differs from the checked-in recording");
        }
        assertEquals(was.size(), is.size(), file + " normalized line count");
      }
      JsonNode wasSet = before.path("sets").path(set.getKey());
      JsonNode isSet = now.path("sets").path(set.getKey());
      assertEquals(wasSet.path("seq").asLong(), isSet.path("seq").asLong(), set.getKey() + " seq");
      assertEquals(wasSet.path("counts").toString().replaceAll("\"(messages|live)\":\\d+,", ""),
          isSet.path("counts").toString().replaceAll("\"(messages|live)\":\\d+,", ""), set.getKey() + " counts (live messages aside: a stall varies them)");
    }
  }
}
