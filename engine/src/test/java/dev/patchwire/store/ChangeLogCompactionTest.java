package dev.patchwire.store;

import static dev.patchwire.store.StoreFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.patchwire.json.Json;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.SqlConnection;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction's deletes must commit. vertx-jdbc-client 5.0.x leaves a pooled connection in
 * autocommit=false after {@code withTransaction}; when the store's startup transaction ran on the
 * read pool, every compaction delete on that connection stayed uncommitted: other sessions still
 * saw the rows, and the never-ending transaction's undo log grew until H2 ran out of memory
 * writing it (see {@code ChangeLogCompactionMemoryTest}).
 */
@ExtendWith(VertxExtension.class)
@DisplayName("Change-log compaction in the store")
class ChangeLogCompactionTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("runs on read connections that all autocommit")
  void everyReadConnectionAutocommits(Vertx vertx) throws Exception {
    DocumentStore store = StoreFixture.start(vertx, dir, "items", 1);
    // hold all four read connections at once, the one that ran startup included, and write on each
    List<SqlConnection> conns = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      conns.add(await(store.readPool().getConnection()));
    }
    for (int i = 0; i < conns.size(); i++) {
      await(conns.get(i).query("INSERT INTO pw_meta (k, v) VALUES ('probe-" + i + "', 'x')").execute());
    }
    for (SqlConnection c : conns) {
      await(c.close());
    }
    try (Connection c = DriverManager.getConnection(StoreFixture.h2Url(dir), "sa", "");
         ResultSet rows = c.createStatement().executeQuery(
             "SELECT COUNT(*) FROM pw_meta WHERE k LIKE 'probe-%'")) {
      rows.next();
      assertEquals(4, rows.getLong(1), "statements committed, as another session sees them");
    }
  }

  @Test
  @DisplayName("commits its deletes, in chunks bounded by bytes, and keeps the newest row")
  void deletesAreCommittedAndVisibleToOtherSessions(Vertx vertx) throws Exception {
    DocumentStore store = StoreFixture.start(vertx, dir, "items", 1);
    // rows of about 3 MB: each of the deletes takes one (COMPACT_CHUNK_BYTES is 4 MB)
    String pad = "x".repeat(1_000_000);
    for (int i = 0; i < 5; i++) {
      await(store.write(new Write.Put("items", "d", Json.object().put("i", i).put("pad", pad), null)));
    }
    assertEquals(4L, await(store.compactNow()), "rows deleted");

    try (Connection c = DriverManager.getConnection(StoreFixture.h2Url(dir), "sa", "");
         ResultSet rows = c.createStatement().executeQuery("SELECT COUNT(*), MAX(seq) FROM pw_changes");
         ResultSet open = c.createStatement().executeQuery(
             "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE CONTAINS_UNCOMMITTED")) {
      rows.next();
      assertEquals(1, rows.getLong(1), "rows another session sees after compaction");
      assertEquals(5, rows.getLong(2), "the newest row stays");
      open.next();
      assertEquals(0, open.getLong(1), "sessions left holding uncommitted changes");
    }
  }
}
