package dev.patchwire.stream;

import io.vertx.core.buffer.Buffer;

/** The transport end of one subscription: a WebSocket or an SSE response. */
public interface StreamSink {

  FrameEncoder encoder();

  /** "ws" or "sse", for stats. */
  String transport();

  /** Writes one encoded frame; never blocks, the transport queues what the socket has not taken. */
  void write(Buffer frame);

  /** True while the socket's own queue is above its high-water mark. */
  boolean writeQueueFull();

  /** Called once the socket's queue has drained below its low-water mark. */
  void drainHandler(Runnable onDrain);

  /** Called once when the peer goes away or the stream is closed. */
  void closedHandler(Runnable onClosed);

  /** Ends the stream: a WebSocket close with {@code code}, or the end of the SSE response. */
  void close(short code, String reason);
}
