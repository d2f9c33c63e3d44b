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
 * Cost of one change in the fan-out when most subscribers' filters do not match it (issue #13
 * target 2): {@link #MATCHING} subscribers of {@code where=project_id:p1}, which every change
 * matches, and {@code nonMatching} others spread over 1,000 other projects (a board per project).
 * One operation is one change dispatched to its {@link #MATCHING} subscribers; with the index its
 * cost should not grow with {@code nonMatching}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@OperationsPerInvocation(FilteredFanoutBenchmark.CHANGES)
@State(Scope.Benchmark)
public class FilteredFanoutBenchmark {

  static final int MATCHING = 10;
  static final int CHANGES = 200;
  private static final int EDITS = 64;

  @Param({"100", "1000", "10000"})
  int nonMatching;

  Fixtures fx;
  Fixtures.Edit[] edits;
  final Change[] batch = new Change[CHANGES];
  long seq;
  long expected;

  @Setup(Level.Trial)
  public void start() {
    fx = Fixtures.bench(64L << 20);
    edits = new Fixtures.Edit[EDITS];
    for (int i = 0; i < EDITS; i++) {
      edits[i] = Fixtures.Edit.of("doc-" + i, i, 200);  // project_id p1
    }
    fx.subscribe(MATCHING, Fixtures.BENCH, Filter.parse("project_id:p1"));
    fx.subscribe(nonMatching, Fixtures.BENCH, i -> Filter.parse("project_id:q" + (i % 1000)));
    expected = fx.barrier();
  }

  @Setup(Level.Invocation)
  public void nextBatch() {
    for (int i = 0; i < CHANGES; i++) {
      batch[i] = edits[(int) (seq % EDITS)].change(++seq, Fixtures.BENCH);
    }
    expected += (long) CHANGES * MATCHING;
  }

  @Benchmark
  public long dispatch() {
    for (Change c : batch) {
      fx.msgStore.push(c);
    }
    return fx.barrier();
  }

  @TearDown(Level.Iteration)
  public void check() {
    long seen = fx.barrier();
    if (seen != expected) {
      throw new IllegalStateException("delivered " + seen + " frames, expected " + expected);
    }
  }

  @TearDown(Level.Trial)
  public void stop() {
    fx.close();
  }
}
