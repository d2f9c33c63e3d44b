package dev.patchwire.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The engine's Vertx runs on epoll by default and on Netty's io_uring with
 * {@code -Dpatchwire.transport=io_uring} (the measuring switch of benchmarks/RESULTS.md), and
 * either one serves a real HTTP round trip on 127.0.0.1.
 */
@DisplayName("The engine's socket transport")
class EngineTransportTest {

  private Vertx vertx;

  @AfterEach
  void close() throws Exception {
    System.clearProperty("patchwire.transport");
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("is epoll by default where it loads, and serves a request")
  void epollByDefault() throws Exception {
    io.vertx.core.transport.Transport epoll = io.vertx.core.transport.Transport.EPOLL;
    assumeTrue(epoll != null && epoll.available(), "epoll ships for Linux x86_64 only");
    vertx = EngineMetrics.vertx(EngineMetrics.newRegistry());
    assertEquals("epoll", EngineMetrics.transport(vertx));
    assertEquals(200, roundTrip());
  }

  @Test
  @DisplayName("is io_uring with -Dpatchwire.transport=io_uring where the kernel allows it, and serves a request")
  void ioUringOnRequest() throws Exception {
    io.vertx.core.transport.Transport ioUring = io.vertx.core.transport.Transport.IO_URING;
    assumeTrue(ioUring != null && ioUring.available(),
        () -> "io_uring unavailable here: " + (ioUring == null ? "no jar" : ioUring.unavailabilityCause()));
    System.setProperty("patchwire.transport", "io_uring");
    vertx = EngineMetrics.vertx(EngineMetrics.newRegistry());
    assertEquals("io_uring", EngineMetrics.transport(vertx));
    assertEquals(true, vertx.isNativeTransportEnabled());
    assertEquals(200, roundTrip());
  }

  private int roundTrip() throws Exception {
    var server = vertx.createHttpServer().requestHandler(r -> r.response().end("ok"))
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // held in a variable: Vert.x 5 closes a client nothing references
    var client = vertx.createHttpClient();
    int status = client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
        .compose(req -> req.send())
        .map(resp -> resp.statusCode())
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    client.close();
    return status;
  }
}
