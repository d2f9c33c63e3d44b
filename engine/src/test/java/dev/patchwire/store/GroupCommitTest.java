package dev.patchwire.store;

import static dev.patchwire.store.StoreFixture.await;
import static dev.patchwire.store.StoreFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.json.Json;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit takes every waiting write into one transaction, but not unboundedly many bytes:
 * H2 writes a transaction's pages into one chunk, and 256 writes of large documents in one
 * commit would need hundreds of MB of heap at once.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("Group commit")
class GroupCommitTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("bounds a transaction by its changes' bytes; the writes left over keep their order")
  void boundsATransactionByBytes(Vertx vertx) throws Exception {
    DocumentStore store = StoreFixture.start(vertx, dir, "items", Long.MAX_VALUE);
    String pad = "x".repeat(1_000_000);
    int writes = 24;
    List<Future<WriteResult>> results = new ArrayList<>();
    // all queued at once: the first commits alone, the other 23 (tens of MB of changes) wait together
    vertx.runOnContext(v -> {
      for (int i = 0; i < writes; i++) {
        results.add(store.write(new Write.Put("items", "d" + i, Json.object().put("i", i).put("pad", pad), null)));
      }
    });
    assertTrue(waitFor(() -> results.size() == writes), "writes queued");
    long previous = 0;
    for (int i = 0; i < writes; i++) {
      WriteResult r = await(results.get(i));
      assertEquals(WriteResult.Outcome.CREATED, r.outcome());
      assertEquals(previous + 1, r.seq(), "write " + i + " commits in the order it was queued");
      previous = r.seq();
    }
    long oneChange = 1_000_000;
    assertTrue(store.writer().largestCommitBytes() < GroupCommitWriter.MAX_BATCH_BYTES + 3 * oneChange,
        "largest transaction held " + store.writer().largestCommitBytes() + " bytes of changes");
    assertTrue(store.writer().commits() >= 4, "tens of MB of waiting writes need several transactions, not "
        + store.writer().commits());
    assertEquals(writes, await(store.snapshot("items")).docs().size());
  }
}
