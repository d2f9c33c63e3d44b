package dev.patchwire.wire;

/**
 * A place in the change stream, written {@code EPOCH:SEQ}: the {@code Patchwire-Seq} header, an
 * SSE event's id, a stream's {@code since}. The one parser of that text, for the engine, the
 * record/replay tools and the tests.
 */
public record Position(String epoch, long seq) {

  /** Parses {@code EPOCH:SEQ}; null when the text is absent or malformed (then a client gets a snapshot). */
  public static Position parse(String text) {
    if (text == null) {
      return null;
    }
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      return null;
    }
    try {
      long seq = Long.parseLong(text.substring(colon + 1));
      return seq < 0 ? null : new Position(text.substring(0, colon), seq);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** {@link #parse}, for text that must be a position: throws when it is not. */
  public static Position require(String text) {
    Position p = parse(text);
    if (p == null) {
      throw new IllegalArgumentException("not a position EPOCH:SEQ: '" + text + "'");
    }
    return p;
  }

  @Override
  public String toString() {
    return epoch + ":" + seq;
  }
}
