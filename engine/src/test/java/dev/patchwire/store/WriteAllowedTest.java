package dev.patchwire.store;

import static dev.patchwire.store.StoreFixture.await;
import static dev.patchwire.store.StoreFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write's {@code allowed} check (the token's write grants) runs in the single writer, against
 * the document as the commit sees it: a write queued right behind one that moves the document
 * out of the grants is refused, although the document was inside them when both were sent.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("The writer's grant check")
class WriteAllowedTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("sees the document as it is at commit time, not as it was when the write was sent")
  void checksAtCommitTime(Vertx vertx) throws Exception {
    DocumentStore store = StoreFixture.start(vertx, dir, "tasks", Long.MAX_VALUE);
    List<Long> published = new ArrayList<>();
    store.publishTo(change -> published.add(change.seq()));
    await(store.write(new Write.Put("tasks", "t", Json.object().put("project_id", "42").put("title", "a"), null)));
    Predicate<ObjectNode> project42 = doc -> "42".equals(doc.path("project_id").asText());

    List<Future<WriteResult>> results = new ArrayList<>();
    vertx.runOnContext(v -> {
      // both queued in one turn, so they share a transaction, the move first
      results.add(store.write(new Write.Patch("tasks", "t",
          Json.parse("[{\"op\":\"replace\",\"path\":\"/project_id\",\"value\":\"43\"}]"), null)));
      results.add(store.write(new Write.Patch("tasks", "t",
          Json.parse("[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"b\"}]"), null, project42)));
      results.add(store.write(new Write.Delete("tasks", "t", null, project42)));
    });
    assertTrue(waitFor(() -> results.size() == 3), "writes queued");
    assertEquals(WriteResult.Outcome.UPDATED, await(results.get(0)).outcome());
    for (int i = 1; i < 3; i++) {
      Throwable refused = results.get(i).toCompletionStage().toCompletableFuture()
          .handle((r, e) -> e).get(10, TimeUnit.SECONDS);
      WriteRejected rejected = assertInstanceOf(WriteRejected.class,
          refused instanceof java.util.concurrent.CompletionException ? refused.getCause() : refused);
      assertEquals(WriteRejected.Reason.FORBIDDEN, rejected.reason());
    }
    var doc = Json.parse(await(store.get("tasks", "t")).docs().get(0).json());
    assertEquals("43", doc.path("project_id").asText());
    assertEquals("a", doc.path("title").asText(), "the refused patch changed nothing");
    assertEquals(List.of(1L, 2L), published, "the refused writes published nothing");
    assertTrue(store.committedSeq() == 2);
  }
}
