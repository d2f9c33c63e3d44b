/**
 * One connection of a stream, over WebSocket or SSE: it decodes what arrives into `Incoming`
 * messages and says once, at its end, what the end means (PROTOCOL.md §3 close-code table).
 * Reconnecting is the stream's business, not the connection's.
 */
import { decodeSseEvent, decodeWsFrame, type Incoming } from './frames.js';
import { readSse } from './sse.js';
import { redactToken } from './token.js';
import type { RawMessage, StreamError, Timers, TransportKind, WebSocketConstructor, WebSocketLike } from './types.js';

/** How a connection ended. */
export type Ending =
  /** ended for good and cleanly: close code 1000 */
  | { kind: 'closed' }
  /** ended for good by an error retrying cannot fix */
  | { kind: 'failed'; error: StreamError }
  /** dropped: reconnect (with backoff, resuming with `since`) */
  | { kind: 'retry'; error: StreamError }
  /** a WebSocket that never opened (refused upgrade, network error, no such endpoint) */
  | { kind: 'unopened'; error: StreamError };

export interface ConnectionEvents {
  /** the socket opened, or the SSE answer is a 200 event stream */
  onOpen(): void;
  /** every message as received, before it is decoded */
  onRaw(raw: RawMessage): void;
  onMessage(message: Incoming): void;
  /** called once, unless close() came first */
  onEnd(ending: Ending): void;
}

export interface Connection {
  readonly transport: TransportKind;
  /** ends the connection; no event is delivered after it */
  close(): void;
}

/** WebSocket close codes after which retrying cannot help (PROTOCOL.md §3). */
const FINAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4404]);
/** HTTP statuses of a refused SSE stream worth retrying: the rest of 4xx will not change by itself. */
const RETRY_STATUSES = new Set([408, 425, 429]);

const NOOP = (): void => undefined;

export function connectWebSocket(url: string, WebSocketImpl: WebSocketConstructor, events: ConnectionEvents): Connection {
  let done = false;
  let opened = false;
  let serverError: { code: string; message: string } | null = null;
  let socket: WebSocketLike;

  const detach = (): void => {
    // No-ops rather than null: the `ws` package throws an 'error' event that has no listener.
    socket.onopen = NOOP;
    socket.onmessage = NOOP;
    socket.onclose = NOOP;
    socket.onerror = NOOP;
  };
  const end = (ending: Ending): void => {
    if (!done) {
      done = true;
      detach();
      events.onEnd(ending);
    }
  };

  try {
    socket = new WebSocketImpl(url);
  } catch (e) {
    // A bad URL or a blocked port throws synchronously; report it like any failed open.
    queueMicrotask(() => {
      if (!done) {
        done = true;
        events.onEnd({ kind: 'unopened', error: { code: 'transport', message: `WebSocket failed: ${errorText(e)}` } });
      }
    });
    return { transport: 'ws', close: () => void (done = true) };
  }

  socket.onopen = () => {
    if (!done) {
      opened = true;
      events.onOpen();
    }
  };
  socket.onmessage = (ev: { data: unknown }) => {
    if (done) {
      return;
    }
    let frame: unknown;
    let message: Incoming;
    if (typeof ev.data !== 'string') {
      frame = ev.data;
      message = { kind: 'invalid', reason: 'a binary frame; the protocol sends text frames only' };
    } else {
      try {
        frame = JSON.parse(ev.data) as unknown;
        message = decodeWsFrame(frame);
      } catch {
        frame = ev.data;
        message = { kind: 'invalid', reason: 'a frame that is not JSON' };
      }
    }
    events.onRaw({ transport: 'ws', frame });
    if (done) {
      return;
    }
    if (message.kind === 'error') {
      serverError = { code: message.code, message: message.message };
    }
    events.onMessage(message);
  };
  // An error is always followed by a close event, which carries the code that decides.
  socket.onerror = NOOP;
  socket.onclose = (ev: { code: number; reason: string }) => {
    end(classifyClose(ev.code, ev.reason, opened, serverError));
  };

  return {
    transport: 'ws',
    close() {
      if (done) {
        return;
      }
      done = true;
      detach();
      try {
        socket.close(1000);
      } catch {
        // already closing
      }
    },
  };
}

function classifyClose(
  code: number,
  reason: string,
  opened: boolean,
  serverError: { code: string; message: string } | null,
): Ending {
  const described = `WebSocket closed with code ${code}${reason ? ` (${reason})` : ''}`;
  const error: StreamError = serverError
    ? { code: serverError.code, message: serverError.message, status: code }
    : { code: /^[a-z][a-z0-9_]*$/.test(reason) ? reason : 'transport', message: described, status: code };
  if (!opened) {
    return { kind: 'unopened', error };
  }
  if (code === 1000) {
    return { kind: 'closed' };
  }
  if (FINAL_CLOSE_CODES.has(code)) {
    return { kind: 'failed', error };
  }
  // 1001 going away, 1006 dropped, 1011 server error, 4008 lagged, 4429 too many streams, ...
  return { kind: 'retry', error };
}

export interface SseConnectionOptions {
  timers: Timers;
  /**
   * A connection that brings no bytes for this long is taken as dead and dropped (a half-open
   * TCP connection never ends by itself); the engine sends `:ping` every 15 s. Also bounds the
   * wait for the answer's headers.
   */
  idleTimeoutMs: number;
}

export function connectSse(
  url: string,
  fetchImpl: typeof fetch,
  collection: string,
  events: ConnectionEvents,
  options: SseConnectionOptions,
): Connection {
  const controller = new AbortController();
  const { timers, idleTimeoutMs } = options;
  let done = false;
  let serverError: { code: string; message: string } | null = null;
  let idleTimer: unknown = null;

  const stopIdleTimer = (): void => {
    if (idleTimer !== null) {
      timers.clearTimeout(idleTimer);
      idleTimer = null;
    }
  };
  const end = (ending: Ending): void => {
    if (!done) {
      done = true;
      stopIdleTimer();
      events.onEnd(ending);
    }
  };
  const alive = (): void => {
    stopIdleTimer();
    if (!done && idleTimeoutMs <= 2 ** 31 - 1) {
      idleTimer = timers.setTimeout(() => {
        idleTimer = null;
        controller.abort();
        end({ kind: 'retry', error: { code: 'transport', message: `SSE: nothing received for ${idleTimeoutMs} ms` } });
      }, idleTimeoutMs);
    }
  };
  alive();

  void readSse({
    url,
    fetch: fetchImpl,
    signal: controller.signal,
    onOpen: () => {
      if (!done) {
        alive();
        events.onOpen();
      }
    },
    onChunk: alive,
    onEvent: (ev) => {
      if (done) {
        return;
      }
      const raw: { event: string; id?: string; data?: unknown } = { event: ev.event };
      if (ev.id !== undefined) {
        raw.id = ev.id;
      }
      if (ev.data !== '') {
        try {
          raw.data = JSON.parse(ev.data) as unknown;
        } catch {
          raw.data = ev.data; // decoding then finds the wrong shape, where the shape matters
        }
      }
      events.onRaw({ transport: 'sse', event: raw });
      if (done) {
        return;
      }
      const message = decodeSseEvent(raw, collection);
      if (message.kind === 'error') {
        serverError = { code: message.code, message: message.message };
      }
      events.onMessage(message);
    },
  }).then((outcome) => {
    switch (outcome.kind) {
      case 'aborted':
        return;
      case 'ended':
        end({
          kind: 'retry',
          error: serverError
            ? { ...serverError }
            : { code: 'transport', message: 'the event stream ended without `finished`' },
        });
        return;
      case 'network':
        end({ kind: 'retry', error: { code: 'transport', message: `SSE failed: ${errorText(outcome.error)}` } });
        return;
      case 'not_event_stream':
        end({
          kind: 'failed',
          error: {
            code: 'not_event_stream',
            message: `expected text/event-stream, got ${outcome.contentType || 'no content type'}`,
            status: outcome.status,
          },
        });
        return;
      case 'refused': {
        const error = errorFromBody(outcome.status, outcome.body, outcome.text);
        const retry = outcome.status >= 500 || RETRY_STATUSES.has(outcome.status) || outcome.status < 400;
        end({ kind: retry ? 'retry' : 'failed', error });
        return;
      }
    }
  });

  return {
    transport: 'sse',
    close() {
      done = true;
      stopIdleTimer();
      controller.abort();
    },
  };
}

/** A StreamError from a refused answer's body, `{"error":{code,message}}` when the engine sent it. */
function errorFromBody(status: number, body: unknown, text: string): StreamError {
  const inner =
    typeof body === 'object' && body !== null && 'error' in body ? (body as { error: unknown }).error : undefined;
  if (typeof inner === 'object' && inner !== null) {
    const { code, message } = inner as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      return { code, message: typeof message === 'string' ? message : `HTTP ${status}`, status };
    }
  }
  const excerpt = text.trim().slice(0, 200);
  return { code: `http_${status}`, message: excerpt ? `HTTP ${status}: ${excerpt}` : `HTTP ${status}`, status };
}

/** A failure's text, with any `access_token` in a quoted URL redacted. */
function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return redactToken(cause instanceof Error ? `${e.message} (${cause.message})` : e.message);
  }
  return redactToken(String(e));
}
