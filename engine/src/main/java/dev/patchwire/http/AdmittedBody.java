package dev.patchwire.http;

import dev.patchwire.wire.ErrorCode;
import dev.patchwire.wire.HttpErrors;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;

/**
 * Reads a write's body under three bounds, then hands it on as {@code ctx.body()}:
 * {@code --max-body-bytes} (413 {@code body_too_large}), the shared write budget
 * ({@link WriteAdmission}: 503 {@code overloaded} with {@code Retry-After}) and
 * {@code --body-timeout} (408 {@code request_timeout}). A declared {@code Content-Length} is
 * checked against both sizes before a byte is read (a client that sent
 * {@code Expect: 100-continue} is refused before it sends the body); a chunked body is counted
 * as its bytes arrive. A refused request's connection is closed, since its body may still be on
 * the way.
 *
 * <p>It stands in for vertx-web's {@code BodyHandler}, which can bound a body's size but not
 * count it against a budget shared by all requests as it arrives.
 */
final class AdmittedBody implements Handler<RoutingContext> {

  /** Seconds a refused writer is asked to wait. */
  static final String RETRY_AFTER_SECONDS = "1";
  /** Where the ticket waits for the write it becomes; see {@link #holdUntil}. */
  private static final String TICKET = AdmittedBody.class.getName() + ".ticket";

  private final WriteAdmission admission;
  private final long maxBodyBytes;
  private final long timeoutMillis;

  AdmittedBody(WriteAdmission admission, long maxBodyBytes, long timeoutMillis) {
    this.admission = admission;
    this.maxBodyBytes = maxBodyBytes;
    this.timeoutMillis = timeoutMillis;
  }

  /** Keeps this request's share of the budget until {@code write} is done. */
  static void holdUntil(RoutingContext ctx, io.vertx.core.Future<?> write) {
    WriteAdmission.Ticket ticket = ctx.get(TICKET);
    if (ticket != null) {
      ticket.holdUntil(write);
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    WriteAdmission.Ticket ticket = admission.ticket();
    ctx.put(TICKET, ticket);
    ctx.addEndHandler(v -> ticket.answered());
    long declared = contentLength(request);
    if (declared > maxBodyBytes) {
      refuse(ctx, ErrorCode.BODY_TOO_LARGE, "the body is larger than " + maxBodyBytes + " bytes");
      return;
    }
    if (declared > 0 && !ticket.reserve(declared)) {
      overloaded(ctx);
      return;
    }
    if (request.isEnded()) {
      setBody(ctx, Buffer.buffer());
      ctx.next();
      return;
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))
        && request.version() != HttpVersion.HTTP_1_0) {
      ctx.response().writeContinue();
    }
    Buffer body = Buffer.buffer((int) Math.max(0, Math.min(declared, 64 * 1024)));
    boolean[] refused = {false};
    long timer = ctx.vertx().setTimer(timeoutMillis, t -> {
      refused[0] = true;
      refuse(ctx, ErrorCode.REQUEST_TIMEOUT, "the body did not arrive within " + timeoutMillis + " ms");
    });
    request.handler(chunk -> {
      if (refused[0]) {
        return;
      }
      if (body.length() + chunk.length() > maxBodyBytes) {
        refused[0] = true;
        ctx.vertx().cancelTimer(timer);
        refuse(ctx, ErrorCode.BODY_TOO_LARGE, "the body is larger than " + maxBodyBytes + " bytes");
        return;
      }
      if (declared < 0 && !ticket.reserve(chunk.length())) {
        refused[0] = true;
        ctx.vertx().cancelTimer(timer);
        overloaded(ctx);
        return;
      }
      body.appendBuffer(chunk);
    });
    request.endHandler(v -> {
      ctx.vertx().cancelTimer(timer);
      if (!refused[0]) {
        setBody(ctx, body);
        ctx.next();
      }
    });
    request.exceptionHandler(e -> ctx.vertx().cancelTimer(timer));
    request.resume();
  }

  private static void setBody(RoutingContext ctx, Buffer body) {
    ((RoutingContextInternal) ctx).visitHandler(RoutingContextInternal.BODY_HANDLER);
    ((RoutingContextInternal) ctx).setBody(body);
  }

  private void overloaded(RoutingContext ctx) {
    ctx.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
    refuse(ctx, ErrorCode.OVERLOADED, "the engine holds " + admission.maxBytes()
        + " bytes of writes in flight (--max-write-bytes-in-flight); retry in a moment");
  }

  /** Answers and closes the connection: the rest of the body is not worth reading. */
  private static void refuse(RoutingContext ctx, ErrorCode code, String message) {
    ctx.response().putHeader("Connection", "close");
    HttpErrors.send(ctx, code, message, null)
        .onComplete(ar -> ctx.request().connection().close());
  }

  /** The declared body length, or -1 when none is declared (chunked, or no body). */
  private static long contentLength(HttpServerRequest request) {
    String value = request.getHeader("Content-Length");
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
