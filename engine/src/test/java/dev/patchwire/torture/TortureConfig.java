package dev.patchwire.torture;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The knobs of the convergence torture test, from system properties.
 *
 * <ul>
 *   <li>{@code -Dtorture.seed=N}: the seed (random when absent; always printed);</li>
 *   <li>{@code -Dtorture.long=true}: a 10-minute run with a restart about every 40 s;</li>
 *   <li>{@code -Dtorture.ops=N}, {@code -Dtorture.minutes=M}: stop after N writes or M minutes,
 *       whichever comes first (CI default: 3000 writes, at most 1 minute of writing; with
 *       several nodes 1200 writes, at most 30 s);</li>
 *   <li>{@code -Dtorture.restartSeconds=S}: restart about every S seconds (default 40 in a long
 *       run); given explicitly, it makes any run restart periodically, not just two or three
 *       times.</li>
 * </ul>
 *
 * @param nodes 1: one engine on its own data; more: that many engines on one PostgreSQL
 */
record TortureConfig(long seed, long ops, Duration duration, boolean periodicRestarts, Duration restartEvery,
    int writers, int subscribers, int nodes) {

  static TortureConfig fromSystemProperties() {
    return fromSystemProperties(1);
  }

  static TortureConfig fromSystemProperties(int nodes) {
    long seed = Long.getLong("torture.seed", ThreadLocalRandom.current().nextLong());
    boolean longRun = Boolean.getBoolean("torture.long");
    long ops = Long.getLong("torture.ops", longRun ? Long.MAX_VALUE : nodes == 1 ? 3000 : 1200);
    double minutes = Double.parseDouble(System.getProperty("torture.minutes", longRun ? "10" : nodes == 1 ? "1" : "0.5"));
    Duration restartEvery = Duration.ofSeconds(Long.getLong("torture.restartSeconds", 40));
    boolean periodicRestarts = longRun || ops == Long.MAX_VALUE || System.getProperty("torture.restartSeconds") != null;
    return new TortureConfig(seed, ops, Duration.ofMillis((long) (minutes * 60_000)), periodicRestarts,
        restartEvery, 3, longRun ? 16 : 12, nodes);
  }
}
