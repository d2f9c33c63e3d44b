package dev.patchwire.store;

/**
 * The writer's queue is full ({@code --max-queued-writes}): the write was not queued and changed
 * nothing; the client may retry in a moment.
 */
public final class StoreOverloaded extends RuntimeException {

  public StoreOverloaded(String message) {
    super(message, null, false, false);
  }
}
