package dev.patchwire.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.kanban.Kanban;
import dev.patchwire.store.CollectionSpec;
import dev.patchwire.store.Snapshot;
import dev.patchwire.store.Write;
import dev.patchwire.stream.Filter;
import dev.patchwire.stream.SnapshotJson;
import dev.patchwire.wire.WsFrames;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The start of a stream for a board of {@link #tasks} kanban tasks: the snapshot query on
 * embedded H2 or PostgreSQL ({@link #store}; {@code DocumentStore.snapshot}), the documents joined into one JSON object and the
 * WebSocket snapshot frame, as a subscription builds it. {@code filtered} adds
 * {@code where=project_id:p1}, which half the tasks match and which parses every document.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SnapshotBenchmark {

  @Param({"10000"})
  int tasks;

  /** "h2" (embedded) or "postgresql" (a throwaway cluster on this machine). */
  @Param({"h2"})
  String store;

  private Fixtures fx;
  private final Filter project = Filter.parse("project_id:p1");

  @Setup(Level.Trial)
  public void start() {
    Map<String, CollectionSpec> specs = new LinkedHashMap<>();
    Kanban.collections().forEach(s -> specs.put(s.name(), s));
    fx = Fixtures.start(specs, 64L << 20, store);
    String description = Fixtures.filler(7, 180);
    for (int from = 0; from < tasks; from += 500) {
      List<Future<?>> writes = new ArrayList<>();
      for (int i = from; i < Math.min(tasks, from + 500); i++) {
        ObjectNode task = Json.object()
            .put("project_id", i % 2 == 0 ? "p1" : "p2")
            .put("title", "Task number " + i)
            .put("status", i % 3 == 0 ? "done" : "todo")
            .put("description", description)
            .put("position", i * 1000);
        writes.add(fx.store.write(new Write.Create(Kanban.TASKS, "task-" + i, task)));
      }
      Fixtures.await(Future.all(writes));
    }
  }

  @Benchmark
  public Buffer snapshot() {
    return frame(Filter.ALL);
  }

  @Benchmark
  public Buffer snapshotFiltered() {
    return frame(project);
  }

  private Buffer frame(Filter filter) {
    Snapshot snap = Fixtures.await(fx.store.snapshot(Kanban.TASKS));
    return WsFrames.INSTANCE.snapshot("bench", snap.seq(), Kanban.TASKS, SnapshotJson.docs(snap, filter));
  }

  @TearDown(Level.Trial)
  public void stop() {
    fx.close();
  }
}
