/**
 * Helpers shared by the integration tests: streams whose every raw message is checked by a
 * WireLog (test/support/wireLog.ts), gated transports (to hold a client off the network while
 * the server is back), and waiting for stream views.
 */
import WS from 'ws';
import { openStream } from '../../src/index';
import type { StreamOptions, StreamState, StreamView, SyncStream, WebSocketConstructor } from '../../src/types';
import { freePort, type Engine } from '../support/engine';
import { WireLog } from '../support/wireLog';

export type Doc = Record<string, unknown> & { id: string };

/** the `ws` package, which fits the library's `WebSocket` option as it is */
export const NodeWebSocket: WebSocketConstructor = WS;

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
