/**
 * Stream errors as a user meets them against the real engine (PROTOCOL.md §3 table, §5):
 * an unknown collection or a malformed `where` ends the stream in `failed` with the engine's
 * code (WebSocket: error frame + 4404/4400; SSE: HTTP 404/400 with the JSON body), waitFor
 * rejects, and the client does not retry. `auto` ends up on WebSocket against the real engine,
 * and on SSE when WebSockets cannot connect at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWaitError } from '../../src/index';
import type { TransportKind } from '../../src/types';
import { startEngine, type Engine } from '../support/engine';
import { classify } from '../support/wireLog';
import { Gate, openChecked, waitForState, type CheckedStream, type Doc } from './helpers';

describe('stream errors and transport choice against the real engine', () => {
  let engine: Engine;
  const opened: CheckedStream<Doc>[] = [];

  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    for (const c of opened) c.stream.close();
    await engine?.dispose();
  });

  const cases: {
    what: string;
    collection: string;
    where?: string;
    code: string;
    ws: number;
    sse: number;
  }[] = [
    { what: 'unknown collection', collection: 'nope', code: 'unknown_collection', ws: 4404, sse: 404 },
    { what: 'where without a colon', collection: 'tasks', where: 'status', code: 'bad_where', ws: 4400, sse: 400 },
    { what: 'where with an empty field', collection: 'tasks', where: ':todo', code: 'bad_where', ws: 4400, sse: 400 },
  ];

  for (const c of cases) {
    for (const transport of ['ws', 'sse'] as TransportKind[]) {
      it(`${c.what} over ${transport}: failed with ${c.code} (${transport === 'ws' ? c.ws : c.sse}), no retry`, async () => {
        const gate = await Gate.create();
        const checked = openChecked<Doc>(engine, `${transport} ${c.what}`, {
          collection: c.collection,
          where: c.where,
          transport,
          WebSocket: gate.WebSocket,
          fetch: gate.fetch,
          backoff: { initialMs: 20, maxMs: 40 },
        });
        opened.push(checked);
        const pending = checked.stream.waitFor(`${engine.epoch}:1`, { timeoutMs: 20_000 });
        const view = await waitForState(checked.stream, 'failed');
        expect(view.error).toMatchObject({ code: c.code, status: transport === 'ws' ? c.ws : c.sse });
        expect(view.error!.message.length).toBeGreaterThan(0);
        expect(view.data).toEqual({});
        expect(view.position).toBeNull();
        await expect(pending).rejects.toSatisfy(
          (e: unknown) => e instanceof StreamWaitError && e.reason === 'failed' && e.streamError?.code === c.code,
        );
        // a later waitFor rejects at once
        await expect(checked.stream.waitFor(`${engine.epoch}:1`)).rejects.toBeInstanceOf(StreamWaitError);

        if (transport === 'ws') {
          // The engine accepted the upgrade, said why, and closed with the table's code.
          const frames = checked.wire.messages.map(classify);
          expect(frames).toEqual([{ kind: 'error', code: c.code }]);
          expect(gate.wsCloseCodes).toEqual([c.ws]);
        } else {
          // The refused SSE answer is not an event stream: no events at all.
          expect(checked.wire.messages).toEqual([]);
        }
        checked.wire.assertClean();
        expect(checked.states).toEqual(['connecting', 'failed']);

        // No retry: with a 20 ms backoff a retrying client would have tried many times by now.
        // (A bounded negative check: the failure is final, so waiting longer proves nothing more.)
        await new Promise((r) => setTimeout(r, 300));
        expect(gate.requests, 'connection attempts').toHaveLength(1);
        expect(checked.stream.getView().state).toBe('failed');
      });
    }
  }

  it("`auto` against the real engine ends up on WebSocket and never asks for SSE", async () => {
    const gate = await Gate.create();
    const checked = openChecked<Doc>(engine, 'auto', {
      collection: 'tasks',
      where: 'project_id:demo',
      WebSocket: gate.WebSocket,
      fetch: gate.fetch,
    });
    opened.push(checked);
    const view = await waitForState(checked.stream, 'ready');
    expect(view.transport).toBe('ws');
    expect(gate.requests.map((r) => r.transport)).toEqual(['ws']);
    expect(Object.keys(view.data).sort()).toEqual(['task-1', 'task-2', 'task-3', 'task-4', 'task-5']);
    checked.wire.assertClean();
    expect(checked.wire.messages.every((m) => m.transport === 'ws')).toBe(true);
  });

  it('`auto` falls back to SSE when a WebSocket cannot connect', async () => {
    const gate = await Gate.create();
    // WebSockets go nowhere (refused); fetch reaches the engine.
    const fetchGate = await Gate.create();
    gate.open = false;
    const checked = openChecked<Doc>(engine, 'auto fallback', {
      collection: 'tasks',
      WebSocket: gate.WebSocket,
      fetch: fetchGate.fetch,
    });
    opened.push(checked);
    const view = await waitForState(checked.stream, 'ready');
    expect(view.transport).toBe('sse');
    expect(gate.requests.map((r) => r.transport)).toEqual(['ws']);
    expect(fetchGate.passed().map((r) => r.transport)).toEqual(['sse']);
    expect(Object.keys(view.data)).toContain('task-1');
    checked.wire.assertClean();
  });
});
