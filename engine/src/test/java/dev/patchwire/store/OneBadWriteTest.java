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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A statement that fails for a reason of one write's own (the database refuses its data) fails
 * that write alone: the good writes of the same group commit still commit, in order, and the
 * writer keeps writing. Only a commit of unknown outcome may stop it (issue #9 class 1). The bad
 * writes here reach the store as the HTTP layer would never send them, so that the database
 * itself is what refuses them: a lone surrogate (H2's FORMAT JSON cannot encode it) and an id
 * longer than its column.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("One bad write in a group commit")
class OneBadWriteTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("fails alone with store_rejected; the good writes of its batch commit and the writer goes on")
  void failsAlone(Vertx vertx) throws Exception {
    DocumentStore store = StoreFixture.start(vertx, dir, "items", Long.MAX_VALUE);
    List<Write> writes = new ArrayList<>();
    Set<Integer> bad = Set.of(3, 7, 8);
    for (int i = 0; i < 12; i++) {
      if (i == 3) {
        writes.add(new Write.Put("items", "surrogate", Json.object().put("s", "a\ud800b"), null));
      } else if (i == 7) {
        writes.add(new Write.Put("items", "i".repeat(2000), Json.object().put("n", i), null));
      } else if (i == 8) {
        writes.add(new Write.Put("items", "name", Json.object().put("\udc00", 1), null));
      } else {
        writes.add(new Write.Put("items", "good-" + i, Json.object().put("n", i), null));
      }
    }
    List<Future<WriteResult>> results = new ArrayList<>();
    // queued in one turn of the writer's loop: they wait together and share one transaction
    vertx.runOnContext(v -> writes.forEach(w -> results.add(store.write(w))));
    assertTrue(waitFor(() -> results.size() == writes.size()), "writes queued");
    long previous = 0;
    for (int i = 0; i < writes.size(); i++) {
      if (bad.contains(i)) {
        try {
          await(results.get(i));
          throw new AssertionError("write " + i + " holds data the database refuses, yet it committed");
        } catch (ExecutionException e) {
          assertTrue(e.getCause() instanceof WriteRejected, "write " + i + " is refused, not " + e.getCause());
          assertEquals(WriteRejected.Reason.STORE_REJECTED, ((WriteRejected) e.getCause()).reason());
        }
        continue;
      }
      WriteResult r = await(results.get(i));
      assertEquals(WriteResult.Outcome.CREATED, r.outcome(), "good write " + i);
      assertTrue(r.seq() > previous, "good write " + i + " commits in the order it was queued");
      previous = r.seq();
    }
    assertTrue(store.writable(), "the writer still takes writes");
    WriteResult after = await(store.write(new Write.Put("items", "after", Json.object().put("n", 99), null)));
    assertEquals(previous + 1, after.seq(), "the next write gets the next seq: no seq was used by a refused write");
    Set<String> ids = new TreeSet<>();
    await(store.snapshot("items")).docs().forEach(d -> ids.add(d.id()));
    Set<String> expected = new TreeSet<>(Set.of("after"));
    for (int i = 0; i < writes.size(); i++) {
      if (!bad.contains(i)) {
        expected.add("good-" + i);
      }
    }
    assertEquals(expected, ids, "every good write and none of the bad ones is stored");
    assertEquals(after.seq(), store.committedSeq());
  }
}
