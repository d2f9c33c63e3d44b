package dev.patchwire.bench;

import dev.patchwire.msg.Change;
import dev.patchwire.stream.Filter;
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
 * {@code MsgStore.push} end to end inside one process: history append (at its byte cap, so every
 * push evicts), one event-bus publish, and the fan-out of one event loop delivering the frame to
 * every subscriber (a counting sink, no socket). One operation is one pushed change; an
 * invocation pushes {@link #BATCH} and waits until the fan-out has handled them all.
 *
 * <p>Run with {@code -prof gc} for the allocation per push ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@OperationsPerInvocation(MsgStorePushBenchmark.BATCH)
public class MsgStorePushBenchmark {

  static final int BATCH = 100;
  private static final int EDITS = 64;

  @Param({"0", "1", "100", "10000"})
  int subscribers;

  /** The engine's default history cap; filled before measuring so each push evicts. */
  @Param({"67108864"})
  long historyBytes;

  private Fixtures fx;
  private Fixtures.Edit[] edits;
  private final Change[] batch = new Change[BATCH];
  private long seq;
  private long expectedFrames;

  @Setup(Level.Trial)
  public void start() {
    fx = Fixtures.bench(historyBytes);
    edits = new Fixtures.Edit[EDITS];
    for (int i = 0; i < EDITS; i++) {
      edits[i] = Fixtures.Edit.of("doc-" + i, i, 200);
    }
    // Fill the history to its cap before anyone subscribes.
    while (fx.msgStore.history().evicted() == 0) {
      fx.msgStore.push(edits[(int) (seq % EDITS)].change(++seq, Fixtures.BENCH));
    }
    fx.barrier();
    fx.subscribe(subscribers, Fixtures.BENCH, Filter.ALL);
    expectedFrames = fx.barrier();
  }

  @Setup(Level.Invocation)
  public void nextBatch() {
    for (int i = 0; i < BATCH; i++) {
      batch[i] = edits[(int) (seq % EDITS)].change(++seq, Fixtures.BENCH);
    }
    expectedFrames += (long) BATCH * subscribers;
  }

  @Benchmark
  public long push() {
    for (Change c : batch) {
      fx.msgStore.push(c);
    }
    return fx.barrier();
  }

  @TearDown(Level.Iteration)
  public void check() {
    long seen = fx.barrier();
    if (seen != expectedFrames) {
      throw new IllegalStateException("delivered " + seen + " frames, expected " + expectedFrames);
    }
    if (fx.msgStore.history().bytes() > historyBytes) {
      throw new IllegalStateException("history over its cap");
    }
  }

  @TearDown(Level.Trial)
  public void stop() {
    fx.close();
  }
}
