package dev.patchwire.stream;

import dev.patchwire.msg.Position;

/**
 * What a client asked for when it opened a stream.
 *
 * @param since where to resume, or null for a snapshot
 * @param closeOnLag {@code lag=close}: close with 4008 instead of resyncing
 */
public record StreamRequest(String collection, Filter filter, Position since, boolean closeOnLag) {
}
