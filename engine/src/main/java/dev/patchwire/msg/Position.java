package dev.patchwire.msg;

/** A place in the change stream, written {@code EPOCH:SEQ}. */
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

  @Override
  public String toString() {
    return epoch + ":" + seq;
  }
}
