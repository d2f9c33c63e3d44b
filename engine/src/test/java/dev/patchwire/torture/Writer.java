package dev.patchwire.torture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Patches;
import dev.patchwire.testing.Rest;
import dev.patchwire.testing.StrictPatcher;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * One writer thread. It owns its document ids (no other writer touches them), so it knows what
 * each of its documents must be: the body of the last acknowledged write, or absent after an
 * acknowledged delete. Every write changes something (a counter), so every acknowledgement is a
 * change with its own seq. A write that got no answer (the engine stopped under it) is uncertain:
 * the writer reads the document back from the next engine and accepts it only if it is the state
 * before or the state the write asked for.
 */
final class Writer implements Runnable {

  static final String[] PROJECTS = {"p0", "p1", "p2"};
  static final String[] STATUSES = {"todo", "inprogress", "inreview", "done", "cancelled"};
  static final String[] KINDS = {"a", "b", "c"};
  static final int IDS = 30;
  /** The size of the bulk writer's documents ({@code -Dtorture.bulkBytes}, default 64000). */
  static final int BULK_BYTES = Integer.getInteger("torture.bulkBytes", 64_000);
  /** The largest {@code pad} of the other writers' three large items each ({@code -Dtorture.padBytes}, default 32000). */
  static final int PAD_BYTES = Integer.getInteger("torture.padBytes", 32_000);

  /** One acknowledged change. */
  record Ack(String collection, String id, long seq) {}

  private final int index;
  /** The node this writer sends to while it runs (another one while it is down). */
  private final int node;
  private final boolean bulk;
  private final Random random;
  private final Servers servers;
  private final AtomicLong ops;
  private final long maxOps;
  private final BooleanSupplier stop;
  private final Queue<Ack> acks;
  private final Queue<String> failures;
  /** collection -> id -> the document the engine must hold (absent: must not hold). */
  final Map<String, Map<String, JsonNode>> model = Map.of("tasks", new HashMap<>(), "items", new HashMap<>());
  final Map<String, Long> counts = new HashMap<>();
  private long counter;

  /**
   * @param bulk a bulk writer only rewrites three large {@code items} documents (64 KiB each), a few
   *     megabytes a second: enough that a subscriber that stops reading for seconds overflows what
   *     loopback TCP buffers hold (the engine's send buffer grows to 4 MiB) and is resynced
   */
  Writer(int index, boolean bulk, long seed, Servers servers, AtomicLong ops, long maxOps, BooleanSupplier stop,
      Queue<Ack> acks, Queue<String> failures) {
    this.index = index;
    this.node = index % servers.nodes();
    this.bulk = bulk;
    this.random = new Random(seed);
    this.servers = servers;
    this.ops = ops;
    this.maxOps = maxOps;
    this.stop = stop;
    this.acks = acks;
    this.failures = failures;
  }

  @Override
  public void run() {
    try {
      while (!stop.getAsBoolean() && ops.get() < maxOps) {
        step();
      }
    } catch (Throwable t) {
      failures.add("writer " + index + ": " + t);
      t.printStackTrace();
    }
  }

  private String id(int n) {
    return (bulk ? "bulk" : "w") + index + "-" + n + (n % 7 == 3 ? "/odd~id" : "");
  }

  private void step() {
    if (bulk) {
      sleep(10);
    }
    String c = !bulk && random.nextInt(10) < 6 ? "tasks" : "items";
    int n = bulk || c.equals("items") && random.nextInt(10) < 3 ? random.nextInt(3) : random.nextInt(IDS);
    String id = id(n);
    JsonNode before = model.get(c).get(id);
    counter++;
    if (before == null) {
      ObjectNode doc = c.equals("tasks") ? task(id) : item(n);
      if (random.nextBoolean()) {
        doc.put("id", id);
        write("create", c, id, before, "POST", Rest.docs(c), "application/json", doc, doc);
      } else {
        write("create", c, id, before, "PUT", Rest.doc(c, id), "application/json", doc, withId(doc, id));
      }
      return;
    }
    int r = bulk ? 65 + random.nextInt(35) : random.nextInt(100);
    if (r < 15) {
      write("delete", c, id, before, "DELETE", Rest.doc(c, id), null, null, null);
    } else if (r < 30) {
      ObjectNode doc = c.equals("tasks") ? task(id) : item(n);
      write("replace", c, id, before, "PUT", Rest.doc(c, id), "application/json", doc, withId(doc, id));
    } else if (r < 65) {
      ArrayNode patch = c.equals("tasks") ? moveTask(before) : moveItem(before);
      write("move", c, id, before, "PATCH", Rest.doc(c, id), "application/json-patch+json", patch, apply(before, patch));
    } else {
      ArrayNode patch = c.equals("tasks") ? editTask(before) : editItem(before, n);
      write("patch", c, id, before, "PATCH", Rest.doc(c, id), "application/json-patch+json", patch, apply(before, patch));
    }
  }

  private ObjectNode task(String id) {
    ObjectNode t = Rest.obj("project_id", pick(PROJECTS), "title", "task " + id + " #" + counter,
        "status", pick(STATUSES), "position", counter);
    if (random.nextInt(10) == 0) {
      t.put("description", text(random.nextInt(12_000)));
    }
    return t;
  }

  private ObjectNode item(int n) {
    ObjectNode i = Rest.obj("k", pick(KINDS), "n", counter, "flag", random.nextBoolean());
    ArrayNode list = i.putObject("nested").putArray("list");
    for (int j = random.nextInt(4); j > 0; j--) {
      list.add(random.nextInt(100));
    }
    if (n < 3) {
      i.put("pad", text(bulk ? BULK_BYTES : PAD_BYTES / 4 + random.nextInt(PAD_BYTES * 3 / 4)));
    }
    return i;
  }

  /** A change of filter: another status or another project. */
  private ArrayNode moveTask(JsonNode before) {
    if (random.nextBoolean()) {
      return Rest.patch(Rest.op("replace", "/status", other(STATUSES, before.path("status").asText())));
    }
    return Rest.patch(Rest.op("test", "/project_id", before.path("project_id").asText()),
        Rest.op("replace", "/project_id", other(PROJECTS, before.path("project_id").asText())));
  }

  private ArrayNode moveItem(JsonNode before) {
    return Rest.patch(Rest.op("replace", "/k", other(KINDS, before.path("k").asText())), Rest.op("replace", "/n", counter));
  }

  private ArrayNode editTask(JsonNode before) {
    ArrayNode p = Rest.patch(Rest.op("replace", "/title", "edited #" + counter), Rest.op("replace", "/position", counter + 0.5));
    if (random.nextInt(4) == 0) {
      p.add(Rest.op("add", "/description", random.nextBoolean() ? null : text(random.nextInt(6_000))));
    }
    return p;
  }

  private ArrayNode editItem(JsonNode before, int n) {
    ArrayNode p = Rest.patch(Rest.op("replace", "/n", counter));
    switch (random.nextInt(4)) {
      case 0 -> p.add(Rest.op("add", "/nested/list/-", counter));
      case 1 -> p.add(Rest.op("add", "/nested/list/0", "first " + counter));
      case 2 -> {
        if (before.path("nested").path("list").size() > 0) {
          p.add(Rest.op("remove", "/nested/list/0", null));
        }
      }
      default -> p.add(Rest.op("replace", "/flag", !before.path("flag").asBoolean()));
    }
    if (n < 3) {
      p.add(Rest.op("add", "/pad", text(bulk ? BULK_BYTES : PAD_BYTES / 4 + random.nextInt(PAD_BYTES * 3 / 4))));
    }
    return p;
  }

  /**
   * Sends one write; on 2xx records the ack and the new model; on no answer resolves the outcome
   * from the next engine; any other answer is a failure (the writer knows its documents).
   */
  private void write(String kind, String c, String id, JsonNode before, String method, String path,
      String type, JsonNode body, JsonNode attempted) {
    Servers.Up up = servers.awaitUp(node, Duration.ofSeconds(120));
    Rest.Response r;
    try {
      r = up.rest().send(method, path, type, body == null ? null : body.toString());
    } catch (AssertionError e) {
      if (!(e.getCause() instanceof IOException)) {
        throw e;
      }
      resolve(c, id, before, attempted, kind + " " + method + " " + path + ": " + e.getCause());
      return;
    }
    if (r.status() == 503 || r.status() >= 500) {
      resolve(c, id, before, attempted, kind + " " + method + " " + path + " answered " + r.status());
      return;
    }
    if (r.status() / 100 != 2) {
      failures.add("writer " + index + ": " + kind + " " + method + " " + path + " " + body + " answered "
          + r.status() + ": " + r.body() + " (model before: " + before + ")");
      return;
    }
    ops.incrementAndGet();
    counts.merge(kind, 1L, Long::sum);
    acks.add(new Ack(c, id, r.seq()));
    if (method.equals("DELETE")) {
      model.get(c).remove(id);
    } else {
      JsonNode doc = r.json();
      if (!sameIgnoringTimes(doc, attempted)) {
        failures.add("writer " + index + ": " + kind + " " + path + " acknowledged " + doc + " but asked for " + attempted);
      }
      model.get(c).put(id, doc);
    }
  }

  /** A write with no answer: read the document back and accept "before" or "attempted" only. */
  private void resolve(String c, String id, JsonNode before, JsonNode attempted, String what) {
    counts.merge("uncertain", 1L, Long::sum);
    if (servers.nodes() > 1) {
      // another node answers at once: a COMMIT the killed node had sent may still be finishing
      // in PostgreSQL, and reading before it lands would take "attempted" for "before"
      sleep(1000);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      Servers.Up up = servers.awaitUp(node, Duration.ofSeconds(120));
      Rest.Response r;
      try {
        r = up.rest().get(c, id);
      } catch (AssertionError e) {
        sleep(200);
        continue;
      }
      JsonNode now = r.status() == 200 ? r.json() : r.status() == 404 ? null : JsonMissing.INSTANCE;
      if (now == JsonMissing.INSTANCE) {
        sleep(200);
        continue;
      }
      if (sameIgnoringTimes(now, before) || sameIgnoringTimes(now, attempted)) {
        if (now == null) {
          model.get(c).remove(id);
        } else {
          model.get(c).put(id, now);
        }
        return;
      }
      failures.add("writer " + index + ": uncertain write (" + what + ") left " + c + "/" + id + " as " + now
          + ", which is neither the state before (" + before + ") nor the one asked for (" + attempted + ")");
      return;
    }
    failures.add("writer " + index + ": could not read " + c + "/" + id + " back after " + what);
  }

  /** A marker for "not answered yet". */
  private static final class JsonMissing {
    static final JsonNode INSTANCE = Rest.MAPPER.createObjectNode().put("missing", true);
  }

  static boolean sameIgnoringTimes(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == b;
    }
    ObjectNode x = ((ObjectNode) a).deepCopy();
    ObjectNode y = ((ObjectNode) b).deepCopy();
    for (String f : List.of("created_at", "updated_at")) {
      x.remove(f);
      y.remove(f);
    }
    return StrictPatcher.equalJson(x, y);
  }

  private static JsonNode apply(JsonNode before, ArrayNode patch) {
    return Patches.apply(before, patch);
  }

  private static ObjectNode withId(ObjectNode doc, String id) {
    ObjectNode d = doc.deepCopy();
    d.put("id", id);
    return d;
  }

  private String pick(String[] values) {
    return values[random.nextInt(values.length)];
  }

  private String other(String[] values, String not) {
    String v;
    do {
      v = pick(values);
    } while (v.equals(not));
    return v;
  }

  private String text(int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append((char) ('a' + random.nextInt(26)));
    }
    return b.toString();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
