package dev.patchwire.impl;

import dev.patchwire.http.AccessPolicy;
import dev.patchwire.auth.Auth;
import dev.patchwire.auth.Origins;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything an operator can set, with the defaults documented in the README. Setters validate
 * at once, so a bad value fails at start-up and not on the first request.
 */
public final class EngineOptions {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  public static final Path DEFAULT_DATA_DIR = Path.of("data");
  public static final long DEFAULT_HISTORY_BYTES = 64L << 20;
  public static final long DEFAULT_MAX_BODY_BYTES = 1L << 20;
  public static final long DEFAULT_SUBSCRIBER_BUFFER_BYTES = 1L << 20;
  public static final long DEFAULT_PING_INTERVAL_MILLIS = 30_000;
  public static final long DEFAULT_SSE_PING_INTERVAL_MILLIS = 15_000;
  public static final int DEFAULT_MAX_SUBSCRIBERS = 50_000;
  public static final Duration DEFAULT_LOG_RETENTION_AGE = Duration.ofDays(7);
  public static final long DEFAULT_LOG_RETENTION_BYTES = 256L << 20;
  public static final long DEFAULT_LOG_COMPACT_INTERVAL_MILLIS = 60_000;
  /** Hosts served when {@code --allowed-hosts} is not given, besides {@code --host}'s. */
  public static final List<String> DEFAULT_ALLOWED_HOSTS = List.of("localhost", "127.0.0.1", "[::1]");
  /** Without {@code --max-write-bytes-in-flight}: this fraction of the heap (-Xmx). */
  public static final int DEFAULT_WRITE_BUDGET_HEAP_DIVISOR = 16;
  public static final int DEFAULT_MAX_QUEUED_WRITES = 10_000;
  /** File descriptors kept free of connections (database files, jars, the JDK's own). */
  public static final int FD_RESERVE = 256;
  public static final int DEFAULT_MAX_CONNECTIONS_WITHOUT_FD_LIMIT = 10_000;
  public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 1_000;
  public static final long DEFAULT_HEADER_TIMEOUT_MILLIS = 10_000;
  public static final long DEFAULT_BODY_TIMEOUT_MILLIS = 30_000;
  public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 60_000;
  public static final String DEFAULT_LOG_LEVEL = "info";
  public static final String DEFAULT_LOG_FORMAT = "text";
  /** Every option may come from an environment variable: this prefix, then the flag's name. */
  public static final String ENV_PREFIX = "PATCHWIRE_";
  public static final int DEFAULT_MAX_INBOUND_FRAME_BYTES = 4096;
  public static final int DEFAULT_SNAPSHOT_READS = 4;
  public static final long DEFAULT_SNAPSHOT_TIMEOUT_MILLIS = 60_000;

  /** Collection names are path segments and SQL values: keep them plain. */
  public static final Pattern COLLECTION_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private String host = DEFAULT_HOST;
  /** postgresql://... to share one PostgreSQL with other nodes; null: H2 under {@link #dataDir}. */
  private String databaseUrl;
  /** This node's name in /health, /api/stats and the start-up line; null: host name and port. */
  private String nodeId;
  private int port = DEFAULT_PORT;
  private Path dataDir = DEFAULT_DATA_DIR;
  private long historyBytes = DEFAULT_HISTORY_BYTES;
  private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
  private long subscriberBufferBytes = DEFAULT_SUBSCRIBER_BUFFER_BYTES;
  private long pingIntervalMillis = DEFAULT_PING_INTERVAL_MILLIS;
  private long ssePingIntervalMillis = DEFAULT_SSE_PING_INTERVAL_MILLIS;
  private int maxSubscribers = DEFAULT_MAX_SUBSCRIBERS;
  private Duration logRetentionAge = DEFAULT_LOG_RETENTION_AGE;
  private long logRetentionBytes = DEFAULT_LOG_RETENTION_BYTES;
  private long logCompactIntervalMillis = DEFAULT_LOG_COMPACT_INTERVAL_MILLIS;
  /** 0 until set: then documents are bounded like bodies (see {@link #maxDocBytes()}). */
  private long maxDocBytes = 0;
  private int maxInboundFrameBytes = DEFAULT_MAX_INBOUND_FRAME_BYTES;
  private int snapshotReads = DEFAULT_SNAPSHOT_READS;
  private long snapshotTimeoutMillis = DEFAULT_SNAPSHOT_TIMEOUT_MILLIS;
  private boolean wsCompression = false;
  /** 5 ms: measured to pay under load (benchmarks/RESULTS.md, 2026-12-04 21:00); 0 turns it off. */
  public static final long DEFAULT_FLUSH_INTERVAL_MILLIS = 5;
  private long flushIntervalMillis = DEFAULT_FLUSH_INTERVAL_MILLIS;
  private boolean kanban = true;
  private boolean seedDemo = true;
  /** Origins allowed by CORS, normalized; {@code ["*"]} for any; empty (the default) for none. */
  private List<String> corsOrigins = List.of();
  /** Normalized host names, {@code ["*"]} for any; null for the default (see {@link #allowedHosts}). */
  private List<String> allowedHosts;
  /** 0 for the default: a fraction of the heap. */
  private long maxWriteBytesInFlight;
  private int maxQueuedWrites = DEFAULT_MAX_QUEUED_WRITES;
  /** 0 for the default: below the file-descriptor limit. */
  private int maxConnections;
  private int maxConnectionsPerIp = DEFAULT_MAX_CONNECTIONS_PER_IP;
  private long headerTimeoutMillis = DEFAULT_HEADER_TIMEOUT_MILLIS;
  private long bodyTimeoutMillis = DEFAULT_BODY_TIMEOUT_MILLIS;
  private long idleTimeoutMillis = DEFAULT_IDLE_TIMEOUT_MILLIS;
  private String logLevel = DEFAULT_LOG_LEVEL;
  private String logFormat = DEFAULT_LOG_FORMAT;
  /** Extra collections: name to schema file, or to null for "any JSON object". */
  private final Map<String, Path> collections = new LinkedHashMap<>();
  /** Schemas given as JSON rather than a file (the library API), by collection name. */
  private final Map<String, io.vertx.core.json.JsonObject> inlineSchemas = new LinkedHashMap<>();
  /** The HS256 secret, or null. */
  private String jwtSecret;
  /** A PEM public key file (RS256 or ES256), or null. */
  private Path jwtPublicKey;
  private String jwtIssuer;
  private String jwtAudience;
  /** 0: no limit. */
  private int maxWritesPerSecond;
  private boolean printDemoToken;

  /** The environment variable that may hold the HS256 secret (kept out of {@code ps}). */
  public static final String JWT_SECRET_ENV = "PATCHWIRE_JWT_SECRET";

  public EngineOptions() {
  }

  public EngineOptions(EngineOptions other) {
    host = other.host;
    port = other.port;
    dataDir = other.dataDir;
    databaseUrl = other.databaseUrl;
    nodeId = other.nodeId;
    historyBytes = other.historyBytes;
    maxBodyBytes = other.maxBodyBytes;
    subscriberBufferBytes = other.subscriberBufferBytes;
    pingIntervalMillis = other.pingIntervalMillis;
    ssePingIntervalMillis = other.ssePingIntervalMillis;
    maxSubscribers = other.maxSubscribers;
    logRetentionAge = other.logRetentionAge;
    logRetentionBytes = other.logRetentionBytes;
    logCompactIntervalMillis = other.logCompactIntervalMillis;
    maxDocBytes = other.maxDocBytes;
    maxInboundFrameBytes = other.maxInboundFrameBytes;
    snapshotReads = other.snapshotReads;
    snapshotTimeoutMillis = other.snapshotTimeoutMillis;
    wsCompression = other.wsCompression;
    flushIntervalMillis = other.flushIntervalMillis;
    kanban = other.kanban;
    seedDemo = other.seedDemo;
    corsOrigins = other.corsOrigins;
    allowedHosts = other.allowedHosts;
    maxWriteBytesInFlight = other.maxWriteBytesInFlight;
    maxQueuedWrites = other.maxQueuedWrites;
    maxConnections = other.maxConnections;
    maxConnectionsPerIp = other.maxConnectionsPerIp;
    headerTimeoutMillis = other.headerTimeoutMillis;
    bodyTimeoutMillis = other.bodyTimeoutMillis;
    idleTimeoutMillis = other.idleTimeoutMillis;
    logLevel = other.logLevel;
    logFormat = other.logFormat;
    collections.putAll(other.collections);
    inlineSchemas.putAll(other.inlineSchemas);
    jwtSecret = other.jwtSecret;
    jwtPublicKey = other.jwtPublicKey;
    jwtIssuer = other.jwtIssuer;
    jwtAudience = other.jwtAudience;
    maxWritesPerSecond = other.maxWritesPerSecond;
    printDemoToken = other.printDemoToken;
  }

  public static final String USAGE = String.join("\n",
      "usage: java -jar patchwire.jar [options]             run the engine",
      "       java -jar patchwire.jar record URL [options]  record a stream to stdout (record --help)",
      "       java -jar patchwire.jar replay FILE... [options]  replay recordings (replay --help)",
      "       java -jar patchwire.jar token --secret SECRET ...   mint a token (below)",
      "  --host HOST                    address to listen on (default 127.0.0.1)",
      "  --port N                       port, 0 picks a free one (default 8080)",
      "  --data DIR                     H2 database folder (default ./data)",
      "  --database-url URL             postgresql://USER[:PASSWORD]@HOST:PORT/DB: store in PostgreSQL,",
      "                                 shared by every node given the same URL (default: H2 under --data)",
      "  --node-id NAME                 this node's name in /health, /api/stats and the log",
      "                                 (default: host name:port)",
      "  --history-bytes N              bytes of recent changes kept for resume (default 64 MiB)",
      "  --max-body-bytes N             largest accepted request body (default 1 MiB)",
      "  --max-doc-bytes N              largest document a write may leave, checked while a patch applies",
      "                                 (default: the body limit)",
      "  --max-inbound-frame-bytes N    largest WebSocket message a client may send; larger ones close",
      "                                 the stream with 1009 (default 4096)",
      "  --subscriber-buffer-bytes N    live bytes held for one slow subscriber before it is resynced (default 1 MiB)",
      "  --ping-interval MS             WebSocket ping period (default 30000)",
      "  --sse-ping-interval MS         SSE ':ping' comment period (default 15000)",
      "  --max-subscribers N            open streams before new ones get 4429/429 (default 50000)",
      "  --log-retention LIMITS         change-log retention: an age (90s, 30min, 12h, 7d) and/or a size,",
      "                                 comma-separated; the stricter wins (default 7d,256m)",
      "  --log-compact-interval MS      how often old change-log rows are removed (default 60000)",
      "  --snapshot-reads N             snapshots, resyncs, change-log replays and collection GETs read at once;",
      "                                 the others wait their turn (default 4)",
      "  --snapshot-timeout MS          longest one of those reads may last; then its stream closes with 1011",
      "                                 (its GET is cut off) and the next one starts (default 60000)",
      "  --collection NAME[=SCHEMA]     add a collection, optionally with a JSON Schema file (repeatable)",
      "  --flush-interval MS            let a change wait up to MS for others, one socket write for all (default 5; 0: at once)",
      "  --ws-compression               offer permessage-deflate on WebSockets (off: it costs CPU per socket)",
      "  --cors-origin ORIGINS          let web pages from these origins use the REST API, SSE and WebSocket streams:",
      "                                 comma-separated scheme://host[:port] (http://localhost:3000,https://app.example.com)",
      "                                 or * (default: off, no CORS headers, only same-origin pages may read answers",
      "                                 or open WebSockets)",
      "  --allowed-hosts HOSTS          Host header values served, comma-separated, or * for any; others get 421",
      "                                 (default: localhost, 127.0.0.1, [::1] and --host unless it is a wildcard)",
      "  --max-write-bytes-in-flight N  bytes of write bodies read, queued or committing at once; past it 503",
      "                                 overloaded with Retry-After (default: 1/16 of the heap, at least --max-body-bytes)",
      "  --max-queued-writes N          writes waiting for the writer before new ones get 503 (default 10000)",
      "  --max-connections N            open TCP connections; more are closed at once (default: the file-descriptor",
      "                                 limit less 256, or 10000 when it is unknown)",
      "  --max-connections-per-ip N     open TCP connections from one client address (default 1000)",
      "  --header-timeout MS            time for a request's head to arrive, from its first byte (default 10000)",
      "  --body-timeout MS              time for a write's body to arrive, from its head; then 408 (default 30000)",
      "  --idle-timeout MS              how long a keep-alive connection may wait between requests (default 60000);",
      "                                 streams are never idle",
      "  --jwt-secret SECRET            require a JWT (HS256, this secret of 32+ bytes) on every API call and stream;",
      "                                 also read from the environment variable PATCHWIRE_JWT_SECRET (default: off,",
      "                                 anyone who can reach the port can read and write)",
      "  --jwt-public-key FILE.pem      require a JWT signed by this PEM public key's private key (RS256 or ES256)",
      "  --jwt-issuer ISS               with a key: tokens must carry iss = ISS",
      "  --jwt-audience AUD             with a key: tokens must carry AUD in aud",
      "  --max-writes-per-second N      with a key: writes per second per token subject before 429 (default: off)",
      "  --print-demo-token             with --jwt-secret: print a 24-hour token for the kanban board at start-up",
      "  --no-kanban                    do not create the kanban collections projects and tasks",
      "  --no-seed                      do not seed an empty database with the demo project",
      "  --log-level LEVEL              error, warn, info, debug or trace (default info; debug and trace",
      "                                 apply to the engine's own loggers, libraries stay at info)",
      "  --log-format FORMAT            text or json: one JSON object a line (default text); logs go to stderr",
      "  -h, --help                     print this and exit",
      "  --version                      print the version and exit",
      "Sizes take a plain number of bytes or a suffix: 64k, 16m, 1g.",
      "",
      "usage: java -jar patchwire.jar token --secret SECRET [--sub ID] [--read GRANT]... [--write GRANT]...",
      "                                      [--admin] [--ttl 1h] [--iss ISS] [--aud AUD]",
      "  mints an HS256 token for an engine started with --jwt-secret (see docs/protocol.md, Auth);",
      "  GRANT is COLLECTION or COLLECTION:FIELD=VALUE[,FIELD=VALUE], COLLECTION * for every one.");


  /** A flag of {@link #USAGE}, with the environment variable that sets it too. */
  public record Flag(String name, boolean takesValue, boolean repeatable) {
    /** {@code --max-body-bytes} is {@code PATCHWIRE_MAX_BODY_BYTES}. */
    public String env() {
      return ENV_PREFIX + name.substring(2).toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    }
  }

  /** A USAGE line that documents a flag: two spaces, the flag, maybe its value's name, the text. */
  private static final Pattern USAGE_LINE = Pattern.compile("^  (--[a-z][a-z0-9-]*)( [A-Z]\\S*)?\\s{2,}(.*)$");
  private static final List<String> NOT_OPTIONS = List.of("--help", "--version");

  /**
   * Every option, read from {@link #USAGE}, so that a flag documented there has its environment
   * variable with nothing else to write. A flag whose text says "(repeatable)" takes a
   * comma-separated list from the environment.
   */
  public static List<Flag> flags() {
    List<Flag> flags = new ArrayList<>();
    String[] lines = USAGE.split("\n");
    for (int i = 0; i < lines.length; i++) {
      java.util.regex.Matcher m = USAGE_LINE.matcher(lines[i]);
      if (m.matches() && !NOT_OPTIONS.contains(m.group(1))) {
        String text = m.group(3) + (i + 1 < lines.length && lines[i + 1].startsWith("      ") ? lines[i + 1] : "");
        flags.add(new Flag(m.group(1), m.group(2) != null, text.contains("(repeatable)")));
      }
    }
    return flags;
  }

  /** {@link #USAGE} and the environment variables, for {@code --help}. */
  public static String help() {
    StringBuilder out = new StringBuilder(USAGE).append("\n")
        .append("Every option can also be set by an environment variable (a flag given wins);\n")
        .append("on/off options take true or false, repeatable ones a comma-separated list:\n ");
    int width = 1;
    for (Flag f : flags()) {
      String entry = " " + f.env() + (f.takesValue() ? "" : "=true");
      if (width + entry.length() > 100) {
        out.append("\n ");
        width = 1;
      }
      out.append(entry);
      width += entry.length();
    }
    return out.toString();
  }

  /**
   * The command line with the options the environment sets ({@code PATCHWIRE_PORT=8081} and so
   * on, see {@link #flags()}) before it, except those the command line gives: a flag wins over its
   * variable. The JWT secret's variable is read apart (it also yields to --jwt-public-key).
   */
  private static String[] withEnvironment(Map<String, String> env, String... args) {
    List<String> all = new ArrayList<>();
    for (Flag f : flags()) {
      String value = env.get(f.env());
      if (value == null || given(f.name(), args) || f.env().equals(JWT_SECRET_ENV)) {
        continue;
      }
      List<String> these = new ArrayList<>();
      if (!f.takesValue()) {
        switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
          case "true", "1", "yes", "on" -> these.add(f.name());
          case "false", "0", "no", "off", "" -> { }
          default -> throw new IllegalArgumentException(f.env() + " wants true or false, not '" + value + "'");
        }
      } else if (f.repeatable()) {
        for (String part : value.split(",")) {
          if (!part.isBlank()) {
            these.add(f.name());
            these.add(part.trim());
          }
        }
      } else {
        these.add(f.name());
        these.add(value);
      }
      try {
        parse(these.toArray(String[]::new));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(f.env() + ": " + e.getMessage(), e);
      }
      all.addAll(these);
    }
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }

  /** The environment variables that look like options but are none (a typo, an old name). */
  public static List<String> unknownEnv(Map<String, String> env) {
    List<String> known = flags().stream().map(Flag::env).toList();
    return env.keySet().stream()
        .filter(k -> k.startsWith(ENV_PREFIX) && !known.contains(k))
        .sorted().toList();
  }

  private static boolean given(String flag, String[] args) {
    for (String a : args) {
      if (a.equals(flag) || a.startsWith(flag + "=")) {
        return true;
      }
    }
    return false;
  }

  /** Parses command-line flags; throws IllegalArgumentException with a readable message. */
  public static EngineOptions fromArgs(String... args) {
    return fromArgs(Map.of(), args);
  }

  /**
   * Parses command-line flags with the process environment: every option may come from its
   * variable (see {@link #withEnvironment}), and the JWT secret from {@link #JWT_SECRET_ENV}
   * unless a key is given as a flag; checks that the auth flags fit together.
   */
  public static EngineOptions fromArgs(Map<String, String> env, String... args) {
    EngineOptions o = parse(withEnvironment(env, args));
    String envSecret = env.get(JWT_SECRET_ENV);
    if (o.jwtSecret == null && o.jwtPublicKey == null && envSecret != null && !envSecret.isEmpty()) {
      o.setJwtSecret(envSecret);
    }
    o.checkAuthFlags();
    return o;
  }

  private static EngineOptions parse(String... args) {
    EngineOptions o = new EngineOptions();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      String value = null;
      int eq = flag.indexOf('=');
      if (flag.startsWith("--") && eq > 0 && !flag.startsWith("--collection")) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      }
      switch (flag) {
        case "--no-kanban" -> o.setKanban(false);
        case "--no-seed" -> o.setSeedDemo(false);
        case "--ws-compression" -> o.setWsCompression(true);
        case "--print-demo-token" -> o.setPrintDemoToken(true);
        case "--host", "--port", "--data", "--database-url", "--node-id", "--history-bytes", "--max-body-bytes", "--max-doc-bytes",
            "--max-inbound-frame-bytes",
            "--subscriber-buffer-bytes", "--ping-interval", "--sse-ping-interval",
            "--max-subscribers", "--log-retention", "--log-compact-interval", "--flush-interval",
            "--cors-origin", "--allowed-hosts", "--max-write-bytes-in-flight", "--max-queued-writes",
            "--max-connections", "--max-connections-per-ip", "--header-timeout", "--body-timeout",
            "--idle-timeout", "--jwt-secret", "--jwt-public-key", "--jwt-issuer", "--jwt-audience",
            "--max-writes-per-second", "--log-level", "--log-format",
            "--snapshot-reads", "--snapshot-timeout" -> {
          if (value == null) {
            if (i + 1 >= args.length) {
              throw new IllegalArgumentException(flag + " needs a value");
            }
            value = args[++i];
          }
          o.set(flag, value);
        }
        default -> {
          if (flag.equals("--collection") || flag.startsWith("--collection=")) {
            String spec = flag.equals("--collection") ? (i + 1 < args.length ? args[++i] : null)
                : flag.substring("--collection=".length());
            if (spec == null) {
              throw new IllegalArgumentException("--collection needs NAME or NAME=SCHEMA.json");
            }
            int at = spec.indexOf('=');
            o.addCollection(at < 0 ? spec : spec.substring(0, at),
                at < 0 ? null : Path.of(spec.substring(at + 1)));
          } else {
            throw new IllegalArgumentException("unknown option " + args[i]);
          }
        }
      }
    }
    return o;
  }

  private void set(String flag, String value) {
    switch (flag) {
      case "--host" -> setHost(value);
      case "--port" -> setPort(parseInt(flag, value));
      case "--data" -> setDataDir(Path.of(value));
      case "--database-url" -> setDatabaseUrl(value);
      case "--node-id" -> setNodeId(value);
      case "--history-bytes" -> setHistoryBytes(parseSize(flag, value));
      case "--max-body-bytes" -> setMaxBodyBytes(parseSize(flag, value));
      case "--max-doc-bytes" -> setMaxDocBytes(parseSize(flag, value));
      case "--max-inbound-frame-bytes" -> setMaxInboundFrameBytes(parseSize(flag, value));
      case "--subscriber-buffer-bytes" -> setSubscriberBufferBytes(parseSize(flag, value));
      case "--ping-interval" -> setPingIntervalMillis(parseSize(flag, value));
      case "--sse-ping-interval" -> setSsePingIntervalMillis(parseSize(flag, value));
      case "--max-subscribers" -> setMaxSubscribers(parseInt(flag, value));
      case "--log-retention" -> setLogRetention(value);
      case "--log-compact-interval" -> setLogCompactIntervalMillis(parseSize(flag, value));
      case "--flush-interval" -> setFlushIntervalMillis(parseInt(flag, value));
      case "--cors-origin" -> setCorsOrigins(value);
      case "--allowed-hosts" -> setAllowedHosts(value);
      case "--max-write-bytes-in-flight" -> setMaxWriteBytesInFlight(parseSize(flag, value));
      case "--max-queued-writes" -> setMaxQueuedWrites(parseInt(flag, value));
      case "--max-connections" -> setMaxConnections(parseInt(flag, value));
      case "--max-connections-per-ip" -> setMaxConnectionsPerIp(parseInt(flag, value));
      case "--header-timeout" -> setHeaderTimeoutMillis(parseSize(flag, value));
      case "--body-timeout" -> setBodyTimeoutMillis(parseSize(flag, value));
      case "--idle-timeout" -> setIdleTimeoutMillis(parseSize(flag, value));
      case "--jwt-secret" -> setJwtSecret(value);
      case "--jwt-public-key" -> setJwtPublicKey(Path.of(value));
      case "--jwt-issuer" -> setJwtIssuer(value);
      case "--jwt-audience" -> setJwtAudience(value);
      case "--max-writes-per-second" -> setMaxWritesPerSecond(parseInt(flag, value));
      case "--log-level" -> setLogLevel(value);
      case "--log-format" -> setLogFormat(value);
      case "--snapshot-reads" -> setSnapshotReads(parseInt(flag, value));
      case "--snapshot-timeout" -> setSnapshotTimeoutMillis(parseSize(flag, value));
      default -> throw new IllegalStateException(flag);
    }
  }

  private static int parseInt(String flag, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " wants a whole number, not '" + value + "'");
    }
  }

  /** A byte count: 1048576, 1024k, 1m, 1g. */
  static long parseSize(String flag, String value) {
    String v = value.trim().toLowerCase();
    long unit = 1;
    if (v.endsWith("k") || v.endsWith("m") || v.endsWith("g")) {
      unit = switch (v.charAt(v.length() - 1)) {
        case 'k' -> 1L << 10;
        case 'm' -> 1L << 20;
        default -> 1L << 30;
      };
      v = v.substring(0, v.length() - 1);
    }
    try {
      return Math.multiplyExact(Long.parseLong(v), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(flag + " wants a size such as 1048576 or 1m, not '" + value + "'");
    }
  }

  private static long positive(String what, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException(what + " must be positive, got " + v);
    }
    return v;
  }

  public String host() { return host; }
  public int port() { return port; }
  public Path dataDir() { return dataDir; }

  /** The PostgreSQL URL, or null for H2 under {@link #dataDir()}. */
  public String databaseUrl() { return databaseUrl; }

  /** The node's name as given, or null (then the server names it host name:port). */
  public String nodeId() { return nodeId; }

  /**
   * {@code postgresql://USER[:PASSWORD]@HOST:PORT/DB} (or {@code postgres://}); null or empty
   * for H2.
   */
  public EngineOptions setDatabaseUrl(String url) {
    if (url == null || url.isEmpty()) {
      databaseUrl = null;
      return this;
    }
    if (!url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
      throw new IllegalArgumentException("--database-url wants postgresql://USER[:PASSWORD]@HOST:PORT/DB, not '"
          + redact(url) + "'");
    }
    if (url.length() > 2048) {
      throw new IllegalArgumentException("--database-url is longer than 2048 characters");
    }
    databaseUrl = url;
    return this;
  }

  /** The URL without its password, for messages and logs. */
  public static String redact(String url) {
    return url.replaceFirst("^([a-z]+://[^:@/]*):[^@/]*@", "$1:***@");
  }

  /** 1 to 128 printable ASCII characters, no spaces. */
  public EngineOptions setNodeId(String id) {
    if (id == null || !id.matches("[!-~]{1,128}")) {
      throw new IllegalArgumentException("--node-id wants 1 to 128 printable ASCII characters without spaces");
    }
    nodeId = id;
    return this;
  }
  public long historyBytes() { return historyBytes; }
  public long maxBodyBytes() { return maxBodyBytes; }
  /** The largest document a write may leave: {@code --max-doc-bytes}, or the body limit. */
  public long maxDocBytes() { return maxDocBytes > 0 ? maxDocBytes : maxBodyBytes; }
  public int maxInboundFrameBytes() { return maxInboundFrameBytes; }
  public long subscriberBufferBytes() { return subscriberBufferBytes; }
  public long pingIntervalMillis() { return pingIntervalMillis; }
  public long ssePingIntervalMillis() { return ssePingIntervalMillis; }
  public int maxSubscribers() { return maxSubscribers; }
  public Duration logRetentionAge() { return logRetentionAge; }
  public long logRetentionBytes() { return logRetentionBytes; }
  public long logCompactIntervalMillis() { return logCompactIntervalMillis; }
  public int snapshotReads() { return snapshotReads; }
  public long snapshotTimeoutMillis() { return snapshotTimeoutMillis; }
  public boolean wsCompression() { return wsCompression; }
  public long flushIntervalMillis() { return flushIntervalMillis; }
  public boolean kanban() { return kanban; }
  public boolean seedDemo() { return seedDemo; }
  /**
   * The origins whose pages may read the API's answers (CORS) and open stream WebSockets, each as
   * a browser writes it (lower case, no default port); {@code ["*"]} for any origin; empty when
   * CORS is off (then only same-origin pages may open WebSockets).
   */
  public List<String> corsOrigins() { return corsOrigins; }
  /**
   * The {@code Host} names this engine serves, normalized (lower case, IPv6 in brackets, no
   * trailing dot; ports are not compared); {@code ["*"]} for any. By default localhost,
   * 127.0.0.1, [::1], and {@code --host} unless it is a wildcard (0.0.0.0, ::), which names no
   * host a browser would send.
   */
  public List<String> allowedHosts() {
    if (allowedHosts != null) {
      return allowedHosts;
    }
    LinkedHashSet<String> hosts = new LinkedHashSet<>(DEFAULT_ALLOWED_HOSTS);
    String h = AccessPolicy.normalizeHostOrNull(host);
    if (h != null && !h.equals("0.0.0.0") && !h.equals("[::]") && !h.equals("[0:0:0:0:0:0:0:0]")) {
      hosts.add(h);
    }
    return List.copyOf(hosts);
  }

  /**
   * Bytes of write bodies in flight at once; by default 1/16 of the heap, and never less than
   * {@link #maxBodyBytes} (one largest write must always fit).
   */
  public long maxWriteBytesInFlight() {
    long budget = maxWriteBytesInFlight > 0 ? maxWriteBytesInFlight
        : Runtime.getRuntime().maxMemory() / DEFAULT_WRITE_BUDGET_HEAP_DIVISOR;
    return Math.max(budget, maxBodyBytes);
  }

  public int maxQueuedWrites() { return maxQueuedWrites; }

  /**
   * Open connections at once; by default the process's file-descriptor limit less
   * {@link #FD_RESERVE}, so that accepting never fails for want of descriptors.
   */
  public int maxConnections() {
    if (maxConnections > 0) {
      return maxConnections;
    }
    long fds = -1;
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      fds = unix.getMaxFileDescriptorCount();
    }
    return fds <= 0 ? DEFAULT_MAX_CONNECTIONS_WITHOUT_FD_LIMIT
        : (int) Math.max(16, Math.min(Integer.MAX_VALUE, fds - FD_RESERVE));
  }

  public int maxConnectionsPerIp() { return maxConnectionsPerIp; }
  public long headerTimeoutMillis() { return headerTimeoutMillis; }
  public long bodyTimeoutMillis() { return bodyTimeoutMillis; }
  public long idleTimeoutMillis() { return idleTimeoutMillis; }

  public String logLevel() { return logLevel; }
  public String logFormat() { return logFormat; }
  /** Extra collections; a null value means no schema. */
  public Map<String, Path> collections() { return java.util.Collections.unmodifiableMap(collections); }

  public String jwtSecret() { return jwtSecret; }
  public Path jwtPublicKey() { return jwtPublicKey; }
  public String jwtIssuer() { return jwtIssuer; }
  public String jwtAudience() { return jwtAudience; }
  public int maxWritesPerSecond() { return maxWritesPerSecond; }
  public boolean printDemoToken() { return printDemoToken; }

  /** True when a key is set: every API call and stream needs a token. */
  public boolean authEnabled() { return jwtSecret != null || jwtPublicKey != null; }

  /** What {@link Auth#create} needs; reads the public key file. */
  public Auth.Settings authSettings() {
    checkAuthFlags();
    String pem = null;
    if (jwtPublicKey != null) {
      try {
        pem = Files.readString(jwtPublicKey);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read --jwt-public-key " + jwtPublicKey, e);
      }
    }
    return new Auth.Settings(jwtSecret, pem, jwtIssuer, jwtAudience, maxWritesPerSecond);
  }

  /** The auth flags that only make sense together; IllegalArgumentException otherwise. */
  void checkAuthFlags() {
    if (jwtSecret != null && jwtPublicKey != null) {
      throw new IllegalArgumentException("give --jwt-secret or --jwt-public-key, not both");
    }
    if (!authEnabled() && (jwtIssuer != null || jwtAudience != null || maxWritesPerSecond > 0)) {
      throw new IllegalArgumentException("--jwt-issuer, --jwt-audience and --max-writes-per-second need"
          + " --jwt-secret or --jwt-public-key (they apply to tokens)");
    }
    if (printDemoToken && jwtSecret == null) {
      throw new IllegalArgumentException("--print-demo-token needs --jwt-secret (the engine signs the token)");
    }
  }

  /** Names of the extra collections in the order they were added. */
  public List<String> collectionNames() { return new ArrayList<>(collections.keySet()); }

  public EngineOptions setHost(String host) {
    this.host = Objects.requireNonNull(host, "host");
    return this;
  }

  public EngineOptions setPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    this.port = port;
    return this;
  }

  public EngineOptions setDataDir(Path dataDir) {
    this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    return this;
  }

  public EngineOptions setHistoryBytes(long bytes) {
    this.historyBytes = positive("history bytes", bytes);
    return this;
  }

  public EngineOptions setMaxBodyBytes(long bytes) {
    this.maxBodyBytes = positive("max body bytes", bytes);
    return this;
  }

  public EngineOptions setMaxDocBytes(long bytes) {
    this.maxDocBytes = positive("max doc bytes", bytes);
    return this;
  }

  /** At least 125 bytes (a control frame's payload), at most 1 MiB. */
  public EngineOptions setMaxInboundFrameBytes(long bytes) {
    if (bytes < 125 || bytes > 1 << 20) {
      throw new IllegalArgumentException("max inbound frame bytes must be 125..1048576, got " + bytes);
    }
    this.maxInboundFrameBytes = (int) bytes;
    return this;
  }

  public EngineOptions setSubscriberBufferBytes(long bytes) {
    this.subscriberBufferBytes = positive("subscriber buffer bytes", bytes);
    return this;
  }

  public EngineOptions setPingIntervalMillis(long millis) {
    this.pingIntervalMillis = positive("ping interval", millis);
    return this;
  }

  public EngineOptions setSsePingIntervalMillis(long millis) {
    this.ssePingIntervalMillis = positive("SSE ping interval", millis);
    return this;
  }

  public EngineOptions setMaxSubscribers(int max) {
    this.maxSubscribers = (int) positive("max subscribers", max);
    return this;
  }

  /**
   * Change-log retention from text such as {@code 7d}, {@code 256m} or {@code 12h,1g}: each part
   * is an age (s, min, h, d) or a size (bytes, k, m, g). A part not given keeps its default.
   */
  public EngineOptions setLogRetention(String spec) {
    for (String part : spec.split(",")) {
      String p = part.trim().toLowerCase();
      Duration age = parseAge(p);
      if (age != null) {
        setLogRetentionAge(age);
      } else {
        setLogRetentionBytes(parseSize("--log-retention", p));
      }
    }
    return this;
  }

  private static Duration parseAge(String p) {
    String[][] units = {{"min", "60"}, {"s", "1"}, {"h", "3600"}, {"d", "86400"}};
    for (String[] u : units) {
      if (p.endsWith(u[0]) && p.length() > u[0].length()) {
        try {
          return Duration.ofSeconds(Math.multiplyExact(
              Long.parseLong(p.substring(0, p.length() - u[0].length())), Long.parseLong(u[1])));
        } catch (NumberFormatException | ArithmeticException e) {
          throw new IllegalArgumentException("--log-retention: bad age '" + p + "'");
        }
      }
    }
    return null;
  }

  public EngineOptions setLogRetentionAge(Duration age) {
    if (age.isNegative() || age.isZero()) {
      throw new IllegalArgumentException("log retention age must be positive, got " + age);
    }
    this.logRetentionAge = age;
    return this;
  }

  public EngineOptions setLogRetentionBytes(long bytes) {
    this.logRetentionBytes = positive("log retention bytes", bytes);
    return this;
  }

  public EngineOptions setLogCompactIntervalMillis(long millis) {
    this.logCompactIntervalMillis = positive("log compact interval", millis);
    return this;
  }

  /**
   * See {@code --snapshot-reads}: how many consistent reads (stream snapshots and resyncs,
   * change-log replays, {@code GET .../docs}) run at once, each holding a database connection and
   * about a page of memory; the others wait in arrival order.
   */
  public EngineOptions setSnapshotReads(int reads) {
    this.snapshotReads = (int) positive("snapshot reads", reads);
    return this;
  }

  /** See {@code --snapshot-timeout}: the longest one consistent read may stay open. */
  public EngineOptions setSnapshotTimeoutMillis(long millis) {
    this.snapshotTimeoutMillis = positive("snapshot timeout", millis);
    return this;
  }

  /**
   * permessage-deflate compresses every frame once per socket, which undoes the fan-out's
   * encode-once; off by default, worth it for big snapshots over slow links.
   */
  public EngineOptions setWsCompression(boolean wsCompression) {
    this.wsCompression = wsCompression;
    return this;
  }

  /** See {@code --flush-interval}: 0 sends every change at once; the default is 5 ms. */
  public EngineOptions setFlushIntervalMillis(long millis) {
    if (millis < 0 || millis > 1000) {
      throw new IllegalArgumentException("flush interval must be 0..1000 ms, got " + millis);
    }
    this.flushIntervalMillis = millis;
    return this;
  }

  /**
   * See {@code --cors-origin}: a comma-separated list of origins ({@code scheme://host[:port]},
   * http or https, no path) or {@code *} alone for any origin. Blank parts are an error, so a
   * typo never silently turns CORS off.
   */
  public EngineOptions setCorsOrigins(String spec) {
    Objects.requireNonNull(spec, "spec");
    LinkedHashSet<String> origins = new LinkedHashSet<>();
    for (String part : spec.split(",", -1)) {
      String p = part.trim();
      if (p.isEmpty()) {
        throw new IllegalArgumentException("--cors-origin: empty origin in '" + spec
            + "'; give a comma-separated list such as http://localhost:3000,https://app.example.com, or *");
      }
      origins.add(p.equals("*") ? "*" : normalizeOrigin(p));
    }
    if (origins.contains("*") && origins.size() > 1) {
      throw new IllegalArgumentException(
          "--cors-origin: '*' allows every origin and cannot be combined with others, got '" + spec + "'");
    }
    this.corsOrigins = List.copyOf(origins);
    return this;
  }

  /** Turns CORS off again (the default). */
  public EngineOptions clearCorsOrigins() {
    this.corsOrigins = List.of();
    return this;
  }

  /** An origin the way browsers write it (see Origins.normalize); the message names the flag. */
  static String normalizeOrigin(String origin) {
    try {
      return Origins.normalize(origin);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--cors-origin: " + e.getMessage(), e);
    }
  }

  /**
   * See {@code --allowed-hosts}: comma-separated host names or addresses (IPv6 in brackets or
   * bare), or {@code *} alone for any host.
   */
  public EngineOptions setAllowedHosts(String spec) {
    Objects.requireNonNull(spec, "spec");
    LinkedHashSet<String> hosts = new LinkedHashSet<>();
    for (String part : spec.split(",", -1)) {
      String p = part.trim();
      if (p.isEmpty()) {
        throw new IllegalArgumentException("--allowed-hosts: empty host in '" + spec
            + "'; give a comma-separated list such as localhost,app.example.com, or *");
      }
      try {
        hosts.add(p.equals("*") ? "*" : AccessPolicy.normalizeHost(p));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--allowed-hosts: " + e.getMessage()
            + " (give names without scheme or port, e.g. localhost,app.example.com)", e);
      }
    }
    if (hosts.contains("*") && hosts.size() > 1) {
      throw new IllegalArgumentException(
          "--allowed-hosts: '*' allows every host and cannot be combined with others, got '" + spec + "'");
    }
    this.allowedHosts = List.copyOf(hosts);
    return this;
  }

  public EngineOptions setMaxWriteBytesInFlight(long bytes) {
    this.maxWriteBytesInFlight = positive("max write bytes in flight", bytes);
    return this;
  }

  public EngineOptions setMaxQueuedWrites(int max) {
    this.maxQueuedWrites = (int) positive("max queued writes", max);
    return this;
  }

  public EngineOptions setMaxConnections(int max) {
    this.maxConnections = (int) positive("max connections", max);
    return this;
  }

  public EngineOptions setMaxConnectionsPerIp(int max) {
    this.maxConnectionsPerIp = (int) positive("max connections per ip", max);
    return this;
  }

  public EngineOptions setHeaderTimeoutMillis(long millis) {
    this.headerTimeoutMillis = positive("header timeout", millis);
    return this;
  }

  public EngineOptions setBodyTimeoutMillis(long millis) {
    this.bodyTimeoutMillis = positive("body timeout", millis);
    return this;
  }

  public EngineOptions setIdleTimeoutMillis(long millis) {
    this.idleTimeoutMillis = positive("idle timeout", millis);
    return this;
  }

  /** See {@code --jwt-secret}: HS256 with this secret, at least 32 bytes; null turns auth off. */
  public EngineOptions setJwtSecret(String secret) {
    if (secret != null && secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < Auth.MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("--jwt-secret must be at least " + Auth.MIN_SECRET_BYTES
          + " bytes (256 bits, RFC 7518 3.2); `openssl rand -hex 32` makes one");
    }
    this.jwtSecret = secret;
    return this;
  }

  /** See {@code --jwt-public-key}: a PEM file holding an RSA or EC public key; null for none. */
  public EngineOptions setJwtPublicKey(Path pem) {
    if (pem != null && !Files.isReadable(pem)) {
      throw new IllegalArgumentException("--jwt-public-key: cannot read " + pem);
    }
    this.jwtPublicKey = pem;
    return this;
  }

  public EngineOptions setJwtIssuer(String issuer) {
    this.jwtIssuer = nonBlank("--jwt-issuer", issuer);
    return this;
  }

  public EngineOptions setJwtAudience(String audience) {
    this.jwtAudience = nonBlank("--jwt-audience", audience);
    return this;
  }

  /** See {@code --max-writes-per-second}; 0 for no limit. */
  public EngineOptions setMaxWritesPerSecond(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("--max-writes-per-second must be 0 (off) or more, got " + n);
    }
    this.maxWritesPerSecond = n;
    return this;
  }

  public EngineOptions setPrintDemoToken(boolean print) {
    this.printDemoToken = print;
    return this;
  }

  private static String nonBlank(String flag, String v) {
    if (v != null && v.isBlank()) {
      throw new IllegalArgumentException(flag + " must not be empty");
    }
    return v;
  }

  /** See {@code --log-level}: error, warn, info, debug or trace. */
  public EngineOptions setLogLevel(String level) {
    String l = Objects.requireNonNull(level, "level").trim().toLowerCase(java.util.Locale.ROOT);
    if (!List.of("error", "warn", "info", "debug", "trace").contains(l)) {
      throw new IllegalArgumentException("--log-level wants error, warn, info, debug or trace, not '" + level + "'");
    }
    this.logLevel = l;
    return this;
  }

  /** See {@code --log-format}: text, or json for one JSON object a line. */
  public EngineOptions setLogFormat(String format) {
    String f = Objects.requireNonNull(format, "format").trim().toLowerCase(java.util.Locale.ROOT);
    if (!f.equals("text") && !f.equals("json")) {
      throw new IllegalArgumentException("--log-format wants text or json, not '" + format + "'");
    }
    this.logFormat = f;
    return this;
  }

  public EngineOptions setKanban(boolean kanban) {
    this.kanban = kanban;
    return this;
  }

  public EngineOptions setSeedDemo(boolean seedDemo) {
    this.seedDemo = seedDemo;
    return this;
  }

  /** Adds a collection; {@code schema} may be null to accept any JSON object. */
  /** Adds a collection whose documents must match {@code schema}, a JSON Schema (2020-12). */
  public EngineOptions addCollectionWithSchema(String name, io.vertx.core.json.JsonObject schema) {
    addCollection(name, (Path) null);
    inlineSchemas.put(name, schema.copy());
    return this;
  }

  /** The schema given as JSON for a collection, or null. */
  public io.vertx.core.json.JsonObject inlineSchema(String name) {
    io.vertx.core.json.JsonObject schema = inlineSchemas.get(name);
    return schema == null ? null : schema.copy();
  }

  public EngineOptions addCollection(String name, Path schema) {
    if (name == null || !COLLECTION_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "collection name must be 1-64 of A-Z a-z 0-9 _ -, got '" + name + "'");
    }
    collections.put(name, schema);
    return this;
  }
}
