package dev.patchwire.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import java.io.PrintStream;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Writes a recording as JSON Lines: a header line, then one line per thing received, each
 * flushed at once so that a recording cut short (Ctrl-C, a crash) keeps everything before it.
 * The line shapes are described in {@link Recording}. Thread-safe.
 */
public final class RecordingWriter {

  private final PrintStream out;
  private final Consumer<ObjectNode> observer;
  private final long startNanos = System.nanoTime();
  private long lines;

  public RecordingWriter(PrintStream out) {
    this(out, line -> { });
  }

  /** Also hands every line, once written, to {@code observer} (for a program that waits on the stream). */
  public RecordingWriter(PrintStream out, Consumer<ObjectNode> observer) {
    this.out = out;
    this.observer = observer;
  }

  /** The first line: {@code {"recording":{"version":1,"url":...,"transport":...,...}}}. */
  public synchronized void header(StreamUrl url) {
    ObjectNode h = Json.object();
    h.put("version", Recording.VERSION);
    // a recording is shared and committed: never with the token it was recorded under
    h.put("url", dev.patchwire.auth.Auth.redact(url.uri().toString()));
    h.put("transport", url.transport());
    h.put("collection", url.collection());
    if (url.where() != null) {
      h.put("where", url.where());
    }
    if (url.since() != null) {
      h.put("since", url.since());
    }
    h.put("started", Instant.now().toString());
    ObjectNode line = Json.object();
    line.set("recording", h);
    write(line);
  }

  /** {@code {"t":MS, "<kind>": value}}, t being milliseconds since this writer was made. */
  public synchronized void entry(String kind, JsonNode value) {
    ObjectNode line = Json.object();
    line.put("t", (System.nanoTime() - startNanos) / 1_000_000);
    line.set(kind, value);
    write(line);
  }

  public synchronized long lines() {
    return lines;
  }

  private void write(ObjectNode line) {
    out.println(Json.write(line));
    out.flush();
    lines++;
    observer.accept(line);
  }
}
