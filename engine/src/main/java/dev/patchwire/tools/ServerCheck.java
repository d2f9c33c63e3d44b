package dev.patchwire.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.patchwire.json.Json;
import dev.patchwire.wire.Position;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code replay --against BASEURL}: reads {@code GET {base}/api/collections/{c}/docs[?where=...]}
 * and compares it with a replay's document.
 *
 * <p>The two are compared only when the server answers at exactly the replay's position: same
 * epoch, and a {@code Patchwire-Seq} equal to the replay's seq. The engine's seq counts every
 * change of the whole store, so once anything has been written after the recording's last message
 * (to any collection) the server's state is at a later seq than the recording knows, and equality
 * could neither be required nor proven. That case is {@link Verdict#MOVED_ON}, told apart from a
 * real difference; the tool then says whether the documents happen to be equal, for information.
 */
public final class ServerCheck {

  /** The outcome, each with its own exit code in {@link StreamTool}. */
  public enum Verdict {
    /** Same position, same documents. */
    EQUAL,
    /** Same position, different documents: the stream and the store disagree. */
    DIFFERENT,
    /** The server is behind the recording's position in the same epoch: acknowledged changes are gone. */
    BEHIND,
    /** The server has moved past the recording's position: not compared. */
    MOVED_ON,
    /** The server is in another epoch (a fresh database): not comparable. */
    OTHER_EPOCH
  }

  public record Result(Verdict verdict, String message, String serverEpoch, long serverSeq, JsonNode serverDocs) {}

  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10))
      .build();

  private ServerCheck() {
  }

  /** Fetches the server's filtered collection and judges it against {@code replay}. */
  public static Result check(String baseUrl, ReplayResult replay) throws IOException, InterruptedException {
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    String url = base + "/api/collections/" + encode(replay.collection()) + "/docs"
        + (replay.where() == null ? "" : "?where=" + encode(replay.where()));
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 200) {
      throw new IOException("GET " + url + " answered " + r.statusCode() + ": " + r.body());
    }
    String position = r.headers().firstValue("Patchwire-Seq")
        .orElseThrow(() -> new IOException("GET " + url + " has no Patchwire-Seq header"));
    Position server = Position.parse(position);
    if (server == null) {
      throw new IOException("GET " + url + " answered a Patchwire-Seq that is not EPOCH:SEQ: " + position);
    }
    JsonNode serverDocs = Json.parse(r.body()).get(replay.collection());
    return judge(replay, server.epoch(), server.seq(), serverDocs);
  }

  /** The verdict for a server at {@code serverEpoch:serverSeq} holding {@code serverDocs}. */
  public static Result judge(ReplayResult replay, String serverEpoch, long serverSeq, JsonNode serverDocs) {
    JsonNode mine = replay.docs() == null ? Json.object() : replay.docs();
    List<String> differences = differences(mine, serverDocs == null ? Json.object() : serverDocs);
    String at = "server at " + serverEpoch + ":" + serverSeq + ", recording at " + replay.position();
    if (replay.epoch() == null) {
      return new Result(Verdict.OTHER_EPOCH, "the recording holds no position (no snapshot); not compared", serverEpoch, serverSeq, serverDocs);
    }
    if (!serverEpoch.equals(replay.epoch())) {
      return new Result(Verdict.OTHER_EPOCH, at + ": a different epoch (another database); not compared",
          serverEpoch, serverSeq, serverDocs);
    }
    if (serverSeq > replay.seq()) {
      return new Result(Verdict.MOVED_ON, at + ": the server has moved on past the recording's last seq;"
          + " not compared (the documents " + (differences.isEmpty() ? "happen to be equal" : "differ now: " + summary(differences)) + ")",
          serverEpoch, serverSeq, serverDocs);
    }
    if (serverSeq < replay.seq()) {
      return new Result(Verdict.BEHIND, at + ": the server is BEHIND the recording in the same epoch:"
          + " changes the stream delivered are missing from the store", serverEpoch, serverSeq, serverDocs);
    }
    if (differences.isEmpty()) {
      return new Result(Verdict.EQUAL, at + ": equal (" + mine.size() + " documents)", serverEpoch, serverSeq, serverDocs);
    }
    return new Result(Verdict.DIFFERENT, at + ": DIFFERENT: " + summary(differences), serverEpoch, serverSeq, serverDocs);
  }

  /** One line per document id that differs: missing on one side, or another content. */
  static List<String> differences(JsonNode mine, JsonNode server) {
    TreeSet<String> ids = new TreeSet<>();
    mine.fieldNames().forEachRemaining(ids::add);
    server.fieldNames().forEachRemaining(ids::add);
    List<String> out = new ArrayList<>();
    for (String id : ids) {
      JsonNode a = mine.get(id);
      JsonNode b = server.get(id);
      if (a == null) {
        out.add(id + ": only on the server");
      } else if (b == null) {
        out.add(id + ": only in the recording");
      } else if (!equalJson(a, b)) {
        out.add(id + ": recording " + a + " vs server " + b);
      }
    }
    return out;
  }

  private static String summary(List<String> differences) {
    List<String> shown = differences.subList(0, Math.min(10, differences.size()));
    return differences.size() + " document(s): " + String.join("; ", shown)
        + (differences.size() > shown.size() ? "; ..." : "");
  }

  /** JSON equality, numbers by value (1 equals 1.0), members in any order. */
  public static boolean equalJson(JsonNode a, JsonNode b) {
    return a.equals(NUMBERS_BY_VALUE, b);
  }

  private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (x, y) -> {
    if (x.equals(y)) {
      return 0;
    }
    if (x.isNumber() && y.isNumber()) {
      return x.decimalValue().compareTo(y.decimalValue());
    }
    return 1;
  };

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
