package dev.patchwire.wire;

import dev.patchwire.json.Json;
import io.vertx.core.buffer.Buffer;

/** The protocol's WebSocket text frames (PROTOCOL.md 3.1), one JSON object each. */
public final class WsFrames implements FrameEncoder {

  public static final WsFrames INSTANCE = new WsFrames();

  private WsFrames() {
  }

  @Override
  public int slot() {
    return 0;
  }

  @Override
  public Buffer live(String epoch, long seq, String ops) {
    return Buffer.buffer("{\"JsonPatch\":" + ops + ",\"seq\":" + seq + "}");
  }

  @Override
  public String snapshotHead(String epoch, long seq, String collection) {
    return "{\"JsonPatch\":[{\"op\":\"add\",\"path\":\"/" + collection + "\",\"value\":";
  }

  @Override
  public String snapshotTail(String epoch, long seq) {
    return "}],\"seq\":" + seq + ",\"epoch\":" + Json.quote(epoch) + ",\"snapshot\":true}";
  }

  @Override
  public Buffer ready(String epoch, long seq, boolean resumed, String scope) {
    return Buffer.buffer(readyJson(epoch, seq, resumed, scope));
  }

  static String readyJson(String epoch, long seq, boolean resumed, String scope) {
    return "{\"Ready\":true,\"epoch\":" + Json.quote(epoch) + ",\"seq\":" + seq + ",\"resumed\":"
        + resumed + (scope == null ? "" : ",\"scope\":" + Json.quote(scope)) + "}";
  }

  @Override
  public Buffer resync(long dropped) {
    return Buffer.buffer("{\"Resync\":" + resyncJson(dropped) + "}");
  }

  static String resyncJson(long dropped) {
    return "{\"reason\":\"lagged\",\"dropped\":" + dropped + "}";
  }

  @Override
  public Buffer error(ErrorCode code, String message) {
    return Buffer.buffer("{\"error\":" + errorJson(code, message) + "}");
  }

  /** The error frame as text, for a socket refused before any subscription exists. */
  public static String errorJsonFrame(ErrorCode code, String message) {
    return "{\"error\":" + errorJson(code, message) + "}";
  }

  static String errorJson(ErrorCode code, String message) {
    return "{\"code\":" + Json.quote(code.wire()) + ",\"message\":" + Json.quote(message) + "}";
  }

  @Override
  public Buffer finished() {
    return Buffer.buffer("{\"finished\":true}");
  }
}
