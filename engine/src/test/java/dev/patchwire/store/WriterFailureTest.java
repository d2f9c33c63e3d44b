package dev.patchwire.store;

import static dev.patchwire.testing.Rest.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.testing.Rest;
import dev.patchwire.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A database that fails under the writer leaves a commit's outcome unknown. The writer must stop
 * (503, /health 503, the fatal hook that makes Main exit) rather than guess: guessing could reuse
 * a seq or leave a committed change unstreamed.
 */
@DisplayName("When the database fails under the writer")
class WriterFailureTest {

  @Test
  @DisplayName("writes answer 503, /health answers 503, and the fatal hook fires once")
  void writerStops() throws Exception {
    try (TestServer server = TestServer.start()) {
      Rest rest = new Rest(server.baseUrl());
      rest.put("items", "a", obj("n", 1)).expect(201);
      CompletableFuture<Throwable> fatal = new CompletableFuture<>();
      server.server().onFatal(fatal::complete);

      // Close the embedded database under the engine, as H2 does itself after an internal error.
      String url = "jdbc:h2:file:" + server.dataDir().toAbsolutePath().resolve("patchwire")
          + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;OPTIMIZE_REUSE_RESULTS=FALSE";
      try (Connection c = DriverManager.getConnection(url, "sa", "")) {
        c.createStatement().execute("SHUTDOWN");
      }

      Rest.Response failed = rest.put("items", "b", obj("n", 2));
      assertEquals(503, failed.status(), "the write that met the failure: " + failed.body());
      assertTrue(failed.body().contains("\"unavailable\""), failed.body());
      assertTrue(fatal.get(10, TimeUnit.SECONDS) != null, "the fatal hook fired");
      assertEquals(503, rest.put("items", "c", obj("n", 3)).status(), "later writes are refused too");
      Rest.Response health = rest.send("GET", "/health", null, null);
      assertEquals(503, health.status(), "/health tells a supervisor");
      assertTrue(health.body().contains("\"writer_stopped\""), "and says why: " + health.body());
    }
  }
}
