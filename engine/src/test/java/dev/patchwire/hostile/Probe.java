package dev.patchwire.hostile;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One hostile request, sent the way a client (or an attacker) would: through the JDK HTTP client,
 * as raw bytes on a socket (for what no client library sends), or as a WebSocket stream that is
 * refused or that sends frames of its own. Each answers an {@link Outcome}.
 */
@FunctionalInterface
public interface Probe {

  Duration TIMEOUT = Duration.ofSeconds(15);

  Outcome send(Target target) throws Exception;

  /** Where the engine listens. */
  record Target(String host, int port) {
    String http() {
      return "http://" + host + ":" + port;
    }

    String ws() {
      return "ws://" + host + ":" + port;
    }
  }

  /**
   * What came back: an HTTP status and its body, or for a WebSocket the close code (0 while the
   * stream is still open) and the text of the error frame that preceded it, if any.
   */
  record Outcome(int status, String body) {
  }

  /** A request through the JDK client; {@code headers} alternate names and values. */
  static Probe http(String method, String path, String contentType, byte[] body, String... headers) {
    return target -> {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target.http() + path)).timeout(TIMEOUT);
      if (contentType != null) {
        b.header("Content-Type", contentType);
      }
      for (int i = 0; i < headers.length; i += 2) {
        b.header(headers[i], headers[i + 1]);
      }
      b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
      HttpResponse<String> r = Clients.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Outcome(r.statusCode(), r.body());
    };
  }

  static Probe http(String method, String path, String contentType, String body, String... headers) {
    return http(method, path, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
  }

  /**
   * Raw bytes on a fresh socket ({@code {HOST}} in them becomes the target's host:port), then the
   * answer, read until the server closes or a whole response (by its Content-Length) is in.
   */
  static Probe raw(byte[] request) {
    return target -> {
      byte[] bytes = new String(request, StandardCharsets.ISO_8859_1)
          .replace("{HOST}", target.host() + ":" + target.port()).getBytes(StandardCharsets.ISO_8859_1);
      try (java.net.Socket socket = new java.net.Socket(target.host(), target.port())) {
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return RawResponse.read(socket.getInputStream());
      }
    };
  }

  static Probe raw(String request) {
    return raw(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Opens a stream WebSocket at {@code pathAndQuery} that the engine must refuse with a close code. */
  static Probe wsRefused(String pathAndQuery, String... headers) {
    return wsSending(pathAndQuery, List.of(), headers);
  }

  /**
   * Opens a stream at {@code pathAndQuery}, sends {@code messages} once the stream is open (each a
   * list of frames: text {@code String}s or binary {@code byte[]}s, the last one final), then waits
   * for the close (or 1 s of silence: close code 0, still open).
   */
  static Probe wsSending(String pathAndQuery, List<List<Object>> messages, String... headers) {
    return target -> {
      CompletableFuture<Integer> closed = new CompletableFuture<>();
      StringBuilder errorFrame = new StringBuilder();
      StringBuilder partial = new StringBuilder();
      WebSocket.Builder builder = Clients.HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
      for (int i = 0; i < headers.length; i += 2) {
        builder.header(headers[i], headers[i + 1]);
      }
      WebSocket ws = builder.buildAsync(URI.create(target.ws() + pathAndQuery), new WebSocket.Listener() {
        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
          partial.append(data);
          if (last) {
            String text = partial.toString();
            partial.setLength(0);
            if (text.startsWith("{\"error\"")) {
              synchronized (errorFrame) {
                errorFrame.append(text);
              }
            }
          }
          socket.request(1);
          return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
          closed.complete(statusCode);
          return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
          closed.complete(1006);
        }
      }).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      try {
        for (List<Object> frames : messages) {
          for (int i = 0; i < frames.size(); i++) {
            boolean last = i == frames.size() - 1;
            Object f = frames.get(i);
            if (f instanceof String s) {
              ws.sendText(s, last).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } else {
              ws.sendBinary(ByteBuffer.wrap((byte[]) f), last).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
          }
        }
      } catch (Exception e) {
        // the server may close while frames are still going out; the close code tells
      }
      int code;
      try {
        code = closed.get(messages.isEmpty() ? TIMEOUT.toMillis() : 1_000, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        code = 0;
      } finally {
        ws.abort();
      }
      synchronized (errorFrame) {
        return new Outcome(code, errorFrame.toString());
      }
    };
  }

  /** Frames of one message, for {@link #wsSending}. */
  static List<Object> message(Object... frames) {
    return List.of(frames);
  }

  /** Shared clients; held here so that the garbage collector never closes one mid-test. */
  final class Clients {
    static final HttpClient HTTP = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();

    private Clients() {
    }
  }

  /** Reads one HTTP/1.1 response off a socket, no more: enough to check a refusal. */
  final class RawResponse {
    private RawResponse() {
    }

    static Outcome read(java.io.InputStream in) throws java.io.IOException {
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int headEnd = -1;
      long contentLength = -1;
      while (true) {
        int n;
        try {
          n = in.read(buf);
        } catch (java.net.SocketException e) {
          n = -1;  // reset by the server after its answer
        }
        if (n < 0) {
          break;
        }
        got.write(buf, 0, n);
        String text = got.toString(StandardCharsets.ISO_8859_1);
        if (headEnd < 0 && (headEnd = text.indexOf("\r\n\r\n")) >= 0) {
          for (String line : text.substring(0, headEnd).split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
              contentLength = Long.parseLong(line.substring(15).trim());
            }
          }
        }
        if (headEnd >= 0 && contentLength >= 0 && got.size() >= headEnd + 4 + contentLength) {
          break;
        }
      }
      String text = got.toString(StandardCharsets.UTF_8);
      if (!text.startsWith("HTTP/")) {
        return new Outcome(-1, text);  // closed without an answer
      }
      int split = text.indexOf("\r\n\r\n");
      String status = text.substring(0, text.indexOf("\r\n")).split(" ")[1];
      return new Outcome(Integer.parseInt(status), split < 0 ? "" : text.substring(split + 4));
    }
  }

  /** Splits {@code bytes} into frames of at most {@code size} bytes, as text or binary. */
  static List<Object> fragments(int total, int size, boolean binary) {
    List<Object> frames = new ArrayList<>();
    for (int sent = 0; sent < total; sent += size) {
      int n = Math.min(size, total - sent);
      frames.add(binary ? new byte[n] : "x".repeat(n));
    }
    return frames;
  }
}
