package dev.patchwire.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What makes {@code /health} say DOWN besides the database: an OutOfMemoryError seen (also
 * wrapped, the way H2 reports its own), the writer stopped, a blocked event loop; each named.
 */
@ExtendWith(VertxExtension.class)
class EngineHealthTest {

  @Test
  @DisplayName("an OutOfMemoryError, direct, as a cause or inside H2's message, is out_of_memory for good")
  void outOfMemory() {
    EngineHealth health = new EngineHealth();
    health.failed(new IllegalStateException("a bad request"));
    assertEquals(List.of(), health.problems(true));
    health.failed(new RuntimeException("General error: \"org.h2.mvstore.MVStoreException: java.lang.OutOfMemoryError: Capacity\""));
    assertEquals(List.of("out_of_memory"), health.problems(true));

    EngineHealth wrapped = new EngineHealth();
    wrapped.failed(new RuntimeException(new OutOfMemoryError("Java heap space")));
    assertEquals(List.of("out_of_memory", "writer_stopped"), wrapped.problems(false));
  }

  @Test
  @DisplayName("an event loop blocked past the threshold is event_loop_blocked; once it runs again, it is not")
  void blockedLoop(Vertx vertx) throws Exception {
    EngineHealth health = new EngineHealth(300);
    CompletableFuture<Context> loop = new CompletableFuture<>();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        health.probeThisLoop(vertx);
        loop.complete(context);
        return Future.succeededFuture();
      }
    }).await();
    Context context = loop.get(10, TimeUnit.SECONDS);
    assertEquals(List.of(), health.problems(true));
    CompletableFuture<Void> released = new CompletableFuture<>();
    context.runOnContext(v -> released.join());  // blocks the loop until the test lets go
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (health.problems(true).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(List.of("event_loop_blocked"), health.problems(true));
    released.complete(null);
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!health.problems(true).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(health.problems(true).isEmpty(), "still blocked after the loop ran again");
  }
}
