package dev.patchwire.torture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.testing.ProcessServer;
import dev.patchwire.testing.Rest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engines under torture: one child JVM per node at a time, stopped gracefully (SIGTERM) or
 * killed (SIGKILL) and started again on the same data. One node on its own data folder (H2, or
 * the test PostgreSQL with {@code -Dpatchwire.test.store=postgresql}), or several nodes on one
 * PostgreSQL database ({@link #cluster}). Clients ask {@link #awaitUp(int, Duration)} for their
 * node and get another running one while it is down, as a client behind a load balancer would;
 * each start is a new generation with a new port. {@code /api/stats} totals are counters of one
 * process, so they are read before each stop and summed.
 */
final class Servers implements AutoCloseable {

  /** One running engine: which node, which start it is, its port and a REST client for it. */
  record Up(int node, int generation, int port, Rest rest) {}

  private final Path[] data;
  private final String[][] args;
  private final ProcessServer[] current;
  private final Up[] up;
  private int generation;
  final AtomicLong statsResyncs = new AtomicLong();
  final AtomicLong statsDrops = new AtomicLong();
  final AtomicLong gracefulStops = new AtomicLong();
  final AtomicLong kills = new AtomicLong();

  /** One node on {@code data}. */
  Servers(Path data, String... args) {
    this(new Path[] {data}, new String[][] {args});
  }

  private Servers(Path[] data, String[][] args) {
    this.data = data;
    this.args = args;
    this.current = new ProcessServer[data.length];
    this.up = new Up[data.length];
    // the nodes start at once: each is a JVM that takes seconds to boot
    List<Thread> starts = new ArrayList<>();
    List<Throwable> failed = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < data.length; i++) {
      int node = i;
      Thread t = new Thread(() -> {
        try {
          start(node);
        } catch (Throwable e) {
          failed.add(e);
        }
      }, "torture-start-node-" + i);
      t.start();
      starts.add(t);
    }
    for (Thread t : starts) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    if (!failed.isEmpty()) {
      close();
      throw new AssertionError("a node did not start: " + failed.get(0).getMessage(), failed.get(0));
    }
  }

  /** {@code nodes} nodes on the PostgreSQL database {@code databaseUrl}, named node-0, node-1... */
  static Servers cluster(List<Path> data, String databaseUrl, String... args) {
    String[][] nodeArgs = new String[data.size()][];
    for (int i = 0; i < nodeArgs.length; i++) {
      List<String> a = new ArrayList<>(List.of(args));
      a.addAll(List.of("--database-url", databaseUrl, "--node-id", "node-" + i));
      nodeArgs[i] = a.toArray(String[]::new);
    }
    return new Servers(data.toArray(Path[]::new), nodeArgs);
  }

  int nodes() {
    return data.length;
  }

  private void start(int node) {
    ProcessServer s = ProcessServer.start(data[node], args[node]);
    synchronized (this) {
      current[node] = s;
      generation++;
      up[node] = new Up(node, generation, s.port(), new Rest(s.baseUrl()));
      notifyAll();
    }
  }

  /** Node 0 (the only one of a single-node run); waits while it restarts; fails after {@code timeout}. */
  synchronized Up awaitUp(Duration timeout) {
    return awaitUp(0, timeout);
  }

  /**
   * Node {@code preferred} if it runs, else the next one that does (a client whose node died
   * goes to another); waits while none runs; fails after {@code timeout}.
   */
  synchronized Up awaitUp(int preferred, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (int k = 0; k < up.length; k++) {
        Up u = up[(preferred + k) % up.length];
        if (u != null) {
          return u;
        }
      }
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
  }

  /** Every node, each waited for as {@link #awaitUp(int, Duration)} does but on that node only. */
  synchronized List<Up> awaitAll(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Up> all = new ArrayList<>();
    for (int i = 0; i < up.length; i++) {
      while (up[i] == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("node " + i + " not up within " + timeout);
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
      all.add(up[i]);
    }
    return all;
  }

  /** Stops node 0 (SIGKILL when {@code kill}, else SIGTERM) and starts it again on the same data. */
  void restart(boolean kill) {
    restart(0, kill, Duration.ZERO);
  }

  /**
   * Stops {@code node} (SIGKILL when {@code kill}, else SIGTERM), leaves it down for {@code down}
   * (its clients go to the other nodes meanwhile) and starts it again on the same data.
   */
  void restart(int node, boolean kill, Duration down) {
    ProcessServer s;
    Up was;
    synchronized (this) {
      s = current[node];
      was = up[node];
      up[node] = null;
    }
    addStats(was);
    if (kill) {
      s.kill();
      kills.incrementAndGet();
    } else {
      s.stop();
      gracefulStops.incrementAndGet();
    }
    try {
      Thread.sleep(down.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    start(node);
  }

  /** Adds the process's totals (call once, just before it goes). */
  void addStats(Up u) {
    try {
      JsonNode totals = u.rest().stats().path("totals");
      statsResyncs.addAndGet(totals.path("resyncs").asLong());
      statsDrops.addAndGet(totals.path("drops").asLong());
    } catch (AssertionError e) {
      // the process is already gone: its last counts are lost, which only under-counts
    }
  }

  /** The running processes' output (the last lines of each), node by node. */
  String output() {
    synchronized (this) {
      if (current.length == 1) {
        return current[0] == null ? "" : current[0].output();
      }
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < current.length; i++) {
        String out = current[i] == null ? "" : current[i].output();
        b.append("--- node-").append(i).append(":\n").append(out.substring(Math.max(0, out.length() - 1500))).append('\n');
      }
      return b.toString();
    }
  }

  @Override
  public void close() {
    List<ProcessServer> running = new ArrayList<>();
    synchronized (this) {
      for (int i = 0; i < current.length; i++) {
        if (current[i] != null) {
          running.add(current[i]);
        }
        up[i] = null;
      }
    }
    running.forEach(s -> s.process().destroy());  // SIGTERM to each at once, then wait for each
    running.forEach(ProcessServer::stop);
  }
}
