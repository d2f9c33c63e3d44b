package dev.patchwire.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.auth.Access;
import dev.patchwire.auth.Auth;
import dev.patchwire.json.Json;
import dev.patchwire.json.StrictJson;
import dev.patchwire.store.ConsistentRead;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.store.Snapshot;
import dev.patchwire.store.StoreOverloaded;
import dev.patchwire.store.StoreUnavailable;
import dev.patchwire.store.Write;
import dev.patchwire.store.WriteRejected;
import dev.patchwire.store.WriteResult;
import dev.patchwire.stream.Filter;
import dev.patchwire.stream.DocsPages;
import dev.patchwire.stream.PiecewiseMessage;
import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.HttpErrors;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The document API of PROTOCOL.md section 2. It checks the request (collection, id, media type,
 * JSON), hands a {@link Write} to the store and turns the outcome into an answer. It holds no
 * state and never talks to the streams: the store publishes what it commits.
 *
 * <p>Every request carries the {@link Access} of its token (see {@link AuthHandler}): reads are
 * narrowed to the read grants (a document outside them is 404, as if absent), and every write
 * carries the write grants into the store's writer, which checks them at commit time.
 */
public final class RestApi {

  public static final String SEQ_HEADER = "Patchwire-Seq";
  static final int MAX_ID_CODE_POINTS = 256;

  private final DocumentStore store;
  private final Timer writeTimer;
  private final Auth auth;

  public RestApi(DocumentStore store, Timer writeTimer, Auth auth) {
    this.store = store;
    this.writeTimer = writeTimer;
    this.auth = auth;
  }

  public void create(RoutingContext ctx) {
    String c = collection(ctx);
    if (c == null) {
      return;
    }
    Predicate<ObjectNode> allowed = writeGrants(ctx, c);
    ObjectNode body = objectBody(ctx, "application/json");
    if (body == null) {
      return;
    }
    JsonNode id = body.get("id");
    if (id != null && (!id.isTextual() || idProblem(id.textValue()) != null)) {
      HttpErrors.send(ctx, ErrorCode.BAD_ID, id.isTextual() ? idProblem(id.textValue())
          : "id must be a string", null);
      return;
    }
    answer(ctx, store.write(new Write.Create(c, id == null ? null : id.textValue(), body, allowed)));
  }

  public void put(RoutingContext ctx) {
    String c = collection(ctx);
    String id = c == null ? null : docId(ctx);
    if (id == null) {
      return;
    }
    Predicate<ObjectNode> allowed = writeGrants(ctx, c);
    ObjectNode body = objectBody(ctx, "application/json");
    if (body != null) {
      answer(ctx, store.write(new Write.Put(c, id, body, ctx.request().getHeader("If-Match"), allowed)));
    }
  }

  public void patch(RoutingContext ctx) {
    String c = collection(ctx);
    String id = c == null ? null : docId(ctx);
    if (id == null) {
      return;
    }
    Predicate<ObjectNode> allowed = writeGrants(ctx, c);
    if (!mediaType(ctx, "application/json-patch+json", "application/json")) {
      return;
    }
    JsonNode patch = jsonBody(ctx);
    if (patch == null) {
      return;
    }
    answer(ctx, store.write(new Write.Patch(c, id, patch, ctx.request().getHeader("If-Match"), allowed)));
  }

  public void delete(RoutingContext ctx) {
    String c = collection(ctx);
    String id = c == null ? null : docId(ctx);
    if (id != null) {
      answer(ctx, store.write(new Write.Delete(c, id, ctx.request().getHeader("If-Match"),
          writeGrants(ctx, c))));
    }
  }

  public void getOne(RoutingContext ctx) {
    String c = collection(ctx);
    String id = c == null ? null : docId(ctx);
    Filter readable = id == null ? null : readable(ctx, c);
    if (readable == null) {
      return;
    }
    onLoop(ctx, store.get(c, id), snap -> {
      // outside the read grants reads as absent: existence is not revealed
      if (snap.docs().isEmpty()
          || (!readable.isAll() && !readable.matches(Json.parse(snap.docs().get(0).json())))) {
        HttpErrors.send(ctx, ErrorCode.NOT_FOUND, "no document '" + id + "' in " + c, null);
        return;
      }
      Snapshot.StoredDoc doc = snap.docs().get(0);
      ctx.response().putHeader("ETag", etag(doc.version()));
      json(ctx, 200, snap.seq(), doc.json());
    });
  }

  public void list(RoutingContext ctx) {
    String c = collection(ctx);
    Filter readable = c == null ? null : readable(ctx, c);
    if (readable == null) {
      return;
    }
    Filter filter;
    try {
      var where = ctx.queryParam("where");
      filter = Filter.parse(where.isEmpty() ? null : where.get(0));
    } catch (IllegalArgumentException e) {
      HttpErrors.send(ctx, ErrorCode.BAD_WHERE, e.getMessage(), null);
      return;
    }
    Filter visible = Filter.and(filter, readable);
    onLoop(ctx, store.openRead(), read -> writeCollection(ctx, c, visible, read));
  }

  /**
   * Writes {@code {"c":{...},"seq":S}} page by page as the read yields them, each page once the
   * client has taken the last: a small collection goes out in one piece with its Content-Length
   * as before, a larger one as a chunked body. A failure once the body has begun can only cut it
   * short (the connection is closed); before that it is a 500 as usual.
   */
  private void writeCollection(RoutingContext ctx, String c, Filter filter, ConsistentRead read) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      read.close();
      return;
    }
    response.closeHandler(v -> read.close());
    read.expiredHandler(() -> response.reset());
    response.setStatusCode(200)
        .putHeader(SEQ_HEADER, position(read.headSeq()))
        .putHeader("Content-Type", "application/json; charset=utf-8");
    PiecewiseMessage body = new PiecewiseMessage((bytes, first, last) -> {
      if (first && last) {
        response.end(bytes);
      } else {
        if (first) {
          response.setChunked(true);
        }
        if (last) {
          response.end(bytes);
        } else {
          response.write(bytes);
        }
      }
    });
    body.append("{" + Json.quote(c) + ":");
    DocsPages.write(ctx.vertx().getOrCreateContext(), read, c, filter, body, next -> {
      if (response.writeQueueFull()) {
        response.drainHandler(v -> next.run());
      } else {
        next.run();
      }
    }).onComplete(ar -> {
      read.close();
      if (ar.succeeded()) {
        body.append(",\"seq\":" + read.headSeq() + "}").finish();
      } else if (body.started()) {
        response.reset();
      } else if (!response.closed()) {
        fail(ctx, ar.cause());
      }
    });
  }

  // --- auth: each answers 403 / 429 itself and returns null when the request is refused

  /** The documents of {@code c} the request's token may read; null (403 sent) when none. */
  private static Filter readable(RoutingContext ctx, String c) {
    Access access = AuthHandler.access(ctx);
    if (!access.canRead(c)) {
      HttpErrors.send(ctx, ErrorCode.FORBIDDEN, "this token has no read grant for the collection '" + c + "'", null);
      return null;
    }
    return access.readFilter(c);
  }

  /**
   * Before a write's body is read: the token needs a write grant for the collection (else 403)
   * and a write left in this second's budget (else 429), so neither refused kind of writer
   * holds any of the engine's write budget.
   */
  public void mayWrite(RoutingContext ctx) {
    String c = ctx.pathParam("c");
    Access access = AuthHandler.access(ctx);
    if (!access.canWrite(c)) {
      HttpErrors.send(ctx, ErrorCode.FORBIDDEN, "this token has no write grant for the collection '" + c + "'", null);
    } else if (!auth.tryWrite(access)) {
      ctx.response().putHeader("Retry-After", String.valueOf(Auth.retryAfterSeconds()));
      HttpErrors.send(ctx, ErrorCode.RATE_LIMITED,
          "this token has used its writes for this second (--max-writes-per-second); retry after 1 s", null);
    } else {
      ctx.next();
    }
  }

  /** The check the writer applies before and after the write: the token's write grants for {@code c}. */
  private static Predicate<ObjectNode> writeGrants(RoutingContext ctx, String c) {
    Filter grants = AuthHandler.access(ctx).writeFilter(c);
    return grants.isAll() ? Write.ANY_DOCUMENT : grants::matches;
  }

  // --- request checks: each answers the error itself and returns null when the request is refused

  private String collection(RoutingContext ctx) {
    String c = ctx.pathParam("c");
    if (!store.hasCollection(c)) {
      HttpErrors.send(ctx, ErrorCode.UNKNOWN_COLLECTION, "no collection named '" + c + "'", null);
      return null;
    }
    return c;
  }

  private static String docId(RoutingContext ctx) {
    String id = strictId(ctx);
    String problem = id == null ? "a document id must be valid percent-encoded UTF-8" : idProblem(id);
    if (problem != null) {
      HttpErrors.send(ctx, ErrorCode.BAD_ID, problem, null);
      return null;
    }
    return id;
  }

  /**
   * The id as the client sent it: the raw last path segment, percent-decoded as strict UTF-8.
   * Vert.x's own decoding turns bad bytes into U+FFFD, which would let different ids name one
   * document. Null when the segment is not valid percent-encoded UTF-8.
   */
  private static String strictId(RoutingContext ctx) {
    String path = ctx.request().path();
    return PercentDecoding.strictUtf8(path.substring(path.lastIndexOf('/') + 1));
  }

  /** Why {@code id} is not a valid document id, or null when it is. */
  public static String idProblem(String id) {
    if (id == null || id.isEmpty()) {
      return "a document id must not be empty";
    }
    int n = id.codePointCount(0, id.length());
    if (n > MAX_ID_CODE_POINTS) {
      return "a document id has at most " + MAX_ID_CODE_POINTS + " characters, this one has " + n;
    }
    if (id.codePoints().anyMatch(Character::isISOControl)) {
      return "a document id must not contain control characters";
    }
    if (isDotSegment(id)) {
      return "the ids '.' and '..' cannot be named in a URL (RFC 3986 removes dot segments, "
          + "percent-encoded or not), so they are not allowed";
    }
    return null;
  }

  static boolean isDotSegment(String segment) {
    return segment.equals(".") || segment.equals("..");
  }

  /**
   * Refuses a request whose raw path holds a dot segment ({@code .}, {@code ..}, or either one
   * percent-encoded). Vert.x routes by the normalized path, where {@code /docs/%2E} is
   * {@code /docs/}: without this check a read of the document "." would answer the whole
   * collection and a write would miss its route.
   */
  static void refuseDotSegments(RoutingContext ctx) {
    String[] segments = ctx.request().path().split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String decoded = PercentDecoding.strictUtf8(segments[i]);
      if (decoded != null && isDotSegment(decoded)) {
        boolean isDocId = i == segments.length - 1 && i > 0 && segments[i - 1].equals("docs");
        HttpErrors.send(ctx, isDocId ? ErrorCode.BAD_ID : ErrorCode.BAD_REQUEST, isDocId
            ? idProblem(decoded)
            : "a path must not contain the segments '.' or '..'", null);
        return;
      }
    }
    ctx.next();
  }

  private static boolean mediaType(RoutingContext ctx, String... accepted) {
    String type = ctx.request().getHeader("Content-Type");
    String bare = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase();
    for (String a : accepted) {
      if (a.equals(bare)) {
        return true;
      }
    }
    HttpErrors.send(ctx, ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "Content-Type must be " + String.join(" or ", accepted) + ", got '" + (type == null ? "" : type) + "'",
        null);
    return false;
  }

  /**
   * The body, parsed strictly (see {@link StrictJson}): a refusal answers 400 (413 for too many
   * values) with its code. A body may hold twice the values of a document (a patch also spells
   * out its operations), so that parsing a small body can never fill the heap.
   */
  private JsonNode jsonBody(RoutingContext ctx) {
    var body = ctx.body().buffer();
    long maxNodes = store.docLimits().maxNodes();
    try {
      return StrictJson.parse(body == null ? new byte[0] : body.getBytes(),
          maxNodes > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : 2 * maxNodes + 1024);
    } catch (StrictJson.Refused e) {
      HttpErrors.send(ctx, code(e.problem()), e.problem() == StrictJson.Problem.MALFORMED_JSON
          ? "the body is not valid JSON: " + e.getMessage() : e.getMessage(), null);
      return null;
    }
  }

  private ObjectNode objectBody(RoutingContext ctx, String mediaType) {
    if (!mediaType(ctx, mediaType)) {
      return null;
    }
    JsonNode body = jsonBody(ctx);
    if (body == null) {
      return null;
    }
    if (!body.isObject()) {
      HttpErrors.send(ctx, ErrorCode.NOT_AN_OBJECT, "a document must be a JSON object", null);
      return null;
    }
    return (ObjectNode) body;
  }

  // --- answers

  private void answer(RoutingContext ctx, Future<WriteResult> write) {
    AdmittedBody.holdUntil(ctx, write);
    long started = System.nanoTime();
    onLoop(ctx, write, r -> {
      writeTimer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      if (r.outcome() == WriteResult.Outcome.DELETED) {
        ctx.response().putHeader(SEQ_HEADER, position(r.seq())).setStatusCode(204).end();
        return;
      }
      int status = r.outcome() == WriteResult.Outcome.CREATED ? 201 : 200;
      ctx.response().putHeader("ETag", etag(r.docVersion()));
      json(ctx, status, r.seq(), Json.write(r.doc()));
    });
  }

  private void json(RoutingContext ctx, int status, long seq, String body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader(SEQ_HEADER, position(seq))
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(body);
  }

  private String position(long seq) {
    return store.epoch() + ":" + seq;
  }

  private static String etag(long version) {
    return "\"" + version + "\"";
  }

  /** Runs {@code then} on the request's own event loop; failures become error answers. */
  private static <T> void onLoop(RoutingContext ctx, Future<T> future, Handler<T> then) {
    Context context = ctx.vertx().getOrCreateContext();
    future.onComplete(ar -> context.runOnContext(v -> {
      if (ar.succeeded()) {
        then.handle(ar.result());
      } else {
        fail(ctx, ar.cause());
      }
    }));
  }

  static void fail(RoutingContext ctx, Throwable cause) {
    if (cause instanceof WriteRejected r) {
      HttpErrors.send(ctx, r.reason().code(), r.getMessage(), r.details());
    } else if (cause instanceof StoreOverloaded) {
      ctx.response().putHeader("Retry-After", AdmittedBody.RETRY_AFTER_SECONDS);
      HttpErrors.send(ctx, ErrorCode.OVERLOADED, cause.getMessage(), null);
    } else if (cause instanceof StoreUnavailable) {
      ctx.response().putHeader("Retry-After", AdmittedBody.RETRY_AFTER_SECONDS);
      HttpErrors.send(ctx, ErrorCode.UNAVAILABLE, "the database cannot be used now; retry shortly", null);
    } else {
      System.getLogger(RestApi.class.getName()).log(System.Logger.Level.ERROR, "request failed", cause);
      HttpErrors.send(ctx, ErrorCode.INTERNAL, "the server could not complete the request", null);
    }
  }

  /** The error code of a body {@link StrictJson} refused: too many values is a document too large (413). */
  private static ErrorCode code(StrictJson.Problem problem) {
    return switch (problem) {
      case MALFORMED_JSON -> ErrorCode.MALFORMED_JSON;
      case DUPLICATE_MEMBER -> ErrorCode.DUPLICATE_MEMBER;
      case UNREPRESENTABLE_NUMBER -> ErrorCode.UNREPRESENTABLE_NUMBER;
      case NESTING_TOO_DEEP -> ErrorCode.NESTING_TOO_DEEP;
      case TOO_MANY_VALUES -> ErrorCode.DOCUMENT_TOO_LARGE;
    };
  }
}
