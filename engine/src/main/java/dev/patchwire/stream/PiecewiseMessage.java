package dev.patchwire.stream;

import io.vertx.core.buffer.Buffer;

/**
 * One message too large to build at once (a snapshot, a collection), written as its text is
 * read: the text is held until it reaches {@link #FRAGMENT_CHARS}, then sent as one fragment.
 * The fragments, in order, are exactly the bytes of the whole message. A message that ends before
 * its first fragment is full goes out whole, in one write, as it did before it could be split.
 */
public final class PiecewiseMessage {

  /** Where the fragments go. */
  @FunctionalInterface
  public interface Fragments {
    /**
     * Writes one fragment; {@code first} and {@code last} say where it sits (a message written
     * whole is one fragment with both).
     */
    void write(Buffer fragment, boolean first, boolean last);
  }

  /** How much text is held before it goes out as a fragment. */
  public static final int FRAGMENT_CHARS = 64 << 10;

  private final Fragments out;
  private StringBuilder held = new StringBuilder();
  private boolean started;
  private boolean finished;

  public PiecewiseMessage(Fragments out) {
    this.out = out;
  }

  /** The builder to append the next text to. */
  public StringBuilder text() {
    return held;
  }

  public PiecewiseMessage append(String text) {
    held.append(text);
    return this;
  }

  /** True once a fragment went out: from then on nothing else may be written until the last. */
  public boolean started() {
    return started;
  }

  /** Sends what is held as a fragment once it has reached {@link #FRAGMENT_CHARS}. */
  public void sendIfFull() {
    if (held.length() >= FRAGMENT_CHARS) {
      Buffer fragment = Buffer.buffer(held.toString());
      held = new StringBuilder();
      boolean first = !started;
      started = true;
      out.write(fragment, first, false);
    }
  }

  /** Sends the rest as the last fragment (or the whole message). */
  public void finish() {
    if (finished) {
      throw new IllegalStateException("the message is already complete");
    }
    finished = true;
    Buffer rest = Buffer.buffer(held.toString());
    held = null;
    out.write(rest, !started, true);
  }
}
