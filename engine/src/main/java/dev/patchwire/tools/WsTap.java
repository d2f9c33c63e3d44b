package dev.patchwire.tools;

import dev.patchwire.json.Json;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

/**
 * A WebSocket stream: every text frame goes to the sink as {@code frame} (parsed JSON; text that
 * is not JSON as {@code rawFrame}), the close as {@code closed {"code","reason"}}. The client is
 * held in a field: Vert.x 5 closes an unreferenced client when it is garbage collected.
 */
final class WsTap implements Tap {

  private final WebSocketClient client;
  private final ClientWebSocket ws;

  WsTap(Vertx vertx, StreamUrl url, int receiveBufferBytes, Sink sink) {
    WebSocketClientOptions options = new WebSocketClientOptions()
        .setMaxFrameSize(64 << 20)
        .setMaxMessageSize(256 << 20)
        .setSsl(url.secure());
    if (receiveBufferBytes > 0) {
      options.setReceiveBufferSize(receiveBufferBytes);
    }
    client = vertx.createWebSocketClient(options);
    ws = client.webSocket();
    ws.textMessageHandler(text -> {
      try {
        sink.received("frame", Json.parse(text), true);
      } catch (IllegalArgumentException e) {
        sink.received("rawFrame", Json.MAPPER.getNodeFactory().textNode(text), true);
      }
    });
    ws.closeHandler(v -> {
      var close = Json.object();
      if (ws.closeStatusCode() != null) {
        close.put("code", ws.closeStatusCode().intValue());
        close.put("reason", ws.closeReason());
      }
      sink.ended("closed", close);
    });
    ws.exceptionHandler(t -> { /* a broken connection also ends in the close handler */ });
    ws.connect(new WebSocketConnectOptions()
            .setHost(url.uri().getHost())
            .setPort(url.port())
            .setSsl(url.secure())
            .setURI(url.pathAndQuery()))
        .onFailure(t -> sink.ended("failed", Json.MAPPER.getNodeFactory().textNode(String.valueOf(t))));
  }

  @Override
  public void pause() {
    ws.pause();
  }

  @Override
  public void resume() {
    ws.resume();
  }

  @Override
  public void close() {
    try {
      ws.close().eventually(client::close);
    } catch (IllegalStateException notConnected) {
      client.close();
    }
  }
}
