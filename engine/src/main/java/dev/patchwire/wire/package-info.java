/**
 * The protocol itself, shared by the engine, the record/replay tools and the tests: positions,
 * the WebSocket and SSE frames, error and close codes, the JSON error body, the strict checker of
 * a stream. Internal to the engine: not part of its API (that is {@link dev.patchwire.Patchwire}
 * and its package), and free to change.
 */
package dev.patchwire.wire;
