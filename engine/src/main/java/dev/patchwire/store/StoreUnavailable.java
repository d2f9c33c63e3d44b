package dev.patchwire.store;

/**
 * The writer met a database failure whose outcome it cannot know (a commit that may or may not
 * have happened). It stops taking writes rather than guess: a seq could be reused, or a committed
 * change never streamed. A restart recovers from the durable state; see
 * {@link DocumentStore#onFatal}.
 */
public final class StoreUnavailable extends RuntimeException {

  public StoreUnavailable(String message, Throwable cause) {
    super(message, cause);
  }
}
