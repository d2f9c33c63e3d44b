package dev.patchwire.wire;

import io.vertx.core.buffer.Buffer;

/**
 * How one transport writes the protocol's messages. Implementations keep no state, so one
 * encoded live frame can be written to every subscriber of the same transport.
 */
public interface FrameEncoder {

  /** Small number, unique per transport, for the fan-out's per-message frame cache. */
  int slot();

  /** A live change: {@code ops} is the JSON Patch array text. */
  Buffer live(String epoch, long seq, String ops);

  /** The start or resync snapshot: {@code add} of {@code /collection} with {@code docsJson}. */
  default Buffer snapshot(String epoch, long seq, String collection, String docsJson) {
    return Buffer.buffer(snapshotHead(epoch, seq, collection) + docsJson + snapshotTail(epoch, seq));
  }

  /**
   * The text of a snapshot message before its collection map; the map, then
   * {@link #snapshotTail}, complete it. A snapshot too large to build at once is written in
   * these pieces (see the stream package's {@code PiecewiseMessage}).
   */
  String snapshotHead(String epoch, long seq, String collection);

  /** The text of a snapshot message after its collection map. */
  String snapshotTail(String epoch, long seq);

  /** @param scope the hash of the token's read grants, or null without auth (then not sent) */
  Buffer ready(String epoch, long seq, boolean resumed, String scope);

  Buffer resync(long dropped);

  Buffer error(ErrorCode code, String message);

  Buffer finished();
}
