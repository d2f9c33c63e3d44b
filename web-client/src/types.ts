/**
 * The public shapes of the patchwire client (PROTOCOL.md §5).
 */
import type { DocMap } from './docs.js';
import type { TokenOption } from './token.js';

/** What a stream is doing now; shown to the page as a connection indicator. */
export type StreamState =
  /** first connection, nothing received yet */
  | 'connecting'
  /** Ready received; live patches are applied as they come */
  | 'ready'
  /** the engine dropped our backlog (Resync) and a fresh snapshot is on its way */
  | 'resyncing'
  /** the connection dropped; the last good data stays visible while we reconnect with `since` */
  | 'reconnecting'
  /** ended for good: close() was called, or the server sent `finished` / close code 1000 */
  | 'closed'
  /** ended for good by an error the client cannot fix by retrying (4400, 4401, 4403, 4404, or HTTP 400/401/403/404 on SSE) */
  | 'failed';

export type TransportKind = 'ws' | 'sse';

/** An error the server reported, or a transport failure. */
export interface StreamError {
  /** the engine's error code (`bad_request`, `unknown_collection`, ...), or `transport` */
  code: string;
  message: string;
  /** the WebSocket close code or the SSE HTTP status, when there was one */
  status?: number;
}

/** A consistent view of a stream, handed to every listener. Immutable; a new object on every change. */
export interface StreamView<T> {
  state: StreamState;
  /**
   * the collection's documents that match the filter, by id, as a persistent map: a change makes
   * a new map in O(log n) in which every other document is the same object as before
   */
  docs: DocMap<T>;
  /**
   * the same documents as a frozen plain object `{ [id]: doc }`, built from `docs` the first time
   * it is read (O(n) once per change; the documents themselves are shared, not copied)
   */
  data: Readonly<Record<string, T>>;
  /** `EPOCH:SEQ` of the last change applied, or null before the first snapshot */
  position: string | null;
  /** the transport of the current (or last) connection; null before the first one opens, except
   *  with `auto` on a runtime without WebSocket, where it is `sse` from the start */
  transport: TransportKind | null;
  /** the last error, kept until the next Ready */
  error: StreamError | null;
  /** reconnect attempts since the last Ready (0 while connected) */
  attempt: number;
}

export interface BackoffOptions {
  /** first delay, default 500 ms */
  initialMs?: number;
  /** cap, default 8000 ms */
  maxMs?: number;
  /** share of each delay that is random, 0..1, default 0.5 (full jitter on half the delay) */
  jitter?: number;
}

export interface StreamOptions {
  /** http(s) base of the engine, default: the page's origin */
  baseUrl?: string;
  collection: string;
  /** `field:value` filter (PROTOCOL.md §3), e.g. `project_id:demo` */
  where?: string;
  /** default `auto`: WebSocket, falling back to SSE when a WebSocket cannot connect */
  transport?: TransportKind | 'auto';
  /** resume from this `EPOCH:SEQ` (e.g. saved by the page) instead of starting with a snapshot */
  since?: string;
  /**
   * The access token for an engine with auth (docs/protocol.md "Auth"), sent as `access_token` in
   * the stream's URL. A function is asked for a new token when the engine refuses the one sent
   * (401, close 4401, `token_expired`) and shortly before its `exp`; the stream then reconnects
   * with `since` and `scope` and loses nothing. A fresh token refused again ends the stream
   * (`failed`). A fixed string that is refused or expires ends it too. Never logged.
   * Streams made by `PatchwireClient.stream` use the client's token unless given their own.
   */
  token?: TokenOption;
  /** `close` asks the engine to close with 4008 instead of resyncing when we fall behind */
  lag?: 'resync' | 'close';
  backoff?: BackoffOptions;
  /**
   * how long a WebSocket may take to open, default 5000 ms: in `auto` SSE is tried then; with
   * `ws` the attempt counts as failed and is retried with backoff
   */
  wsOpenTimeoutMs?: number;
  /**
   * an SSE connection that brings nothing for this long (the engine pings every 15 s) is taken
   * as dead and reconnected with `since`, default 45000 ms
   */
  sseIdleTimeoutMs?: number;
  /**
   * WebSocket constructor, default globalThis.WebSocket. Node 20 has none: pass the `ws`
   * package's class (`import WebSocket from 'ws'`), no cast needed. Without one, `auto` uses SSE
   * (and says so once on the console; `view.transport` is `sse`).
   */
  WebSocket?: WebSocketConstructor;
  /** fetch, default globalThis.fetch (SSE is read with fetch, so the HTTP status and error body are seen) */
  fetch?: typeof fetch;
  /**
   * Every raw message received, before it is applied: a WebSocket text frame, or an SSE event
   * (`{event, id?, data?}` with data parsed). For logging and for tests that check the wire.
   */
  onMessage?: (message: RawMessage) => void;
  /**
   * The documents the page held at `since` (saved together with it), so a resumed stream has
   * something to apply the missed changes to. Without them, a replayed update of a document the
   * stream does not hold fails to apply and the stream starts over from a snapshot.
   */
  initialData?: Readonly<Record<string, unknown>>;
  /** where an exception thrown by a listener or by onMessage goes (it never stops the stream); default console.error */
  onListenerError?: (error: unknown) => void;
  /** timer functions for reconnect delays and timeouts, default the global ones (tests pass their own) */
  timers?: Timers;
  /** random numbers in [0, 1) for the backoff jitter, default Math.random */
  random?: () => number;
  /**
   * where `online` events come from, default the page's `window` (none in Node): when the network
   * comes back, a stream waiting out its backoff reconnects at once. `null` turns this off.
   */
  networkEvents?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null;
}

/**
 * What the client needs of a WebSocket class: the browser's (and Node 22's) `WebSocket` and the
 * `ws` package's both fit. A structural type, so `ws` type-checks without a cast.
 */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The part of a WebSocket the client uses. */
export interface WebSocketLike {
  onopen: WebSocketHandler<unknown> | null;
  onmessage: WebSocketHandler<{ data: unknown }> | null;
  onclose: WebSocketHandler<{ code: number; reason: string }> | null;
  onerror: WebSocketHandler<unknown> | null;
  close(code?: number, reason?: string): void;
}

/**
 * An event handler property. Written as a method's type so its parameter is compared both ways:
 * the DOM's handler takes a `MessageEvent`, `ws`'s its own `MessageEvent`, and both hold what the
 * client reads (`data`, `code`, `reason`); a plain function type would refuse either.
 */
export type WebSocketHandler<E> = { handle(event: E): void }['handle'];

/** The timer functions a stream uses; the handle is whatever setTimeout returned. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type RawMessage =
  | { transport: 'ws'; frame: unknown }
  | { transport: 'sse'; event: { event: string; id?: string; data?: unknown } };

export interface SyncStream<T = Record<string, unknown>> {
  /** the current view; the same object until something changes */
  getView(): StreamView<T>;
  /** calls listener with every new view (not with the current one); returns the unsubscribe function */
  subscribe(listener: (view: StreamView<T>) => void): () => void;
  /**
   * Resolves once the stream has applied the change at `position` (`EPOCH:SEQ`, as a write returned)
   * or anything after it, or a snapshot of another epoch (the history was lost). Rejects when the
   * stream closes or fails first, or after `timeoutMs` (default 10 s).
   * A filtered stream (`where`) only moves on with matching changes and Ready: a write outside the
   * filter is passed only when a later matching change (or a reconnect's Ready) comes.
   */
  waitFor(position: string, options?: { timeoutMs?: number }): Promise<void>;
  /** ends the stream for good (state `closed`; a stream that already `failed` stays so); idempotent */
  close(): void;
}

/** The answer to a REST write: the document (absent for delete) and the change's position. */
export interface WriteResult<T> {
  status: number;
  doc: T | null;
  /** `EPOCH:SEQ` from the Patchwire-Seq header ('' if the answer had none, e.g. a proxy dropped it) */
  position: string;
  /** the ETag header (`"N"`, N the seq of the document's last change), for a later `ifMatch` */
  etag?: string;
}

/** One RFC 6902 operation. */
export type PatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };
