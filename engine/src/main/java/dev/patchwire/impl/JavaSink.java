package dev.patchwire.impl;

import dev.patchwire.Patchwire;
import dev.patchwire.stream.StreamSink;
import dev.patchwire.wire.CloseCode;
import dev.patchwire.wire.FrameEncoder;
import dev.patchwire.wire.WsFrames;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * A subscription's sink that hands each message to Java code: the WebSocket frames, decoded. The
 * handler runs at once, so nothing queues here and the subscriber buffer never fills.
 */
final class JavaSink implements StreamSink, Patchwire.Stream {

  private final Context context;
  private final Handler<JsonObject> handler;
  private final Promise<Integer> ended = Promise.promise();
  private Runnable onClosed = () -> { };
  private Buffer fragments;

  JavaSink(Context context, Handler<JsonObject> handler) {
    this.context = context;
    this.handler = handler;
  }

  @Override
  public FrameEncoder encoder() {
    return WsFrames.INSTANCE;
  }

  @Override
  public String transport() {
    return "java";
  }

  @Override
  public void write(Buffer frame) {
    if (!ended.future().isComplete()) {
      handler.handle(new JsonObject(frame));
    }
  }

  @Override
  public boolean writeDeferred(Buffer frame) {
    write(frame);
    return false;
  }

  @Override
  public void writeFragment(Buffer fragment, boolean first, boolean last) {
    if (first) {
      fragments = Buffer.buffer();
    }
    fragments.appendBuffer(fragment);
    if (last) {
      Buffer whole = fragments;
      fragments = null;
      write(whole);
    }
  }

  @Override
  public void flush() {
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public void drainHandler(Runnable onDrain) {
  }

  @Override
  public void closedHandler(Runnable onClosed) {
    this.onClosed = onClosed;
  }

  @Override
  public void close(short code, String reason) {
    ended.tryComplete((int) code);
    onClosed.run();
  }

  @Override
  public void close() {
    context.runOnContext(v -> {
      if (ended.tryComplete((int) CloseCode.NORMAL_CLOSURE.code())) {
        onClosed.run();
      }
    });
  }

  @Override
  public Future<Integer> ended() {
    return ended.future();
  }
}
