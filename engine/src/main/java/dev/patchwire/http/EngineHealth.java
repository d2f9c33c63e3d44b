package dev.patchwire.http;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether the engine can serve, for {@code GET /health}: it cannot once an
 * {@link OutOfMemoryError} was seen anywhere (the heap may hold half-done state: restart), once
 * the writer stopped, or while an event loop has been blocked for {@link #BLOCKED_MILLIS} (its
 * clients get no answers; the other loops still answer {@code /health}). Shared by every event
 * loop.
 */
public final class EngineHealth {

  /** How long an event loop may miss its probe before it counts as blocked. */
  public static final long BLOCKED_MILLIS = 5_000;
  static final long PROBE_MILLIS = 500;

  private final long blockedMillis;
  private volatile String outOfMemory;
  /** Per event loop: when its probe last ran (System.nanoTime). */
  private final List<AtomicLong> loopTicks = new CopyOnWriteArrayList<>();

  public EngineHealth() {
    this(BLOCKED_MILLIS);
  }

  /** With another threshold for a blocked loop (tests). */
  EngineHealth(long blockedMillis) {
    this.blockedMillis = blockedMillis;
  }

  /** Records {@code failure} if it is, or was caused by, running out of memory. */
  public void failed(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      // H2 reports its own OutOfMemoryError as a message inside a database exception.
      if (t instanceof OutOfMemoryError || String.valueOf(t.getMessage()).contains("OutOfMemoryError")) {
        if (outOfMemory == null) {
          outOfMemory = String.valueOf(t);
        }
        return;
      }
    }
  }

  /** Starts the probe of the event loop that calls this (a verticle's start); the timer id. */
  long probeThisLoop(Vertx vertx) {
    AtomicLong tick = new AtomicLong(System.nanoTime());
    loopTicks.add(tick);
    return vertx.setPeriodic(PROBE_MILLIS, id -> tick.set(System.nanoTime()));
  }

  /** Event loops whose probe is late by more than the threshold ({@link #BLOCKED_MILLIS}). */
  int blockedLoops() {
    long now = System.nanoTime();
    int blocked = 0;
    for (AtomicLong tick : loopTicks) {
      if (now - tick.get() > (blockedMillis + PROBE_MILLIS) * 1_000_000L) {
        blocked++;
      }
    }
    return blocked;
  }

  /**
   * Why the engine cannot serve, as stable codes ({@code out_of_memory}, {@code writer_stopped},
   * {@code event_loop_blocked}); empty when it can.
   */
  List<String> problems(boolean writerUp) {
    List<String> problems = new ArrayList<>();
    if (outOfMemory != null) {
      problems.add("out_of_memory");
    }
    if (!writerUp) {
      problems.add("writer_stopped");
    }
    if (blockedLoops() > 0) {
      problems.add("event_loop_blocked");
    }
    return problems;
  }
}
