/**
 * @patchwire/client: the public surface. Everything else in src/ is internal.
 */
export type {
  BackoffOptions,
  PatchOperation,
  RawMessage,
  StreamError,
  StreamOptions,
  StreamState,
  StreamView,
  SyncStream,
  Timers,
  TransportKind,
  WebSocketConstructor,
  WebSocketHandler,
  WebSocketLike,
  WriteResult,
} from './types.js';
export { openStream, StreamWaitError } from './stream.js';
export { DocMap } from './docs.js';
export { expiryOf } from './token.js';
export type { TokenOption } from './token.js';
export { PatchwireClient, PatchwireError } from './rest.js';
export type { ListResult, NewDocument, PatchwireClientOptions, WriteOptions } from './rest.js';
export { applyPatch, escapePointerToken, jsonEqual, parsePointer, PatchError } from './patch.js';
export type { ApplyPatchOptions } from './patch.js';
export { comparePositions, formatPosition, parsePosition, tryParsePosition } from './position.js';
export type { Position } from './position.js';
export { Backoff, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
