package dev.patchwire.torture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.WsRecorder;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Found by the torture test (its change-log audit resumes {@code items} from {@code since=E:0}):
 * a resume served by the durable change log was bounded by a count of rows
 * ({@code ChangeLog.MAX_REPLAY}) but not by bytes, so one old {@code since} over large documents
 * made the engine parse hundreds of MB at once: an OutOfMemoryError, after which H2 closed the
 * database (every write 500, every stream 1011 "snapshot failed", the process still up). Fixed in
 * 7ae2244 (a replay is capped at 16 MiB; past that, a snapshot). This is the regression test:
 * 120 changes of a ~900 KB document, an engine with a 256 MB heap (ProcessServer's), one resume
 * from seq 0; the stream must start (a replay or a snapshot), with no OutOfMemoryError, and the
 * engine must still take writes.
 */
@DisplayName("A resume served by the change log")
class ChangeLogReplayMemoryTest {

  /** 40 changes of ~500 KB: more than the 16 MiB a replay may read, well within the heap. */
  private static final int WRITES = 40;
  private static final int DOC_CHARS = 500_000;

  @Test
  @DisplayName("over large documents does not exhaust the engine's heap")
  void replayOfLargeDocumentsIsBoundedInMemory() throws Exception {
    Path data = Files.createTempDirectory("patchwire-replay-memory");
    Vertx clients = Vertx.vertx();
    try (ProcessServer server = ProcessServer.start(data, "--collection", "items", "--history-bytes", "64k")) {
      Rest rest = new Rest(server.baseUrl());
      String epoch = rest.list("items").epoch();
      for (int i = 0; i < WRITES; i++) {
        String pad = Character.toString('a' + i % 26).repeat(DOC_CHARS);
        Rest.Response r = rest.put("items", "big" + (i % 4), Rest.obj("i", i, "pad", pad));
        assertTrue(r.status() / 100 == 2, "write " + i + " answered " + r.status() + ": " + r.body() + "\n" + tail(server.output()));
      }
      Object start;
      try (WsRecorder ws = WsRecorder.connect(clients, server.port(), "/api/collections/items/stream/ws?since=" + epoch + ":0")) {
        start = ws.nextEvent(Duration.ofSeconds(120));
        while (start instanceof WsRecorder.Frame f && !f.isReady()) {
          start = ws.nextEvent(Duration.ofSeconds(120));
        }
      }
      int writeAfter = rest.put("items", "after", Rest.obj("small", true)).status();
      String facts = "the stream got " + start + "; a write afterwards answered " + writeAfter
          + "; GET /health answers " + health(rest) + "\nengine output from the first OutOfMemoryError:\n"
          + around(server.output(), "OutOfMemoryError");
      assertFalse(server.output().contains("OutOfMemoryError"), "the engine ran out of heap serving one resume: " + facts);
      assertTrue(writeAfter / 100 == 2, "the engine still takes writes: " + facts);
      // The engine caps a replay at ChangeLog.MAX_REPLAY_BYTES (16 MiB): these ~20 MB of missed
      // changes get a snapshot (4 documents) instead of a replay.
      assertTrue(start instanceof WsRecorder.Frame f && Boolean.FALSE.equals(f.json().getBoolean("resumed")),
          "a replay past the byte cap is answered with a snapshot: " + facts);
    } finally {
      clients.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      ProcessServer.deleteTree(data);
    }
  }

  private static int health(Rest rest) {
    try {
      return rest.send("GET", "/health", null, null).status();
    } catch (AssertionError e) {
      return -1;
    }
  }

  /** The lines of {@code s} from just before the first {@code marker}, for the failure message. */
  private static String around(String s, String marker) {
    int at = s.indexOf(marker);
    String from = s.substring(Math.max(0, at - 300));
    return java.util.Arrays.stream(from.split("\n")).filter(l -> !l.startsWith("\tat ") || l.contains("patchwire"))
        .limit(40).collect(java.util.stream.Collectors.joining("\n"));
  }

  private static String tail(String s) {
    return s.substring(Math.max(0, s.length() - 2500));
  }
}
