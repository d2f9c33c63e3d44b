package dev.patchwire.stream;

import static dev.patchwire.testing.Rest.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.Rest.Response;
import dev.patchwire.testing.SseRecorder;
import dev.patchwire.testing.StrictPatcher;
import dev.patchwire.testing.WsRecorder;
import dev.patchwire.testing.WsRecorder.Frame;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md 3.1 "Convergence ... Every patch the engine emits applies cleanly", where it is
 * hardest: the engine emits diffs, and diffs of arrays (inserts, removals, moves in the middle)
 * are where index arithmetic goes wrong. Random but valid patches on documents with nested arrays
 * and objects; after each one the strictly patched client must equal the REST document.
 */
@DisplayName("Documents with nested arrays and objects")
class NestedConvergenceTest extends StreamTestBase {

  private static final int WRITES = 120;

  @Test
  @DisplayName("converge on WebSocket and SSE after each of many random array and object edits")
  void randomNestedEditsConverge() {
    start();
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String why = " (seed " + seed + ")";
    List<String> ids = List.of("n1", "n2", "n3");
    for (String id : ids) {
      rest.put("items", id, obj("list", List.of(1, 2, 3), "obj", obj("a", List.of("x", "y")), "matrix", List.of(List.of(1), List.of(2, 3))))
          .expect(201);
    }
    WsRecorder ws = ws("items", null);
    StrictPatcher client = expectSnapshotAndReady(ws, "items");
    SseRecorder sse = sse("items", null);
    StrictPatcher sseClient = new StrictPatcher("items").applySse(sse.nextEvent(WAIT));
    assertEquals("ready", sse.nextEvent(WAIT).event());

    List<Long> seqs = new ArrayList<>();
    Map<String, Integer> emitted = new TreeMap<>();
    for (int i = 0; i < WRITES; i++) {
      String id = ids.get(random.nextInt(ids.size()));
      JsonNode current = rest.get("items", id).expect(200).json();
      ArrayNode p = randomPatch(random, current, i);
      JsonNode local = StrictPatcher.applyPatch(current, p);
      Response r = rest.patch("items", id, p);
      assertEquals(200, r.status(), "PATCH " + p + " on " + current + why + ": " + r.body());
      assertDocs(local, r.json(), "the engine's RFC 6902 result of " + p + " on " + current + why);
      if (r.seq() > (seqs.isEmpty() ? client.lastSeq() : seqs.get(seqs.size() - 1))) {
        seqs.add(r.seq());
        Frame f = ws.nextFrame(WAIT);
        assertEquals(r.seq(), f.seq(), "frame for write " + i + why);
        for (JsonNode op : f.patch()) {
          boolean index = op.path("path").asText().matches(".*/(\\d+|-)$");
          emitted.merge(op.path("op").asText() + (index ? "@index" : ""), 1, Integer::sum);
        }
        try {
          client.applyWs(f.json());
        } catch (AssertionError e) {
          throw new AssertionError("the emitted patch for " + p + " on " + current + " does not apply" + why, e);
        }
        assertDocs(r.json(), client.docs().get(id), "WS client doc " + id + " after " + p + " on " + current
            + "\n  frame " + f + why);
      }
    }
    for (long seq : seqs) {
      SseRecorder.Event e = sse.nextEvent(WAIT);
      assertEquals(seq, e.seq(), "SSE event" + why);
      sseClient.applySse(e);
    }
    System.out.println("nested convergence: emitted ops " + emitted + why);
    ws.assertExhausted(QUIET_MILLIS);
    sse.assertExhausted(0);
    ObjectNode restState = restDocs("items", null);
    assertDocs(restState, client.docs(), "WS client vs REST" + why);
    assertDocs(restState, sseClient.docs(), "SSE client vs REST" + why);
    assertTrue(seqs.size() > WRITES / 2, "most random patches changed something: " + seqs.size() + why);
  }

  /** One to three valid operations on {@code doc}'s list, obj.a, matrix or a fresh member. */
  private static ArrayNode randomPatch(Random random, JsonNode doc, int i) {
    ArrayNode patch = Rest.MAPPER.createArrayNode();
    JsonNode working = doc;
    int ops = 1 + random.nextInt(3);
    for (int k = 0; k < ops; k++) {
      ObjectNode op = randomOp(random, working, i * 10 + k);
      ArrayNode one = Rest.MAPPER.createArrayNode().add(op);
      working = StrictPatcher.applyPatch(working, one);
      patch.add(op);
    }
    return patch;
  }

  private static ObjectNode randomOp(Random random, JsonNode doc, int n) {
    String arrayPath = switch (random.nextInt(3)) {
      case 0 -> "/list";
      case 1 -> "/obj/a";
      default -> "/matrix";
    };
    JsonNode array = doc.at(arrayPath);
    int size = array.size();
    switch (random.nextInt(8)) {
      case 0, 1 -> {
        String at = random.nextInt(4) == 0 ? "-" : String.valueOf(random.nextInt(size + 1));
        return Rest.op("add", arrayPath + "/" + at, random.nextBoolean() ? n : List.of(n, "v" + n));
      }
      case 2 -> {
        if (size == 0) {
          return Rest.op("add", arrayPath + "/0", n);
        }
        return Rest.op("remove", arrayPath + "/" + random.nextInt(size), null);
      }
      case 3 -> {
        if (size == 0) {
          return Rest.op("add", arrayPath + "/-", n);
        }
        return Rest.op("replace", arrayPath + "/" + random.nextInt(size), obj("r", n));
      }
      case 4 -> {
        if (size < 2) {
          return Rest.op("add", arrayPath + "/0", n);
        }
        ObjectNode move = obj("op", "move", "from", arrayPath + "/" + random.nextInt(size),
            "path", arrayPath + "/" + random.nextInt(size));
        return move;
      }
      case 5 -> {
        if (size == 0) {
          return Rest.op("add", arrayPath + "/-", n);
        }
        return obj("op", "copy", "from", arrayPath + "/" + random.nextInt(size), "path", arrayPath + "/" + random.nextInt(size + 1));
      }
      case 6 -> {
        return Rest.op("add", "/obj/k" + random.nextInt(4), random.nextBoolean() ? n : obj("deep", List.of(n)));
      }
      default -> {
        List<Integer> fresh = new ArrayList<>();
        for (int j = random.nextInt(5); j > 0; j--) {
          fresh.add(random.nextInt(10));
        }
        return Rest.op("replace", arrayPath, fresh);
      }
    }
  }
}
