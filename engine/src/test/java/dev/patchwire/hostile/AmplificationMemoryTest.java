package dev.patchwire.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.ProcessServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Small requests that make the writer build or compute something huge, against the engine as a
 * small container runs it: a child JVM under {@code -Xmx256m} with the default limits. The copy
 * amplification of issue #9 once built 16 MB and ran the heap out (exit 70); a diff of two large
 * arrays held the writer for 80 s. Here each is answered at once, and a bystander writing and
 * reading meanwhile is served without a stall.
 */
@DisplayName("Amplifying patches against the engine under -Xmx256m")
class AmplificationMemoryTest {

  private static final String DOCS = "/api/collections/items/docs";
  /**
   * Generous, for a loaded CI machine: the faults this guards against stalled the writer for 23
   * and 80 s, or ended the process.
   */
  private static final long BYSTANDER_MAX_MILLIS = 10_000;

  private Path dir;
  private ProcessServer server;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("patchwire-amplification");
    server = ProcessServer.start(dir, "--no-kanban", "--collection", "items");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    ProcessServer.deleteTree(dir);
  }

  /** One attack: its request and the status it must get. */
  private record Attack(String name, String method, String path, String type, String body, int status, String code) {
  }

  @Test
  @DisplayName("every amplification gets its 4xx at once, alone and four at a time, and the engine serves a bystander throughout")
  void amplificationsAreRefusedAtOnce() throws Exception {
    put("/amp", "{\"s\":\"" + "x".repeat(1000) + "\"}", 201);
    put("/big", "{\"s\":\"" + "y".repeat(400_000) + "\"}", 201);
    put("/arr", "{\"a\":" + range(0, 60_000) + "}", 201);
    List<Attack> attacks = attacks();
    List<Attack> refusals = new ArrayList<>();
    for (Attack a : attacks) {  // each alone first: the exact answer, quickly
      long started = System.nanoTime();
      HttpResponse<String> r = send(a.method(), a.path(), a.type(), a.body());
      long millis = (System.nanoTime() - started) / 1_000_000;
      System.out.println("AmplificationMemoryTest: " + a.name() + ": " + r.statusCode() + " in " + millis + " ms");
      assertEquals(a.status(), r.statusCode(), a.name() + ": " + r.body());
      if (a.code() != null) {
        assertEquals(a.code(), new JsonObject(r.body()).getJsonObject("error").getString("code"), a.name());
      }
      assertTrue(millis < 5_000, a.name() + " took " + millis + " ms");
      if (a.status() >= 400) {
        refusals.add(a);
      }
    }

    // then four attackers sending the refused ones at once for a while, and a bystander that
    // must not notice (the array replacements are real writes of 500 KB: they stay out of this)
    AtomicBoolean stop = new AtomicBoolean();
    Map<String, Integer> unexpected = new ConcurrentHashMap<>();
    AtomicLong attacksSent = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int first = t;
      running.add(pool.submit(() -> {
        for (int i = first; !stop.get(); i++) {
          Attack a = refusals.get(i % refusals.size());
          HttpResponse<String> r = send(a.method(), a.path(), a.type(), a.body());
          attacksSent.incrementAndGet();
          boolean overloaded = r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent();
          if (r.statusCode() != a.status() && !overloaded) {
            unexpected.merge(a.name() + " -> " + r.statusCode() + " " + r.body(), 1, Integer::sum);
          }
        }
        return null;
      }));
    }
    long worst = 0;
    int writes = 0;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
    while (System.nanoTime() < until) {
      long started = System.nanoTime();
      HttpResponse<String> w = send("PUT", DOCS + "/bystander-" + writes, "application/json", "{\"n\":" + writes + "}");
      assertEquals(201, w.statusCode(), "the bystander's write: " + w.body());
      HttpResponse<String> health = send("GET", "/health", null, null);
      assertEquals(200, health.statusCode(), "/health meanwhile: " + health.body());
      worst = Math.max(worst, (System.nanoTime() - started) / 1_000_000);
      writes++;
    }
    stop.set(true);
    for (Future<?> f : running) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    System.out.println("AmplificationMemoryTest: " + attacksSent.get() + " attacks, " + writes
        + " bystander writes, the slowest write and read " + worst + " ms");
    assertTrue(unexpected.isEmpty(), "unexpected answers: " + unexpected);
    assertTrue(worst < BYSTANDER_MAX_MILLIS, "the bystander waited " + worst + " ms for a write and /health");
    assertTrue(server.process().isAlive(), "the engine is still running:\n" + server.output());
    assertFalse(server.output().contains("OutOfMemoryError"), server.output());
    HttpResponse<String> amp = send("GET", DOCS + "/amp", null, null);
    assertEquals(1000, new JsonObject(amp.body()).getString("s").length(), "the amplified document is unchanged");
  }

  private static List<Attack> attacks() {
    String patch = "application/json-patch+json";
    StringBuilder amplify = new StringBuilder("[{\"op\":\"add\",\"path\":\"/b\",\"value\":[]},"
        + "{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/b/-\"}");
    for (int i = 0; i < 14; i++) {
      amplify.append(",{\"op\":\"copy\",\"from\":\"/b\",\"path\":\"/b/-\"}");
    }
    StringBuilder costly = new StringBuilder("[");
    for (int i = 0; i < 200; i++) {
      costly.append(i > 0 ? "," : "").append("{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/c\"},{\"op\":\"remove\",\"path\":\"/c\"}");
    }
    StringBuilder deepen = new StringBuilder("[{\"op\":\"add\",\"path\":\"/d\",\"value\":{}}");
    for (int i = 0; i < 100; i++) {
      deepen.append(",{\"op\":\"copy\",\"from\":\"/d\",\"path\":\"/d/d\"}");
    }
    return List.of(
        new Attack("the copy amplification of issue #9", "PATCH", DOCS + "/amp", patch, amplify + "]", 413,
            "document_too_large"),
        new Attack("the copy amplification ending in remove /b", "PATCH", DOCS + "/amp", patch,
            amplify + ",{\"op\":\"remove\",\"path\":\"/b\"}]", 413, "document_too_large"),
        new Attack("copy and remove of 400 KB, 200 times", "PATCH", DOCS + "/big", patch, costly + "]", 413,
            "patch_too_costly"),
        new Attack("copies of an object into itself", "PATCH", DOCS + "/amp", patch, deepen + "]", 400,
            "nesting_too_deep"),
        new Attack("a PUT of 300,000 empty objects", "PUT", DOCS + "/objects", "application/json",
            "{\"a\":[" + "{},".repeat(300_000) + "{}]}", 413, "document_too_large"),
        new Attack("a replacement of a 60,000-number array by another", "PUT", DOCS + "/arr", "application/json",
            "{\"a\":" + range(100_000, 160_000) + "}", 200, null),
        new Attack("and back", "PUT", DOCS + "/arr", "application/json", "{\"a\":" + range(0, 60_000) + "}", 200, null));
  }

  private static String range(int from, int to) {
    StringBuilder s = new StringBuilder("[");
    for (int i = from; i < to; i++) {
      s.append(i > from ? "," : "").append(i);
    }
    return s.append(']').toString();
  }

  private void put(String id, String body, int status) {
    HttpResponse<String> r = send("PUT", DOCS + id, "application/json", body);
    assertEquals(status, r.statusCode(), r.body());
  }

  private HttpResponse<String> send(String method, String path, String type, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Probe.TIMEOUT);
    if (type != null) {
      b.header("Content-Type", type);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    try {
      return Probe.Clients.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new AssertionError(method + " " + path + " got no answer: " + e + "\n" + server.output(), e);
    }
  }
}
