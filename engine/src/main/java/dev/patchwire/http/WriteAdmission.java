package dev.patchwire.http;

import io.vertx.core.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control for writes: the bytes of request bodies in flight, from their first byte
 * until their answer (parsed, queued for the writer, committed), stay under one budget shared by
 * every event loop ({@code --max-write-bytes-in-flight}). A write past it is refused with 503
 * {@code overloaded} before its body is read, so concurrent large writes slow down instead of
 * running the heap out: a body's parsed tree, its text, its change and the database's pages hold
 * several times its size until the commit.
 */
public final class WriteAdmission {

  private final long maxBytes;
  private final AtomicLong inFlight = new AtomicLong();

  public WriteAdmission(long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("the write budget must be positive, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Bytes of write bodies held now. */
  public long inFlight() {
    return inFlight.get();
  }

  /** A new, empty hold on the budget for one request. */
  Ticket ticket() {
    return new Ticket();
  }

  /**
   * One request's share of the budget: it grows as the body arrives ({@link #reserve}) and is
   * given back once, when the request is answered and its write (if any) is done.
   */
  final class Ticket {
    private long held;
    private final AtomicBoolean released = new AtomicBoolean();
    private Future<?> write;
    private boolean answered;

    /** Takes {@code bytes} more of the budget; false (taking nothing) when that would pass it. */
    boolean reserve(long bytes) {
      while (true) {
        long now = inFlight.get();
        if (now + bytes > maxBytes) {
          return false;
        }
        if (inFlight.compareAndSet(now, now + bytes)) {
          held += bytes;
          return true;
        }
      }
    }

    /**
     * The write this body became: the budget is held until it is done too, since a write whose
     * client went away still sits in the writer's queue.
     */
    void holdUntil(Future<?> write) {
      this.write = write;
    }

    /** The request was answered (or its connection closed). */
    void answered() {
      if (answered) {
        return;
      }
      answered = true;
      if (write == null) {
        release();
      } else {
        write.onComplete(ar -> release());
      }
    }

    private void release() {
      if (released.compareAndSet(false, true)) {
        inFlight.addAndGet(-held);
      }
    }
  }
}
