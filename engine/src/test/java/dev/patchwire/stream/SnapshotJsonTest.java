package dev.patchwire.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.patchwire.json.Json;
import dev.patchwire.store.Snapshot;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The snapshot's collection map, built without Jackson per id and without a tree per filtered document. */
class SnapshotJsonTest {

  @Test
  @DisplayName("ids are quoted exactly as Jackson quotes them, escapes included")
  void idsQuotedAsJackson() {
    for (String id : List.of("task-1", "a/b", "é😀", "", "q\"uote", "back\\slash", "tab\tnl\n", "\u0000\u001f\u007f", "\u2028")) {
      assertEquals(Json.quote(id), SnapshotJson.appendQuoted(new StringBuilder(), id).toString(), id);
    }
  }

  @Test
  @DisplayName("a filtered map holds the documents the filter matches on their whole tree")
  void filteredAsOnTheTree() {
    List<Snapshot.StoredDoc> docs = new ArrayList<>();
    String[] bodies = {"{\"p\":\"x\",\"n\":1}", "{\"p\":\"y\",\"n\":1.0}", "{\"p\":{\"x\":1},\"n\":2}",
        "{\"n\":1.00000000000000000001,\"p\":\"x\"}", "{\"p\":null,\"n\":true}", "{\"list\":[{\"p\":\"x\"}],\"p\":\"x\"}"};
    for (int i = 0; i < bodies.length; i++) {
      docs.add(new Snapshot.StoredDoc("d" + i, bodies[i], i + 1));
    }
    for (String where : List.of("p:x", "n:1", "p:null", "n:true", "n:2")) {
      Filter f = Filter.parse(where);
      StringBuilder expected = new StringBuilder("{");
      boolean first = true;
      for (Snapshot.StoredDoc d : docs) {
        if (f.matches(Json.parse(d.json()))) {
          expected.append(first ? "" : ",").append(Json.quote(d.id())).append(':').append(d.json());
          first = false;
        }
      }
      assertEquals(expected.append('}').toString(), SnapshotJson.docs(new Snapshot(9, docs), f), where);
    }
  }
}
