package dev.patchwire.stream;

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
  Buffer snapshot(String epoch, long seq, String collection, String docsJson);

  /** @param scope the hash of the token's read grants, or null without auth (then not sent) */
  Buffer ready(String epoch, long seq, boolean resumed, String scope);

  Buffer resync(long dropped);

  Buffer error(String code, String message);

  Buffer finished();
}
