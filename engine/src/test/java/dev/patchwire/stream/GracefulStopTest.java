package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Closed;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 3 and 3.1 step 5: a server that shuts down closes WebSockets with 1001 ("server going
 * away", reconnect with since), never with {@code finished} (which would tell clients to stop).
 */
@DisplayName("A server that stops gracefully")
class GracefulStopTest extends StreamTestBase {

  @Test
  @DisplayName("closes every WebSocket with 1001 and no finished frame, and ends SSE streams")
  void closeSends1001() {
    start();
    rest.put("items", "a", obj("v", 1)).expect(201);
    WsRecorder plain = ws("items", null);
    WsRecorder filtered = ws("tasks", "where=status:todo");
    expectSnapshotAndReady(plain, "items");
    expectSnapshotAndReady(filtered, "tasks");
    SseRecorder sse = sse("items", null);
    sse.nextEvent(WAIT);
    sse.nextEvent(WAIT);

    stopServer();

    for (WsRecorder ws : new WsRecorder[] {plain, filtered}) {
      Closed c = ws.awaitClose(WAIT);
      assertEquals((short) 1001, c.code(), ws.uri() + " close code (reason " + c.reason() + ")");
      assertTrue(ws.received().stream().noneMatch(WsRecorder.Frame::isFinished), "no finished frame on " + ws.uri());
    }
    sse.awaitEnd(WAIT);
    assertTrue(sse.received().stream().noneMatch(e -> "finished".equals(e.event())), "no finished event on SSE");
  }

  @Test
  @DisplayName("on SIGTERM closes WebSockets with 1001")
  void sigtermSends1001() throws Exception {
    Path data = Files.createTempDirectory("patchwire-sigterm");
    try (ProcessServer server = ProcessServer.start(data, "--collection", "items")) {
      new Rest(server.baseUrl()).put("items", "a", obj("v", 1)).expect(201);
      WsRecorder ws = track(WsRecorder.connect(clients, server.port(), wsPath("items", null)));
      assertTrue(ws.nextFrame(WAIT).isSnapshot());
      assertTrue(ws.nextFrame(WAIT).isReady());
      server.process().destroy();
      Closed c = ws.awaitClose(WAIT);
      assertEquals((short) 1001, c.code(), "close code on SIGTERM (reason " + c.reason() + ")\n" + server.output());
      server.stop();
    } finally {
      ProcessServer.deleteTree(data);
    }
  }
}
