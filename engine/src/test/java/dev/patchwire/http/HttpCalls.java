package dev.patchwire.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.patchwire.testing.WireSchemas;
import dev.patchwire.wire.Position;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Blocking HTTP calls to the engine's REST API over 127.0.0.1 with the JDK client, keeping the
 * raw status, headers and body so that tests can check exactly what a client would see.
 */
final class HttpCalls {

  static final String JSON = "application/json";
  static final String JSON_PATCH = "application/json-patch+json";
  private static final Pattern POSITION = Pattern.compile("^(.+):(0|[1-9][0-9]*)$");
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final String baseUrl;
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10))
      .build();

  HttpCalls(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** One answer as a client sees it. */
  record Reply(String request, int status, HttpResponse<String> raw) {

    String body() {
      return raw.body();
    }

    Optional<String> header(String name) {
      return raw.headers().firstValue(name);
    }

    JsonObject json() {
      try {
        return new JsonObject(raw.body());
      } catch (DecodeException | ClassCastException e) {
        throw new AssertionError(request + " answered " + status + " with a body that is not a JSON object: " + raw.body(), e);
      }
    }

    Reply expect(int expected) {
      if (status != expected) {
        fail(request + " answered " + status + " (expected " + expected + "): " + raw.body()
            + " headers " + raw.headers().map());
      }
      return this;
    }

    /** The {@code Patchwire-Seq} header: present, {@code EPOCH:SEQ}. */
    String position() {
      String p = header("Patchwire-Seq").orElse(null);
      if (p == null) {
        fail(request + " answered " + status + " without a Patchwire-Seq header; headers " + raw.headers().map());
      }
      assertTrue(POSITION.matcher(p).matches(), request + ": Patchwire-Seq is not EPOCH:SEQ: '" + p + "'");
      return p;
    }

    long seq() {
      return Position.require(position()).seq();
    }

    String epoch() {
      return Position.require(position()).epoch();
    }

    /** The {@code ETag} header's seq: {@code "<seq>"}. */
    long etagSeq() {
      String etag = header("ETag").orElse(null);
      if (etag == null) {
        fail(request + " answered " + status + " without an ETag header; headers " + raw.headers().map());
      }
      assertTrue(etag.matches("^\"(0|[1-9][0-9]*)\"$"), request + ": ETag is not \"<seq>\": " + etag);
      return Long.parseLong(etag.substring(1, etag.length() - 1));
    }

    /**
     * Asserts an error answer: exact status, a JSON content type, a body valid against
     * error.schema.json and the exact error code. Returns the inner error object.
     */
    JsonObject assertError(int expectedStatus, String code) {
      expect(expectedStatus);
      String type = header("Content-Type").orElse("");
      assertTrue(type.toLowerCase().startsWith(JSON), request + ": error body is not application/json but '" + type + "': " + body());
      JsonObject body = json();
      WireSchemas.assertValidErrorBody(body);
      assertEquals(code, body.getJsonObject("error").getString("code"), request + " error code; body " + body.encode());
      return body.getJsonObject("error");
    }
  }

  String baseUrl() {
    return baseUrl;
  }

  Reply send(String method, String path, String contentType, String body, String... headers) {
    return sendBytes(method, path, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
  }

  Reply sendBytes(String method, String path, String contentType, byte[] body, String... headers) {
    return sendWith(method, path, contentType,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body), headers);
  }

  /** Sends {@code body} with chunked transfer encoding: no Content-Length up front. */
  Reply sendChunked(String method, String path, String contentType, byte[] body, String... headers) {
    return sendWith(method, path, contentType,
        HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)), headers);
  }

  private Reply sendWith(String method, String path, String contentType, HttpRequest.BodyPublisher publisher,
      String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT);
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(method, publisher);
    String request = method + " " + path;
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(request, r.statusCode(), r);
    } catch (IOException e) {
      throw new AssertionError(request + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** An answer read off a plain socket: for requests the JDK client refuses to send. */
  record RawReply(String request, int status, String contentType, String body) {

    /** Asserts the status and a JSON error body valid against error.schema.json; returns the error object. */
    JsonObject assertJsonError(int expectedStatus) {
      assertEquals(expectedStatus, status, request + " answered " + status + ": " + body);
      assertTrue(contentType.toLowerCase().startsWith(JSON), request + ": error body is '" + contentType + "': " + body);
      JsonObject json;
      try {
        json = new JsonObject(body);
      } catch (DecodeException e) {
        throw new AssertionError(request + ": error body is not a JSON object: " + body, e);
      }
      WireSchemas.assertValidErrorBody(json);
      return json.getJsonObject("error");
    }
  }

  /**
   * Sends one HTTP/1.1 request with {@code target} written exactly as given (it may hold malformed
   * percent-encoding), then reads the answer until the server closes.
   */
  RawReply raw(String method, String target, String contentType, String body) {
    URI base = URI.create(baseUrl);
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder()
        .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n")
        .append("Connection: close\r\n");
    if (contentType != null) {
      head.append("Content-Type: ").append(contentType).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Length: ").append(bytes.length).append("\r\n");
    }
    head.append("\r\n");
    String request = method + " " + target;
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int split = answer.indexOf("\r\n\r\n");
      assertTrue(split > 0, request + ": no HTTP answer: " + answer);
      String[] lines = answer.substring(0, split).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      String type = "";
      for (String line : lines) {
        if (line.toLowerCase().startsWith("content-type:")) {
          type = line.substring("content-type:".length()).trim();
        }
      }
      return new RawReply(request, status, type, answer.substring(split + 4));
    } catch (IOException e) {
      throw new AssertionError(request + " failed: " + e, e);
    }
  }

  // ---- the calls of PROTOCOL.md 2 -----------------------------------------------------------

  Reply post(String c, JsonObject doc) {
    return send("POST", docs(c), JSON, doc.encode());
  }

  Reply put(String c, String id, JsonObject doc, String... headers) {
    return send("PUT", doc(c, id), JSON, doc.encode(), headers);
  }

  Reply patch(String c, String id, JsonArray patch, String... headers) {
    return send("PATCH", doc(c, id), JSON_PATCH, patch.encode(), headers);
  }

  Reply delete(String c, String id, String... headers) {
    return send("DELETE", doc(c, id), null, null, headers);
  }

  Reply get(String c, String id) {
    return send("GET", doc(c, id), null, null);
  }

  Reply list(String c) {
    return send("GET", docs(c), null, null);
  }

  Reply list(String c, String where) {
    return send("GET", docs(c) + "?where=" + encode(where), null, null);
  }

  static String docs(String c) {
    return "/api/collections/" + c + "/docs";
  }

  static String doc(String c, String id) {
    return docs(c) + "/" + encode(id);
  }

  /**
   * Percent-encodes a path segment or query value as RFC 3986 says: every byte of the UTF-8 form
   * except the unreserved characters {@code A-Z a-z 0-9 - . _ ~}. So {@code a/b} is {@code a%2Fb},
   * a space {@code %20} and {@code ~} stays literal.
   */
  static String encode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** RFC 6901 escaping of one pointer segment: {@code ~} as {@code ~0}, {@code /} as {@code ~1}. */
  static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }

  static JsonObject op(String op, String path, Object value) {
    return new JsonObject().put("op", op).put("path", path).put("value", value);
  }

  static JsonObject remove(String path) {
    return new JsonObject().put("op", "remove").put("path", path);
  }

  static JsonArray ops(JsonObject... ops) {
    JsonArray a = new JsonArray();
    for (JsonObject o : ops) {
      a.add(o);
    }
    return a;
  }
}
