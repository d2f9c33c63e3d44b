package dev.patchwire.stream;

import dev.patchwire.store.ConsistentRead;
import dev.patchwire.store.Snapshot;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;

/**
 * Writes the collection map {@code {"<id>":doc,...}} of one consistent read into a message, page
 * by page, and reads each page only once the socket has room for more: what a snapshot holds in
 * memory is one page and the socket's own buffer, whatever the size of the collection.
 */
public final class DocsPages {

  /** Runs {@code next} on the caller's context once its socket can take more: now, or after a drain. */
  @FunctionalInterface
  public interface Room {
    void then(Runnable next);
  }

  private final Context context;
  private final ConsistentRead read;
  private final String collection;
  private final Filter filter;
  private final PiecewiseMessage message;
  private final Room room;
  private final Promise<Void> done = Promise.promise();
  private boolean empty = true;

  private DocsPages(Context context, ConsistentRead read, String collection, Filter filter,
      PiecewiseMessage message, Room room) {
    this.context = context;
    this.read = read;
    this.collection = collection;
    this.filter = filter;
    this.message = message;
    this.room = room;
  }

  /**
   * Appends the map to {@code message} (not finished: the caller adds what follows it); the
   * future completes, on {@code context}, once the last page is in. It fails when a page cannot
   * be read, e.g. because the read was closed.
   */
  public static Future<Void> write(Context context, ConsistentRead read, String collection,
      Filter filter, PiecewiseMessage message, Room room) {
    DocsPages pages = new DocsPages(context, read, collection, filter, message, room);
    message.append("{");
    pages.next(null);
    return pages.done.future();
  }

  private void next(String afterId) {
    read.docsAfter(collection, afterId).onComplete(ar -> context.runOnContext(v -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
        return;
      }
      List<Snapshot.StoredDoc> page = ar.result();
      if (page.isEmpty()) {
        message.append("}");
        done.tryComplete();
        return;
      }
      empty = SnapshotJson.appendEntries(message.text(), page, filter, empty);
      message.sendIfFull();
      String last = page.get(page.size() - 1).id();
      room.then(() -> next(last));
    }));
  }
}
