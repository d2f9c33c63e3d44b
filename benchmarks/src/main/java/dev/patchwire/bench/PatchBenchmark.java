package dev.patchwire.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.json.Patches;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * zjsonpatch through {@code Patches} (strict, add/remove/replace only), as the writer uses it:
 * the diff that becomes every live frame, and the apply of a client's PATCH. A typical task edit
 * (status, position, updated_at) and one word changed in a 16 KiB description.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PatchBenchmark {

  private ObjectNode taskBefore;
  private ObjectNode taskAfter;
  private ArrayNode taskPatch;
  private ObjectNode longBefore;
  private ObjectNode longAfter;
  private ArrayNode longPatch;

  @Setup(Level.Trial)
  public void build() {
    taskBefore = task("todo", 3000, "2026-11-26T10:00:00.000Z", Fixtures.filler(1, 180));
    taskAfter = task("inprogress", 1500, "2026-11-26T10:05:00.000Z", Fixtures.filler(1, 180));
    taskPatch = Patches.diff(taskBefore, taskAfter);

    String text = Fixtures.filler(3, 16 * 1024);
    longBefore = task("todo", 3000, "2026-11-26T10:00:00.000Z", text);
    longAfter = task("todo", 3000, "2026-11-26T10:05:00.000Z",
        text.substring(0, 8000) + "EDITED" + text.substring(8006));
    longPatch = Patches.diff(longBefore, longAfter);
  }

  private static ObjectNode task(String status, int position, String updatedAt, String description) {
    return Json.object()
        .put("id", "task-42")
        .put("project_id", "demo")
        .put("title", "Stream changes as JSON Patches")
        .put("description", description)
        .put("status", status)
        .put("position", position)
        .put("created_at", "2026-11-20T09:00:00.000Z")
        .put("updated_at", updatedAt);
  }

  @Benchmark
  public ArrayNode diffTaskEdit() {
    return Patches.diff(taskBefore, taskAfter);
  }

  @Benchmark
  public JsonNode applyTaskEdit() {
    return Patches.apply(taskBefore, taskPatch);
  }

  @Benchmark
  public ArrayNode diffLargeDescription() {
    return Patches.diff(longBefore, longAfter);
  }

  @Benchmark
  public JsonNode applyLargeDescription() {
    return Patches.apply(longBefore, longPatch);
  }
}
