package dev.patchwire.bench;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time of the whole benchmark JVM (every thread: the store's workers and event loops, GC and
 * JIT included) per operation, for each iteration: {@code -prof dev.patchwire.bench.CpuTimeProfiler}.
 * On a machine shared with other work the throughput measures the scheduler as much as the code;
 * the CPU an operation costs stays comparable between two builds run there.
 */
public final class CpuTimeProfiler implements InternalProfiler {

  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private long startNanos;

  @Override
  public String getDescription() {
    return "process CPU time per operation";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    startNanos = OS.getProcessCpuTime();
  }

  @Override
  public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
      IterationParams iterationParams, IterationResult result) {
    long cpu = OS.getProcessCpuTime() - startNanos;
    long ops = result.getMetadata().getMeasuredOps();  // already times @OperationsPerInvocation
    double perOp = ops == 0 ? Double.NaN : cpu / 1000.0 / ops;
    return List.of(new ScalarResult("cpu.us/op", perOp, "us/op", AggregationPolicy.AVG));
  }
}
