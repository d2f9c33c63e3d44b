/**
 * A live, filtered view of one collection (PROTOCOL.md §3, §5): connects over WebSocket or SSE,
 * applies the snapshot and every change in order, ignores duplicates, reconnects after an
 * unclean end with capped, jittered backoff and resumes with `since`, and tells the page what it
 * is doing through immutable views.
 */
import { Backoff } from './backoff.js';
import type { Incoming } from './frames.js';
import { applyToDocuments, DocMap, documentsRoot, EMPTY_DOCS, type DocumentsRoot } from './docs.js';
import { PatchError } from './patch.js';
import { redactToken, TokenSource } from './token.js';
import { formatPosition, parsePosition, tryParsePosition, type Position } from './position.js';
import { connectSse, connectWebSocket, type Connection, type ConnectionEvents, type Ending } from './transports.js';
import type {
  RawMessage,
  StreamError,
  StreamOptions,
  StreamState,
  StreamView,
  SyncStream,
  Timers,
  TransportKind,
  WebSocketConstructor,
} from './types.js';

export const DEFAULT_WS_OPEN_TIMEOUT_MS = 5000;
/** three of the engine's 15 s `:ping`s missed */
export const DEFAULT_SSE_IDLE_TIMEOUT_MS = 45_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;

/** Why a `waitFor` gave up. */
export class StreamWaitError extends Error {
  override readonly name = 'StreamWaitError';
  constructor(
    message: string,
    /** `timeout`, or the final state the stream reached first */
    readonly reason: 'timeout' | 'closed' | 'failed',
    /** the stream's error at that moment, if any */
    readonly streamError: StreamError | null = null,
  ) {
    super(message);
  }
}

/** Opens a stream; it starts connecting at once. A wrong option throws a TypeError right away. */
export function openStream<T = Record<string, unknown>>(options: StreamOptions): SyncStream<T> {
  return new Stream<T>(options, null);
}

/** openStream with a TokenSource shared with a PatchwireClient (used when `options.token` is not set). */
export function openStreamWithTokens<T>(options: StreamOptions, tokens: TokenSource | null): SyncStream<T> {
  return new Stream<T>(options, tokens);
}

const GLOBAL_TIMERS: Timers = {
  // Wrapped: a browser's setTimeout refuses to be called as a method of another object.
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};
/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiter {
  target: Position;
  resolve(): void;
  reject(error: StreamWaitError): void;
  timer: unknown;
}

/** A view without `data`, which is derived from `docs`. */
type ViewFields<T> = Omit<StreamView<T>, 'data'>;

/**
 * A frozen view. `data` is a getter: the plain object is built from `docs` the first time it is
 * read (once per DocMap), so a page that uses `docs` never pays for it.
 */
function makeView<T>(fields: ViewFields<T>): StreamView<T> {
  const view = { ...fields } as StreamView<T>;
  Object.defineProperty(view, 'data', { get: () => fields.docs.toObject(), enumerable: true });
  return Object.freeze(view);
}

interface Listener<T> {
  fn(view: StreamView<T>): void;
}

class Stream<T> implements SyncStream<T> {
  private readonly collection: string;
  private readonly baseUrl: string;
  private readonly transportMode: TransportKind | 'auto';
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly timers: Timers;
  private readonly backoff: Backoff;
  private readonly wsOpenTimeoutMs: number;

  /** the document the patches apply to: `{[collection]: {id: doc}}`, its documents a DocMap */
  private root: DocumentsRoot<T>;
  /** position of what `root` holds; both null when unknown */
  private epoch: string | null = null;
  private seq: number | null = null;
  /**
   * Changes replayed before Ready are applied as they come but published as one view, with the
   * Ready. While such a batch is open this is the root the listeners have seen, which a batch
   * that breaks half-way goes back to; null when no batch is open.
   */
  private publishedRoot: DocumentsRoot<T> | null = null;
  /** the last epoch the stream held, kept when a corrupted stream forgets its position */
  private lastEpoch: string | null = null;
  /** epochs the stream has moved on from: their history is lost, so any wait for them is over */
  private readonly leftEpochs = new Set<string>();

  /** the view's fields; `view` is made from them (its `data` is computed on first read) */
  private fields: ViewFields<T>;
  private view: StreamView<T>;
  private connection: Connection | null = null;
  /** the pending reconnect, or the WebSocket open deadline in `auto` */
  private timer: unknown = null;
  private readonly listeners = new Set<Listener<T>>();
  private readonly waiters = new Set<Waiter>();
  private readonly networkEvents: StreamOptions['networkEvents'];
  private readonly pendingViews: StreamView<T>[] = [];
  private emitting = false;

  /** where the access token comes from; null without auth */
  private readonly tokens: TokenSource | null;
  /** the token of the current connection attempt */
  private token: string | null = null;
  /** counts connection attempts, so a token that arrives late is dropped */
  private attempts = 0;
  /** the last Ready's `scope` (auth on): sent back with `since`, without which there is no replay */
  private scope: string | null = null;
  /** a refused token was replaced and the new one has not reached a Ready yet: refused again is final */
  private tokenReplaced = false;
  /** replaces the token shortly before its `exp` */
  private refreshTimer: unknown = null;

  constructor(
    private readonly options: StreamOptions,
    sharedTokens: TokenSource | null,
  ) {
    const { collection } = options;
    if (typeof collection !== 'string' || collection === '') {
      throw new TypeError('openStream: `collection` must be a non-empty string');
    }
    for (const [name, value] of [['collection', collection], ['where', options.where]] as const) {
      if (value !== undefined && !isWellFormed(value)) {
        throw new TypeError(`openStream: \`${name}\` holds a lone surrogate, which no URL can carry`);
      }
    }
    this.collection = collection;
    this.baseUrl = resolveBaseUrl(options.baseUrl);
    this.transportMode = options.transport ?? 'auto';
    if (!['auto', 'ws', 'sse'].includes(this.transportMode)) {
      throw new TypeError(`openStream: unknown transport ${JSON.stringify(this.transportMode)}`);
    }
    this.WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const f = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    // Called as a plain function: a browser's fetch refuses another `this`.
    this.fetchImpl = f && ((input, init) => f(input, init));
    if (this.transportMode === 'ws' && !this.WebSocketImpl) {
      throw new TypeError('openStream: no WebSocket here; pass `WebSocket` (e.g. the `ws` package) or use SSE');
    }
    if (this.transportMode !== 'ws' && !this.fetchImpl) {
      throw new TypeError('openStream: no fetch here; pass `fetch`');
    }
    this.timers = options.timers ?? GLOBAL_TIMERS;
    this.tokens = options.token !== undefined ? new TokenSource(options.token) : sharedTokens;
    this.backoff = new Backoff(options.backoff, options.random);
    this.wsOpenTimeoutMs = options.wsOpenTimeoutMs ?? DEFAULT_WS_OPEN_TIMEOUT_MS;

    this.root = documentsRoot<T>(collection, options.initialData ?? null);
    if (options.since !== undefined) {
      const p = parsePosition(options.since);
      this.adoptEpoch(p.epoch);
      this.seq = p.seq;
    }
    // `auto` without a WebSocket can only use SSE: the view says so before the first connection.
    const sseOnly = this.transportMode === 'auto' && !this.WebSocketImpl;
    if (sseOnly) {
      noteNoWebSocket();
    }
    this.fields = {
      state: 'connecting',
      docs: this.docsOf(this.root),
      position: this.position(),
      transport: sseOnly ? 'sse' : null,
      error: null,
      attempt: 0,
    };
    this.view = makeView(this.fields);
    this.networkEvents = options.networkEvents === undefined ? pageWindow() : options.networkEvents;
    this.networkEvents?.addEventListener('online', this.onOnline);
    this.connect();
  }

  getView(): StreamView<T> {
    return this.view;
  }

  subscribe(listener: (view: StreamView<T>) => void): () => void {
    const entry: Listener<T> = { fn: listener };
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  /**
   * Caveat: a filtered stream (`where`) hears only of changes that touch its documents. Waiting
   * for the position of a write that does not match the filter resolves only when a later
   * matching change, a Ready (e.g. after a reconnect) or a snapshot carries the stream past it;
   * until then the wait may time out although nothing is wrong.
   */
  waitFor(position: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const target = tryParsePosition(position);
    if (target === null) {
      return Promise.reject(new TypeError(`waitFor: not a stream position (EPOCH:SEQ): ${JSON.stringify(position)}`));
    }
    if (this.reached(target)) {
      return Promise.resolve();
    }
    if (this.isFinal()) {
      return Promise.reject(this.endedError());
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { target, resolve, reject, timer: null };
      if (Number.isFinite(timeoutMs) && timeoutMs <= MAX_TIMER_MS) {
        waiter.timer = this.timers.setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new StreamWaitError(`waitFor(${position}) timed out after ${timeoutMs} ms`, 'timeout', this.view.error));
        }, Math.max(0, timeoutMs));
      }
      this.waiters.add(waiter);
    });
  }

  close(): void {
    this.finish('closed', this.view.error);
  }

  // ---- connecting ----

  private connect(): void {
    this.timer = null;
    const attempt = ++this.attempts;
    if (this.tokens === null) {
      this.open(null);
      return;
    }
    this.tokens.current().then(
      (token) => {
        if (attempt === this.attempts && !this.isFinal() && this.connection === null) {
          this.open(token);
        }
      },
      (e: unknown) => {
        if (attempt === this.attempts && !this.isFinal()) {
          this.scheduleReconnect(tokenUnavailable(e));
        }
      },
    );
  }

  /** One connection attempt with `token` (null without auth), WebSocket or SSE as configured. */
  private open(token: string | null): void {
    this.token = token;
    const since = this.position();
    if (this.transportMode === 'sse' || !this.WebSocketImpl) {
      this.connectSse(since);
      return;
    }
    const fallback = this.transportMode === 'auto';
    const connection = connectWebSocket(
      this.url('ws', since),
      this.WebSocketImpl,
      this.eventsFor(() => connection, (ending) => {
        if (fallback && ending.kind === 'unopened') {
          this.connectSse(since); // the same attempt, another transport
          return true;
        }
        return false;
      }),
    );
    this.connection = connection;
    if (!(this.wsOpenTimeoutMs <= MAX_TIMER_MS)) {
      return; // no deadline (Infinity)
    }
    // A handshake that hangs would keep the stream `connecting` for good.
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (this.connection !== connection) {
        return;
      }
      this.connection = null;
      connection.close();
      if (fallback) {
        this.connectSse(since);
      } else {
        this.scheduleReconnect({ code: 'transport', message: `WebSocket did not open within ${this.wsOpenTimeoutMs} ms` });
      }
    }, this.wsOpenTimeoutMs);
  }

  private connectSse(since: string | null): void {
    this.clearTimer();
    const connection = connectSse(
      this.url('sse', since),
      this.fetchImpl!,
      this.collection,
      this.eventsFor(() => connection, () => false),
      { timers: this.timers, idleTimeoutMs: this.options.sseIdleTimeoutMs ?? DEFAULT_SSE_IDLE_TIMEOUT_MS },
    );
    this.connection = connection;
  }

  /**
   * The events of one connection; they are dropped once it is no longer the current one.
   * `handleEnd` may take over an ending (the `auto` fallback) by returning true.
   */
  private eventsFor(current: () => Connection, handleEnd: (ending: Ending) => boolean): ConnectionEvents {
    const live = (): boolean => this.connection !== null && this.connection === current();
    return {
      onOpen: () => {
        if (live()) {
          if (current().transport === 'ws') {
            this.clearTimer(); // the open deadline
          }
          this.update({ transport: current().transport });
        }
      },
      onRaw: (raw) => {
        if (live()) {
          this.report(raw);
        }
      },
      onMessage: (message) => {
        if (live()) {
          this.receive(message);
        }
      },
      onEnd: (ending) => {
        if (!live()) {
          return;
        }
        this.connection = null;
        this.clearTimer();
        if (!handleEnd(ending)) {
          this.ended(ending);
        }
      },
    };
  }

  private ended(ending: Ending): void {
    this.clearRefreshTimer();
    if (this.tokens !== null && ending.kind !== 'closed' && isTokenRefusal(ending.error)) {
      if (this.tokens.refreshable && !this.tokenReplaced) {
        this.replaceToken(ending.error);
      } else {
        this.finish('failed', ending.error); // a fixed token, or a fresh one refused again
      }
      return;
    }
    switch (ending.kind) {
      case 'closed':
        this.finish('closed', this.view.error);
        return;
      case 'failed':
        this.finish('failed', ending.error);
        return;
      case 'retry':
      case 'unopened':
        this.scheduleReconnect(ending.error);
        return;
    }
  }

  /**
   * The token was refused or has expired: ask for a new one and reconnect at once, resuming with
   * `since` and `scope`. The new token must reach a Ready; refused again, the stream fails.
   */
  private replaceToken(error: StreamError): void {
    this.tokenReplaced = true;
    this.update({ state: this.view.state === 'connecting' ? 'connecting' : 'reconnecting', error });
    const attempt = ++this.attempts;
    this.tokens!.fresh().then(
      (token) => {
        if (attempt === this.attempts && !this.isFinal() && this.connection === null) {
          this.open(token);
        }
      },
      (e: unknown) => {
        if (attempt === this.attempts && !this.isFinal()) {
          this.scheduleReconnect(tokenUnavailable(e));
        }
      },
    );
  }

  /** Arms the replacement of the current token shortly before its `exp` (a function token only). */
  private armRefresh(): void {
    this.clearRefreshTimer();
    const at = this.tokens?.refreshable && this.token !== null ? this.tokens.refreshAt(this.token) : null;
    if (at === null) {
      return;
    }
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now()));
    this.refreshTimer = this.timers.setTimeout(() => {
      this.refreshTimer = null;
      const connection = this.connection;
      this.tokens!.fresh().then(
        (token) => {
          // Still on the same connection: move to a new one with the new token, from our position.
          if (this.connection === connection && connection !== null && !this.isFinal() && token !== this.token) {
            this.connection = null;
            connection.close();
            this.clearTimer();
            this.attempts++;
            this.open(token);
          }
        },
        () => undefined, // the engine's token_expired at exp asks again
      );
    }, delay);
  }

  private clearRefreshTimer(): void {
    if (this.refreshTimer !== null) {
      this.timers.clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
  }

  /** The network is back: a reconnect waiting out its backoff happens now (the backoff still counts). */
  private readonly onOnline = (): void => {
    if (this.view.state === 'reconnecting' && this.connection === null && this.timer !== null) {
      this.clearTimer();
      this.connect();
    }
  };

  private scheduleReconnect(error: StreamError, change: Partial<StreamView<T>> = {}): void {
    const delay = this.backoff.next();
    this.timer = this.timers.setTimeout(() => this.connect(), delay);
    this.update({ ...change, state: 'reconnecting', error, attempt: this.backoff.attempt });
  }

  /** Ends for good: closes the connection, stops timers, rejects the waiters. Once only. */
  private finish(state: 'closed' | 'failed', error: StreamError | null): void {
    if (this.isFinal()) {
      return;
    }
    const connection = this.connection;
    this.connection = null;
    connection?.close();
    this.clearTimer();
    this.clearRefreshTimer();
    this.networkEvents?.removeEventListener('online', this.onOnline);
    this.update({ state, error });
    const err = this.endedError();
    for (const waiter of this.waiters) {
      this.timers.clearTimeout(waiter.timer);
      waiter.reject(err);
    }
    this.waiters.clear();
  }

  /**
   * The stream can no longer be trusted (a patch that does not apply, a malformed message):
   * forget the position, so the next connection starts with a fresh snapshot. The data stays
   * visible until then.
   */
  private corrupted(code: string, message: string): void {
    if (this.publishedRoot !== null) {
      // a replay that broke half-way: back to what the page has seen
      this.root = this.publishedRoot;
      this.publishedRoot = null;
    }
    this.epoch = null;
    this.seq = null;
    const connection = this.connection;
    this.connection = null;
    connection?.close();
    this.scheduleReconnect({ code, message }, { position: null });
  }

  // ---- messages ----

  private receive(message: Incoming): void {
    switch (message.kind) {
      case 'patch':
        this.applyChange(message);
        return;
      case 'ready': {
        const sameEpoch = this.epoch === message.epoch && this.seq !== null;
        // Ready's seq may be past the last replayed change (changes outside the filter): adopt it.
        this.seq = sameEpoch ? Math.max(this.seq!, message.seq) : message.seq;
        this.adoptEpoch(message.epoch);
        this.scope = message.scope;
        this.tokenReplaced = false;
        this.armRefresh();
        this.backoff.reset();
        this.settleWaiters(null);
        this.update({ state: 'ready', position: this.position(), error: null, attempt: 0 });
        return;
      }
      case 'resync':
        // The current data stays visible until the snapshot that follows replaces it.
        this.update({ state: 'resyncing' });
        return;
      case 'finished':
        this.finish('closed', this.view.error);
        return;
      case 'error':
        // Remembered and shown; the close (or the end of the event stream) that follows decides.
        this.update({ error: { code: message.code, message: message.message } });
        return;
      case 'invalid':
        this.corrupted('protocol_error', message.reason);
        return;
      case 'ignored':
        return;
    }
  }

  private applyChange(message: Extract<Incoming, { kind: 'patch' }>): void {
    if (!message.snapshot) {
      if (this.seq !== null && message.seq <= this.seq) {
        return; // already applied (a replay overlapping what we hold)
      }
      if (message.epoch !== null && this.epoch !== null && message.epoch !== this.epoch) {
        this.corrupted('protocol_error', `a change of epoch ${message.epoch} without a snapshot of it`);
        return;
      }
    }
    // A replay (changes before Ready) is published as one view, with the Ready.
    const batched = !message.snapshot && this.view.state !== 'ready';
    let next: DocumentsRoot<T>;
    try {
      next = applyToDocuments(this.root, this.collection, message.ops, message.snapshot);
    } catch (e) {
      if (e instanceof PatchError) {
        this.corrupted('patch_failed', `change ${message.seq} does not apply: ${e.message}`);
        return;
      }
      throw e;
    }
    if (batched && this.publishedRoot === null) {
      this.publishedRoot = this.root;
    }
    this.root = next;
    this.seq = message.seq;
    if (message.epoch !== null) {
      this.adoptEpoch(message.epoch);
    }
    if (batched) {
      return;
    }
    this.settleWaiters(message.snapshot ? message.epoch : null);
    const state: StreamState = message.snapshot && this.view.state === 'resyncing' ? 'ready' : this.view.state;
    this.update({ state, docs: this.docsOf(next), position: this.position() });
  }

  // ---- waiters ----

  private adoptEpoch(epoch: string): void {
    if (this.lastEpoch !== null && this.lastEpoch !== epoch) {
      this.leftEpochs.add(this.lastEpoch);
    }
    this.lastEpoch = epoch;
    this.epoch = epoch;
  }

  private reached(target: Position): boolean {
    if (this.leftEpochs.has(target.epoch)) {
      return true;
    }
    return this.epoch === target.epoch && this.seq !== null && this.seq >= target.seq;
  }

  /** Resolves the waiters the stream has now passed; a snapshot of another epoch passes all of its own. */
  private settleWaiters(snapshotEpoch: string | null): void {
    for (const waiter of this.waiters) {
      if (this.reached(waiter.target) || (snapshotEpoch !== null && snapshotEpoch !== waiter.target.epoch)) {
        this.waiters.delete(waiter);
        this.timers.clearTimeout(waiter.timer);
        waiter.resolve();
      }
    }
  }

  private endedError(): StreamWaitError {
    const { state, error } = this.view;
    const reason = state === 'failed' ? 'failed' : 'closed';
    const why = error ? `: ${error.code}: ${error.message}` : '';
    return new StreamWaitError(`the stream ${state === 'failed' ? 'failed' : 'was closed'}${why}`, reason, error);
  }

  // ---- views ----

  /** Replaces the view when a field changed, then tells every listener. */
  private update(change: Partial<ViewFields<T>>): void {
    if (this.publishedRoot !== null) {
      change = { ...this.closeBatch(), ...change };
    }
    const current = this.fields;
    if (change.error) {
      Object.freeze(change.error);
    }
    const changed = (Object.keys(change) as (keyof ViewFields<T>)[]).some((k) => change[k] !== current[k]);
    if (!changed) {
      return;
    }
    this.fields = { ...current, ...change };
    this.view = makeView(this.fields);
    this.emit(this.view);
  }

  /** Hands views out in order, also when a listener causes another change (e.g. calls close()). */
  private emit(view: StreamView<T>): void {
    this.pendingViews.push(view);
    if (this.emitting) {
      return;
    }
    this.emitting = true;
    try {
      for (let v = this.pendingViews.shift(); v !== undefined; v = this.pendingViews.shift()) {
        for (const listener of [...this.listeners]) {
          if (this.listeners.has(listener)) {
            this.guard(() => listener.fn(v!));
          }
        }
      }
    } finally {
      this.emitting = false;
    }
  }

  private report(raw: RawMessage): void {
    const onMessage = this.options.onMessage;
    if (onMessage) {
      this.guard(() => onMessage(raw));
    }
  }

  /** Runs page code; what it throws is reported, never let into the stream. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      try {
        (this.options.onListenerError ?? ((e: unknown) => console.error('patchwire: a stream listener threw', e)))(error);
      } catch {
        // nowhere left to report it
      }
    }
  }

  // ---- replay batches ----

  /** Ends the open replay batch; the view change that publishes it. */
  private closeBatch(): Partial<ViewFields<T>> {
    this.publishedRoot = null;
    this.settleWaiters(null);
    return { docs: this.docsOf(this.root), position: this.position() };
  }

  // ---- helpers ----

  private isFinal(): boolean {
    return this.view.state === 'closed' || this.view.state === 'failed';
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private position(): string | null {
    return this.epoch !== null && this.seq !== null ? formatPosition(this.epoch, this.seq) : null;
  }

  private docsOf(root: DocumentsRoot<T>): DocMap<T> {
    return root.docs ?? (EMPTY_DOCS as DocMap<T>);
  }

  private url(kind: TransportKind, since: string | null): string {
    const base = kind === 'ws' ? this.baseUrl.replace(/^http/i, 'ws') : this.baseUrl.replace(/^ws/i, 'http');
    // encodeURIComponent, not URLSearchParams: a space is %20, never a '+' a server may keep.
    const query = [
      ['where', this.options.where],
      ['since', since ?? undefined],
      // the scope the position was read under: without it (or under other grants) no replay
      ['scope', since !== null && this.scope !== null ? this.scope : undefined],
      ['lag', this.options.lag],
      ['access_token', this.token ?? undefined],
    ]
      .filter((pair): pair is [string, string] => pair[1] !== undefined)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');
    const path = `${base}/api/collections/${encodeURIComponent(this.collection)}/stream/${kind}`;
    return query ? `${path}?${query}` : path;
  }
}

/** The engine refused the token at open (401 / 4401 `unauthorized`) or it expired on the open stream. */
function isTokenRefusal(error: StreamError): boolean {
  return error.code === 'token_expired' || error.code === 'unauthorized' || error.status === 4401 || error.status === 401;
}

function tokenUnavailable(e: unknown): StreamError {
  const why = e instanceof Error ? e.message : String(e);
  return { code: 'token_unavailable', message: `the token function failed: ${redactToken(why)}` };
}

let noWebSocketNoted = false;

/**
 * `auto` without a WebSocket (Node 20, and no `WebSocket` option) can only use SSE: say so once
 * per process, since it is a silent change of transport otherwise.
 */
function noteNoWebSocket(): void {
  if (!noWebSocketNoted) {
    noWebSocketNoted = true;
    console.info(
      "patchwire: no WebSocket in this runtime, so transport 'auto' uses SSE " +
        "(pass the `ws` package as the `WebSocket` option to use WebSockets)",
    );
  }
}

/** The page's window, the source of `online` events; null outside a browser. */
function pageWindow(): EventTarget | null {
  const w = (globalThis as { window?: EventTarget }).window;
  return w && typeof w.addEventListener === 'function' ? w : null;
}

/** Whether the string is valid UTF-16 (no lone surrogate), so encodeURIComponent takes it. */
export function isWellFormed(value: string): boolean {
  return !/\p{Surrogate}/u.test(value);
}

/** The engine's http(s) base without a trailing slash; the page's origin by default. */
export function resolveBaseUrl(baseUrl: string | undefined): string {
  const base = baseUrl ?? (globalThis as { location?: { origin?: string } }).location?.origin;
  if (typeof base !== 'string' || base === '') {
    throw new TypeError('patchwire: no baseUrl, and no page origin to default to');
  }
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new TypeError(`patchwire: baseUrl ${JSON.stringify(base)} is not an absolute URL`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new TypeError(`patchwire: baseUrl ${JSON.stringify(base)} is not http(s)`);
  }
  return `${url.origin.replace(/^ws/, 'http')}${url.pathname}`.replace(/\/+$/, '');
}
