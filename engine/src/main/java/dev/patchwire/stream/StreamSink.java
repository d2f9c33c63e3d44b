package dev.patchwire.stream;

import dev.patchwire.wire.FrameEncoder;
import io.vertx.core.buffer.Buffer;

/** The transport end of one subscription: a WebSocket or an SSE response. */
public interface StreamSink {

  FrameEncoder encoder();

  /** "ws" or "sse", for stats. */
  String transport();

  /** Writes one encoded frame and flushes; never blocks, the transport queues what the socket has not taken. */
  void write(Buffer frame);

  /**
   * Writes one frame without flushing, so that frames for the same socket from several changes
   * leave in one system call. Returns true when this write needs a later {@link #flush()} (the
   * first unflushed write since the last flush); a transport that cannot defer writes and
   * flushes now, and returns false.
   */
  boolean writeDeferred(Buffer frame);

  /**
   * Writes one fragment of a message too large to build at once (see {@link PiecewiseMessage})
   * and flushes. The fragments of one message, written in order with nothing else between them,
   * arrive as exactly the message {@link #write} would have sent whole: on a WebSocket one text
   * message in continuation frames, on SSE the parts of one event.
   */
  void writeFragment(Buffer fragment, boolean first, boolean last);

  /** Sends what {@link #writeDeferred} left unflushed. */
  void flush();

  /** True while the socket's own queue is above its high-water mark. */
  boolean writeQueueFull();

  /** Called once the socket's queue has drained below its low-water mark. */
  void drainHandler(Runnable onDrain);

  /** Called once when the peer goes away or the stream is closed. */
  void closedHandler(Runnable onClosed);

  /** Ends the stream: a WebSocket close with {@code code}, or the end of the SSE response. */
  void close(short code, String reason);
}
