package dev.patchwire.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** CPU time and memory of a Linux process, from {@code /proc/PID/stat} and {@code /proc/PID/status}. */
final class ProcStats {

  /** Clock ticks per second of {@code /proc/PID/stat}'s times: {@code getconf CLK_TCK}, 100 on Linux. */
  static final long TICKS = ticks();

  /** One reading: user and system CPU in nanoseconds, resident and peak resident bytes. */
  record Sample(long userNanos, long systemNanos, long rssBytes, long hwmBytes) {
    long cpuNanos() {
      return userNanos + systemNanos;
    }
  }

  private ProcStats() {
  }

  /** Reads the process now; null when it is gone or /proc is absent. */
  static Sample read(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // comm may hold spaces and parentheses: fields start after the last ')'
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      long utime = Long.parseLong(f[11]);
      long stime = Long.parseLong(f[12]);
      String status = Files.readString(Path.of("/proc/" + pid + "/status"));
      return new Sample(utime * 1_000_000_000L / TICKS, stime * 1_000_000_000L / TICKS,
          kib(status, "VmRSS") * 1024, kib(status, "VmHWM") * 1024);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long kib(String status, String key) {
    Matcher m = Pattern.compile(key + ":\\s+(\\d+) kB").matcher(status);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static long ticks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Long.parseLong(out);
    } catch (Exception e) {
      return 100;
    }
  }

  /**
   * Time the process's threads have spent runnable but waiting for a CPU, in nanoseconds: the sum
   * of the second field of {@code /proc/PID/task/TID/schedstat}. It grows when other processes
   * compete for the same core, so a run on a busy machine can say how much it was starved.
   * Threads that ended are not counted. -1 when unavailable.
   */
  static long runDelayNanos(long pid) {
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      long sum = 0;
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String[] f = Files.readString(t.resolve("schedstat")).trim().split(" ");
          sum += Long.parseLong(f[1]);
        } catch (IOException | RuntimeException gone) {
          // the thread ended meanwhile
        }
      }
      return sum;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU time (user + system, nanoseconds) of the process's live threads grouped by thread name
   * without its digits ({@code vert.x-eventloop-thread-}, {@code C2 CompilerThre}, {@code GC
   * Thread#}...), from {@code /proc/PID/task/TID/stat}. Empty when unavailable.
   */
  static java.util.Map<String, Long> threadCpuNanos(long pid) {
    java.util.Map<String, Long> byName = new java.util.TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
          long nanos = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1_000_000_000L / TICKS;
          byName.merge(name, nanos, Long::sum);
        } catch (IOException | RuntimeException gone) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException | RuntimeException e) {
      // no /proc
    }
    return byName;
  }

  /** The 1-minute load average, or -1. */
  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Runs a command and returns its output, or null when it fails. */
  static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      return p.waitFor() == 0 ? out : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * Live heap of a JVM in bytes: the total of {@code jcmd PID GC.class_histogram}, which runs a
   * full collection first and counts only reachable objects (whatever the collector: a JVM
   * pinned to one core picks Serial GC). -1 when jcmd is not there.
   */
  static long liveHeapBytes(long pid) {
    return liveHeapBytes(classHistogram(pid));
  }

  /** {@code jcmd PID GC.class_histogram} (a full GC, then reachable objects by class), or null. */
  static String classHistogram(long pid) {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    return run(List.of(jcmd, Long.toString(pid), "GC.class_histogram"));
  }

  /** The total bytes of a class histogram, or -1. */
  static long liveHeapBytes(String histogram) {
    if (histogram == null) {
      return -1;
    }
    Matcher m = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$").matcher(histogram);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

}
