/**
 * `transport: 'auto'`: WebSocket first in every attempt, SSE in the same attempt when the
 * socket does not open; an opened socket's errors are its own (no fallback).
 */
import WS from 'ws';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openStream } from '../../src/stream';
import type { StreamOptions, SyncStream, Timers } from '../../src/types';
import { FakeServer } from '../support/fakeServer';
import { ready, snapshot, sseReady, sseSnapshot, type Docs } from '../support/frames';
import { ViewRecorder } from '../support/views';

const NodeWebSocket = WS as unknown as typeof WebSocket;
type Task = { id: string; title: string };

let server: FakeServer;
const streams: SyncStream<Task>[] = [];

beforeEach(async () => {
  server = await FakeServer.start();
});

afterEach(async () => {
  streams.splice(0).forEach((s) => s.close());
  await server.close();
});

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

function open(options: Partial<StreamOptions> = {}): { stream: SyncStream<Task>; rec: ViewRecorder<Task> } {
  const stream = openStream<Task>({
    baseUrl: server.url,
    collection: 'tasks',
    WebSocket: NodeWebSocket,
    backoff: { initialMs: 10, maxMs: 40, jitter: 0 },
    ...options,
  });
  streams.push(stream);
  return { stream, rec: new ViewRecorder(stream) };
}

const E = 'e1e1e1e1e1e1';
const docs: Docs = { t1: { id: 't1', title: 'one' } };

describe('auto transport', () => {
  test('is the default and uses a WebSocket that opens', async () => {
    const { rec } = open();
    const ws = await server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 1), ready(E, 1));
    expect((await rec.state('ready')).transport).toBe('ws');
    expect(server.streamRequests.map((r) => r.kind)).toEqual(['ws']);
  });

  test('a refused upgrade falls back to SSE at once, in the same attempt', async () => {
    server.upgradePolicy = { refuse: 403 };
    const timers = recordingTimers();
    const { rec } = open({ timers, wsOpenTimeoutMs: 2000 });
    const sse = await server.nextSse();
    expect(server.streamRequests.map((r) => r.kind)).toEqual(['ws', 'sse']);
    // no backoff delay before SSE: only the WebSocket open deadline and the SSE idle deadline
    expect(timers.delays).toEqual([2000, 45_000]);
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 1), sseReady(E, 1));
    const v = await rec.state('ready');
    expect(v).toMatchObject({ transport: 'sse', attempt: 0, error: null });
    expect(v.data).toEqual(docs);
  });

  test('a socket that does not open in time gives way to SSE', async () => {
    server.upgradePolicy = 'hang';
    const started = Date.now();
    const { rec } = open({ wsOpenTimeoutMs: 80 });
    const sse = await server.nextSse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 1), sseReady(E, 1));
    expect((await rec.state('ready')).transport).toBe('sse');
  });

  test('every reconnect tries the WebSocket first, with since', async () => {
    server.upgradePolicy = { refuse: 403 };
    const { rec } = open();
    const sse = await server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 3), sseReady(E, 3));
    await rec.state('ready');
    server.upgradePolicy = 'accept';
    sse.end();
    const ws = await server.nextWs();
    expect(ws.url.searchParams.get('since')).toBe(`${E}:3`);
    ws.send(ready(E, 3, true));
    expect((await rec.state('ready')).transport).toBe('ws');
    expect(server.streamRequests.map((r) => r.kind)).toEqual(['ws', 'sse', 'ws']);
  });

  test('an opened socket that drops reconnects over WebSocket, without an SSE try in between', async () => {
    const { rec } = open();
    const ws = await server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 1), ready(E, 1));
    await rec.state('ready');
    ws.terminate();
    const ws2 = await server.nextWs();
    expect(ws2.url.searchParams.get('since')).toBe(`${E}:1`);
    expect(server.streamRequests.map((r) => r.kind)).toEqual(['ws', 'ws']);
  });

  test('a 4404 over an opened socket is final: no SSE fallback', async () => {
    const { rec } = open();
    void (await server.nextWs()).refuse('unknown_collection', "no collection named 'tasks'", 4404);
    expect((await rec.state('failed')).error).toMatchObject({ code: 'unknown_collection', status: 4404 });
    await server.expectNoStreamRequest(120);
    expect(server.streamRequests.map((r) => r.kind)).toEqual(['ws']);
  });

  test('when SSE fails too, the attempt ends in a backoff and the next one starts with WebSocket', async () => {
    server.upgradePolicy = { refuse: 403 };
    const { rec } = open();
    (await server.nextSse()).refuse(503, { error: { code: 'unavailable', message: 'restarting' } });
    const down = await rec.state('reconnecting');
    expect(down.error).toMatchObject({ code: 'unavailable', status: 503 });
    await server.nextSse();
    expect(server.streamRequests.map((r) => r.kind)).toEqual(['ws', 'sse', 'ws', 'sse']);
  });
});
