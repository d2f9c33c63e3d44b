package dev.patchwire.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
    assertEquals(List.of(), o.corsOrigins(), "CORS is off by default");
    assertEquals(1L << 20, o.maxDocBytes(), "documents are bounded like bodies unless told");
    assertEquals(2L << 20, EngineOptions.fromArgs("--max-body-bytes", "2m").maxDocBytes());
    assertEquals(4096, o.maxInboundFrameBytes());
  }

  @Test
  @DisplayName("reads --max-doc-bytes and --max-inbound-frame-bytes, and copies them")
  void documentAndFrameLimits() {
    EngineOptions o = EngineOptions.fromArgs("--max-doc-bytes", "64k", "--max-inbound-frame-bytes=1k");
    assertEquals(64 * 1024, o.maxDocBytes());
    assertEquals(1024, o.maxInboundFrameBytes());
    EngineOptions copy = new EngineOptions(o);
    assertEquals(64 * 1024, copy.maxDocBytes());
    assertEquals(1024, copy.maxInboundFrameBytes());
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--max-inbound-frame-bytes", "10"));
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--max-doc-bytes", "0"));
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

  @Test
  @DisplayName("--cors-origin takes a comma-separated list of origins, normalized the way browsers write them, or *")
  void corsOrigins() {
    assertEquals(List.of("http://localhost:3000", "https://app.example.com"),
        EngineOptions.fromArgs("--cors-origin", "http://localhost:3000,https://app.example.com").corsOrigins());
    assertEquals(List.of("http://localhost:3000", "https://app.example.com", "http://[::1]:8081", "http://10.0.0.7"),
        EngineOptions.fromArgs("--cors-origin=HTTP://LocalHost:3000, https://App.Example.com:443 ,"
            + "http://[::1]:8081,http://10.0.0.7:80,http://localhost:3000").corsOrigins());
    assertEquals(List.of("*"), EngineOptions.fromArgs("--cors-origin", "*").corsOrigins());
    EngineOptions o = EngineOptions.fromArgs("--cors-origin", "https://a.example");
    assertEquals(List.of("https://a.example"), new EngineOptions(o).corsOrigins(), "the copy keeps the origins");
    assertEquals(List.of(), o.clearCorsOrigins().corsOrigins());
    assertTrue(EngineOptions.USAGE.contains("--cors-origin"));
  }

  @Test
  @DisplayName("--cors-origin refuses anything that is not scheme://host[:port], with a message that says why")
  void refusesMalformedCorsOrigins() {
    assertRefused("needs a value", "--cors-origin");
    assertRefused("not an origin", "--cors-origin", "localhost:3000");
    assertRefused("not an origin", "--cors-origin", "app.example.com");
    assertRefused("trailing '/'", "--cors-origin", "http://localhost:3000/");
    assertRefused("has a path", "--cors-origin", "https://app.example.com/board");
    assertRefused("has a path", "--cors-origin", "https://app.example.com?x=1");
    assertRefused("only http and https", "--cors-origin", "ftp://files.example.com");
    assertRefused("not an origin", "--cors-origin", "http://");
    assertRefused("not an origin", "--cors-origin", "http://localhost:");
    assertRefused("not an origin", "--cors-origin", "http://user@localhost");
    assertRefused("not an origin", "--cors-origin", "http://local_host");
    assertRefused("port must be", "--cors-origin", "http://localhost:0");
    assertRefused("port must be", "--cors-origin", "http://localhost:70000");
    assertRefused("empty origin", "--cors-origin", "");
    assertRefused("empty origin", "--cors-origin", "http://a.example,,http://b.example");
    assertRefused("empty origin", "--cors-origin", "http://a.example,");
    assertRefused("cannot be combined", "--cors-origin", "*,http://a.example");
  }

  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @Test
  @DisplayName("auth flags: off by default; a secret from the flag or PATCHWIRE_JWT_SECRET; copied; checked together")
  void authFlags() throws Exception {
    assertFalse(EngineOptions.fromArgs().authEnabled(), "auth is off by default");
    EngineOptions o = EngineOptions.fromArgs("--jwt-secret", SECRET, "--jwt-issuer=https://iss", "--jwt-audience",
        "pw", "--max-writes-per-second", "5", "--print-demo-token");
    assertTrue(o.authEnabled());
    assertEquals(SECRET, o.jwtSecret());
    assertEquals("https://iss", o.jwtIssuer());
    assertEquals("pw", o.jwtAudience());
    assertEquals(5, o.maxWritesPerSecond());
    assertTrue(o.printDemoToken());
    EngineOptions copy = new EngineOptions(o);
    assertEquals(SECRET, copy.jwtSecret());
    assertEquals("https://iss", copy.jwtIssuer());
    assertEquals("pw", copy.jwtAudience());
    assertEquals(5, copy.maxWritesPerSecond());
    assertTrue(copy.printDemoToken());

    java.util.Map<String, String> env = java.util.Map.of(EngineOptions.JWT_SECRET_ENV, SECRET + "-env");
    assertEquals(SECRET + "-env", EngineOptions.fromArgs(env).jwtSecret(), "the environment gives the secret");
    assertEquals(SECRET, EngineOptions.fromArgs(env, "--jwt-secret", SECRET).jwtSecret(), "a flag wins");
    assertEquals(5, EngineOptions.fromArgs(env, "--max-writes-per-second", "5").maxWritesPerSecond());

    Path pem = java.nio.file.Files.createTempFile("pw", ".pem");
    try {
      assertEquals(pem, EngineOptions.fromArgs("--jwt-public-key", pem.toString()).jwtPublicKey());
      assertEquals(pem, new EngineOptions(EngineOptions.fromArgs("--jwt-public-key", pem.toString())).jwtPublicKey());
      assertRefused("not both", "--jwt-secret", SECRET, "--jwt-public-key", pem.toString());
      assertNull(EngineOptions.fromArgs(env, "--jwt-public-key", pem.toString()).jwtSecret(),
          "a public key flag keeps the environment's secret out");
    } finally {
      java.nio.file.Files.delete(pem);
    }
    assertRefused("at least 32 bytes", "--jwt-secret", "short");
    assertRefused("cannot read", "--jwt-public-key", "/nonexistent/key.pem");
    assertRefused("need --jwt-secret or --jwt-public-key", "--max-writes-per-second", "5");
    assertRefused("need --jwt-secret or --jwt-public-key", "--jwt-issuer", "x");
    assertRefused("--print-demo-token needs --jwt-secret", "--print-demo-token");
    assertRefused("0 (off) or more", "--jwt-secret", SECRET, "--max-writes-per-second", "-1");
    assertTrue(EngineOptions.USAGE.contains("--jwt-secret") && EngineOptions.USAGE.contains("patchwire.jar token"));
  }

  private static void assertRefused(String messagePart, String... args) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs(args));
    assertTrue(e.getMessage().contains(messagePart), "message for " + List.of(args) + ": " + e.getMessage());
  }

  @Test
  @DisplayName("the server-limit flags: hosts, write budget, queue, connections, timeouts; copied whole")
  void serverLimits() {
    EngineOptions d = EngineOptions.fromArgs("--host", "0.0.0.0");
    assertEquals(List.of("localhost", "127.0.0.1", "[::1]"), d.allowedHosts(), "a wildcard --host names no host");
    assertEquals(List.of("localhost", "127.0.0.1", "[::1]", "engine.example"),
        EngineOptions.fromArgs("--host", "Engine.Example").allowedHosts());
    assertEquals(Math.max(Runtime.getRuntime().maxMemory() / 16, 1L << 20), d.maxWriteBytesInFlight());
    assertEquals(10_000, d.maxQueuedWrites());
    assertTrue(d.maxConnections() > 0);
    assertEquals(1_000, d.maxConnectionsPerIp());
    assertEquals(10_000, d.headerTimeoutMillis());
    assertEquals(30_000, d.bodyTimeoutMillis());
    assertEquals(60_000, d.idleTimeoutMillis());

    EngineOptions o = EngineOptions.fromArgs("--allowed-hosts", "App.Example., ::1, 10.0.0.7",
        "--max-write-bytes-in-flight=8m", "--max-queued-writes", "5", "--max-connections", "100",
        "--max-connections-per-ip", "10", "--header-timeout", "500", "--body-timeout", "600",
        "--idle-timeout", "700");
    EngineOptions copy = new EngineOptions(o);
    for (EngineOptions e : List.of(o, copy)) {
      assertEquals(List.of("app.example", "[::1]", "10.0.0.7"), e.allowedHosts());
      assertEquals(8L << 20, e.maxWriteBytesInFlight());
      assertEquals(5, e.maxQueuedWrites());
      assertEquals(100, e.maxConnections());
      assertEquals(10, e.maxConnectionsPerIp());
      assertEquals(500, e.headerTimeoutMillis());
      assertEquals(600, e.bodyTimeoutMillis());
      assertEquals(700, e.idleTimeoutMillis());
    }
    assertEquals(List.of("*"), EngineOptions.fromArgs("--allowed-hosts", "*").allowedHosts());
    assertEquals(1L << 20, EngineOptions.fromArgs("--max-write-bytes-in-flight", "1k").maxWriteBytesInFlight(),
        "one largest body always fits");
    for (String bad : List.of("", "a,,b", "*,localhost", "http://x", "localhost:80", "a b")) {
      assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--allowed-hosts", bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--header-timeout", "0"));
    assertThrows(IllegalArgumentException.class, () -> EngineOptions.fromArgs("--max-connections", "-1"));
  }

  @Test
  @DisplayName("every flag in the usage text has an environment variable named after it, listed in --help")
  void everyFlagHasAnEnvironmentVariable() {
    List<String> names = EngineOptions.flags().stream().map(EngineOptions.Flag::name).toList();
    for (String line : EngineOptions.USAGE.split("\n")) {
      String t = line.trim();
      if (line.startsWith("  --") && !t.startsWith("--help") && !t.startsWith("--version")) {
        assertTrue(names.contains(t.split("[ =]")[0]), "no environment variable for " + line);
      }
    }
    assertTrue(names.containsAll(List.of("--port", "--data", "--host", "--no-seed", "--collection",
        "--log-level", "--log-format", "--cors-origin")), names.toString());
    String help = EngineOptions.help();
    for (EngineOptions.Flag f : EngineOptions.flags()) {
      assertTrue(help.contains(f.env()), f.env() + " missing from --help");
    }
    assertEquals("PATCHWIRE_MAX_BODY_BYTES", new EngineOptions.Flag("--max-body-bytes", true, false).env());
  }

  @Test
  @DisplayName("options come from the environment, and a flag given on the command line wins")
  void readsTheEnvironment() {
    Map<String, String> env = Map.of(
        "PATCHWIRE_PORT", "8181", "PATCHWIRE_DATA", "/tmp/env-data", "PATCHWIRE_NO_SEED", "true",
        "PATCHWIRE_NO_KANBAN", "false", "PATCHWIRE_COLLECTION", "notes, people=/tmp/p.json",
        "PATCHWIRE_MAX_BODY_BYTES", "2k", "PATCHWIRE_LOG_FORMAT", "json", "HOME", "/root");
    EngineOptions o = EngineOptions.fromArgs(env, "--port", "9191", "--log-format=text");
    assertEquals(9191, o.port(), "the flag wins");
    assertEquals("text", o.logFormat(), "the flag wins in --flag=value form too");
    assertEquals(Path.of("/tmp/env-data"), o.dataDir());
    assertFalse(o.seedDemo());
    assertTrue(o.kanban());
    assertEquals(2048, o.maxBodyBytes());
    assertEquals(List.of("notes", "people"), o.collectionNames());
    assertEquals(Path.of("/tmp/p.json"), o.collections().get("people"));

    EngineOptions flagged = EngineOptions.fromArgs(env, "--collection", "only");
    assertEquals(List.of("only"), flagged.collectionNames(), "a repeatable flag given replaces the variable's list");
  }

  @Test
  @DisplayName("a bad value from the environment names the variable; unknown PATCHWIRE_ variables are reported")
  void badEnvironmentValues() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> EngineOptions.fromArgs(Map.of("PATCHWIRE_PORT", "eighty"), new String[0]));
    assertTrue(e.getMessage().startsWith("PATCHWIRE_PORT: "), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> EngineOptions.fromArgs(Map.of("PATCHWIRE_NO_SEED", "maybe"), new String[0]));
    assertTrue(e.getMessage().contains("PATCHWIRE_NO_SEED"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> EngineOptions.fromArgs(Map.of("PATCHWIRE_LOG_LEVEL", "loud"), new String[0]));
    assertTrue(e.getMessage().contains("PATCHWIRE_LOG_LEVEL"), e.getMessage());
    assertEquals(List.of("PATCHWIRE_PROT"),
        EngineOptions.unknownEnv(Map.of("PATCHWIRE_PROT", "1", "PATCHWIRE_PORT", "2", "PATH", "/bin")));
  }
}
