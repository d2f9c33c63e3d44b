package dev.patchwire.wire;

import io.vertx.core.buffer.Buffer;

/**
 * The protocol's Server-Sent Events (PROTOCOL.md 3.2). Patches and Ready carry {@code id: E:N},
 * so a reconnecting EventSource resumes with Last-Event-ID. All data is single-line JSON.
 */
public final class SseFrames implements FrameEncoder {

  public static final SseFrames INSTANCE = new SseFrames();

  private SseFrames() {
  }

  @Override
  public int slot() {
    return 1;
  }

  @Override
  public Buffer live(String epoch, long seq, String ops) {
    return Buffer.buffer("id: " + epoch + ":" + seq + "\nevent: json_patch\ndata: " + ops + "\n\n");
  }

  /** One event whose one {@code data:} line may be written in many pieces: the map holds no newline. */
  @Override
  public String snapshotHead(String epoch, long seq, String collection) {
    return "id: " + epoch + ":" + seq + "\nevent: json_patch\ndata: [{\"op\":\"add\",\"path\":\"/"
        + collection + "\",\"value\":";
  }

  @Override
  public String snapshotTail(String epoch, long seq) {
    return "}]\n\n";
  }

  @Override
  public Buffer ready(String epoch, long seq, boolean resumed, String scope) {
    return Buffer.buffer("id: " + epoch + ":" + seq + "\nevent: ready\ndata: "
        + WsFrames.readyJson(epoch, seq, resumed, scope) + "\n\n");
  }

  @Override
  public Buffer resync(long dropped) {
    return Buffer.buffer("event: resync\ndata: " + WsFrames.resyncJson(dropped) + "\n\n");
  }

  /**
   * PROTOCOL.md calls this event's data "the error object", which reads both as the inner
   * {@code {"code","message"}} (as {@code resync} carries the inner Resync object) and as the
   * whole {@code {"error":{...}}} body. The data is both at once, so either reading finds its code.
   */
  @Override
  public Buffer error(ErrorCode code, String message) {
    String inner = WsFrames.errorJson(code, message);
    return Buffer.buffer("event: error\ndata: " + inner.substring(0, inner.length() - 1)
        + ",\"error\":" + inner + "}\n\n");
  }

  @Override
  public Buffer finished() {
    return Buffer.buffer("event: finished\ndata: {\"finished\":true}\n\n");
  }
}
