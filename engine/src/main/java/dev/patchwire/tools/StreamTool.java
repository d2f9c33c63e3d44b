package dev.patchwire.tools;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.patchwire.json.Json;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code patchwire.jar record URL [--duration D] [--frames N]} and
 * {@code patchwire.jar replay FILE... [--against BASEURL]}.
 *
 * <p>Exit codes: 0 done (and, with --against, equal); 1 the recording breaks the protocol (a patch
 * that does not apply, a live seq that does not increase, a message out of order); 2 bad usage or
 * an unreadable file or server; 3 --against found a difference at the same position (or a server
 * behind the recording); 4 --against could not compare: the server has moved on past the
 * recording's last seq, or is in another epoch.
 */
public final class StreamTool {

  public static final int OK = 0;
  public static final int VIOLATION = 1;
  public static final int USAGE = 2;
  public static final int DIFFERENT = 3;
  public static final int NOT_COMPARABLE = 4;

  static final String HELP = String.join("\n",
      "usage: java -jar patchwire.jar record URL [--duration D] [--frames N]   > stream.jsonl",
      "       java -jar patchwire.jar replay FILE... [--against BASEURL]",
      "  record   URL is ws://HOST:PORT/api/collections/C/stream/ws?... or http://HOST:PORT/api/collections/C/stream/sse?...;",
      "           writes one JSON object a line: a header, then {\"t\":MS,\"frame\":{...}} (WS) or {\"t\":MS,\"sse\":{...}} (SSE),",
      "           then the end. Stops when the server closes, on Ctrl-C, after --duration (500ms, 30s, 5m) or --frames N.",
      "  replay   applies the recording(s) strictly (RFC 6902) to {} and prints the document; several files are",
      "           successive connections of one client (a resume continues the state of the one before).",
      "           --against BASEURL compares with GET BASEURL/api/collections/C/docs[?where=...] when the server",
      "           is at the recording's last seq.",
      "  exit     0 ok/equal, 1 protocol violation, 2 usage or I/O error, 3 different from the server,",
      "           4 not comparable (the server moved on past the recording, or another epoch)");

  private StreamTool() {
  }

  /** Runs the sub-command in {@code args[0]}; returns the process exit code. */
  public static int run(String[] args) {
    return run(args, System.out, System.err);
  }

  /** As {@link #run(String[])}, writing to {@code out} and {@code err} (for tests). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length < 2 || List.of(args).contains("--help")) {
      err.println(HELP);
      return args.length >= 1 && List.of(args).contains("--help") ? OK : USAGE;
    }
    try {
      return switch (args[0]) {
        case "record" -> record(args, out, err);
        case "replay" -> replay(args, out, err);
        default -> throw new IllegalArgumentException("unknown command " + args[0]);
      };
    } catch (IllegalArgumentException e) {
      err.println("patchwire " + args[0] + ": " + e.getMessage());
      err.println(HELP);
      return USAGE;
    }
  }

  private static int record(String[] args, PrintStream out, PrintStream err) {
    StreamUrl url = null;
    Duration duration = null;
    long frames = 0;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--duration" -> duration = duration(value(args, ++i, "--duration"));
        case "--frames" -> frames = positive(value(args, ++i, "--frames"), "--frames");
        default -> {
          if (args[i].startsWith("--") || url != null) {
            throw new IllegalArgumentException("unexpected argument " + args[i]);
          }
          url = StreamUrl.parse(args[i]);
        }
      }
    }
    if (url == null) {
      throw new IllegalArgumentException("record needs a stream URL");
    }
    Vertx vertx = Vertx.vertx();
    try {
      Recorder recorder = Recorder.start(vertx, url, new RecordingWriter(out), new Recorder.Limits(duration, frames, 0));
      Thread onInterrupt = new Thread(() -> {
        recorder.stop("interrupted");
        try {
          recorder.done().get(2, TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // exiting anyway
        }
        out.flush();
      }, "patchwire-record-stop");
      Runtime.getRuntime().addShutdownHook(onInterrupt);
      String end = recorder.done().join();
      try {
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: Ctrl-C
      }
      err.println("patchwire record: " + recorder.frames() + " messages, ended: " + end);
      return end.equals("failed") || end.equals("refused") ? USAGE : OK;
    } finally {
      vertx.close();
    }
  }

  private static int replay(String[] args, PrintStream out, PrintStream err) {
    List<Path> files = new ArrayList<>();
    String against = null;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--against")) {
        against = value(args, ++i, "--against");
      } else if (args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i]);
      } else {
        files.add(Path.of(args[i]));
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("replay needs a recording file");
    }
    List<Recording> recordings = new ArrayList<>();
    for (Path f : files) {
      try {
        recordings.add(Recording.read(f));
      } catch (IOException e) {
        err.println("patchwire replay: cannot read " + f + ": " + e);
        return USAGE;
      }
    }
    ReplayResult replay;
    try {
      replay = Replayer.replay(recordings);
    } catch (ReplayViolation v) {
      err.println("patchwire replay: VIOLATION at " + v.getMessage());
      return VIOLATION;
    }
    out.println(new String(pretty(replay), StandardCharsets.UTF_8));
    out.flush();
    err.println("patchwire replay: " + replay.counts() + "; position " + replay.position());
    replay.notes().forEach(n -> err.println("patchwire replay: note: " + n));
    if (against == null) {
      return OK;
    }
    ServerCheck.Result result;
    try {
      result = ServerCheck.check(against, replay);
    } catch (IOException | RuntimeException e) {
      err.println("patchwire replay: cannot read " + against + ": " + e.getMessage());
      return USAGE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return USAGE;
    }
    err.println("patchwire replay --against: " + result.verdict() + ": " + result.message());
    return switch (result.verdict()) {
      case EQUAL -> OK;
      case DIFFERENT, BEHIND -> DIFFERENT;
      case MOVED_ON, OTHER_EPOCH -> NOT_COMPARABLE;
    };
  }

  private static byte[] pretty(ReplayResult replay) {
    try {
      return Json.MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(replay.document());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }

  private static long positive(String text, String flag) {
    try {
      long n = Long.parseLong(text);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // below
    }
    throw new IllegalArgumentException(flag + " needs a positive number, got " + text);
  }

  /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}; a plain number is seconds. */
  static Duration duration(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      if (t.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      if (t.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      if (t.endsWith("h")) {
        return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      return Duration.ofSeconds(Long.parseLong(t));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--duration takes 500ms, 30s, 5m or 1h, got " + text);
    }
  }
}
