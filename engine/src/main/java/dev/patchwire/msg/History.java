package dev.patchwire.msg;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The recent changes, oldest first, bounded by bytes: appending past the cap evicts from the
 * front. Thread-safe: the writer appends while subscribers on any event loop read.
 */
public final class History {

  /**
   * The newest seq a replay brings its reader to, and the changes after the reader's position:
   * the head first, as in {@code store.Snapshot(seq, docs)}.
   */
  public record Replay(long headSeq, List<Change> changes) {
  }

  private final long maxBytes;
  private final ArrayDeque<Change> entries = new ArrayDeque<>();
  private long bytes;
  /** The newest seq the store has committed: the history's end even when it holds nothing. */
  private long headSeq;
  private long evicted;

  public History(long maxBytes, long headSeq) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive");
    }
    this.maxBytes = maxBytes;
    this.headSeq = headSeq;
  }

  public synchronized void append(Change change) {
    if (change.seq() <= headSeq) {
      throw new IllegalStateException("seq " + change.seq() + " after " + headSeq);
    }
    entries.addLast(change);
    bytes += change.bytes();
    headSeq = change.seq();
    while (bytes > maxBytes && !entries.isEmpty()) {
      bytes -= entries.removeFirst().bytes();
      evicted++;
    }
  }

  /**
   * Forgets every entry and continues after {@code seq}: the changes up to it can no longer be
   * told (the shared log was compacted past them), so no replay may come from here.
   */
  public synchronized void skipTo(long seq) {
    if (seq < headSeq) {
      throw new IllegalStateException("seq " + seq + " before " + headSeq);
    }
    evicted += entries.size();
    entries.clear();
    bytes = 0;
    headSeq = seq;
  }

  /**
   * Everything after {@code seq}, or null when the history cannot tell: the position is older
   * than the oldest entry kept, or newer than the head.
   */
  public synchronized Replay since(long seq) {
    if (seq > headSeq || seq < 0) {
      return null;
    }
    if (seq == headSeq) {
      return new Replay(headSeq, List.of());
    }
    if (entries.isEmpty() || entries.peekFirst().seq() > seq + 1) {
      return null;
    }
    List<Change> out = new ArrayList<>();
    Iterator<Change> it = entries.descendingIterator();
    while (it.hasNext()) {
      Change c = it.next();
      if (c.seq() <= seq) {
        break;
      }
      out.add(c);
    }
    java.util.Collections.reverse(out);
    return new Replay(headSeq, out);
  }

  public synchronized long bytes() { return bytes; }
  public synchronized int size() { return entries.size(); }
  public synchronized long headSeq() { return headSeq; }
  public synchronized long evicted() { return evicted; }
  public long maxBytes() { return maxBytes; }

  /** Seq of the oldest change kept, or -1 when empty. */
  public synchronized long oldestSeq() {
    return entries.isEmpty() ? -1 : entries.peekFirst().seq();
  }
}
