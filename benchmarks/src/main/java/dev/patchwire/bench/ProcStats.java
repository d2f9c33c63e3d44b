package dev.patchwire.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
   * Live heap of a JVM after a full collection, in bytes, through {@code jcmd PID GC.run} and
   * {@code GC.heap_info}; -1 when jcmd is not there.
   */
  static long liveHeapBytes(long pid) {
    if (run(List.of("jcmd", Long.toString(pid), "GC.run")) == null) {
      return -1;
    }
    String info = run(List.of("jcmd", Long.toString(pid), "GC.heap_info"));
    if (info == null) {
      return -1;
    }
    // G1: " garbage-first heap   total 262144K, used 12345K [...]"
    Matcher m = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K").matcher(info);
    List<Long> used = new ArrayList<>();
    while (m.find()) {
      used.add(Long.parseLong(m.group(1)));
    }
    return used.isEmpty() ? -1 : used.get(0) * 1024;
  }
}
