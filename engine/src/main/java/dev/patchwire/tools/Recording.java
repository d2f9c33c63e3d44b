package dev.patchwire.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * One recorded stream, read back: the header and the entries in arrival order.
 *
 * <p>The file is JSON Lines. Line 1 is the header,
 * {@code {"recording":{"version":1,"url","transport":"ws"|"sse","collection","where"?,"since"?,"started"}}}.
 * Every other line is {@code {"t":MS, KIND: VALUE}} with MS the milliseconds since the recorder
 * started and KIND one of:
 * <ul>
 *   <li>{@code frame}: a WebSocket text frame, the parsed JSON object;</li>
 *   <li>{@code sse}: an SSE event {@code {"event","id"?,"data"}} (data parsed as JSON; text that is
 *       not JSON is kept as {@code "rawData"}), or {@code {"retry":"1000"}}, or {@code {"comment":"ping"}};</li>
 *   <li>{@code closed}: the end of the stream, {@code {"code","reason"}} for a WebSocket close, {@code {}} for
 *       the end of an SSE response;</li>
 *   <li>{@code refused}: an SSE request answered with {@code {"status","body"}} instead of a stream;</li>
 *   <li>{@code failed}: the connection failed, with the error's text;</li>
 *   <li>{@code stopped}: the recorder stopped on its own: {@code "duration"}, {@code "frames"}, {@code "interrupted"}.</li>
 * </ul>
 */
public record Recording(String source, StreamUrl url, List<ObjectNode> entries) {

  public static final int VERSION = 1;

  /** Reads a {@code .jsonl} file, or a gzipped one when the name ends with {@code .gz}. */
  public static Recording read(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    if (file.getFileName().toString().endsWith(".gz")) {
      in = new GZIPInputStream(in, 64 * 1024);
    }
    try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
      return read(file.toString(), r);
    }
  }

  /** Parses a recording; throws IllegalArgumentException naming the line that is wrong. */
  public static Recording read(String source, Reader reader) throws IOException {
    BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
    String first = in.readLine();
    if (first == null) {
      throw new IllegalArgumentException(source + " is empty");
    }
    JsonNode header = parseLine(source, 1, first).get("recording");
    if (header == null || !header.isObject()) {
      throw new IllegalArgumentException(source + ":1 is not a recording header {\"recording\":{...}}");
    }
    if (header.path("version").asInt() != VERSION) {
      throw new IllegalArgumentException(source + ":1 has version " + header.get("version") + ", this tool reads " + VERSION);
    }
    StreamUrl url = StreamUrl.parse(header.path("url").asText());
    List<ObjectNode> entries = new ArrayList<>();
    int n = 1;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      n++;
      if (!line.isBlank()) {
        entries.add(parseLine(source, n, line));
      }
    }
    return new Recording(source, url, entries);
  }

  private static ObjectNode parseLine(String source, int n, String line) {
    try {
      JsonNode node = Json.parse(line);
      if (!node.isObject()) {
        throw new IllegalArgumentException("not an object");
      }
      return (ObjectNode) node;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ":" + n + " is not a JSON object: " + e.getMessage());
    }
  }

  /** The line number of entry {@code i} in the file (the header is line 1). */
  public static int lineOf(int i) {
    return i + 2;
  }
}
