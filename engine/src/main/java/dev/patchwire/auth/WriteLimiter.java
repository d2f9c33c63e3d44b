package dev.patchwire.auth;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code --max-writes-per-second}: at most N writes per key in each wall-clock second (a fixed
 * window: simple, exact at the boundary a client can read from Retry-After). Shared by every
 * event loop. Once the map grows, keys of past seconds are swept, at most once a second, so it
 * stays bounded by the number of keys active in about one second (each one a signed token).
 */
final class WriteLimiter {

  private static final int SWEEP_ABOVE = 10_000;

  private final int perSecond;
  private final ConcurrentHashMap<String, long[]> windows = new ConcurrentHashMap<>();
  private final AtomicLong lastSweep = new AtomicLong();

  WriteLimiter(int perSecond) {
    this.perSecond = perSecond;
  }

  int perSecond() {
    return perSecond;
  }

  boolean tryAcquire(String key) {
    long second = System.currentTimeMillis() / 1000;
    if (windows.size() > SWEEP_ABOVE && lastSweep.getAndSet(second) != second) {
      windows.values().removeIf(w -> w[0] < second);
    }
    boolean[] allowed = {false};
    windows.compute(key, (k, w) -> {
      if (w == null || w[0] != second) {
        w = new long[] {second, 0};
      }
      if (w[1] < perSecond) {
        w[1]++;
        allowed[0] = true;
      }
      return w;
    });
    return allowed[0];
  }
}
