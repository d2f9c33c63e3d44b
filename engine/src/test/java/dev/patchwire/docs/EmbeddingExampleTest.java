package dev.patchwire.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.ProcessServer;
import dev.patchwire.wire.Position;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/embedding.md's example, taken from the markdown (so the two cannot drift), compiled
 * against the engine's classes and run in its own JVM, with a free port written in for 8080: its
 * own route answers, and a write its route makes through the Java API arrives on a WebSocket
 * stream of the mounted engine.
 */
@DisplayName("docs/embedding.md's example")
class EmbeddingExampleTest {

  private static final Path DOC = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/embedding.md");

  @TempDir
  Path tmp;

  @Test
  @DisplayName("compiles, serves its own route beside the engine's, and its Java write reaches a WebSocket stream")
  void exampleRuns() throws Exception {
    Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(DOC));
    assertTrue(m.find(), "no java block in " + DOC);
    String source = m.group(1);
    Matcher cls = Pattern.compile("public class (\\w+)").matcher(source);
    assertTrue(cls.find());
    int lines = (int) source.lines().count();
    assertTrue(lines <= 25, "the example is " + lines + " lines");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path file = tmp.resolve(cls.group(1) + ".java");
    Files.writeString(file, source.replace("8080", Integer.toString(port)));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertEquals(0, javac.run(null, null, null, "-d", tmp.toString(), "-cp",
        System.getProperty("java.class.path"), file.toString()), "the example does not compile");

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path out = tmp.resolve("out.txt");
    Process app = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
        tmp + System.getProperty("path.separator") + System.getProperty("java.class.path"), cls.group(1))
        .directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      awaitFile(out, l -> l.contains("notes app on http://127.0.0.1:" + port), app);
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      assertEquals("hello from the app", http.send(HttpRequest.newBuilder(URI.create(base + "/hello")).build(),
          HttpResponse.BodyHandlers.ofString()).body());

      List<String> messages = new CopyOnWriteArrayList<>();
      WebSocket ws = http.newWebSocketBuilder().buildAsync(
          URI.create("ws://127.0.0.1:" + port + "/sync/api/collections/notes/stream/ws"), new WebSocket.Listener() {
            final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
              partial.append(data);
              if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
              }
              socket.request(1);
              return null;
            }
          }).get(20, TimeUnit.SECONDS);
      await(messages, msg -> msg.startsWith("{\"Ready\""), out);
      assertTrue(messages.get(0).contains("\"snapshot\":true"), messages.toString());

      HttpResponse<String> written = http.send(HttpRequest.newBuilder(URI.create(base + "/notes/n1"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, written.statusCode(), written.body());
      long seq = Position.require(written.body()).seq();
      String live = await(messages, msg -> msg.contains("/notes/n1"), out);
      assertTrue(live.contains("written from Java") && live.contains("\"seq\":" + seq), live);
      ws.abort();

      HttpResponse<String> rest = http.send(HttpRequest.newBuilder(
          URI.create(base + "/sync/api/collections/notes/docs/n1")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, rest.statusCode(), rest.body());
      assertTrue(rest.body().contains("written from Java"), rest.body());
    } finally {
      app.destroyForcibly();
      app.waitFor(20, TimeUnit.SECONDS);
      ProcessServer.deleteTree(tmp.resolve("notes-data"));
    }
  }

  private static String await(List<String> messages, Predicate<String> p, Path out) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      for (String msg : messages) {
        if (p.test(msg)) {
          return msg;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no such message in " + messages + "; the example printed:\n" + Files.readString(out));
  }

  private static void awaitFile(Path out, Predicate<String> p, Process app) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(out) && Files.readAllLines(out).stream().anyMatch(p)) {
        return;
      }
      assertNotNull(app);
      if (!app.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the example did not start:\n" + (Files.exists(out) ? Files.readString(out) : ""));
  }
}
