package dev.patchwire.torture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Found by the long torture run (the engine's database closed after about 30,000 writes, when the
 * change log outgrew its default 256 MB retention): once compaction deleted old change-log rows
 * of large documents, H2 built a huge chunk in memory ({@code WriteBuffer} of tens of MB,
 * "OutOfMemoryError: Capacity: 80621568") and, on that OutOfMemoryError, closed the database;
 * the writer stopped (503) and the engine exited.
 *
 * <p>The cause: the store's startup transaction ran on the read pool, and vertx-jdbc-client 5.0.x
 * leaves a connection in autocommit=false after {@code withTransaction}, so compaction's deletes
 * on that connection were never committed. That transaction's undo log (every deleted row, in
 * full) grew with each compaction, and every commit of the writer serialized all of it into its
 * chunk. Now only the writer's pool runs transactions, and each compaction delete is bounded by
 * bytes as well ({@code ChangeLogCompactionTest} checks the commits directly).
 *
 * <p>Here the retention is 8 MB and compaction runs every second, so the bug showed after a few
 * dozen writes of a 400 KB document, in a child JVM with the 256 MB heap of {@link ProcessServer}.
 */
@DisplayName("Change-log compaction")
class ChangeLogCompactionMemoryTest {

  @Test
  @DisplayName("of large rows does not exhaust the heap and close the database")
  void compactionOfLargeRowsKeepsTheDatabaseOpen() throws Exception {
    Path data = Files.createTempDirectory("patchwire-compaction-memory");
    try (ProcessServer server = ProcessServer.start(data, "--collection", "items", "--history-bytes", "1m",
        "--log-retention", "8m", "--log-compact-interval", "1000")) {
      Rest rest = new Rest(server.baseUrl());
      for (int i = 0; i < 80; i++) {
        Rest.Response r = rest.put("items", "d" + (i % 4), Rest.obj("i", i, "pad", Character.toString('a' + i % 26).repeat(400_000)));
        if (r.status() / 100 != 2) {
          fail("write " + i + " of a 400 KB document answered " + r.status() + " " + r.body()
              + "\nengine output:\n" + around(server.output(), "OutOfMemoryError"));
        }
      }
      assertFalse(server.output().contains("OutOfMemoryError"), around(server.output(), "OutOfMemoryError"));
    } finally {
      ProcessServer.deleteTree(data);
    }
  }

  private static String around(String s, String marker) {
    int at = s.indexOf(marker);
    String from = s.substring(Math.max(0, at - 300));
    return java.util.Arrays.stream(from.split("\n")).filter(l -> !l.startsWith("\tat ") || l.contains("patchwire") || l.contains("mvstore"))
        .limit(40).collect(java.util.stream.Collectors.joining("\n"));
  }
}
