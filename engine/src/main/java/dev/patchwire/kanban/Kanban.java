package dev.patchwire.kanban;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.json.Json;
import dev.patchwire.store.CollectionSpec;
import dev.patchwire.store.DocumentStore;
import dev.patchwire.store.Write;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The reference app: collections {@code projects} and {@code tasks}, and the demo board. */
public final class Kanban {

  public static final String PROJECTS = "projects";
  public static final String TASKS = "tasks";
  public static final String DEMO_PROJECT = "demo";

  private Kanban() {
  }

  public static List<CollectionSpec> collections() {
    return List.of(
        CollectionSpec.withSchema(PROJECTS, schema("schemas/kanban/project.schema.json")),
        CollectionSpec.withSchema(TASKS, schema("schemas/kanban/task.schema.json")));
  }

  private static JsonObject schema(String resource) {
    try (InputStream in = Kanban.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Seeds an empty database with one project and a few tasks, through the normal write path. */
  public static Future<Void> seedIfEmpty(DocumentStore store) {
    // Every document came with a change, so no change yet means an empty database.
    if (store.committedSeq() > 0) {
      return Future.succeededFuture();
    }
    Future<?> chain = store.write(new Write.Create(PROJECTS, DEMO_PROJECT,
        Json.object().put("name", "Demo project"))).recover(Kanban::seededElsewhere);
    String[][] tasks = {
        {"Sketch the board", "done", "Columns per status, ordered by position."},
        {"Stream changes as JSON Patches", "inreview", "Snapshot, Ready, then live patches."},
        {"Resync slow clients", "inprogress", "Drop the backlog, send a fresh snapshot."},
        {"Resume after reconnect", "todo", "since=EPOCH:SEQ replays what was missed."},
        {"Drag a card to another column", "todo", "Open this page twice and watch both."},
    };
    for (int i = 0; i < tasks.length; i++) {
      ObjectNode task = Json.object()
          .put("project_id", DEMO_PROJECT)
          .put("title", tasks[i][0])
          .put("status", tasks[i][1])
          .put("description", tasks[i][2])
          .put("position", (i + 1) * 1000);
      String id = "task-" + (i + 1);
      chain = chain.compose(v -> store.write(new Write.Create(TASKS, id, task))
          .recover(Kanban::seededElsewhere));
    }
    return chain.mapEmpty();
  }

  /** Several nodes starting at once on one empty database: another one seeded this document. */
  private static Future<dev.patchwire.store.WriteResult> seededElsewhere(Throwable e) {
    return e instanceof dev.patchwire.store.WriteRejected r
        && r.reason() == dev.patchwire.store.WriteRejected.Reason.ALREADY_EXISTS
        ? Future.succeededFuture(null) : Future.failedFuture(e);
  }
}
