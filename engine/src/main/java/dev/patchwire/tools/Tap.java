package dev.patchwire.tools;

import com.fasterxml.jackson.databind.JsonNode;

/** One live stream connection that a {@link Recorder} listens to: WebSocket or SSE. */
interface Tap {

  /** Where a tap reports, on its event loop. */
  interface Sink {
    /** Something received; {@code frame} is true for a message of the stream (not a comment or retry). */
    void received(String kind, JsonNode value, boolean frame);

    /** The stream is over ({@code closed}, {@code refused}, {@code failed}); called at most once by a tap. */
    void ended(String kind, JsonNode value);
  }

  /** Stops reading the socket, so that the server sees a slow consumer. */
  void pause();

  void resume();

  /** Closes the connection and the client; no more calls to the sink after this one returns. */
  void close();
}
