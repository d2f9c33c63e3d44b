package dev.patchwire.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A seeded fuzz test: valid PUT, POST and PATCH requests, mutated (bytes flipped, cut, doubled,
 * nested deep, huge numbers, bad escapes and encodings, odd ops and paths, duplicate members)
 * and sent to a live engine. Every answer must be a 2xx or a 4xx, never a 5xx or a dropped
 * connection; a refusal must change nothing (the document and the store's seq are as before); a
 * 2xx must be what a strict reference implementation says (the answered document equals the
 * stored one and, for a patch, the reference application of the patch). At the end a stream that
 * watched everything holds exactly the collection.
 *
 * <p>{@code -Dfuzz.requests=N} (default 2,000) and {@code -Dfuzz.seed=S} (default: random,
 * printed, so that a failure can be replayed).
 */
@DisplayName("Request fuzzing")
class RequestFuzzTest {

  private static final ObjectMapper EXACT = new ObjectMapper()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final String DOCS = "/api/collections/items/docs";
  private static final String[] NAMES = {"a", "b", "n", "s", "list", "o", "~0", "a/b", "é", "名"};
  private static final String[] STRING_PARTS = {"x", "hello", "é", "名", "😀", "\\n", "\\u0041", "\\\"",
      "~", "/", " ", "\\ud83d\\ude00", "\\\\"};
  private static final String[] INSERTS = {"\\ud800", "\\udfff", "1e400", "9".repeat(400), "-0", "1e-400",
      "NaN", ",", "\"a\":1,", "[[[[[[[[", "\\u0000", "\"\\x\"", "\"n\":1,\"n\":2,", "}", "]", "\"", "\\",
      "1.00000000000000000001", "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/c\"},", "/-", "~2", "/99999999999"};
  private static final byte[][] BYTES = {{0}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0,
      (byte) 0x80}, {(byte) 0x80}, {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80,
      (byte) 0x80}};
  private static final String[] OPS = {"add", "remove", "replace", "move", "copy", "test", "merge", "ADD", ""};

  private Random random;
  private Probe.Target target;
  /** What the engine holds, as its answers said: id to document. */
  private final Map<String, JsonNode> model = new LinkedHashMap<>();
  private final Map<Integer, Integer> statuses = new java.util.TreeMap<>();
  /** The store's committed seq after the last request. */
  private long seq;

  @Test
  @DisplayName("mutated requests get a 2xx or 4xx, never a 5xx; refusals change nothing; acceptances match a reference")
  void fuzz() throws Exception {
    long seed = Long.getLong("fuzz.seed", new Random().nextLong());
    int requests = Integer.getInteger("fuzz.requests", 2_000);
    System.out.println("RequestFuzzTest: -Dfuzz.seed=" + seed + " -Dfuzz.requests=" + requests);
    random = new Random(seed);
    try (TestServer server = TestServer.start(TestServer.defaults().setMaxBodyBytes(64 * 1024)
        .setMaxDocBytes(16 * 1024))) {
      target = new Probe.Target("127.0.0.1", server.port());
      Watch watch = new Watch(target);
      for (int i = 0; i < 8; i++) {
        String id = "f" + i;
        String body = randomObject(2);
        HttpResponse<String> r = send("PUT", DOCS + "/" + id, "application/json", body.getBytes(StandardCharsets.UTF_8));
        assertEquals(201, r.statusCode(), r.body());
        model.put(id, EXACT.readTree(r.body()));
      }
      seq = committedSeq();
      for (int i = 0; i < requests; i++) {
        String context = "seed " + seed + ", request " + i;
        try {
          one(context);
        } catch (AssertionError e) {
          throw new AssertionError(context + ": " + e.getMessage(), e);
        }
      }
      System.out.println("RequestFuzzTest: statuses " + statuses);
      assertTrue(statuses.keySet().stream().anyMatch(s -> s < 300), "some mutated requests were still valid");
      assertTrue(statuses.keySet().stream().anyMatch(s -> s >= 400), "some were refused");
      String listedText = send("GET", DOCS, null, null).body();
      JsonNode listed = EXACT.readTree(listedText);
      long seq = listed.get("seq").asLong();
      ObjectNode expected = EXACT.createObjectNode();
      model.forEach(expected::set);
      assertTrue(StrictPatcher.equalJson(expected, listed.get("items")), "the collection is what the answers said");
      StrictPatcher watched = watch.until(seq);
      // the strict patcher reads frames as doubles (through Vert.x's JSON), so compare it so
      JsonNode listedAsDoubles = dev.patchwire.testing.Rest.parse(listedText).get("items");
      assertTrue(StrictPatcher.equalJson(listedAsDoubles, watched.docs()),
          "a stream that watched every request holds exactly the collection: " + listedAsDoubles
              + " but the stream has " + watched.docs());
      watch.close();
    }
  }

  /** One mutated request and the checks on its answer. */
  private void one(String context) throws Exception {
    List<String> ids = new ArrayList<>(model.keySet());
    String id = ids.get(random.nextInt(ids.size()));
    int kind = random.nextInt(10);
    String method;
    String path;
    String type;
    String valid;
    if (kind < 5) {
      method = "PATCH";
      path = DOCS + "/" + encode(id);
      type = random.nextInt(10) == 0 ? "application/json" : "application/json-patch+json";
      valid = randomPatch(model.get(id));
    } else if (kind < 8) {
      method = "PUT";
      path = DOCS + "/" + encode(random.nextInt(4) == 0 ? "f" + random.nextInt(12) : id);
      type = "application/json";
      valid = randomObject(3);
    } else {
      method = "POST";
      path = DOCS;
      type = "application/json";
      valid = random.nextBoolean() ? randomObject(3) : "{\"id\":\"p" + random.nextInt(50) + "\"," + randomObject(2).substring(1);
    }
    byte[] body = mutate(valid.getBytes(StandardCharsets.UTF_8));
    long seqBefore = seq;
    HttpResponse<String> r = send(method, path, type, body);
    seq = committedSeq();
    int status = r.statusCode();
    statuses.merge(status, 1, Integer::sum);
    String what = method + " " + path + " " + new String(body, StandardCharsets.UTF_8).replace("\n", "\\n")
        + " answered " + status + " " + r.body();
    if (status >= 500) {
      fail(what);
    }
    String target = path.equals(DOCS) ? null
        : java.net.URLDecoder.decode(path.substring(DOCS.length() + 1), StandardCharsets.UTF_8);
    if (status >= 400) {
      assertEquals(seqBefore, seq, what + ": a refusal moved the store's seq");
      if (target != null) {
        assertStored(target, model.get(target), what);
      }
      return;
    }
    JsonNode answered = EXACT.readTree(r.body());
    String answeredId = answered.get("id").textValue();
    if (method.equals("PATCH")) {
      JsonNode expected = StrictPatcher.applyPatch(model.get(id), EXACT.readTree(body));
      assertTrue(StrictPatcher.equalJson(expected, answered), what + ": the reference gives " + expected);
    } else {
      ObjectNode expected = (ObjectNode) EXACT.readTree(body);
      expected.put("id", answeredId);
      assertTrue(StrictPatcher.equalJson(expected, answered), what + ": expected " + expected);
    }
    assertStored(answeredId, answered, what);
    long moved = seq - seqBefore;
    assertTrue(moved == 0 || moved == 1, what + ": one write moved the seq by " + moved);
    model.put(answeredId, answered);
  }

  private void assertStored(String id, JsonNode expected, String what) throws Exception {
    HttpResponse<String> got = send("GET", DOCS + "/" + encode(id), null, null);
    if (expected == null) {
      assertEquals(404, got.statusCode(), what + ": the document must not exist: " + got.body());
    } else {
      assertEquals(200, got.statusCode(), what + ": " + got.body());
      assertTrue(StrictPatcher.equalJson(expected, EXACT.readTree(got.body())),
          what + ": stored " + got.body() + " but expected " + expected);
    }
  }

  private long committedSeq() {
    return new JsonObject(send("GET", "/health", null, null).body()).getLong("seq");
  }

  // ---- valid requests -------------------------------------------------------------------------

  private String randomObject(int depth) {
    StringBuilder s = new StringBuilder("{");
    int n = random.nextInt(5);
    List<String> used = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = NAMES[random.nextInt(NAMES.length)];
      if (used.contains(name) || name.equals("id")) {
        continue;
      }
      used.add(name);
      s.append(s.length() > 1 ? "," : "").append(quote(name)).append(':').append(randomValue(depth - 1));
    }
    return s.append('}').toString();
  }

  private String randomValue(int depth) {
    switch (random.nextInt(depth > 0 ? 9 : 7)) {
      case 0:
        return Integer.toString(random.nextInt(2000) - 1000);
      case 1:
        return Long.toString(random.nextLong());
      case 2:
        return String.format(java.util.Locale.ROOT, "%.6f", random.nextDouble() * 1e6);
      case 3:
        return (random.nextInt(9) + 1) + "." + random.nextInt(100) + "e" + (random.nextInt(600) - 300);
      case 4:
      case 5: {
        StringBuilder s = new StringBuilder("\"");
        for (int i = random.nextInt(4); i > 0; i--) {
          s.append(STRING_PARTS[random.nextInt(STRING_PARTS.length)]);
        }
        return s.append('"').toString();
      }
      case 6:
        return new String[] {"true", "false", "null"}[random.nextInt(3)];
      case 7: {
        StringBuilder s = new StringBuilder("[");
        for (int i = random.nextInt(4); i > 0; i--) {
          s.append(s.length() > 1 ? "," : "").append(randomValue(depth - 1));
        }
        return s.append(']').toString();
      }
      default:
        return randomObject(depth);
    }
  }

  /** 1 to 4 operations, on paths of the document where it has them, or made up. */
  private String randomPatch(JsonNode doc) {
    List<String> paths = new ArrayList<>();
    pointers(doc, "", paths);
    StringBuilder p = new StringBuilder("[");
    for (int i = random.nextInt(4) + 1; i > 0; i--) {
      String op = random.nextInt(8) == 0 ? OPS[random.nextInt(OPS.length)] : OPS[random.nextInt(6)];
      String path = random.nextInt(5) == 0 ? "/" + NAMES[random.nextInt(NAMES.length)].replace("~", "~0").replace("/", "~1")
          : paths.get(random.nextInt(paths.size()));
      if (op.equals("add") && random.nextBoolean()) {
        path = path + "/" + (random.nextBoolean() ? "-" : "new");
      }
      p.append(p.length() > 1 ? "," : "").append("{\"op\":").append(quote(op)).append(",\"path\":").append(quote(path));
      if (op.equals("move") || op.equals("copy")) {
        p.append(",\"from\":").append(quote(paths.get(random.nextInt(paths.size()))));
      }
      if (!op.equals("remove") && !op.equals("move") && !op.equals("copy")) {
        p.append(",\"value\":").append(randomValue(2));
      }
      p.append('}');
    }
    return p.append(']').toString();
  }

  private static void pointers(JsonNode node, String at, List<String> out) {
    out.add(at);
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        pointers(e.getValue(), at + "/" + e.getKey().replace("~", "~0").replace("/", "~1"), out);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        pointers(node.get(i), at + "/" + i, out);
      }
    }
  }

  /** Percent-encodes every byte but the unreserved ones (RFC 3986), so that any id makes a path. */
  private static String encode(String id) {
    StringBuilder out = new StringBuilder();
    for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        out.append((char) c);
      } else {
        out.append(String.format("%%%02X", c));
      }
    }
    return out.toString();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  // ---- mutations ------------------------------------------------------------------------------

  /** No mutation one time in five (so that valid requests keep the documents changing), else one to three. */
  private byte[] mutate(byte[] body) {
    if (random.nextInt(5) == 0) {
      return body;
    }
    byte[] b = body;
    for (int m = random.nextInt(3) + 1; m > 0; m--) {
      b = mutateOnce(b);
    }
    return b;
  }

  private byte[] mutateOnce(byte[] b) {
    int at = b.length == 0 ? 0 : random.nextInt(b.length);
    switch (random.nextInt(10)) {
      case 0: {  // flip a bit
        byte[] c = b.clone();
        if (c.length > 0) {
          c[at] ^= (byte) (1 << random.nextInt(8));
        }
        return c;
      }
      case 1:  // odd bytes: NUL, 0xFF, overlong, an encoded surrogate, a lone continuation, a BOM
        return splice(b, at, 0, BYTES[random.nextInt(BYTES.length)]);
      case 2:  // cut a piece out
        return splice(b, at, Math.min(b.length - at, random.nextInt(8) + 1), new byte[0]);
      case 3:  // truncate
        return java.util.Arrays.copyOf(b, at);
      case 4: {  // double a piece
        int len = Math.min(b.length - at, random.nextInt(16) + 1);
        return splice(b, at, 0, java.util.Arrays.copyOfRange(b, at, at + len));
      }
      case 5:
      case 6:  // a token that is bad, huge, or bad in this place
        return splice(b, at, 0, INSERTS[random.nextInt(INSERTS.length)].getBytes(StandardCharsets.UTF_8));
      case 7: {  // nest deep
        int levels = random.nextBoolean() ? 70 : 10;
        String open = random.nextBoolean() ? "[".repeat(levels) : "{\"a\":".repeat(levels);
        String close = open.startsWith("[") ? "]".repeat(levels) : "}".repeat(levels);
        return splice(splice(b, at, 0, close.getBytes(StandardCharsets.UTF_8)), at, 0, open.getBytes(StandardCharsets.UTF_8));
      }
      case 8:  // another encoding
        return new String(b, StandardCharsets.UTF_8).getBytes(random.nextBoolean() ? StandardCharsets.UTF_16LE
            : StandardCharsets.UTF_16);
      default: {  // swap two bytes
        byte[] c = b.clone();
        if (c.length > 1) {
          int other = random.nextInt(c.length);
          byte t = c[at];
          c[at] = c[other];
          c[other] = t;
        }
        return c;
      }
    }
  }

  private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + insert.length);
    out.write(b, 0, at);
    out.writeBytes(insert);
    out.write(b, at + remove, b.length - at - remove);
    return out.toByteArray();
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private HttpResponse<String> send(String method, String path, String contentType, byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target.http() + path)).timeout(Probe.TIMEOUT);
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    try {
      return Probe.Clients.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new AssertionError(method + " " + path + " got no answer: " + e, e);
    }
  }

  /** A WebSocket stream on items that records every frame, applied at the end by the strict patcher. */
  private static final class Watch {
    private final LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
    private final WebSocket ws;

    Watch(Probe.Target target) throws Exception {
      ws = Probe.Clients.HTTP.newWebSocketBuilder().buildAsync(
          URI.create(target.ws() + "/api/collections/items/stream/ws"), new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
              partial.append(data);
              if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
              }
              socket.request(1);
              return null;
            }
          }).get(10, TimeUnit.SECONDS);
    }

    /** Applies frames until one with {@code seq} (or Ready at it) is in. */
    StrictPatcher until(long seq) throws InterruptedException {
      StrictPatcher patcher = new StrictPatcher("items");
      long last = -1;
      while (last < seq) {
        String text = frames.poll(10, TimeUnit.SECONDS);
        if (text == null) {
          fail("the watching stream stopped at seq " + last + ", the store is at " + seq);
        }
        JsonObject frame = new JsonObject(text);
        if (frame.containsKey("JsonPatch")) {
          patcher.applyWs(frame);
          last = frame.getLong("seq");
        } else if (frame.containsKey("Ready")) {
          last = Math.max(last, frame.getLong("seq"));
        } else {
          fail("unexpected frame " + text);
        }
      }
      return patcher;
    }

    void close() {
      ws.abort();
    }
  }
}
