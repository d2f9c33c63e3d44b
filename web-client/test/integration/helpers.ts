/**
 * Helpers shared by the integration tests: wire checking of every raw message, gated transports
 * (to hold a client off the network while the server is back), and waiting for stream views.
 */
import WS from 'ws';
import { expect } from 'vitest';
import { openStream } from '../../src/index';
import type { RawMessage, StreamOptions, StreamState, StreamView, SyncStream } from '../../src/types';
import { validateSseEvent, validateWsFrame } from '../support/wireSchemas';
import { freePort, type Engine } from '../support/engine';

export type Doc = Record<string, unknown> & { id: string };

/** `EPOCH:SEQ` split; throws (failing the test) on anything else. */
export function parsePos(position: string | null | undefined): { epoch: string; seq: number } {
  const m = /^([^:]+):(0|[1-9][0-9]*)$/.exec(position ?? '');
  if (!m) throw new Error(`not a position: ${JSON.stringify(position)}`);
  return { epoch: m[1]!, seq: Number(m[2]) };
}

/** the `ws` package as the DOM WebSocket type the library takes */
export const NodeWebSocket = WS as unknown as typeof WebSocket;

/**
 * Records every raw message of one stream, validates it against the wire schemas, and checks the
 * per-connection order the protocol promises: on WebSocket a start (snapshot or replay), one
 * Ready, then live frames with strictly increasing seq; on SSE the same with events.
 * Violations are collected (a throw inside onMessage would only be reported by the library),
 * and `assertClean()` fails the test with all of them.
 */
export class WireLog {
  readonly messages: RawMessage[] = [];
  readonly violations: string[] = [];
  /** index into `messages` where each connection began (a connection begins with its first message) */
  readonly connections: number[] = [];
  private lastSeq: number | null = null;
  private readySeen = false;
  private expectStart = true;

  constructor(readonly name: string) {}

  readonly onMessage = (raw: RawMessage): void => {
    this.messages.push(raw);
    try {
      if (raw.transport === 'ws') validateWsFrame(raw.frame);
      else validateSseEvent(raw.event);
    } catch (e) {
      this.violations.push(`${this.name}: schema: ${(e as Error).message} in ${JSON.stringify(raw).slice(0, 500)}`);
    }
    const kind = classify(raw);
    if (this.expectStart) {
      this.connections.push(this.messages.length - 1);
      this.expectStart = false;
    }
    switch (kind.kind) {
      case 'snapshot':
        this.lastSeq = kind.seq;
        break;
      case 'patch':
        if (this.lastSeq !== null && kind.seq <= this.lastSeq) {
          this.violations.push(`${this.name}: seq ${kind.seq} after ${this.lastSeq} (duplicate or out of order)`);
        }
        this.lastSeq = kind.seq;
        break;
      case 'ready':
        if (this.readySeen) this.violations.push(`${this.name}: a second Ready on one connection`);
        if (this.lastSeq !== null && kind.seq < this.lastSeq) {
          this.violations.push(`${this.name}: Ready seq ${kind.seq} behind the last frame ${this.lastSeq}`);
        }
        this.readySeen = true;
        this.lastSeq = kind.seq;
        break;
      default:
        break;
    }
  };

  /** call when the stream starts a new connection (a reconnect): order checks start over */
  newConnection(): void {
    this.lastSeq = null;
    this.readySeen = false;
    this.expectStart = true;
  }

  /** the messages of the last connection that sent anything */
  lastConnection(): RawMessage[] {
    const start = this.connections[this.connections.length - 1] ?? 0;
    return this.messages.slice(start);
  }

  assertClean(): void {
    expect(this.violations, `${this.name}: wire violations`).toEqual([]);
  }
}

export type Classified =
  | { kind: 'snapshot'; seq: number; epoch: string | null }
  | { kind: 'patch'; seq: number; ops: unknown[] }
  | { kind: 'ready'; seq: number; epoch: string; resumed: boolean }
  | { kind: 'resync' }
  | { kind: 'finished' }
  | { kind: 'error'; code: string }
  | { kind: 'other' };

/** what a raw message is, for either transport */
export function classify(raw: RawMessage): Classified {
  if (raw.transport === 'ws') {
    const f = raw.frame as Record<string, unknown>;
    if (f && typeof f === 'object') {
      if ('JsonPatch' in f && f.snapshot === true) {
        return { kind: 'snapshot', seq: f.seq as number, epoch: f.epoch as string };
      }
      if ('JsonPatch' in f) return { kind: 'patch', seq: f.seq as number, ops: f.JsonPatch as unknown[] };
      if ('Ready' in f) {
        return { kind: 'ready', seq: f.seq as number, epoch: f.epoch as string, resumed: f.resumed as boolean };
      }
      if ('Resync' in f) return { kind: 'resync' };
      if ('finished' in f) return { kind: 'finished' };
      if ('error' in f) return { kind: 'error', code: (f.error as { code: string }).code };
    }
    return { kind: 'other' };
  }
  const ev = raw.event;
  switch (ev.event) {
    case 'json_patch': {
      const ops = ev.data as { op: string; path: string }[];
      const seq = ev.id ? parsePos(ev.id).seq : -1;
      // a snapshot is one add of the whole collection map: a path with one token
      const first = ops[0];
      if (ops.length === 1 && first && first.op === 'add' && /^\/[^/]+$/.test(first.path)) {
        return { kind: 'snapshot', seq, epoch: ev.id ? parsePos(ev.id).epoch : null };
      }
      return { kind: 'patch', seq, ops };
    }
    case 'ready': {
      const d = ev.data as { seq: number; epoch: string; resumed: boolean };
      return { kind: 'ready', seq: d.seq, epoch: d.epoch, resumed: d.resumed };
    }
    case 'resync':
      return { kind: 'resync' };
    case 'finished':
      return { kind: 'finished' };
    case 'error':
      return { kind: 'error', code: (ev.data as { code: string }).code };
    default:
      return { kind: 'other' };
  }
}

/**
 * A switch between the client and the network. While closed, a new WebSocket goes to a port
 * nobody listens on (connection refused) and a new fetch fails like a refused connection: what a
 * client sees while the server is down. Connections already open are not touched. It also logs
 * every URL (and SSE Last-Event-ID) the client asked for, and every WebSocket close code.
 */
export class Gate {
  open = true;
  readonly requests: { transport: 'ws' | 'sse'; url: string; lastEventId: string | null; gated: boolean }[] = [];
  /** close codes of the WebSockets that got through the gate */
  readonly wsCloseCodes: number[] = [];
  /** called when a connection attempt passes the gate (to mark a new connection in a WireLog) */
  onAttempt: ((transport: 'ws' | 'sse') => void) | null = null;
  private deadPort = 0;

  static async create(): Promise<Gate> {
    const gate = new Gate();
    gate.deadPort = await freePort();
    return gate;
  }

  readonly WebSocket: typeof WebSocket = (() => {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const gate = this;
    class GatedWebSocket extends WS {
      constructor(address: string | URL, protocols?: string | string[]) {
        const url = String(address);
        const pass = gate.open;
        gate.requests.push({ transport: 'ws', url, lastEventId: null, gated: !pass });
        if (pass) gate.onAttempt?.('ws');
        const target = pass ? url : url.replace(/^(wss?:\/\/[^/:]+):\d+/, `$1:${gate.deadPort}`);
        super(target, protocols);
        if (pass) this.on('close', (code: number) => gate.wsCloseCodes.push(code));
      }
    }
    return GatedWebSocket as unknown as typeof WebSocket;
  })();

  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const pass = this.open;
    this.requests.push({ transport: 'sse', url, lastEventId: headers.get('last-event-id'), gated: !pass });
    if (!pass) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED (gate closed)') });
    this.onAttempt?.('sse');
    return fetch(input, init);
  };

  /** the requests that went through (reached the server) */
  passed(): Gate['requests'] {
    return this.requests.filter((r) => !r.gated);
  }
}

/** Resolves with the first view (current or later) that satisfies `predicate`; rejects after timeoutMs. */
export function waitForView<T>(
  stream: SyncStream<T>,
  predicate: (view: StreamView<T>) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<StreamView<T>> {
  const now = stream.getView();
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      const v = stream.getView();
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; view: state=${v.state} position=${v.position} ` +
            `transport=${v.transport} error=${JSON.stringify(v.error)} attempt=${v.attempt}`,
        ),
      );
    }, timeoutMs);
    const unsubscribe = stream.subscribe((view) => {
      if (predicate(view)) {
        clearTimeout(timer);
        unsubscribe();
        resolve(view);
      }
    });
  });
}

export const waitForState = <T>(stream: SyncStream<T>, state: StreamState, timeoutMs = 10_000) =>
  waitForView(stream, (v) => v.state === state, `state ${state}`, timeoutMs);

/** Records every state a stream goes through (in order, without repeats). */
export function recordStates<T>(stream: SyncStream<T>): StreamState[] {
  const states: StreamState[] = [stream.getView().state];
  stream.subscribe((v) => {
    if (states[states.length - 1] !== v.state) states.push(v.state);
  });
  return states;
}

export interface CheckedStream<T> {
  stream: SyncStream<T>;
  wire: WireLog;
  states: StreamState[];
}

/** openStream against `engine` with Node's `ws` and fetch, every raw message checked by a WireLog. */
export function openChecked<T = Doc>(
  engine: Engine,
  name: string,
  options: Omit<StreamOptions, 'baseUrl' | 'onMessage'>,
): CheckedStream<T> {
  const wire = new WireLog(name);
  const stream = openStream<T>({
    baseUrl: engine.baseUrl,
    WebSocket: NodeWebSocket,
    fetch: globalThis.fetch,
    ...options,
    onMessage: wire.onMessage,
    onListenerError: (e) => wire.violations.push(`${name}: listener threw: ${String(e)}`),
  });
  const states = recordStates(stream);
  return { stream, wire, states };
}

/** a small deterministic PRNG (mulberry32), so a failing burst can be replayed from its seed */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
