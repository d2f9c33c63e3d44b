package dev.patchwire.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.patchwire.store.CollectionSpec;
import dev.patchwire.store.ConsistentRead;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.store.Snapshot;
import dev.patchwire.store.Write;
import dev.patchwire.testing.TestPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A consistent read on PostgreSQL waits between its pages as long as its client takes to drain
 * them (a 50 MB GET behind a slow reader): the session's 10 s idle-in-transaction timeout, meant
 * for writers cut off mid-transaction, must not end it; --snapshot-timeout does. Here a read idles
 * 11 s between its head and its first page, which must still come.
 */
class PgSnapshotIdleTest {

  @Test
  void aReadIdleLongerThanTheSessionTimeoutStillReadsItsPages() throws Exception {
    Assumptions.assumeTrue(TestPostgres.binaries() != null, "PostgreSQL is not installed");
    Vertx vertx = Vertx.vertx();
    try {
      DocumentStore store = new DocumentStore(Files.createTempDirectory("patchwire-pg-read"),
          TestPostgres.shared().newDatabaseUrl(), Map.of("items", CollectionSpec.schemaless("items")),
          new DocumentStore.Retention(Duration.ofDays(1), 1L << 30, 3_600_000),
          new DocumentStore.Reads(2, 60_000));
      await(vertx.deployVerticle(store));
      await(store.write(new Write.Put("items", "a", JsonNodeFactory.instance.objectNode().put("v", 1), null)));
      ConsistentRead read = await(store.openRead());
      try {
        Thread.sleep(11_000);
        List<Snapshot.StoredDoc> page = await(read.docsAfter("items", null));
        assertEquals(1, page.size(), "the read's first page after 11 s idle");
      } finally {
        read.close();
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
