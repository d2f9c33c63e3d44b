package dev.patchwire.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.json.Json;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestServer;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A snapshot larger than a fragment is written in pieces as its pages are read, and the pieces
 * must make exactly the message the engine sent whole before: one WebSocket text message in
 * continuation frames, one SSE event whose data line spans many HTTP chunks (no {@code :ping}
 * inside it), one JSON body for {@code GET .../docs}. Replays of as many bytes go out in batches.
 */
@DisplayName("A snapshot larger than one fragment")
class PiecewiseSnapshotTest extends StreamTestBase {

  private static final int DOCS = 160;
  private static final String PAD = "p".repeat(4_000);

  /** id to the stored JSON text of each document, in id order; and the seq after the last write. */
  private final Map<String, String> stored = new TreeMap<>();
  private long seq;
  /** id to the seq of its write. */
  private final Map<String, Long> writtenAt = new java.util.concurrent.ConcurrentHashMap<>();

  private void seed() {
    Map<String, String> bodies = new java.util.concurrent.ConcurrentHashMap<>();
    seq = java.util.stream.IntStream.range(0, DOCS).parallel().mapToLong(i -> {
      String id = String.format("d%03d", i);
      Rest.Response r = rest.put("items", id, Rest.obj("i", i, "pad", PAD)).expect(201);
      bodies.put(id, r.body());
      writtenAt.put(id, r.seq());
      return r.seq();
    }).max().orElseThrow();
    stored.putAll(bodies);
  }

  /** The collection map as the engine wrote it when a snapshot was one string. */
  private String map() {
    StringBuilder sb = new StringBuilder("{");
    stored.forEach((id, json) -> sb.append(sb.length() > 1 ? "," : "").append(Json.quote(id)).append(':').append(json));
    return sb.append('}').toString();
  }

  private String wsSnapshot() {
    return "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/items\",\"value\":" + map() + "}],\"seq\":" + seq
        + ",\"epoch\":\"" + server.epoch() + "\",\"snapshot\":true}";
  }

  @Test
  @DisplayName("arrives over WebSocket as one text message in continuation frames, byte for byte the whole message")
  void webSocketContinuationFrames() throws Exception {
    // a ping every millisecond: control frames may come between a message's frames (RFC 6455 5.4)
    start(TestServer.defaults().setPingIntervalMillis(1));
    seed();
    WebSocketClient client = clients.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(16 << 20).setMaxMessageSize(256 << 20));
    LinkedBlockingQueue<WebSocketFrame> frames = new LinkedBlockingQueue<>();
    ClientWebSocket socket = client.webSocket();
    socket.frameHandler(f -> {
      if (f.isText() || f.isContinuation()) {
        frames.add(f);
      }
    });
    socket.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
        .setURI(wsPath("items", null))).toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    try {
      List<WebSocketFrame> parts = new ArrayList<>();
      Buffer message = Buffer.buffer();
      WebSocketFrame f;
      do {
        f = frames.poll(15, TimeUnit.SECONDS);
        assertTrue(f != null, "the snapshot message did not end within 15 s after " + parts.size() + " frames");
        parts.add(f);
        message.appendBuffer(f.binaryData());
      } while (!f.isFinal());
      assertTrue(parts.size() >= 3, "a " + message.length() + "-byte snapshot came in " + parts.size() + " frame(s)");
      assertTrue(parts.get(0).isText() && !parts.get(0).isFinal(), "the first frame is a text frame, not final");
      for (int i = 1; i < parts.size(); i++) {
        assertTrue(parts.get(i).isContinuation(), "frame " + i + " is a continuation frame");
      }
      assertSame(wsSnapshot(), message.toString(StandardCharsets.UTF_8), "the reassembled snapshot");
      WebSocketFrame ready = frames.poll(15, TimeUnit.SECONDS);
      assertTrue(ready != null && ready.isText() && ready.isFinal(), "then Ready, in one frame");
      assertEquals("{\"Ready\":true,\"epoch\":\"" + server.epoch() + "\",\"seq\":" + seq + ",\"resumed\":false}",
          ready.textData());
    } finally {
      socket.close();
      client.close();
    }

    // A client that reads whole messages (the recorders, browsers, wscat) sees no difference.
    WsRecorder ws = ws("items", null);
    assertSame(wsSnapshot(), ws.nextFrame(WAIT).text(), "the snapshot a recorder reads");
    assertReady(ws.nextFrame(WAIT), seq, false);
    rest.patch("items", "d007", Rest.patch(Rest.obj("op", "replace", "path", "/i", "value", -7))).expect(200);
    assertEquals(seq + 1, ws.nextFrame(WAIT).seq(), "then live changes");
  }

  @Test
  @DisplayName("arrives whole over a WebSocket with permessage-deflate too")
  void webSocketCompressed() {
    start(TestServer.defaults().setWsCompression(true));
    seed();
    WsRecorder ws = track(WsRecorder.connect(clients, server.port(), wsPath("items", null),
        new WebSocketClientOptions().setTryUsePerMessageCompression(true)));
    assertSame(wsSnapshot(), ws.nextFrame(WAIT).text(), "the inflated snapshot");
    assertReady(ws.nextFrame(WAIT), seq, false);
  }

  @Test
  @DisplayName("arrives over SSE as one event whose data line spans many chunks, with no ping inside it")
  void sseOneEventInManyChunks() throws Exception {
    // a ping every millisecond: it would land inside the event unless held back
    start(TestServer.defaults().setSsePingIntervalMillis(1));
    seed();
    String head = "id: " + server.epoch() + ":" + seq + "\nevent: json_patch\ndata: ";
    String data = "[{\"op\":\"add\",\"path\":\"/items\",\"value\":" + map() + "}]";
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(16 << 10);  // a slow reader: the engine waits for it between pieces
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      s.setSoTimeout(15_000);
      s.getOutputStream().write(("GET " + ssePath("items", null) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      InputStream in = new BufferedInputStream(s.getInputStream());
      String status = line(in);
      assertTrue(status.startsWith("HTTP/1.1 200"), status);
      boolean chunked = false;
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        chunked |= h.equalsIgnoreCase("transfer-encoding: chunked");
      }
      assertTrue(chunked, "an SSE response is chunked");
      StringBuilder body = new StringBuilder();
      List<int[]> chunks = new ArrayList<>();  // [start, end) of each chunk in body
      while (body.indexOf("event: ready") < 0) {
        int size = Integer.parseInt(line(in).trim(), 16);
        byte[] chunk = in.readNBytes(size);
        line(in);
        chunks.add(new int[] {body.length(), body.length() + chunk.length});
        body.append(new String(chunk, StandardCharsets.UTF_8));
        Thread.sleep(1);
      }
      int at = body.indexOf(head);
      assertTrue(at >= 0, "the snapshot event: " + body.substring(0, Math.min(300, body.length())));
      int from = at + head.length();
      int end = body.indexOf("\n", from);
      assertSame(data, body.substring(from, end), "the snapshot's one data line");
      assertEquals("\n\n", body.substring(end, end + 2), "the event ends there");
      long spanning = chunks.stream().filter(c -> c[1] > from && c[0] < end).count();
      assertTrue(spanning >= 3, "the data line came in " + spanning + " chunk(s)");
      String beforeData = body.substring(0, at);
      assertFalse(beforeData.contains("event:"), "the snapshot is the first event: " + beforeData);
    }
  }

  @Test
  @DisplayName("is answered to GET .../docs as a chunked body with the very same JSON; a small one keeps its Content-Length")
  void restListStreamed() {
    start();
    seed();
    Rest.Response big = rest.list("items").expect(200);
    assertSame("{\"items\":" + map() + ",\"seq\":" + seq + "}", big.body(), "the body");
    assertEquals(server.epoch() + ":" + seq, big.position());
    assertEquals("chunked", big.header("transfer-encoding").orElse(null));
    assertEquals("application/json; charset=utf-8", big.header("content-type").orElse(null));

    Rest.Response small = rest.list("items", "i:3").expect(200);
    String one = "{\"items\":{\"d003\":" + stored.get("d003") + "},\"seq\":" + seq + "}";
    assertEquals(one, small.body());
    assertEquals(String.valueOf(one.length()), small.header("content-length").orElse(null));
  }

  @Test
  @DisplayName("of missed changes is replayed in batches, from the history and from the durable log alike")
  void largeReplays() {
    // a 1 MiB history holds the last hundred or so of these changes (about 8 KB each): since=E:0
    // is served by the change log, since=E:(seq-40) by the history, both several batches long
    start(TestServer.defaults().setHistoryBytes(1 << 20));
    seed();
    long oldestInMemory = rest.stats().path("history").path("oldestSeq").asLong();
    assertTrue(oldestInMemory > 1 && oldestInMemory <= seq - 39, "the history starts at " + oldestInMemory);
    for (String since : List.of("0", String.valueOf(seq - 40))) {
      WsRecorder ws = ws("items", "since=" + server.epoch() + ":" + since);
      StrictPatcher p = new StrictPatcher("items");
      p.apply(Rest.parse("[{\"op\":\"add\",\"path\":\"/items\",\"value\":{}}]"), 0, true);
      long from = Long.parseLong(since);
      for (long n = from + 1; n <= seq; n++) {
        Frame f = ws.nextFrame(WAIT);
        assertEquals(n, f.seq(), "replayed change " + n + " in order, each once");
        p.applyWs(f.json());
      }
      Map<String, String> expected = new TreeMap<>();
      stored.forEach((id, json) -> {
        if (writtenAt.get(id) > from) {
          expected.put(id, json);
        }
      });
      assertReady(ws.nextFrame(WAIT), seq, true);
      StringBuilder sb = new StringBuilder("{");
      expected.forEach((id, json) -> sb.append(sb.length() > 1 ? "," : "").append(Json.quote(id)).append(':').append(json));
      assertDocs(Rest.parse(sb.append('}').toString()), p.document().get("items"), "the replayed documents");
      ws.assertExhausted(QUIET_MILLIS);
    }
  }

  /** Like assertEquals for texts of hundreds of KB: says where they part instead of printing both. */
  private static void assertSame(String expected, String actual, String what) {
    if (expected.equals(actual)) {
      return;
    }
    int at = 0;
    while (at < Math.min(expected.length(), actual.length()) && expected.charAt(at) == actual.charAt(at)) {
      at++;
    }
    int from = Math.max(0, at - 60);
    throw new AssertionError(what + " (" + actual.length() + " chars, expected " + expected.length()
        + ") differs at char " + at + ":\n  expected ..." + expected.substring(from, Math.min(expected.length(), at + 60))
        + "\n  actual   ..." + actual.substring(from, Math.min(actual.length(), at + 60)));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("end of stream");
      }
      b.write(c);
    }
    String s = b.toString(StandardCharsets.UTF_8);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }
}
