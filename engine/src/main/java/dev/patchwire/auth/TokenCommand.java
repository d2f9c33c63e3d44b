package dev.patchwire.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code java -jar patchwire.jar token --secret S --sub u7 --read tasks:project_id=42 --ttl 1h}:
 * mints an HS256 token with patchwire's claims, signed by vertx-auth-jwt, for engines started
 * with {@code --jwt-secret}. Also makes the demo token of {@code --print-demo-token}.
 */
public final class TokenCommand {

  private TokenCommand() {
  }

  /** Runs the subcommand ({@code args[0]} is "token"); the exit status. */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    String secret = env.get("PATCHWIRE_JWT_SECRET");
    JsonObject claims = new JsonObject();
    JsonArray read = new JsonArray();
    JsonArray write = new JsonArray();
    boolean admin = false;
    long ttlSeconds = 3600;
    try {
      for (int i = 1; i < args.length; i++) {
        String flag = args[i];
        if (flag.equals("--admin")) {
          admin = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        String value = args[++i];
        switch (flag) {
          case "--secret" -> secret = value;
          case "--sub" -> claims.put("sub", value);
          case "--iss" -> claims.put("iss", value);
          case "--aud" -> claims.put("aud", value);
          case "--read" -> read.add(grant(value));
          case "--write" -> write.add(grant(value));
          case "--ttl" -> ttlSeconds = seconds(value);
          default -> throw new IllegalArgumentException("unknown option " + flag);
        }
      }
      if (secret == null) {
        throw new IllegalArgumentException("--secret SECRET (or PATCHWIRE_JWT_SECRET) is needed");
      }
      JsonObject pw = new JsonObject().put("read", read).put("write", write);
      if (admin) {
        pw.put("admin", true);
      }
      claims.put("pw", pw);
      Vertx vertx = Vertx.vertx();
      try {
        out.println(mint(vertx, secret, claims, ttlSeconds));
      } finally {
        vertx.close();
      }
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("patchwire token: " + e.getMessage());
      err.println("usage: java -jar patchwire.jar token --secret SECRET [--sub ID] [--read GRANT]..."
          + " [--write GRANT]... [--admin] [--ttl 1h] [--iss ISS] [--aud AUD]");
      err.println("  GRANT: COLLECTION or COLLECTION:FIELD=VALUE[,FIELD=VALUE] (COLLECTION * for every one)");
      return 2;
    }
  }

  /**
   * An HS256 token of {@code claims} (a copy is signed: vertx-auth-jwt adds iat to what it is
   * given) that expires {@code ttlSeconds} from now.
   */
  public static String mint(Vertx vertx, String secret, JsonObject claims, long ttlSeconds) {
    if (secret.getBytes(StandardCharsets.UTF_8).length < Auth.MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the secret must be at least " + Auth.MIN_SECRET_BYTES + " bytes");
    }
    if (ttlSeconds <= 0) {
      throw new IllegalArgumentException("--ttl must be positive");
    }
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    JsonObject payload = claims.copy()
        .put("exp", System.currentTimeMillis() / 1000 + ttlSeconds);
    return jwt.generateToken(payload, new JWTOptions().setAlgorithm("HS256"));
  }

  /** The claims of {@code --print-demo-token}: the kanban demo project, read and write. */
  public static JsonObject demoClaims() {
    JsonObject tasks = new JsonObject().put("c", "tasks")
        .put("where", new JsonObject().put("project_id", "demo"));
    JsonObject project = new JsonObject().put("c", "projects")
        .put("where", new JsonObject().put("id", "demo"));
    return new JsonObject().put("sub", "demo").put("pw", new JsonObject()
        .put("read", new JsonArray().add(project).add(tasks.copy()))
        .put("write", new JsonArray().add(tasks)));
  }

  /** {@code tasks}, {@code *} or {@code tasks:project_id=42,status=todo}. */
  static JsonObject grant(String spec) {
    int colon = spec.indexOf(':');
    String c = colon < 0 ? spec : spec.substring(0, colon);
    if (c.isEmpty()) {
      throw new IllegalArgumentException("a grant needs a collection: '" + spec + "'");
    }
    JsonObject grant = new JsonObject().put("c", c);
    if (colon >= 0) {
      JsonObject where = new JsonObject();
      for (String part : spec.substring(colon + 1).split(",")) {
        int eq = part.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("a grant's condition is FIELD=VALUE, got '" + part + "' in '" + spec + "'");
        }
        where.put(part.substring(0, eq), part.substring(eq + 1));
      }
      grant.put("where", where);
    }
    return grant;
  }

  /** 90, 90s, 30min, 12h, 7d. */
  static long seconds(String ttl) {
    String t = ttl.trim().toLowerCase();
    long unit = 1;
    for (String[] u : new String[][] {{"min", "60"}, {"s", "1"}, {"h", "3600"}, {"d", "86400"}}) {
      if (t.endsWith(u[0]) && t.length() > u[0].length()) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length());
        break;
      }
    }
    try {
      return Math.multiplyExact(Long.parseLong(t), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("--ttl wants 90s, 30min, 12h or 7d, not '" + ttl + "'");
    }
  }
}
