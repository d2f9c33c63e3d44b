package dev.patchwire.hostile;

import static dev.patchwire.hostile.Probe.http;
import static dev.patchwire.hostile.Probe.message;
import static dev.patchwire.hostile.Probe.wsSending;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.TestServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The other side of the strict input rules: what sits right at a limit, or only looks odd, is
 * accepted and kept exactly (docs/protocol.md, Limits). Each would be refused or changed by a rule
 * drawn one step too tight.
 */
@DisplayName("Input at the edge of the rules")
class AcceptedInputTest {

  private static final String ITEMS = "/api/collections/items/docs";
  private static final String JSON = "application/json";
  private static TestServer server;
  private static Probe.Target target;

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.defaults().setMaxDocBytes(16 * 1024));
    target = new Probe.Target("127.0.0.1", server.port());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static Probe.Outcome send(String method, String path, String type, String body) throws Exception {
    return http(method, path, type, body).send(target);
  }

  @Test
  @DisplayName("numbers within a double's range are kept digit for digit, through a read, a list and a later patch")
  void numbersAreKeptExactly() throws Exception {
    String body = "{\"a\":1.00000000000000000001,\"b\":12345678901234567890123,\"c\":9007199254740993,"
        + "\"d\":-9223372036854775808,\"e\":1.7976931348623157e308,\"f\":4.9e-324,\"g\":0.1}";
    assertEquals(201, send("PUT", ITEMS + "/n", JSON, body).status());
    send("PATCH", ITEMS + "/n", "application/json-patch+json", "[{\"op\":\"add\",\"path\":\"/h\",\"value\":1}]");
    for (String read : List.of(send("GET", ITEMS + "/n", null, null).body(), send("GET", ITEMS, null, null).body())) {
      for (String kept : List.of("1.00000000000000000001", "12345678901234567890123", "9007199254740993",
          "-9223372036854775808", "\"g\":0.1", "\"h\":1")) {
        assertTrue(read.contains(kept), kept + " is kept exactly in " + read);
      }
    }
    assertEquals(200, send("PATCH", ITEMS + "/n", "application/json-patch+json",
        "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.00000000000000000001}]").status(), "a test compares exactly");
    assertEquals(409, send("PATCH", ITEMS + "/n", "application/json-patch+json",
        "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.0}]").status(), "and 1.0 is another number");
  }

  @Test
  @DisplayName("surrogate pairs, escaped or raw, and escaped control characters are ordinary text")
  void surrogatePairs() throws Exception {
    Probe.Outcome r = send("PUT", ITEMS + "/%F0%9F%98%80", JSON,
        "{\"e\":\"\\ud83d\\ude00\",\"raw\":\"😀\",\"\\ud83d\\ude01\":1,\"nul\":\"\\u0000\",\"esc\":\"\\\\ud800\"}");
    assertEquals(201, r.status(), r.body());
    String got = send("GET", ITEMS + "/%F0%9F%98%80", null, null).body();
    assertTrue(got.contains("\"e\":\"😀\"") && got.contains("\"😁\":1") && got.contains("\\\\ud800"), got);
  }

  @Test
  @DisplayName("64 levels of nesting, a document just under --max-doc-bytes and a patch that grows and shrinks are accepted")
  void atTheLimits() throws Exception {
    String deep = "{\"a\":" + "[".repeat(63) + "]".repeat(63) + "}";
    assertEquals(201, send("PUT", ITEMS + "/deep", JSON, deep).status(), "64 levels, the document's own included");
    Probe.Outcome big = send("PUT", ITEMS + "/big", JSON, "{\"s\":\"" + "x".repeat(16 * 1024 - 40) + "\"}");
    assertEquals(201, big.status(), big.body());
    assertEquals(201, send("PUT", ITEMS + "/small", JSON, "{\"s\":\"" + "y".repeat(6000) + "\"}").status());
    Probe.Outcome grown = send("PATCH", ITEMS + "/small", "application/json-patch+json",
        "[{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/t\"},{\"op\":\"remove\",\"path\":\"/s\"},"
            + "{\"op\":\"copy\",\"from\":\"/t\",\"path\":\"/s\"},{\"op\":\"remove\",\"path\":\"/t\"}]");
    assertEquals(200, grown.status(), "12 KB at most at any step, under the 16 KiB limit: " + grown.body());
  }

  @Test
  @DisplayName("a client WebSocket message of exactly --max-inbound-frame-bytes is ignored; the stream stays open")
  void inboundAtTheLimit() throws Exception {
    Probe.Outcome r = wsSending("/api/collections/items/stream/ws", List.of(message("z".repeat(4096)),
        message(new byte[4096]))).send(target);
    assertEquals(0, r.status(), "still open, nothing said: " + r.body());
  }
}
