package dev.patchwire.server;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/** {@code java -jar patchwire.jar [flags]}: starts the engine and stops it cleanly on SIGTERM. */
public final class Main {

  /** Held here: JUL keeps loggers weakly, and a collected one forgets its level. */
  private static final java.util.logging.Logger MICROMETER_LOG =
      java.util.logging.Logger.getLogger("io.micrometer.core.instrument");

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    // H2 writes its chunks from heap buffers; the JDK then keeps a direct copy of the largest one
    // per thread, and the database runs on many worker threads. Cap that cache (unless the
    // operator set it), or large documents exhaust direct memory (seen by the torture test).
    if (System.getProperty("jdk.nio.maxCachedBufferSize") == null) {
      System.setProperty("jdk.nio.maxCachedBufferSize", String.valueOf(256 * 1024));
    }
    if (args.length > 0 && (args[0].equals("record") || args[0].equals("replay"))) {
      // client-side tools that ship in the same jar: record a stream, replay a recording
      System.exit(dev.patchwire.tools.StreamTool.run(args));
      return;
    }
    if (args.length > 0 && args[0].equals("token")) {
      System.exit(dev.patchwire.auth.TokenCommand.run(args, System.getenv(), System.out, System.err));
      return;
    }
    EngineOptions options;
    try {
      if (java.util.Arrays.asList(args).contains("--help")) {
        System.out.println(EngineOptions.USAGE);
        return;
      }
      options = EngineOptions.fromArgs(System.getenv(), args);
    } catch (IllegalArgumentException e) {
      System.err.println("patchwire: " + e.getMessage());
      System.err.println(EngineOptions.USAGE);
      System.exit(2);
      return;
    }

    // Vert.x registers its per-consumer event-bus gauges once per event loop; Micrometer warns
    // about the (harmless) duplicates at start-up. Keep real warnings, drop that one.
    MICROMETER_LOG.setLevel(java.util.logging.Level.SEVERE);
    var registry = EngineMetrics.newRegistry();
    Vertx vertx = EngineMetrics.vertx(registry);
    PatchwireServer server;
    try {
      server = PatchwireServer.start(vertx, options, registry)
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("patchwire: could not start: " + cause);
      vertx.close();
      System.exit(1);
      return;
    }
    server.onFatal(e -> {
      // Exit (running the shutdown hook) so that a supervisor restarts on the durable state;
      // clients reconnect with since and get exactly what they missed.
      System.err.println("patchwire: the database failed during a commit, exiting: " + e);
      new Thread(() -> System.exit(70), "patchwire-fatal-exit").start();
    });
    System.out.println("patchwire listening on http://" + options.host() + ":" + server.port()
        + " (data " + options.dataDir().toAbsolutePath() + ", epoch " + server.epoch() + "); "
        + server.auth().describe());
    if (options.printDemoToken()) {
      String token = dev.patchwire.auth.TokenCommand.mint(vertx, options.jwtSecret(),
          dev.patchwire.auth.TokenCommand.demoClaims(), 24 * 3600);
      System.out.println("patchwire demo token (24 h, the demo project): " + token);
      System.out.println("  board: http://" + options.host() + ":" + server.port() + "/?token=" + token);
    }
    System.out.flush();

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close().eventually(vertx::close)
            .toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("patchwire: unclean shutdown: " + e);
      }
    }, "patchwire-shutdown"));
  }
}
