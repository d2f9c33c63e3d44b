/**
 * A client that stops reading (PROTOCOL.md §3.1 "Slow consumers", step 4, and close code 4008):
 * its socket is paused while large changes are committed until the engine's buffer for it
 * overflows (the engine's /api/stats counts the drops). Against the real engine:
 *   - default `lag=resync`, WebSocket (socket paused) and SSE (response body not read): the
 *     client gets Resync and a fresh snapshot on the same connection, shows `resyncing` and then
 *     `ready`, and ends equal to the REST read;
 *   - `lag=close`: the engine closes with 4008; the client reconnects by itself with `since`
 *     and ends equal to the REST read.
 * Every frame is checked against the wire schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { PatchwireClient } from '../../src/index';
import { startEngine, type Engine } from '../support/engine';
import { classify } from '../support/wireLog';
import { openChecked, waitForView, type Doc } from './helpers';

/** `ws` whose sockets the test can stop reading from (backpressure up to the engine). */
function pausableWebSocket() {
  const sockets: WS[] = [];
  const closeCodes: number[] = [];
  const urls: string[] = [];
  const hooks = { onConnect: null as (() => void) | null };
  class PausableWebSocket extends WS {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols);
      urls.push(String(address));
      hooks.onConnect?.();
      sockets.push(this);
      this.on('close', (code: number) => closeCodes.push(code));
    }
  }
  const raw = (s: WS) => (s as unknown as { _socket: import('node:net').Socket | null })._socket;
  return {
    hooks,
    WebSocket: PausableWebSocket as unknown as typeof WebSocket,
    closeCodes,
    urls,
    pause: () => sockets.forEach((s) => raw(s)?.pause()),
    resume: () => sockets.forEach((s) => raw(s)?.resume()),
  };
}

/** fetch whose SSE response bodies the test can stop reading (undici then stops reading the socket). */
function pausableFetch() {
  let paused = false;
  let wake: (() => void) | null = null;
  const urls: string[] = [];
  const impl: typeof fetch = async (input, init) => {
    urls.push(String(input));
    const response = await fetch(input, init);
    if (!response.body) return response;
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          while (paused) await new Promise<void>((r) => (wake = r));
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return {
    fetch: impl,
    urls,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      wake?.();
      wake = null;
    },
  };
}

const BIG = 'x'.repeat(800_000);
/**
 * How much a socket nobody reads absorbs before the engine sees it as full varies (the kernel's
 * loopback buffers took 5 to 10 MB in our runs), so the flood goes on until the engine's stats
 * say it dropped frames for the subscriber, up to this many writes.
 */
const MAX_WRITES = 120;

interface Stats {
  totals: { drops: number; resyncs: number; lagCloses: number };
}

describe('a client that falls behind', () => {
  let engine: Engine;
  let client: PatchwireClient;

  beforeAll(async () => {
    engine = await startEngine({ seed: false, args: ['--subscriber-buffer-bytes', '64k', '--collection', 'blobs'] });
    client = new PatchwireClient({ baseUrl: engine.baseUrl });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  async function stats(): Promise<Stats> {
    return (await (await fetch(`${engine.baseUrl}/api/stats`)).json()) as Stats;
  }

  /** Large changes (800 kB each), 4 at a time over 10 documents, until the engine has dropped frames (a lag). */
  async function flood(prefix: string, lagged: (s: Stats) => boolean): Promise<number> {
    for (let i = 0; i < MAX_WRITES; i += 4) {
      await Promise.all(
        // a new body each time: the change (a diff) carries the whole 800 kB string
        Array.from({ length: 4 }, (_, k) => client.replace('blobs', `${prefix}-${(i + k) % 10}`, { body: `${i + k}${BIG}` })),
      );
      if (lagged(await stats())) return i + 4;
    }
    throw new Error(`the engine saw no lag after ${MAX_WRITES} writes of ${BIG.length} bytes`);
  }

  async function lastPosition(): Promise<string> {
    const list = await client.list('blobs');
    return list.position!;
  }

  it('lag=resync: Resync, a fresh snapshot on the same connection, and the REST state', async () => {
    await client.replace('blobs', 'small', { body: 'hello' });
    const socket = pausableWebSocket();
    const { stream, wire, states } = openChecked<Doc>(engine, 'ws resync', {
      collection: 'blobs',
      transport: 'ws',
      WebSocket: socket.WebSocket,
    });
    try {
      await waitForView(stream, (v) => v.state === 'ready', 'ready');
      socket.pause();
      const n0 = wire.messages.length;
      const before = (await stats()).totals;
      await flood('r', (s) => s.totals.drops > before.drops);
      expect(wire.messages.length, 'nothing read while paused').toBe(n0);
      const end = await lastPosition();
      socket.resume();
      await stream.waitFor(end, { timeoutMs: 20_000 });
      const view = await waitForView(stream, (v) => v.state === 'ready', 'ready after the resync');

      const kinds = wire.messages.map(classify);
      const resync = kinds.findIndex((k) => k.kind === 'resync');
      expect(resync, 'a Resync frame arrived').toBeGreaterThan(0);
      expect(kinds[resync + 1]?.kind, 'a snapshot right after Resync').toBe('snapshot');
      expect(states).toContain('resyncing');
      expect(states[states.length - 1]).toBe('ready');
      expect(socket.urls, 'one connection: no reconnect').toHaveLength(1);
      expect(view.data).toEqual((await client.list<Doc>('blobs')).docs);
      expect(view.position).toBe(end);
      wire.assertClean();
    } finally {
      stream.close();
    }
  });

  it('lag=resync over SSE: a resync event, a fresh snapshot, and the REST state', async () => {
    const body = pausableFetch();
    const { stream, wire, states } = openChecked<Doc>(engine, 'sse resync', {
      collection: 'blobs',
      transport: 'sse',
      fetch: body.fetch,
    });
    try {
      await waitForView(stream, (v) => v.state === 'ready', 'ready');
      body.pause();
      const n0 = wire.messages.length;
      const before = (await stats()).totals;
      await flood('s', (s) => s.totals.drops > before.drops);
      expect(wire.messages.length, 'nothing read while paused').toBe(n0);
      const end = await lastPosition();
      body.resume();
      await stream.waitFor(end, { timeoutMs: 20_000 });
      const view = await waitForView(stream, (v) => v.state === 'ready', 'ready after the resync');

      const kinds = wire.messages.map(classify);
      const resync = kinds.findIndex((k) => k.kind === 'resync');
      expect(resync, 'a resync event arrived').toBeGreaterThan(0);
      expect(kinds[resync + 1]?.kind, 'a snapshot right after resync').toBe('snapshot');
      expect(states).toContain('resyncing');
      expect(body.urls, 'one connection: no reconnect').toHaveLength(1);
      expect(view.data).toEqual((await client.list<Doc>('blobs')).docs);
      expect(view.position).toBe(end);
      wire.assertClean();
    } finally {
      stream.close();
    }
  });

  it('lag=close: closed with 4008, reconnects with since by itself, and the REST state', async () => {
    const socket = pausableWebSocket();
    const { stream, wire, states } = openChecked<Doc>(engine, 'ws lag=close', {
      collection: 'blobs',
      transport: 'ws',
      lag: 'close',
      WebSocket: socket.WebSocket,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    socket.hooks.onConnect = () => wire.newConnection();
    try {
      const ready = await waitForView(stream, (v) => v.state === 'ready', 'ready');
      const held = ready.position!;
      socket.pause();
      const before = (await stats()).totals;
      await flood('c', (s) => s.totals.lagCloses > before.lagCloses);
      const end = await lastPosition();
      socket.resume();
      await stream.waitFor(end, { timeoutMs: 20_000 });
      const view = await waitForView(stream, (v) => v.state === 'ready' && v.position === end, 'ready at the end');

      expect(socket.closeCodes[0], 'the engine closed the lagging socket').toBe(4008);
      expect(states).toContain('reconnecting');
      expect(socket.urls.length).toBeGreaterThanOrEqual(2);
      expect(new URL(socket.urls[0]!).searchParams.get('lag')).toBe('close');
      const again = new URL(socket.urls[1]!);
      expect(again.searchParams.get('lag')).toBe('close');
      // it resumed from what it had applied before the close (at least the position it held)
      const since = again.searchParams.get('since');
      expect(since).not.toBeNull();
      expect(Number(since!.split(':')[1])).toBeGreaterThanOrEqual(Number(held.split(':')[1]));
      expect(wire.messages.map(classify).filter((k) => k.kind === 'resync')).toEqual([]);
      expect(view.data).toEqual((await client.list<Doc>('blobs')).docs);
      wire.assertClean();
    } finally {
      stream.close();
    }
  });
});
