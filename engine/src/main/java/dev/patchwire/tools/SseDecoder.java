package dev.patchwire.tools;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns the bytes of a {@code text/event-stream} body, in chunks of any size, into events as the
 * HTML standard's event-stream interpretation says: lines end with CR LF, LF or CR; a blank line
 * dispatches; {@code data} lines join with LF; a line starting with a colon is a comment. Unlike a
 * browser's last-event-ID buffer, the id reported is the one sent with that very event (or null),
 * since a recording keeps what was on the wire.
 */
final class SseDecoder {

  /** What the decoder finds, in order. */
  interface Listener {
    void event(String event, String id, String data);

    void comment(String text);

    void retry(String value);
  }

  private final Listener listener;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private boolean lastWasCr;
  private String event;
  private String id;
  private StringBuilder data;

  SseDecoder(Listener listener) {
    this.listener = listener;
  }

  void feed(Buffer chunk) {
    for (int i = 0; i < chunk.length(); i++) {
      byte b = chunk.getByte(i);
      if (b == '\n' && lastWasCr) {
        lastWasCr = false;
        continue;
      }
      lastWasCr = b == '\r';
      if (b == '\n' || b == '\r') {
        onLine(line.toString(StandardCharsets.UTF_8));
        line.reset();
      } else {
        line.write(b);
      }
    }
  }

  private void onLine(String text) {
    if (text.isEmpty()) {
      if (data != null) {
        listener.event(event == null ? "message" : event, id, data.toString());
      }
      event = null;
      id = null;
      data = null;
      return;
    }
    if (text.startsWith(":")) {
      listener.comment(text.substring(1).stripLeading());
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "event" -> event = value;
      case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      case "id" -> id = value;
      case "retry" -> listener.retry(value);
      default -> { /* unknown fields are ignored, as a browser does */ }
    }
  }
}
