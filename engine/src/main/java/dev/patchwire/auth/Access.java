package dev.patchwire.auth;

import dev.patchwire.stream.Filter;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * What one request may read and write: the grants of its verified token, or {@link #OPEN} when
 * the engine runs without a key. Immutable; shared by the requests of one token.
 */
public final class Access {

  /** Auth off: everything, for everyone, with no expiry. */
  public static final Access OPEN = new Access(true, null, Long.MAX_VALUE, List.of(), List.of(), true,
      null, null);

  /** Where the HTTP layer's authentication puts a request's access on its routing context. */
  public static final String CONTEXT_KEY = "patchwire.access";

  private final boolean open;
  private final String subject;
  private final long expiresAtMillis;
  private final List<Grant> read;
  private final List<Grant> write;
  private final boolean admin;
  private final String scope;
  private final String rateKey;

  Access(boolean open, String subject, long expiresAtMillis, List<Grant> read, List<Grant> write,
      boolean admin, String scope, String rateKey) {
    this.open = open;
    this.subject = subject;
    this.expiresAtMillis = expiresAtMillis;
    this.read = List.copyOf(read);
    this.write = List.copyOf(write);
    this.admin = admin;
    this.scope = scope;
    this.rateKey = rateKey;
  }

  /** The access authentication put on {@code ctx}; fails closed if the route forgot to authenticate. */
  public static Access of(RoutingContext ctx) {
    Access access = ctx.get(CONTEXT_KEY);
    if (access == null) {
      throw new IllegalStateException("route " + ctx.currentRoute() + " serves requests before authenticating them");
    }
    return access;
  }

  /** True when auth is off. */
  public boolean isOpen() { return open; }

  /** The token's {@code sub}, or null. */
  public String subject() { return subject; }

  /** When the token stops being valid ({@code exp}), in epoch millis; Long.MAX_VALUE when open. */
  public long expiresAtMillis() { return expiresAtMillis; }

  /** May read {@code collection} at all (some documents of it). */
  public boolean canRead(String collection) {
    return open || any(read, collection);
  }

  /** May write {@code collection} at all. */
  public boolean canWrite(String collection) {
    return open || any(write, collection);
  }

  /** The documents of {@code collection} this token may read: the OR of its read grants. */
  public Filter readFilter(String collection) {
    return open ? Filter.ALL : union(read, collection);
  }

  /** The documents of {@code collection} this token may write (before and after the write). */
  public Filter writeFilter(String collection) {
    return open ? Filter.ALL : union(write, collection);
  }

  /** May read {@code /api/stats} and {@code /metrics}. */
  public boolean admin() { return open || admin; }

  /**
   * A short hash of the read grants, carried in Ready as {@code scope}: a resume is honoured only
   * under the same grants. Null when open.
   */
  public String scope() { return scope; }

  /** Whose write budget a write spends: the subject, or the token itself when it has none. */
  public String rateKey() { return rateKey; }

  private static boolean any(List<Grant> grants, String collection) {
    for (Grant g : grants) {
      if (g.appliesTo(collection)) {
        return true;
      }
    }
    return false;
  }

  private static Filter union(List<Grant> grants, String collection) {
    List<Filter> parts = new ArrayList<>();
    for (Grant g : grants) {
      if (g.appliesTo(collection)) {
        parts.add(g.where());
      }
    }
    return Filter.anyOf(parts);
  }
}
