package dev.patchwire.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What replaying one or more recordings gave: the client's document, the position it holds
 * ({@code epoch:seq}, seq -1 when no start was received), counts, and notes that are not
 * violations (an error frame, a recording that stopped while waiting for a resync snapshot).
 */
public record ReplayResult(JsonNode document, String collection, String where, String epoch, long seq,
    Counts counts, List<String> notes) {

  /** How many of each message the recordings held. */
  public record Counts(int connections, int messages, int snapshots, int live, int readies,
      int resumes, int resyncs, int errors) {

    @Override
    public String toString() {
      return connections + " connection(s), " + messages + " messages: " + snapshots + " snapshot(s), "
          + live + " live, " + readies + " Ready (" + resumes + " resumed), " + resyncs + " Resync, "
          + errors + " error(s)";
    }
  }

  /** The id-keyed map under {@code /collection}, or null before any snapshot. */
  public JsonNode docs() {
    return document.get(collection);
  }

  public String position() {
    return epoch + ":" + seq;
  }
}
