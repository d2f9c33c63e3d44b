package dev.patchwire.bench;

import dev.patchwire.msg.Change;
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
 * Building one update {@link Change} of a ~200-byte document (its patch text is serialized once,
 * here). {@link MsgStorePushBenchmark} builds its changes in an untimed setup, but
 * {@code -prof gc} counts their allocation: subtract this benchmark's {@code gc.alloc.rate.norm}
 * from the push's to get what a push itself allocates.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChangeBenchmark {

  private Fixtures.Edit edit;
  private long seq;

  @Setup(Level.Trial)
  public void build() {
    edit = Fixtures.Edit.of("doc-1", 1, 200);
  }

  @Benchmark
  public Change updateChange() {
    return edit.change(++seq, Fixtures.BENCH);
  }
}
