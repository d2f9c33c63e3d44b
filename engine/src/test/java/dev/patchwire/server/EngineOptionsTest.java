package dev.patchwire.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EngineOptionsTest {

  @Test
  @DisplayName("defaults match the README")
  void defaults() {
    EngineOptions o = EngineOptions.fromArgs();
    assertEquals("127.0.0.1", o.host());
    assertEquals(8080, o.port());
    assertEquals(Path.of("data"), o.dataDir());
    assertEquals(64L << 20, o.historyBytes());
    assertEquals(1L << 20, o.maxBodyBytes());
    assertEquals(1L << 20, o.subscriberBufferBytes());
    assertEquals(30_000, o.pingIntervalMillis());
    assertTrue(o.kanban());
    assertTrue(o.seedDemo());
  }

  @Test
  @DisplayName("reads every flag, with sizes and both --flag value and --flag=value")
  void readsFlags() {
    EngineOptions o = EngineOptions.fromArgs("--host", "0.0.0.0", "--port=0", "--data", "/tmp/x",
        "--history-bytes", "16m", "--max-body-bytes=2k", "--subscriber-buffer-bytes", "65536",
        "--ping-interval", "500", "--sse-ping-interval", "250", "--max-subscribers", "7",
        "--collection", "notes", "--collection=people=/tmp/people.json", "--no-seed", "--no-kanban");
    assertEquals("0.0.0.0", o.host());
    assertEquals(0, o.port());
    assertEquals(Path.of("/tmp/x"), o.dataDir());
    assertEquals(16L << 20, o.historyBytes());
    assertEquals(2048, o.maxBodyBytes());
    assertEquals(65536, o.subscriberBufferBytes());
    assertEquals(500, o.pingIntervalMillis());
    assertEquals(250, o.ssePingIntervalMillis());
    assertEquals(7, o.maxSubscribers());
    assertNull(o.collections().get("notes"));
    assertEquals(Path.of("/tmp/people.json"), o.collections().get("people"));
    assertFalse(o.seedDemo());
    assertFalse(o.kanban());
  }

  @Test
  @DisplayName("refuses unknown flags, missing values, bad numbers and bad collection names")
  void refusesBadFlags() {
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--nope"));
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--port"));
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--port", "x"));
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--port", "70000"));
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--history-bytes", "0"));
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--max-body-bytes", "1q"));
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--collection", "a/b"));
  }
}
