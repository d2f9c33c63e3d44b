package dev.patchwire.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.patchwire.testing.Rest;
import dev.patchwire.wire.Position;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A recording with what differs from run to run taken out, so that two recordings of the same
 * {@link KanbanSession} compare equal unless the wire format changed: arrival times, the start
 * time and port, SSE comments, the epoch (becomes {@code EPOCH}), ISO times ({@code TIME}), and on
 * a stream that was stalled, the live messages after {@code stallAfterSeq} and before the Resync
 * (how many got through before the drop depends on socket buffers) and the Resync's {@code dropped}.
 */
final class RecordingNormalizer {

  private static final Pattern TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");

  private RecordingNormalizer() {
  }

  static List<JsonNode> normalize(Recording rec, String epoch, long stallAfterSeq) {
    List<JsonNode> out = new ArrayList<>();
    ObjectNode header = Rest.MAPPER.createObjectNode();
    header.put("transport", rec.url().transport());
    header.put("collection", rec.url().collection());
    header.put("where", rec.url().where());
    header.put("since", rec.url().since());
    out.add(clean(header, epoch));
    boolean stalled = rec.entries().stream().anyMatch(RecordingNormalizer::isResync);
    boolean resynced = false;
    for (ObjectNode e : rec.entries()) {
      ObjectNode copy = e.deepCopy();
      copy.remove("t");
      if (copy.path("sse").has("comment")) {
        continue;
      }
      if (isResync(copy)) {
        resynced = true;
        JsonNode r = copy.has("frame") ? copy.get("frame").get("Resync") : copy.get("sse").get("data");
        ((ObjectNode) r).put("dropped", "K");
      } else if (stalled && !resynced && isLive(copy) && seq(copy) > stallAfterSeq) {
        continue;
      }
      out.add(clean(copy, epoch));
    }
    return out;
  }

  private static JsonNode clean(JsonNode node, String epoch) {
    String text = node.toString().replace(epoch, "EPOCH");
    return Rest.parse(TIME.matcher(text).replaceAll("TIME"));
  }

  private static boolean isResync(JsonNode e) {
    return e.path("frame").has("Resync") || e.path("sse").path("event").asText().equals("resync");
  }

  private static boolean isLive(JsonNode e) {
    if (e.path("frame").has("JsonPatch")) {
      return !e.path("frame").path("snapshot").asBoolean();
    }
    JsonNode data = e.path("sse").path("data");
    return e.path("sse").path("event").asText().equals("json_patch")
        && !(data.size() == 1 && data.path(0).path("op").asText().equals("add")
            && data.path(0).path("path").asText().lastIndexOf('/') == 0);
  }

  private static long seq(JsonNode e) {
    if (e.has("frame")) {
      return e.get("frame").path("seq").asLong();
    }
    String id = e.path("sse").path("id").asText();
    return Position.require(id).seq();
  }
}
