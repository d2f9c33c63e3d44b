package dev.patchwire.server;

import dev.patchwire.Patchwire;
import dev.patchwire.impl.Engine;
import dev.patchwire.impl.EngineMetrics;
import dev.patchwire.impl.EngineOptions;
import dev.patchwire.impl.PatchwireImpl;
import dev.patchwire.impl.Version;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.BindException;
import java.net.InetAddress;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar patchwire.jar [flags]}: starts the engine and stops it cleanly on SIGTERM.
 * The engine is the library's ({@link Patchwire}, served by {@link Patchwire#listen}); only the
 * settings the library does not offer (the kanban demo, auth, PostgreSQL, every limit) and the
 * parts this class logs come through the internal {@link PatchwireImpl#forServer}.
 *
 * <p>Exit codes: 0 after --help or --version; 1 could not start for another reason; 2 bad usage;
 * 70 the database failed during a commit (restart it); 73 the data folder is in use by another
 * engine; 75 the port is in use; 128 + N after signal N (143 after SIGTERM, as every JVM).
 */
public final class Main {

  public static final int EXIT_START_FAILED = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_DATABASE_FAILED = 70;
  public static final int EXIT_DATA_IN_USE = 73;
  public static final int EXIT_PORT_IN_USE = 75;

  /** H2's "Database may be already in use" (ErrorCode.DATABASE_ALREADY_OPEN_1). */
  private static final int H2_DATABASE_ALREADY_OPEN = 90020;

  /** Why the engine stops, for the shutdown log line; a signal handler or the fatal path sets it. */
  private static volatile String stopReason = "the JVM is exiting";

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
    List<String> argList = List.of(args);
    if (argList.contains("--help") || argList.contains("-h")) {
      System.out.println(EngineOptions.help());
      return;
    }
    if (argList.contains("--version")) {
      System.out.println("patchwire " + Version.current());
      return;
    }
    EngineOptions options;
    try {
      options = EngineOptions.fromArgs(System.getenv(), args);
    } catch (IllegalArgumentException e) {
      System.err.println("patchwire: " + e.getMessage());
      System.err.println("(java -jar patchwire.jar --help lists the options)");
      System.exit(EXIT_USAGE);
      return;
    }

    Logging.configure(options.logLevel(), options.logFormat());
    Logger log = LoggerFactory.getLogger(Main.class);
    log.info("patchwire {} starting: node {}, pid {}, Java {}, max heap {} MiB", Version.current(),
        nodeName(), ProcessHandle.current().pid(), Runtime.version(),
        Runtime.getRuntime().maxMemory() >> 20);
    EngineOptions.unknownEnv(System.getenv()).forEach(name ->
        log.warn("{} is set but is no option (see --help); ignored", name));

    var registry = EngineMetrics.newRegistry();
    Vertx vertx = EngineMetrics.vertx(registry);
    PatchwireImpl pw = PatchwireImpl.forServer(vertx, options, registry);
    Engine server;
    int port;
    try {
      port = pw.ready().compose(v -> pw.listen(options.port()))
          .recover(e -> pw.close().transform(x -> Future.failedFuture(e)))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      server = pw.engine().result();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      int code = EXIT_START_FAILED;
      String message = "could not start: " + cause;
      if (isPortInUse(cause)) {
        code = EXIT_PORT_IN_USE;
        message = "port " + options.port() + " on " + options.host()
            + " is already in use (another engine or program listens there); stop it or choose another --port";
      } else if (isDataInUse(cause)) {
        code = EXIT_DATA_IN_USE;
        message = "the data folder " + options.dataDir().toAbsolutePath()
            + " is in use by another engine (H2 locks its file); stop that one or choose another --data";
      }
      log.error(message, code == EXIT_START_FAILED ? cause : null);
      vertx.close();
      System.exit(code);
      return;
    }
    server.onFatal(e -> {
      // Exit (running the shutdown hook) so that a supervisor restarts on the durable state;
      // clients reconnect with since and get exactly what they missed.
      stopReason = "the database failed during a commit (exit " + EXIT_DATABASE_FAILED + ")";
      log.error("the database failed during a commit, exiting with " + EXIT_DATABASE_FAILED
          + " so that a supervisor restarts the engine", e);
      new Thread(() -> System.exit(EXIT_DATABASE_FAILED), "patchwire-fatal-exit").start();
    });
    ListenAddress address = ListenAddress.of(options.host(), port);
    // not "listening on": scripts look for that on stdout, in the line below
    log.info("reachable at {}{} (transport {})", String.join(", ", address.urls()),
        address.wildcard() ? " (bound to " + options.host() + ": every interface)" : "",
        EngineMetrics.transport(vertx));
    log.info("store: {} (epoch {}, seq {}), collections {}, node {}",
        server.storeDescription(), server.epoch(), server.committedSeq(), server.collections(),
        server.nodeId());
    log.info(server.auth().describe());
    // Tests and scripts read this line: keep its shape.
    System.out.println("patchwire listening on " + address.urls().get(0)
        + " (data " + (options.databaseUrl() == null ? options.dataDir().toAbsolutePath()
            : EngineOptions.redact(options.databaseUrl()))
        + ", epoch " + server.epoch() + ", node " + server.nodeId() + "); "
        + server.auth().describe());
    if (options.printDemoToken()) {
      String token = dev.patchwire.auth.TokenCommand.mint(vertx, options.jwtSecret(),
          dev.patchwire.auth.TokenCommand.demoClaims(), 24 * 3600);
      System.out.println("patchwire demo token (24 h, the demo project): " + token);
      System.out.println("  board: " + address.urls().get(0) + "/?token=" + token);
    }
    System.out.flush();

    for (String signal : List.of("TERM", "INT", "HUP")) {
      onSignal(signal);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      long started = System.nanoTime();
      long streams = server.streams().admission().openCount();
      log.info("stopping ({}): closing {} streams with 1001, then the database", stopReason, streams);
      try {
        pw.close().eventually(vertx::close)
            .toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
        log.info("stopped: {} streams closed in {} ms", streams, (System.nanoTime() - started) / 1_000_000);
      } catch (Exception e) {
        log.error("unclean shutdown", e);
      }
      // Logback stops with the JVM; make sure the last lines are out.
      System.err.flush();
    }, "patchwire-shutdown"));
  }

  /**
   * Notes which signal stops the engine, then exits as the JVM would (128 + N: the shutdown hook
   * runs). A signal the process was started with ignored stays ignored (nohup, background jobs).
   */
  private static void onSignal(String name) {
    try {
      sun.misc.Signal signal = new sun.misc.Signal(name);
      // HotSpot leaves a signal the process started with ignored alone (this installs nothing then)
      sun.misc.Signal.handle(signal, s -> {
        stopReason = "SIG" + name;
        System.exit(128 + s.getNumber());
      });
    } catch (IllegalArgumentException unavailable) {
      // the JVM uses it (-Xrs), or this OS has no such signal: the JVM's default stays
    }
  }

  private static String nodeName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static boolean isPortInUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isDataInUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getErrorCode() == H2_DATABASE_ALREADY_OPEN) {
        return true;
      }
    }
    return false;
  }
}
