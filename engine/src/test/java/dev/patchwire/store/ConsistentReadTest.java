package dev.patchwire.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.json.Json;
import dev.patchwire.msg.Change;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collection or a change-log replay is read in pages, over many statements and as long as the
 * client takes to read them; the view must still be the one of its head seq, as the single
 * statement it replaced was. Writes, deletes and a compaction commit between the pages here: a
 * page read at READ COMMITTED (each statement its own view) would show them.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("A consistent read")
class ConsistentReadTest {

  @TempDir
  Path dir;

  private DocumentStore start(Vertx vertx, DocumentStore.Reads reads) throws Exception {
    // log retention of one byte: a compaction removes every change but the newest
    DocumentStore store = new DocumentStore(dir, Map.of("items", CollectionSpec.schemaless("items")),
        new DocumentStore.Retention(Duration.ofDays(1), 1, 3_600_000), reads);
    await(vertx.deployVerticle(store));
    return store;
  }

  @Test
  @DisplayName("sees the state of its head seq in every page, whatever commits between them")
  void pagesStayAtTheHeadSeq(Vertx vertx) throws Exception {
    DocumentStore store = start(vertx, DocumentStore.Reads.DEFAULT);
    Map<String, String> seeded = new LinkedHashMap<>();
    String pad = "p".repeat(9_000);
    for (int i = 0; i < 120; i++) {
      String id = String.format("d%03d", i);
      WriteResult r = await(store.write(new Write.Put("items", id, Json.object().put("i", i).put("pad", pad), null)));
      seeded.put(id, Json.write(r.doc()));
    }
    ConsistentRead read = await(store.openRead());
    assertEquals(120, read.headSeq());

    List<Snapshot.StoredDoc> docs = new ArrayList<>();
    List<Change> changes = new ArrayList<>();
    String afterId = null;
    long afterSeq = 0;
    int pages = 0;
    boolean docsDone = false;
    boolean changesDone = false;
    while (!docsDone || !changesDone) {
      // between two pages: replace every document, delete some, add others, compact the log
      for (int i = 0; i < 120; i += 3) {
        await(store.write(new Write.Put("items", String.format("d%03d", i), Json.object().put("i", -i), null)));
      }
      await(store.write(new Write.Delete("items", String.format("d%03d", pages + 1), null)));
      await(store.write(new Write.Put("items", "a-new-" + pages, Json.object().put("new", true), null)));
      await(store.write(new Write.Put("items", "z-new-" + pages, Json.object().put("new", true), null)));
      await(store.compactNow());
      pages++;
      if (!docsDone) {
        List<Snapshot.StoredDoc> page = await(read.docsAfter("items", afterId));
        long bytes = page.stream().mapToLong(d -> d.json().length()).sum();
        assertTrue(page.size() <= 1 || bytes <= ConsistentRead.PAGE_BYTES, "a page holds " + bytes + " bytes");
        docs.addAll(page);
        docsDone = page.isEmpty();
        afterId = docsDone ? afterId : page.get(page.size() - 1).id();
      }
      if (!changesDone) {
        List<Change> page = await(read.changesAfter("items", afterSeq));
        changes.addAll(page);
        changesDone = page.isEmpty();
        afterSeq = changesDone ? afterSeq : page.get(page.size() - 1).seq();
      }
    }
    read.close();
    assertTrue(pages > 3, "the read took several pages, not " + pages);

    Map<String, String> got = new LinkedHashMap<>();
    for (Snapshot.StoredDoc d : docs) {
      assertTrue(d.version() <= 120, d.id() + " has version " + d.version() + " after the head");
      got.put(d.id(), d.json());
    }
    assertEquals(seeded, got, "the documents as of seq 120, in id order, each once");
    assertEquals(120, changes.size(), "every change up to the head, none after, none compacted away");
    for (int i = 0; i < changes.size(); i++) {
      assertEquals(i + 1, changes.get(i).seq());
    }
    assertTrue(await(store.snapshot("items")).seq() > 120, "a new read sees the later commits");
  }

  @Test
  @DisplayName("waits for a place when the reads are all taken, and a read that outlives its timeout gives its place up")
  void readsAreBoundedAndTimeOut(Vertx vertx) throws Exception {
    DocumentStore store = start(vertx, new DocumentStore.Reads(2, 1_500));
    ConsistentRead first = await(store.openRead());
    ConsistentRead second = await(store.openRead());
    CountDownLatch expired = new CountDownLatch(1);
    second.expiredHandler(expired::countDown);
    Future<ConsistentRead> third = store.openRead();
    Thread.sleep(300);
    assertFalse(third.isComplete(), "a third read waits while two are open");
    assertEquals(2, store.readsOpen());
    assertEquals(1, store.readsWaiting());
    first.close();
    ConsistentRead t = await(third);
    assertEquals(0, store.readsWaiting());
    assertTrue(expired.await(10, TimeUnit.SECONDS), "the second read expires after its timeout");
    assertTrue(second.isClosed());
    Future<List<Snapshot.StoredDoc>> after = second.docsAfter("items", null);
    assertTrue(after.failed(), "an expired read reads nothing more");
    await(store.openRead()).close();  // its place was given back
    t.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
