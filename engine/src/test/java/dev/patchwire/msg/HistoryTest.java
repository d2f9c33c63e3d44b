package dev.patchwire.msg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.patchwire.json.Json;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HistoryTest {

  private static Change create(long seq, int size) {
    String id = String.format("d%05d", seq);
    String body = "{\"id\":\"" + id + "\",\"pad\":\"" + "x".repeat(size) + "\"}";
    return new Change(seq, "items", id, null, (com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(body),
        body, 0, null);
  }

  @Test
  @DisplayName("keeps at most its byte cap, evicting the oldest changes first")
  void evictsOldestPastTheCap() {
    Change sample = create(1, 100);
    History h = new History(sample.bytes() * 3L, 0);
    for (long s = 1; s <= 10; s++) {
      h.append(create(s, 100));
      assertTrue(h.bytes() <= sample.bytes() * 3L, "bytes " + h.bytes() + " over the cap");
    }
    assertEquals(3, h.size());
    assertEquals(8, h.oldestSeq());
    assertEquals(10, h.headSeq());
    assertEquals(7, h.evicted());
  }

  @Test
  @DisplayName("replays exactly the changes after a position it still holds")
  void replaysAfterAPosition() {
    History h = new History(1 << 20, 4);
    for (long s = 5; s <= 9; s++) {
      h.append(create(s, 10));
    }
    History.Replay r = h.since(6);
    assertEquals(List.of(7L, 8L, 9L), r.changes().stream().map(Change::seq).toList());
    assertEquals(9, r.headSeq());
    assertEquals(List.of(), h.since(9).changes(), "caught up: nothing to replay");
    assertEquals(5, h.since(4).changes().size(), "the position just before the oldest entry is still whole");
  }

  @Test
  @DisplayName("cannot replay a position older than its oldest entry, newer than its head, or negative")
  void refusesWhatItCannotReplay() {
    History h = new History(1 << 20, 4);
    for (long s = 5; s <= 9; s++) {
      h.append(create(s, 10));
    }
    assertNull(h.since(3), "seq 4..4 would be missing");
    assertNull(h.since(10), "a future position");
    assertNull(h.since(-1));
    History empty = new History(1 << 20, 12);
    assertEquals(List.of(), empty.since(12).changes(), "an empty history at its head replays nothing");
    assertNull(empty.since(11), "an empty history cannot replay seq 12");
  }

  @Test
  @DisplayName("refuses a change that does not come after its head")
  void refusesOutOfOrderAppends() {
    History h = new History(1 << 20, 4);
    h.append(create(5, 1));
    assertThrows(IllegalStateException.class, () -> h.append(create(5, 1)));
  }
}
