package dev.patchwire.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.wire.Position;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A raw HTTP/1.1 client for one {@code text/event-stream}: it writes the request on a plain
 * socket, decodes a chunked body by hand and records every event (name, id, data) and every
 * comment line in arrival order. Each event is checked against the wire schema as it arrives.
 * When the server refuses the stream, {@link #status()} and {@link #body()} hold its answer.
 */
public final class SseRecorder implements AutoCloseable {

  public static final Duration TIMEOUT = Duration.ofSeconds(15);

  /** One dispatched event; {@code event} is "message" when the server named none. */
  public record Event(String event, String id, String data, long nanos) {

    public JsonNode json() { return Rest.parse(data); }

    /** The seq part of {@code id: E:N}; fails when there is no id. */
    public long seq() {
      Position position = Position.parse(id);
      if (position == null) {
        fail("event has no E:N id: " + this);
      }
      return position.seq();
    }

    public String epoch() {
      return id == null ? null : Position.require(id).epoch();
    }

    @Override
    public String toString() {
      String d = data.length() > 300 ? data.substring(0, 300) + "...(" + data.length() + " chars)" : data;
      return "event: " + event + " id: " + id + " data: " + d;
    }
  }

  /** A comment line, without its leading colon. */
  public record Comment(String text, long nanos) {}

  private record End(String why) {}

  /** Events (name, id, data) already found valid: the same text is valid again (see WsRecorder). */
  private static final Set<String> VALID = ConcurrentHashMap.newKeySet();

  private final String path;
  private final Socket socket;
  private final int status;
  private final Map<String, String> headers;
  private final String body;
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private final BlockingQueue<Comment> comments = new LinkedBlockingQueue<>();
  private final List<Event> received = new CopyOnWriteArrayList<>();
  private final List<Throwable> violations = new CopyOnWriteArrayList<>();
  private final Object gate = new Object();
  private boolean paused;
  private volatile boolean closing;
  private volatile String retry;

  private SseRecorder(String path, Socket socket, int status, Map<String, String> headers, String body) {
    this.path = path;
    this.socket = socket;
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  public static SseRecorder open(int port, String pathAndQuery) {
    return open(port, pathAndQuery, null, 0);
  }

  public static SseRecorder open(int port, String pathAndQuery, String lastEventId) {
    return open(port, pathAndQuery, lastEventId, 0);
  }

  /**
   * Sends the GET and reads the status line and headers. A 200 {@code text/event-stream} answer
   * starts a reader thread; any other answer is read whole into {@link #body()}.
   *
   * @param receiveBufferBytes SO_RCVBUF for the socket, 0 for the system default (small values make
   *     a paused reader push back on the server quickly)
   */
  public static SseRecorder open(int port, String pathAndQuery, String lastEventId, int receiveBufferBytes) {
    try {
      Socket s = new Socket();
      if (receiveBufferBytes > 0) {
        s.setReceiveBufferSize(receiveBufferBytes);
      }
      s.connect(new InetSocketAddress("127.0.0.1", port), (int) TIMEOUT.toMillis());
      s.setSoTimeout((int) TIMEOUT.toMillis());
      StringBuilder req = new StringBuilder()
          .append("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n")
          .append("Host: 127.0.0.1:").append(port).append("\r\n")
          .append("Accept: text/event-stream\r\n")
          .append("Cache-Control: no-cache\r\n");
      if (lastEventId != null) {
        req.append("Last-Event-ID: ").append(lastEventId).append("\r\n");
      }
      req.append("\r\n");
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
      String statusLine = readLine(in);
      if (statusLine == null || !statusLine.startsWith("HTTP/1.")) {
        fail("not an HTTP answer: " + statusLine);
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
        int colon = line.indexOf(':');
        headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
      InputStream bodyIn = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"))
          ? new ChunkedInputStream(in)
          : headers.containsKey("content-length")
              ? new LimitedInputStream(in, Long.parseLong(headers.get("content-length")))
              : in;
      String ct = headers.getOrDefault("content-type", "");
      if (status == 200 && ct.startsWith("text/event-stream")) {
        s.setSoTimeout(0);
        SseRecorder r = new SseRecorder(pathAndQuery, s, status, headers, null);
        Thread t = new Thread(() -> r.readLoop(bodyIn), "sse-recorder " + pathAndQuery);
        t.setDaemon(true);
        t.start();
        return r;
      }
      String body = new String(bodyIn.readAllBytes(), StandardCharsets.UTF_8);
      s.close();
      return new SseRecorder(pathAndQuery, s, status, headers, body);
    } catch (IOException e) {
      throw new AssertionError("SSE request " + pathAndQuery + " failed: " + e, e);
    }
  }

  private void readLoop(InputStream in) {
    String event = null;
    String id = null;
    StringBuilder data = null;
    try {
      while (true) {
        synchronized (gate) {
          while (paused) {
            gate.wait();
          }
        }
        String line = readLine(in);
        if (line == null) {
          events.add(new End("end of stream"));
          return;
        }
        if (line.isEmpty()) {
          if (data != null || event != null) {
            dispatch(new Event(event == null ? "message" : event, id,
                data == null ? "" : data.toString(), System.nanoTime()));
          }
          event = null;
          id = null;
          data = null;
        } else if (line.startsWith(":")) {
          comments.add(new Comment(line.substring(1), System.nanoTime()));
        } else {
          int colon = line.indexOf(':');
          String field = colon < 0 ? line : line.substring(0, colon);
          String value = colon < 0 ? "" : line.substring(colon + 1);
          if (value.startsWith(" ")) {
            value = value.substring(1);
          }
          switch (field) {
            case "event" -> event = value;
            case "id" -> id = value;
            case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            case "retry" -> retry = value;
            default -> violations.add(new AssertionError("unknown SSE field line: " + line));
          }
        }
      }
    } catch (IOException e) {
      events.add(new End(closing ? "closed by the test" : "connection error: " + e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void dispatch(Event e) {
    String key = e.event() + "\n" + e.id() + "\n" + e.data();
    if (!VALID.contains(key)) {
      try {
        WireSchemas.assertValidSseEvent(e.event(), e.id(), e.data());
        if (VALID.size() > 50_000) {
          VALID.clear();
        }
        VALID.add(key);
      } catch (Throwable t) {
        violations.add(new AssertionError("SSE event violates the wire schema: " + e + "\n  " + t, t));
      }
    }
    received.add(e);
    events.add(e);
  }

  public int status() { return status; }

  /** The last {@code retry:} field the server sent (the reconnect delay it asks for), or null. */
  public String retry() { return retry; }

  public String header(String name) { return headers.get(name.toLowerCase(Locale.ROOT)); }

  /** The body of a refused stream (non-200 or not an event stream); null for a stream. */
  public String body() { return body; }

  public Event nextEvent() {
    return nextEvent(TIMEOUT);
  }

  /** The next event; fails at the end of the stream or after {@code timeout}. */
  public Event nextEvent(Duration timeout) {
    Object e = poll(timeout);
    if (e == null) {
      fail("no SSE event within " + timeout.toMillis() + " ms on " + path + " (received so far: " + received.size() + ")");
    }
    if (e instanceof End end) {
      fail("expected an event on " + path + " but the stream ended: " + end.why());
    }
    return (Event) e;
  }

  public Event awaitEvent(Predicate<Event> p, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail("no matching SSE event within " + timeout.toMillis() + " ms on " + path);
      }
      Event e = nextEvent(Duration.ofNanos(left));
      if (p.test(e)) {
        return e;
      }
    }
  }

  /** Skips events until a json_patch event with seq at least {@code seq}. */
  public Event awaitSeq(long seq, Duration timeout) {
    return awaitEvent(e -> "json_patch".equals(e.event()) && e.seq() >= seq, timeout);
  }

  public Comment awaitComment(Predicate<Comment> p, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        Comment c = left <= 0 ? null : comments.poll(left, TimeUnit.NANOSECONDS);
        if (c == null) {
          fail("no matching comment line within " + timeout.toMillis() + " ms on " + path);
        }
        if (p.test(c)) {
          return c;
        }
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new AssertionError(ie);
    }
  }

  /** The next event, or null at the end of the stream; fails after {@code timeout}. */
  public Event nextEventOrEnd(Duration timeout) {
    Object e = poll(timeout);
    if (e == null) {
      fail("neither an event nor the end within " + timeout.toMillis() + " ms on " + path);
    }
    return e instanceof Event ev ? ev : null;
  }

  /** Waits for the end of the stream; fails when an event comes first. */
  public void awaitEnd(Duration timeout) {
    Object e = poll(timeout);
    if (e == null) {
      fail("stream " + path + " did not end within " + timeout.toMillis() + " ms");
    }
    if (e instanceof Event ev) {
      fail("expected the end of " + path + " but got " + ev);
    }
  }

  /** Fails when an event or the end arrives within {@code quietMillis} (comments are ignored). */
  public void assertExhausted(long quietMillis) {
    Object e = poll(Duration.ofMillis(quietMillis));
    if (e != null) {
      fail("expected nothing more on " + path + " but got " + e);
    }
  }

  public List<Event> received() {
    return List.copyOf(received);
  }

  public List<Object> pending() {
    return new ArrayList<>(events);
  }

  /** Stops reading the socket (after the line being read); the kernel buffers then fill. */
  public void pause() {
    synchronized (gate) {
      paused = true;
    }
  }

  public void resume() {
    synchronized (gate) {
      paused = false;
      gate.notifyAll();
    }
  }

  public void assertNoViolations() {
    if (!violations.isEmpty()) {
      throw new AssertionError(violations.size() + " bad event(s) on " + path + ": "
          + violations.get(0).getMessage(), violations.get(0));
    }
  }

  private Object poll(Duration timeout) {
    assertNoViolations();
    try {
      Object e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      assertNoViolations();
      return e;
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new AssertionError(ie);
    }
  }

  @Override
  public void close() {
    closing = true;
    resume();
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    assertNoViolations();
  }

  /** One line in UTF-8 without its CR LF / LF; null at the end of the stream. */
  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        break;
      }
      buf.write(b);
    }
    if (b == -1 && buf.size() == 0) {
      return null;
    }
    byte[] bytes = buf.toByteArray();
    int len = bytes.length;
    if (len > 0 && bytes[len - 1] == '\r') {
      len--;
    }
    return new String(bytes, 0, len, StandardCharsets.UTF_8);
  }

  /** HTTP/1.1 chunked transfer decoding. */
  private static final class ChunkedInputStream extends InputStream {
    private final InputStream in;
    private final byte[] one = new byte[1];
    private long left;
    private boolean eof;

    ChunkedInputStream(InputStream in) {
      this.in = in;
    }

    private boolean nextChunk() throws IOException {
      if (eof) {
        return false;
      }
      String size = readLine(in);
      while (size != null && size.isEmpty()) {
        size = readLine(in);
      }
      if (size == null) {
        eof = true;
        return false;
      }
      int semi = size.indexOf(';');
      left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      if (left == 0) {
        for (String t = readLine(in); t != null && !t.isEmpty(); t = readLine(in)) {
          // trailers
        }
        eof = true;
        return false;
      }
      return true;
    }

    @Override
    public int read() throws IOException {
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left == 0 && !nextChunk()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        eof = true;
        return -1;
      }
      left -= n;
      return n;
    }
  }

  private static final class LimitedInputStream extends InputStream {
    private final InputStream in;
    private long left;

    LimitedInputStream(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
