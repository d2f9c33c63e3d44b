package dev.patchwire.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * An SSE stream: each event goes to the sink as {@code sse {"event","id"?,"data"}}, the
 * {@code retry:} field and comments as {@code sse {"retry"}} and {@code sse {"comment"}}; the end
 * of the response as {@code closed {}}. A non-200 answer is {@code refused {"status","body"}}.
 */
final class SseTap implements Tap {

  private final HttpClient client;
  private HttpClientResponse response;
  private boolean paused;

  SseTap(Vertx vertx, StreamUrl url, int receiveBufferBytes, Sink sink) {
    HttpClientOptions options = new HttpClientOptions().setSsl(url.secure());
    if (receiveBufferBytes > 0) {
      options.setReceiveBufferSize(receiveBufferBytes);
    }
    client = vertx.createHttpClient(options);
    SseDecoder decoder = new SseDecoder(new SseDecoder.Listener() {
      @Override
      public void event(String event, String id, String data) {
        ObjectNode e = Json.object();
        e.put("event", event);
        if (id != null) {
          e.put("id", id);
        }
        try {
          e.set("data", Json.parse(data));
        } catch (IllegalArgumentException notJson) {
          e.put("rawData", data);
        }
        sink.received("sse", e, true);
      }

      @Override
      public void comment(String text) {
        sink.received("sse", Json.object().put("comment", text), false);
      }

      @Override
      public void retry(String value) {
        sink.received("sse", Json.object().put("retry", value), false);
      }
    });
    client.request(new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(url.uri().getHost())
            .setPort(url.port())
            .setSsl(url.secure())
            .setURI(url.pathAndQuery())
            .putHeader("Accept", "text/event-stream"))
        .compose(request -> request.send())
        .onSuccess(r -> {
          String type = r.getHeader("Content-Type");
          if (r.statusCode() != 200 || type == null || !type.startsWith("text/event-stream")) {
            r.body().onComplete(body -> {
              ObjectNode refused = Json.object().put("status", r.statusCode());
              String text = body.succeeded() ? body.result().toString() : "";
              try {
                refused.set("body", Json.parse(text));
              } catch (IllegalArgumentException notJson) {
                refused.put("body", text);
              }
              sink.ended("refused", refused);
            });
            return;
          }
          synchronized (this) {
            response = r;
            if (paused) {
              r.pause();
            }
          }
          r.handler(decoder::feed);
          r.endHandler(v -> sink.ended("closed", Json.object()));
          r.exceptionHandler(t -> sink.ended("closed", Json.object().put("error", String.valueOf(t))));
        })
        .onFailure(t -> sink.ended("failed", Json.MAPPER.getNodeFactory().textNode(String.valueOf(t))));
  }

  @Override
  public synchronized void pause() {
    paused = true;
    if (response != null) {
      response.pause();
    }
  }

  @Override
  public synchronized void resume() {
    paused = false;
    if (response != null) {
      response.resume();
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
