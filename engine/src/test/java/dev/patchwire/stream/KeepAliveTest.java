package dev.patchwire.stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** PROTOCOL.md 3.1 "Pings keep idle connections alive" and 3.2 ":ping at least every 15 s", on short periods. */
@DisplayName("An idle stream")
class KeepAliveTest extends StreamTestBase {

  @Test
  @DisplayName("gets WebSocket ping frames at the configured period, and no extra text frames")
  void webSocketPings() throws InterruptedException {
    start(TestServer.defaults().setPingIntervalMillis(200));
    WsRecorder ws = ws("items", null);
    expectSnapshotAndReady(ws, "items");
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (ws.pings() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(ws.pings() >= 2, "ping frames within 5 s at a 200 ms period: " + ws.pings());
    ws.assertExhausted(0);
    assertTrue(!ws.isClosed(), "the socket stays open");
  }

  @Test
  @DisplayName("gets :ping comment lines on SSE at the configured period, between no other events")
  void ssePings() {
    start(TestServer.defaults().setSsePingIntervalMillis(200));
    SseRecorder sse = sse("items", null);
    sse.nextEvent(WAIT);
    sse.nextEvent(WAIT);
    sse.awaitComment(c -> c.text().trim().equals("ping"), Duration.ofSeconds(5));
    sse.awaitComment(c -> c.text().trim().equals("ping"), Duration.ofSeconds(5));
    sse.assertExhausted(0);
  }
}
