package dev.patchwire.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.kanban.Kanban;
import dev.patchwire.store.CollectionSpec;
import dev.patchwire.store.Write;
import dev.patchwire.store.WriteResult;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The write path on embedded H2 (or PostgreSQL: {@link #store}), in acknowledged writes per second: the single writer reads the
 * document, applies and validates (JSON Schema for {@code tasks}), commits the document and its
 * change row with {@code WRITE_DELAY=0}, and publishes to the MsgStore (no subscribers here).
 * {@link #IN_FLIGHT} writes are queued at once, as many HTTP clients would.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@OperationsPerInvocation(WriteBenchmark.IN_FLIGHT)
public class WriteBenchmark {

  static final int IN_FLIGHT = 64;
  private static final int TASKS = 1000;

  /** "h2" (embedded) or "postgresql" (a throwaway cluster on this machine, fsync off). */
  @Param({"h2"})
  String store;

  private Fixtures fx;
  private long n;
  private static final String[] STATUSES = {"todo", "inprogress", "inreview", "done"};

  @Setup(Level.Trial)
  public void start() {
    Map<String, CollectionSpec> specs = new LinkedHashMap<>();
    Kanban.collections().forEach(s -> specs.put(s.name(), s));
    specs.put(Fixtures.BENCH, CollectionSpec.schemaless(Fixtures.BENCH));
    fx = Fixtures.start(specs, 64L << 20, store);
    List<Future<WriteResult>> seed = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      seed.add(fx.store.write(new Write.Create(Kanban.TASKS, "task-" + i, Json.object()
          .put("project_id", "p1").put("title", "Task " + i).put("position", i))));
    }
    Fixtures.await(Future.all(seed));
  }

  /** A new task in the schema-checked {@code tasks} collection. */
  @Benchmark
  public Object createTask() {
    List<Future<WriteResult>> writes = new ArrayList<>(IN_FLIGHT);
    for (int i = 0; i < IN_FLIGHT; i++) {
      ObjectNode task = Json.object().put("project_id", "p1").put("title", "New task " + n)
          .put("description", Fixtures.filler(n, 120));
      writes.add(fx.store.write(new Write.Create(Kanban.TASKS, "new-" + n++, task)));
    }
    return Fixtures.await(Future.all(writes));
  }

  /** A PATCH of an existing task: status and position, timestamps kept by the server. */
  @Benchmark
  public Object patchTask() {
    List<Future<WriteResult>> writes = new ArrayList<>(IN_FLIGHT);
    for (int i = 0; i < IN_FLIGHT; i++) {
      long k = n++;
      var patch = Json.array();
      patch.addObject().put("op", "replace").put("path", "/status").put("value", STATUSES[(int) (k % 4)]);
      patch.addObject().put("op", "replace").put("path", "/position").put("value", k);
      writes.add(fx.store.write(new Write.Patch(Kanban.TASKS, "task-" + (k % TASKS), patch, null)));
    }
    return Fixtures.await(Future.all(writes));
  }

  /** A PUT of a ~200-byte document in a schemaless collection, as the load run writes. */
  @Benchmark
  public Object putBenchDoc() {
    List<Future<WriteResult>> writes = new ArrayList<>(IN_FLIGHT);
    for (int i = 0; i < IN_FLIGHT; i++) {
      long k = n++;
      String id = "d-" + (k % 1000);
      writes.add(fx.store.write(new Write.Put(Fixtures.BENCH, id, Fixtures.benchDoc(id, k, 200), null)));
    }
    return Fixtures.await(Future.all(writes));
  }

  @TearDown(Level.Trial)
  public void stop() {
    fx.close();
  }
}
