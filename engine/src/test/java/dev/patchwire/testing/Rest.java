package dev.patchwire.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.wire.Position;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * A tiny blocking REST client for the engine's HTTP API (PROTOCOL.md section 2). One instance is
 * one JDK {@link HttpClient} (its own connection pool), so several instances are several clients.
 */
public final class Rest {

  public static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String baseUrl;
  private final HttpClient http;
  /** Sent as {@code Authorization: Bearer} on every request, or null. */
  private final String bearer;

  public Rest(String baseUrl) {
    this(baseUrl, null);
  }

  /** A client that sends {@code Authorization: Bearer token} (null: no header). */
  public Rest(String baseUrl, String token) {
    this.baseUrl = baseUrl;
    this.bearer = token;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** One answer: status, headers and the body as text (parsed on demand). */
  public record Response(String method, String uri, int status, HttpResponse<String> raw) {

    public String body() {
      return raw.body();
    }

    public JsonNode json() {
      return parse(raw.body());
    }

    public Optional<String> header(String name) {
      return raw.headers().firstValue(name);
    }

    /** Fails unless the status is 2xx. */
    public Response ok() {
      if (status / 100 != 2) {
        fail(method + " " + uri + " answered " + status + ": " + body());
      }
      return this;
    }

    public Response expect(int expected) {
      if (status != expected) {
        fail(method + " " + uri + " answered " + status + " (expected " + expected + "): " + body());
      }
      return this;
    }

    /** The {@code Patchwire-Seq} header, {@code EPOCH:SEQ}; fails when absent. */
    public String position() {
      return header("Patchwire-Seq").orElseGet(() -> {
        fail(method + " " + uri + " has no Patchwire-Seq header");
        return null;
      });
    }

    public long seq() {
      return Position.require(position()).seq();
    }

    public String epoch() {
      return Position.require(position()).epoch();
    }
  }

  public String baseUrl() {
    return baseUrl;
  }

  public Response post(String collection, JsonNode doc) {
    return send("POST", docs(collection), "application/json", doc.toString());
  }

  public Response put(String collection, String id, JsonNode doc) {
    return send("PUT", doc(collection, id), "application/json", doc.toString());
  }

  public Response patch(String collection, String id, JsonNode patch) {
    return send("PATCH", doc(collection, id), "application/json-patch+json", patch.toString());
  }

  public Response delete(String collection, String id) {
    return send("DELETE", doc(collection, id), null, null);
  }

  public Response get(String collection, String id) {
    return send("GET", doc(collection, id), null, null);
  }

  /** {@code GET /api/collections/{c}/docs}: {@code {"c":{...},"seq":S}}. */
  public Response list(String collection) {
    return send("GET", docs(collection), null, null);
  }

  public Response list(String collection, String where) {
    return send("GET", docs(collection) + "?where=" + encode(where), null, null);
  }

  public JsonNode stats() {
    return send("GET", "/api/stats", null, null).expect(200).json();
  }

  public Response send(String method, String path, String contentType, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT);
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(method, path, r.statusCode(), r);
    } catch (IOException e) {
      throw new AssertionError(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public static String docs(String collection) {
    return "/api/collections/" + collection + "/docs";
  }

  public static String doc(String collection, String id) {
    return docs(collection) + "/" + encode(id);
  }

  /** Percent-encodes a path segment or query value: {@code a/b} -> {@code a%2Fb}, space -> {@code %20}. */
  public static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** RFC 6901 escaping of one pointer segment: {@code ~} -> {@code ~0}, {@code /} -> {@code ~1}. */
  public static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }

  public static JsonNode parse(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  /** {@code obj("title","x","n",42)}: an object from alternating names and values. */
  public static ObjectNode obj(Object... namesAndValues) {
    ObjectNode o = MAPPER.createObjectNode();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      o.set((String) namesAndValues[i], node(namesAndValues[i + 1]));
    }
    return o;
  }

  /** A Jackson node for a Java value; null becomes JSON null. */
  public static JsonNode node(Object value) {
    return value == null ? MAPPER.nullNode() : MAPPER.valueToTree(value);
  }

  /** A patch array from op objects. */
  public static ArrayNode patch(ObjectNode... ops) {
    ArrayNode a = MAPPER.createArrayNode();
    for (ObjectNode op : ops) {
      a.add(op);
    }
    return a;
  }

  public static ObjectNode op(String op, String path, Object value) {
    ObjectNode o = obj("op", op, "path", path);
    if (!"remove".equals(op)) {
      o.set("value", node(value));
    }
    return o;
  }
}
