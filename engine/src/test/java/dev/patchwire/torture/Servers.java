package dev.patchwire.torture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine under torture: one child JVM at a time on one data folder, stopped gracefully
 * (SIGTERM) or killed (SIGKILL) and started again on the same data. Clients ask
 * {@link #awaitUp} for the current one; each start is a new generation with a new port.
 * {@code /api/stats} totals are counters of one process, so they are read before each stop and summed.
 */
final class Servers implements AutoCloseable {

  /** One running engine: which start it is, its port and a REST client for it. */
  record Up(int generation, int port, Rest rest) {}

  private final Path data;
  private final String[] args;
  private ProcessServer current;
  private Up up;
  private int generation;
  final AtomicLong statsResyncs = new AtomicLong();
  final AtomicLong statsDrops = new AtomicLong();
  final AtomicLong gracefulStops = new AtomicLong();
  final AtomicLong kills = new AtomicLong();

  Servers(Path data, String... args) {
    this.data = data;
    this.args = args;
    start();
  }

  private void start() {
    ProcessServer s = ProcessServer.start(data, args);
    synchronized (this) {
      current = s;
      generation++;
      up = new Up(generation, s.port(), new Rest(s.baseUrl()));
      notifyAll();
    }
  }

  /** The running engine; waits while it restarts; fails after {@code timeout}. */
  synchronized Up awaitUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (up == null) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no engine up within " + timeout);
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    return up;
  }

  /** Stops the engine (SIGKILL when {@code kill}, else SIGTERM) and starts another on the same data. */
  void restart(boolean kill) {
    ProcessServer s;
    Up was;
    synchronized (this) {
      s = current;
      was = up;
      up = null;
    }
    addStats(was);
    if (kill) {
      s.kill();
      kills.incrementAndGet();
    } else {
      s.stop();
      gracefulStops.incrementAndGet();
    }
    start();
  }

  /** Adds the current process's totals (call once, just before it goes). */
  void addStats(Up u) {
    try {
      JsonNode totals = u.rest().stats().path("totals");
      statsResyncs.addAndGet(totals.path("resyncs").asLong());
      statsDrops.addAndGet(totals.path("drops").asLong());
    } catch (AssertionError e) {
      // the process is already gone: its last counts are lost, which only under-counts
    }
  }

  String output() {
    synchronized (this) {
      return current == null ? "" : current.output();
    }
  }

  @Override
  public void close() {
    ProcessServer s;
    synchronized (this) {
      s = current;
      up = null;
    }
    if (s != null) {
      s.stop();
    }
  }
}
