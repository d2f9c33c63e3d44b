package dev.patchwire.stream;

import dev.patchwire.wire.Position;

/**
 * What a client asked for when it opened a stream, and what its token lets it see.
 *
 * @param filter the client's {@code where}
 * @param since where to resume, or null for a snapshot
 * @param closeOnLag {@code lag=close}: close with 4008 instead of resyncing
 * @param grants the documents the token may read (its read grants); {@link Filter#ALL} without auth
 * @param scope the hash of those grants, sent in Ready; null without auth
 * @param expiresAtMillis when the token expires and the stream ends with {@code token_expired};
 *     0 for never
 */
public record StreamRequest(String collection, Filter filter, Position since, boolean closeOnLag,
    Filter grants, String scope, long expiresAtMillis) {

  /** A stream of an engine without auth. */
  public StreamRequest(String collection, Filter filter, Position since, boolean closeOnLag) {
    this(collection, filter, since, closeOnLag, Filter.ALL, null, 0);
  }

  /** What the stream sends: the client's {@code where} AND the read grants. */
  public Filter visible() {
    return Filter.and(filter, grants);
  }
}
