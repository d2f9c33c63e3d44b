package dev.patchwire.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What the store tests of this package share: an embedded H2 store in a test's folder with one
 * schemaless collection, deployed on the test's Vert.x (vertx-junit5's, which closes it after
 * the test), and the waits they all need.
 */
final class StoreFixture {

  private StoreFixture() {
  }

  /**
   * A started store under {@code dir} with the schemaless {@code collection}, keeping
   * {@code logBytes} of change log (1: a compaction removes every change but the newest; its
   * timer never runs within a test).
   */
  static DocumentStore start(Vertx vertx, Path dir, String collection, long logBytes) throws Exception {
    DocumentStore store = new DocumentStore(dir, Map.of(collection, CollectionSpec.schemaless(collection)),
        new DocumentStore.Retention(Duration.ofDays(1), logBytes, 3_600_000));
    await(vertx.deployVerticle(store));
    return store;
  }

  /** The JDBC URL of the store under {@code dir}, for a session of its own beside the engine's. */
  static String h2Url(Path dir) {
    return "jdbc:h2:file:" + dir.toAbsolutePath().resolve("patchwire")
        + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;OPTIMIZE_REUSE_RESULTS=FALSE";
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** Waits up to 10 s for {@code condition}; whether it holds. */
  static boolean waitFor(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return condition.getAsBoolean();
  }
}
