package dev.patchwire.testing;

import dev.patchwire.impl.Engine;
import dev.patchwire.impl.EngineMetrics;
import dev.patchwire.impl.EngineOptions;
import dev.patchwire.impl.PatchwireImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * An in-process engine on a free loopback port with a fresh H2 database in a temp folder, or,
 * with {@code -Dpatchwire.test.store=postgresql}, a fresh database of the test PostgreSQL
 * ({@link TestPostgres}): the same tests then prove the same guarantees on the other store.
 * Owns its own Vertx so that tests can close it and start another on the same data. Started as
 * the server's Main starts it: {@link PatchwireImpl#forServer}, then {@code listen}.
 */
public final class TestServer implements AutoCloseable {

  private final Vertx vertx;
  private final PatchwireImpl engine;
  private final Engine server;
  private final int port;
  private final EngineOptions options;

  private TestServer(Vertx vertx, PatchwireImpl engine, int port, EngineOptions options) {
    this.vertx = vertx;
    this.engine = engine;
    this.server = engine.engine().result();
    this.port = port;
    this.options = options;
  }

  /** The store the tests run on: {@code -Dpatchwire.test.store=h2} (default) or {@code postgresql}. */
  public static final String STORE = System.getProperty("patchwire.test.store", "h2");

  /** True when this run's tests use PostgreSQL. */
  public static boolean onPostgres() {
    return STORE.equals("postgresql");
  }

  /**
   * Port 0, a new temp data dir (and a new PostgreSQL database when the run uses it), kanban
   * collections without seed data, plus collection "items".
   */
  public static EngineOptions defaults() {
    try {
      EngineOptions o = new EngineOptions()
          .setPort(0)
          .setDataDir(Files.createTempDirectory("patchwire-test"))
          .setSeedDemo(false)
          .addCollection("items", null);
      if (onPostgres()) {
        o.setDatabaseUrl(TestPostgres.shared().newDatabaseUrl());
      }
      return o;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static TestServer start() {
    return start(defaults());
  }

  public static TestServer start(EngineOptions options) {
    Vertx vertx = Vertx.vertx();
    try {
      PatchwireImpl engine = PatchwireImpl.forServer(vertx, options, EngineMetrics.newRegistry());
      int port = engine.ready().compose(v -> engine.listen(options.port()))
          .recover(e -> engine.close().transform(x -> Future.failedFuture(e)))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new TestServer(vertx, engine, port, options);
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException("server did not start", e);
    }
  }

  /** Stops this server and starts a new one on the same data dir (and a new free port). */
  public TestServer restart() {
    close();
    return start(new EngineOptions(options).setPort(0));
  }

  public Vertx vertx() { return vertx; }
  public Engine server() { return server; }
  public EngineOptions options() { return options; }
  public int port() { return port; }
  public String epoch() { return server.epoch(); }
  public String baseUrl() { return "http://127.0.0.1:" + port(); }
  public Path dataDir() { return options.dataDir(); }

  @Override
  public void close() {
    try {
      engine.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("server did not close", e);
    } finally {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // the engine is gone either way; a slow Vertx close only delays the next test
      }
    }
  }
}
