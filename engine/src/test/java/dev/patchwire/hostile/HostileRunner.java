package dev.patchwire.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.patchwire.testing.WireSchemas;
import dev.patchwire.wire.Position;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.DynamicTest;

/**
 * Runs {@link Row}s against a running engine and proves, for each, what a refusal promises
 * (PROTOCOL.md 2 and 8): the exact status and error code; no state change (a full read of every
 * collection, with its seq, and the store's committed seq are the same before and after);
 * nothing emitted on streams watching every collection (the next frame each one sees is the live
 * frame of a sentinel write made after the row); and the engine healthy after (the sentinel
 * writes succeed and {@code /health} answers 200 UP).
 *
 * <p>Reusable by any test that adds rows: give it the engine's address and, for collections with
 * a schema, a valid document for the sentinel writes.
 */
public final class HostileRunner implements AutoCloseable {

  private static final long FRAME_WAIT_MILLIS = 10_000;

  private final Probe.Target target;
  private final List<String> collections = new ArrayList<>();
  private final Function<String, JsonObject> sentinelBody;
  private final Map<String, Watcher> watchers = new LinkedHashMap<>();
  private int sentinels;

  /**
   * Opens one stream per collection of the engine at {@code host:port}; {@code sentinelBody}
   * gives a valid document for a collection (each sentinel write creates one under a new id).
   */
  public HostileRunner(String host, int port, Function<String, JsonObject> sentinelBody) {
    this.target = new Probe.Target(host, port);
    this.sentinelBody = sentinelBody;
    JsonArray names = new JsonObject(get("/api/collections").body()).getJsonArray("collections");
    for (Object name : names) {
      collections.add((String) name);
      watchers.put((String) name, new Watcher((String) name));
    }
  }

  /** Sentinel documents for the kanban collections, and {@code {"sentinel":n}} for the rest. */
  public static JsonObject kanbanSentinel(String collection) {
    return switch (collection) {
      case "projects" -> new JsonObject().put("name", "sentinel");
      case "tasks" -> new JsonObject().put("project_id", "sentinel-project").put("title", "sentinel");
      default -> new JsonObject().put("sentinel", true);
    };
  }

  public Probe.Target target() {
    return target;
  }

  /** One dynamic test per row, named by its area and name. */
  public List<DynamicTest> tests(List<Row> rows) {
    List<DynamicTest> tests = new ArrayList<>();
    for (Row row : rows) {
      tests.add(DynamicTest.dynamicTest(row.toString(), () -> check(row)));
    }
    return tests;
  }

  /** Runs one row and checks everything the class comment lists. */
  public void check(Row row) throws Exception {
    String before = state();
    Probe.Outcome outcome = row.probe().send(target);
    String what = row + " answered " + outcome.status() + " " + outcome.body();
    if (outcome.status() != row.orStatus()) {
      assertEquals(row.status(), outcome.status(), what);
    }
    if (row.code() != null) {
      JsonObject body;
      try {
        body = new JsonObject(outcome.body());
      } catch (RuntimeException e) {
        throw new AssertionError(what + ": the error body is not a JSON object", e);
      }
      WireSchemas.assertValidErrorBody(body);
      assertEquals(row.code(), body.getJsonObject("error").getString("code"), what);
    }
    assertEquals(before, state(), row + " was refused, so no collection and no seq may change");
    assertNothingEmittedAndHealthy(row.toString());
  }

  /**
   * A sentinel write per collection, each of which must be the next frame its watcher sees, then
   * {@code /health}: proves nothing was emitted since the last check and the engine still serves.
   */
  public void assertNothingEmittedAndHealthy(String context) throws Exception {
    // sent together, so that they share one group commit (one fsync, not one per collection)
    Map<String, java.util.concurrent.CompletableFuture<Long>> seqs = new LinkedHashMap<>();
    for (String c : collections) {
      seqs.put(c, sentinel(c));
    }
    for (String c : collections) {
      watchers.get(c).expectLive(seqs.get(c).get(Probe.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), context);
    }
    HttpResponse<String> health = get("/health");
    assertEquals(200, health.statusCode(), context + ": /health after it: " + health.body());
    assertEquals("UP", new JsonObject(health.body()).getString("status"), context + ": " + health.body());
  }

  /** Every collection read in full (documents and seq), and the committed seq from /health. */
  public String state() {
    StringBuilder s = new StringBuilder();
    for (String c : collections) {
      HttpResponse<String> r = get("/api/collections/" + c + "/docs");
      assertEquals(200, r.statusCode(), "read " + c + ": " + r.body());
      s.append(c).append('=').append(r.body()).append('\n');
    }
    s.append("committed=").append(new JsonObject(get("/health").body()).getLong("seq"));
    return s.toString();
  }

  private java.util.concurrent.CompletableFuture<Long> sentinel(String collection) {
    int n = ++sentinels;
    String path = "/api/collections/" + collection + "/docs/sentinel-" + n;
    HttpRequest request = HttpRequest.newBuilder(URI.create(target.http() + path)).timeout(Probe.TIMEOUT)
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(sentinelBody.apply(collection).encode())).build();
    return Probe.Clients.HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
        .thenApply(r -> {
          if (r.statusCode() != 201) {
            fail("the sentinel write to " + collection + " answered " + r.statusCode() + ": " + r.body());
          }
          String position = r.headers().firstValue("Patchwire-Seq").orElseThrow();
          return Position.require(position).seq();
        });
  }

  private HttpResponse<String> get(String path) {
    return send("GET", path, null);
  }

  private HttpResponse<String> send(String method, String path, String json) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target.http() + path)).timeout(Probe.TIMEOUT);
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    try {
      return Probe.Clients.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new AssertionError(method + " " + path + " failed: " + e, e);
    }
  }

  @Override
  public void close() {
    watchers.values().forEach(Watcher::close);
  }

  /** A stream on one collection that records its frames, opened past its snapshot and Ready. */
  private final class Watcher {
    private final String collection;
    private final LinkedBlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    private final WebSocket ws;

    Watcher(String collection) {
      this.collection = collection;
      URI uri = URI.create(target.ws() + "/api/collections/" + collection + "/stream/ws");
      try {
        ws = Probe.Clients.HTTP.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
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

          @Override
          public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            frames.add(new AssertionError("the " + collection + " watcher was closed: " + statusCode + " " + reason));
            return null;
          }
        }).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("cannot watch " + collection + ": " + e, e);
      }
      assertTrue(next("open").containsKey("snapshot"), collection + " stream starts with a snapshot");
      assertTrue(next("open").containsKey("Ready"), collection + " stream is Ready next");
    }

    JsonObject next(String context) {
      Object f;
      try {
        f = frames.poll(FRAME_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      if (f == null) {
        fail(context + ": no frame on the " + collection + " watcher within " + FRAME_WAIT_MILLIS + " ms");
      }
      if (f instanceof AssertionError e) {
        throw e;
      }
      return WireSchemas.assertValidWsFrame((String) f);
    }

    void expectLive(long seq, String context) {
      JsonObject f = next(context);
      if (!f.containsKey("JsonPatch") || f.containsKey("snapshot") || f.getLong("seq") != seq) {
        fail(context + " was refused, so the next frame on " + collection + " must be the sentinel's (seq "
            + seq + "), got " + f.encode());
      }
    }

    void close() {
      ws.abort();
    }
  }
}
