package dev.patchwire.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The error codes are written down in three places: the {@link ErrorCode} enum the engine sends
 * them from, the status table of docs/protocol.md and the list in schemas/wire/error.schema.json.
 * A code added, renamed or given another status in one place only fails here.
 */
@DisplayName("The error codes")
class ErrorCodeTest {

  private static final Path PROTOCOL = Path.of("..", "docs", "protocol.md");
  private static final Path SCHEMA = Path.of("..", "schemas", "wire", "error.schema.json");
  private static final Pattern CODE = Pattern.compile("`([a-z][a-z0-9_]*)`");
  private static final String STREAMS_ONLY = "— (streams only)";

  @Test
  @DisplayName("are the codes of docs/protocol.md's status table, each with the status it gives")
  void enumMatchesTheProtocolTable() throws IOException {
    Map<String, String> table = statusTable();
    assertEquals(wireNames(), new TreeSet<>(table.keySet()),
        "ErrorCode against the codes of docs/protocol.md's status table");
    for (ErrorCode code : ErrorCode.values()) {
      String statuses = table.get(code.wire());
      if (code.isHttpAnswer()) {
        List<String> listed = Arrays.asList(statuses.split(" / "));
        assertTrue(listed.contains(String.valueOf(code.httpStatus())),
            code.wire() + " answers " + code.httpStatus() + ", the table says " + statuses);
      } else {
        assertEquals(STREAMS_ONLY, statuses, code.wire() + " ends streams only");
      }
    }
  }

  @Test
  @DisplayName("are the codes error.schema.json lists")
  void enumMatchesTheSchemaList() throws IOException {
    String description = new JsonObject(Files.readString(SCHEMA)).getString("description");
    Matcher m = Pattern.compile("snake_case name, one of \\(([a-z0-9_, ]+);").matcher(description);
    assertTrue(m.find(), "error.schema.json's description lists the codes: " + description);
    List<String> listed = Arrays.asList(m.group(1).split(", "));
    assertEquals(listed.size(), new TreeSet<>(listed).size(), "a code listed twice: " + listed);
    assertEquals(wireNames(), new TreeSet<>(listed), "ErrorCode against error.schema.json's list");
  }

  @Test
  @DisplayName("are snake_case and distinct")
  void wireNamesAreDistinct() {
    for (ErrorCode code : ErrorCode.values()) {
      assertTrue(code.wire().matches("[a-z][a-z0-9_]*"), code.wire());
      assertEquals(code.name().toLowerCase(java.util.Locale.ROOT), code.wire(), "enum name of " + code.wire());
    }
    assertEquals(ErrorCode.values().length, wireNames().size());
  }

  private static TreeSet<String> wireNames() {
    return Arrays.stream(ErrorCode.values()).map(ErrorCode::wire).collect(Collectors.toCollection(TreeSet::new));
  }

  /** Code -> the status cell of its row, from the table under {@code | status | codes |}. */
  private static Map<String, String> statusTable() throws IOException {
    List<String> lines = Files.readAllLines(PROTOCOL);
    int header = lines.indexOf("| status | codes |");
    assertTrue(header >= 0, "docs/protocol.md has the status table");
    Map<String, String> codes = new LinkedHashMap<>();
    List<String> twice = new ArrayList<>();
    for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
      String[] cells = lines.get(i).split("\\|", 3);
      String status = cells[1].trim();
      Matcher m = CODE.matcher(cells[2]);
      while (m.find()) {
        if (codes.put(m.group(1), status) != null) {
          twice.add(m.group(1));
        }
      }
    }
    assertEquals(List.of(), twice, "codes listed in two rows of the status table");
    return codes;
  }
}
