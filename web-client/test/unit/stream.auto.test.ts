/**
 * `transport: 'auto'`: WebSocket first in every attempt, SSE in the same attempt when the
 * socket does not open; an opened socket's errors are its own (no fallback).
 */
import WS from 'ws';
import type { WebSocketConstructor } from '../../src/types';
import { describe, expect, test, vi } from 'vitest';
import type { Timers } from '../../src/types';
import { useFakeEngine } from '../support/fakeEngine';
import { ready, snapshot, sseReady, sseSnapshot, type Docs } from '../support/frames';

// the `ws` class fits the `WebSocket` option as it is (a structural type), no cast
const NodeWebSocket: WebSocketConstructor = WS;
type Task = { id: string; title: string };

const fake = useFakeEngine<Task>({ WebSocket: NodeWebSocket });
const open = fake.open.bind(fake);

/** timers that record the delays asked for */
function recordingTimers(): Timers & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    setTimeout: (fn, ms) => {
      delays.push(ms);
      return setTimeout(fn, ms);
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}


const E = 'e1e1e1e1e1e1';
const docs: Docs = { t1: { id: 't1', title: 'one' } };

describe('auto transport', () => {
  test('is the default and uses a WebSocket that opens', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 1), ready(E, 1));
    expect((await rec.state('ready')).transport).toBe('ws');
    expect(fake.server.streamRequests.map((r) => r.kind)).toEqual(['ws']);
  });

  test('a refused upgrade falls back to SSE at once, in the same attempt', async () => {
    fake.server.upgradePolicy = { refuse: 403 };
    const timers = recordingTimers();
    const { rec } = open({ timers, wsOpenTimeoutMs: 2000 });
    const sse = await fake.server.nextSse();
    expect(fake.server.streamRequests.map((r) => r.kind)).toEqual(['ws', 'sse']);
    // no backoff delay before SSE: only the WebSocket open deadline and the SSE idle deadline
    expect(timers.delays).toEqual([2000, 45_000]);
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 1), sseReady(E, 1));
    const v = await rec.state('ready');
    expect(v).toMatchObject({ transport: 'sse', attempt: 0, error: null });
    expect(v.data).toEqual(docs);
  });

  test('a socket that does not open in time gives way to SSE', async () => {
    fake.server.upgradePolicy = 'hang';
    const started = Date.now();
    const { rec } = open({ wsOpenTimeoutMs: 80 });
    const sse = await fake.server.nextSse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 1), sseReady(E, 1));
    expect((await rec.state('ready')).transport).toBe('sse');
  });

  test('every reconnect tries the WebSocket first, with since', async () => {
    fake.server.upgradePolicy = { refuse: 403 };
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 3), sseReady(E, 3));
    await rec.state('ready');
    fake.server.upgradePolicy = 'accept';
    sse.end();
    const ws = await fake.server.nextWs();
    expect(ws.url.searchParams.get('since')).toBe(`${E}:3`);
    ws.send(ready(E, 3, true));
    expect((await rec.state('ready')).transport).toBe('ws');
    expect(fake.server.streamRequests.map((r) => r.kind)).toEqual(['ws', 'sse', 'ws']);
  });

  test('an opened socket that drops reconnects over WebSocket, without an SSE try in between', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 1), ready(E, 1));
    await rec.state('ready');
    ws.terminate();
    const ws2 = await fake.server.nextWs();
    expect(ws2.url.searchParams.get('since')).toBe(`${E}:1`);
    expect(fake.server.streamRequests.map((r) => r.kind)).toEqual(['ws', 'ws']);
  });

  test('a 4404 over an opened socket is final: no SSE fallback', async () => {
    const { rec } = open();
    void (await fake.server.nextWs()).refuse('unknown_collection', "no collection named 'tasks'", 4404);
    expect((await rec.state('failed')).error).toMatchObject({ code: 'unknown_collection', status: 4404 });
    await fake.server.expectNoStreamRequest(120);
    expect(fake.server.streamRequests.map((r) => r.kind)).toEqual(['ws']);
  });

  test('when SSE fails too, the attempt ends in a backoff and the next one starts with WebSocket', async () => {
    fake.server.upgradePolicy = { refuse: 403 };
    const { rec } = open();
    (await fake.server.nextSse()).refuse(503, { error: { code: 'unavailable', message: 'restarting' } });
    const down = await rec.state('reconnecting');
    expect(down.error).toMatchObject({ code: 'unavailable', status: 503 });
    await fake.server.nextSse();
    expect(fake.server.streamRequests.map((r) => r.kind)).toEqual(['ws', 'sse', 'ws', 'sse']);
  });

  test('without a WebSocket in the runtime, auto uses SSE from the start and says so once', async () => {
    vi.stubGlobal('WebSocket', undefined); // as in Node 20
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    try {
      const { stream, rec } = open({ WebSocket: undefined });
      expect(stream.getView().transport).toBe('sse');
      const second = open({ WebSocket: undefined, collection: 'projects' });
      expect(second.stream.getView().transport).toBe('sse');
      const sse = await fake.server.nextSse();
      sse.open();
      sse.events(sseSnapshot('tasks', docs, E, 1), sseReady(E, 1));
      expect((await rec.state('ready')).transport).toBe('sse');
      expect(fake.server.streamRequests.map((r) => r.kind)).not.toContain('ws');
      expect(info.mock.calls).toEqual([
        [
          "patchwire: no WebSocket in this runtime, so transport 'auto' uses SSE " +
            '(pass the `ws` package as the `WebSocket` option to use WebSockets)',
        ],
      ]);
    } finally {
      info.mockRestore();
      vi.unstubAllGlobals();
    }
  });

  test('the browser WebSocket and the ws class both fit the WebSocket option (type-checked)', () => {
    const dom: WebSocketConstructor | undefined = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    const node: WebSocketConstructor = WS;
    expect(typeof node).toBe('function');
    expect(dom === undefined || typeof dom === 'function').toBe(true);
  });
});
