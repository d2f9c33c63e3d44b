package dev.patchwire.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.Patchwire;
import dev.patchwire.PatchwireException;
import dev.patchwire.PatchwireOptions;
import dev.patchwire.testing.Rest;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The library API in-process: writes from Java, a Java subscriber, refusals, options, listen. */
@ExtendWith(VertxExtension.class)
@DisplayName("The Java library API")
class PatchwireApiTest {

  @TempDir
  Path tmp;

  @Test
  @DisplayName("options round-trip through JSON and refuse bad values at once")
  void optionsRoundTrip() {
    PatchwireOptions o = new PatchwireOptions().setDataDir("/tmp/x").setHost("0.0.0.0")
        .setHistoryBytes(1234).setSubscriberBufferBytes(99).setMaxBodyBytes(4096)
        .setCorsOrigins("http://localhost:3000").setAllowedHosts("app.example")
        .addCollection("notes").addCollection("people", new JsonObject().put("type", "object"));
    JsonObject json = o.toJson();
    assertEquals(json, new PatchwireOptions(json).toJson());
    assertEquals(json, new PatchwireOptions(o).toJson());
    assertEquals(List.of("notes", "people"), List.copyOf(new PatchwireOptions(json).getCollections().keySet()));
    assertEquals(new PatchwireOptions().toJson(), new PatchwireOptions(new JsonObject()).toJson());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new PatchwireOptions().addCollection("no/slash"));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new PatchwireOptions().setHistoryBytes(0));
  }

  @Test
  @DisplayName("a Java subscriber gets snapshot, Ready, then each write's patch at the position the write returned")
  void subscribeAndWrite(Vertx vertx, VertxTestContext test) {
    Patchwire pw = Patchwire.create(vertx, new PatchwireOptions()
        .setDataDir(tmp.resolve("data").toString()).addCollection("notes"));
    List<JsonObject> messages = new CopyOnWriteArrayList<>();
    // subscribe completes once the stream is open; its snapshot is read after that, so the
    // writes wait for Ready (else the snapshot may already hold the patch, as it may on the wire)
    Promise<Void> ready = Promise.promise();
    pw.put("notes", "n1", new JsonObject().put("text", "before").put("kind", "a"))
        .compose(p -> pw.subscribe("notes", "kind:a", null, m -> {
          messages.add(m);
          if (m.containsKey("Ready")) {
            ready.tryComplete();
          }
        }))
        .compose(stream -> ready.future().map(stream))
        .compose(stream -> pw.patch("notes", "n1", new JsonArray().add(new JsonObject()
                .put("op", "replace").put("path", "/text").put("value", "after")))
            .compose(patched -> pw.put("notes", "n2", new JsonObject().put("kind", "b"))
                .compose(other -> pw.delete("notes", "n1"))
                .map(deleted -> List.of(patched, deleted)))
            .onComplete(test.succeeding(positions -> vertx.setTimer(300, t -> test.verify(() -> {
              assertEquals(4, messages.size(), messages.toString());
              assertEquals(Boolean.TRUE, messages.get(0).getBoolean("snapshot"));
              assertEquals("before", messages.get(0).getJsonArray("JsonPatch").getJsonObject(0)
                  .getJsonObject("value").getJsonObject("n1").getString("text"));
              assertEquals(Boolean.TRUE, messages.get(1).getBoolean("Ready"));
              String epoch = messages.get(1).getString("epoch");
              assertEquals(epoch + ":" + messages.get(2).getLong("seq"), positions.get(0));
              assertEquals("/notes/n1/text", messages.get(2).getJsonArray("JsonPatch").getJsonObject(0).getString("path"));
              // n2 is outside kind:a; the delete of n1 arrives as a remove
              assertEquals(epoch + ":" + messages.get(3).getLong("seq"), positions.get(1));
              assertEquals("remove", messages.get(3).getJsonArray("JsonPatch").getJsonObject(0).getString("op"));
              stream.close();
              stream.ended().compose(code -> pw.close()).onComplete(test.succeedingThenComplete());
            })))));
  }

  @Test
  @DisplayName("refusals fail with the REST error code, and change nothing")
  void refusals(Vertx vertx, VertxTestContext test) {
    Patchwire pw = Patchwire.create(vertx, new PatchwireOptions()
        .setDataDir(tmp.resolve("data").toString())
        .addCollection("typed", new JsonObject().put("type", "object")
            .put("required", new JsonArray().add("title"))));
    pw.put("typed", "t1", new JsonObject().put("title", "x"))
        .compose(p -> pw.patch("typed", "t1", new JsonArray().add(new JsonObject()
            .put("op", "test").put("path", "/title").put("value", "y"))))
        .onComplete(test.failing(e -> test.verify(() -> {
          assertInstanceOf(PatchwireException.class, e);
          assertEquals("test_failed", ((PatchwireException) e).code());
          pw.put("typed", "t2", new JsonObject())
              .onComplete(test.failing(e2 -> test.verify(() -> {
                assertEquals("schema_violation", ((PatchwireException) e2).code(), e2.getMessage());
                pw.put("nope", "x", new JsonObject()).onComplete(test.failing(e3 -> test.verify(() -> {
                  assertEquals("unknown_collection", ((PatchwireException) e3).code());
                  pw.put("typed", "", new JsonObject().put("title", "x")).onComplete(test.failing(e4 -> test.verify(() -> {
                    assertEquals("bad_id", ((PatchwireException) e4).code());
                    pw.close().onComplete(test.succeedingThenComplete());
                  })));
                })));
              })));
        })));
  }

  @Test
  @DisplayName("listen serves the REST API on a port of its own, with the writes made from Java")
  void listen(Vertx vertx, VertxTestContext test) {
    Patchwire pw = Patchwire.create(vertx, new PatchwireOptions()
        .setDataDir(tmp.resolve("data").toString()).addCollection("notes"));
    pw.put("notes", "n1", new JsonObject().put("text", "hi"))
        .compose(p -> pw.listen(0))
        .onComplete(test.succeeding(port -> vertx.executeBlocking(() ->
                new Rest("http://127.0.0.1:" + port).get("notes", "n1").expect(200).json())
            .onComplete(test.succeeding(doc -> test.verify(() -> {
              assertEquals("hi", doc.get("text").asText());
              pw.close().onComplete(test.succeedingThenComplete());
            })))));
  }

  @Test
  @DisplayName("close() chained to vertx.close() completes, as an application's shutdown (and the server's) chains them")
  void closeThenVertxClose() throws Exception {
    Vertx own = Vertx.vertx();
    Patchwire pw = Patchwire.create(own, new PatchwireOptions()
        .setDataDir(tmp.resolve("data").toString()).addCollection("notes"));
    pw.ready().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    // a close future bound to the engine's event loop could not hand on its result once Vert.x
    // had closed that loop: this get timed out
    pw.close().eventually(own::close).toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("Patchwire.version() is the build's")
  void version() {
    assertEquals(System.getProperty("patchwire.version"), Patchwire.version());
    assertTrue(Patchwire.version().matches("\\d+\\.\\d+\\.\\d+.*"));
  }
}
