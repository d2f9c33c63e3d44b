/**
 * Rejoining a server that went away (PROTOCOL.md §3 close codes, §4, §5): the engine is killed
 * (SIGKILL: the sockets just drop) or stopped (SIGTERM: WebSockets close with 1001, SSE answers
 * end) and started again on the same port and data dir. Meanwhile a gate holds the clients off
 * the network (their connection attempts are refused, as while the server is down), so changes
 * are committed while they are disconnected. Then the gate opens and the clients must, by
 * themselves:
 *   - reconnect with `since` = exactly the position they held (WebSocket: the query; SSE: the
 *     query or Last-Event-ID),
 *   - get the missed changes replayed (no snapshot), each once, then Ready with resumed:true,
 *   - end equal to the REST read, at the store's last position, with every frame wire-valid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchwireClient } from '../../src/index';
import type { TransportKind } from '../../src/types';
import { startEngine, type Engine } from '../support/engine';
import { classify, parsePos } from '../support/wireLog';
import { Gate, openChecked, waitForState, waitForView, type CheckedStream, type Doc } from './helpers';

interface Client {
  name: string;
  transport: TransportKind;
  where?: string;
  gate: Gate;
  checked: CheckedStream<Doc>;
}

const FAST_BACKOFF = { initialMs: 50, maxMs: 400, jitter: 0.5 };

describe.each([
  { how: 'SIGKILL', closeCode: 1006 },
  { how: 'SIGTERM', closeCode: 1001 },
] as const)('rejoin after $how and a restart on the same port', ({ how, closeCode }) => {
  let engine: Engine;
  let client: PatchwireClient;
  const clients: Client[] = [];

  beforeAll(async () => {
    engine = await startEngine({ seed: false });
    client = new PatchwireClient({ baseUrl: engine.baseUrl });
  });
  afterAll(async () => {
    for (const c of clients) c.checked.stream.close();
    await engine?.dispose();
  });

  async function open(name: string, transport: TransportKind, where?: string): Promise<Client> {
    const gate = await Gate.create();
    const checked = openChecked<Doc>(engine, name, {
      collection: 'tasks',
      transport,
      where,
      backoff: FAST_BACKOFF,
      WebSocket: gate.WebSocket,
      fetch: gate.fetch,
    });
    gate.onAttempt = () => checked.wire.newConnection();
    const c = { name, transport, where, gate, checked };
    clients.push(c);
    return c;
  }

  it('resumes with since, gets what it missed exactly once, and equals the REST read', async () => {
    const put = (id: string, title: string, status = 'todo') =>
      client.replace<Doc>('tasks', id, { project_id: 'p', title, status });
    for (const id of ['keep', 'gone', 'mover', 'a/b~c']) await put(id, `${id} before`);
    await put('prog', 'prog before', 'inprogress');

    const all = [
      await open('ws', 'ws'),
      await open('sse', 'sse'),
      await open('ws where', 'ws', 'status:inprogress'),
      await open('sse where', 'sse', 'status:inprogress'),
    ];
    await put('keep', 'keep updated before');
    // a write every stream hears of, so that all stand at a known position
    const progBefore = await client.patch<Doc>('tasks', 'prog', [{ op: 'replace', path: '/title', value: 'p2' }]);
    for (const c of all) {
      await waitForState(c.checked.stream, 'ready');
      await c.checked.stream.waitFor(progBefore.position);
    }
    const held = new Map(all.map((c) => [c, c.checked.stream.getView().position!]));
    expect(held.get(all[0]!)).toBe(progBefore.position);
    expect(held.get(all[2]!)).toBe(progBefore.position);
    const epoch = engine.epoch;

    // The server goes away while the clients are held off the network.
    for (const c of all) c.gate.open = false;
    if (how === 'SIGKILL') await engine.kill();
    else await engine.stop();
    await Promise.all(all.map((c) => waitForState(c.checked.stream, 'reconnecting')));
    for (const c of all) {
      // the data stays visible while reconnecting
      expect(c.checked.stream.getView().position).toBe(held.get(c));
      if (c.transport === 'ws') expect(c.gate.wsCloseCodes, `${c.name}: close code`).toEqual([closeCode]);
    }

    await engine.start();
    expect(engine.epoch, 'same database, same epoch').toBe(epoch);

    // Changes while they are away: an update, a delete, a create, a move into and one out of
    // the filter, and a change the filtered streams do not hear of.
    const missed = [
      await put('keep', 'keep updated while away'),
      await client.delete('tasks', 'gone'),
      await put('new ☃', 'created while away'),
      await client.patch<Doc>('tasks', 'mover', [
        { op: 'test', path: '/status', value: 'todo' },
        { op: 'replace', path: '/status', value: 'inprogress' },
      ]),
      await client.patch<Doc>('tasks', 'prog', [{ op: 'replace', path: '/status', value: 'done' }]),
      await client.patch<Doc>('tasks', 'a/b~c', [{ op: 'add', path: '/description', value: 'away' }]),
    ];
    const missedSeqs = missed.map((r) => parsePos(r.position).seq);
    const lastMissed = missed[missed.length - 1]!.position;
    // what the filtered streams hear of: the move in (mover) and the move out (prog)
    const missedInFilter = [missedSeqs[3]!, missedSeqs[4]!];

    for (const c of all) {
      expect(c.checked.stream.getView().state, `${c.name} is still held off`).toBe('reconnecting');
      c.gate.open = true;
    }
    await Promise.all(
      all.map((c) =>
        waitForView(c.checked.stream, (v) => v.state === 'ready', `${c.name} ready again`, 15_000),
      ),
    );
    for (const c of all) await c.checked.stream.waitFor(lastMissed, { timeoutMs: 10_000 });

    for (const c of all) {
      const { stream, wire, states } = c.checked;
      wire.assertClean();
      expect(states.filter((s) => s === 'failed' || s === 'closed'), `${c.name}: never ended`).toEqual([]);
      expect(states.slice(0, 3), `${c.name}: states`).toEqual(['connecting', 'ready', 'reconnecting']);
      expect(states[states.length - 1]).toBe('ready');

      // The reconnect that got through asked for exactly the position the client held.
      const passed = c.gate.passed();
      expect(passed.length, `${c.name}: connections that reached the server`).toBe(2);
      const first = new URL(passed[0]!.url);
      expect(first.searchParams.get('since')).toBeNull();
      const again = passed[1]!;
      const url = new URL(again.url);
      const since = again.lastEventId ?? url.searchParams.get('since');
      expect(since, `${c.name}: resumed from`).toBe(held.get(c));
      if (c.where) expect(url.searchParams.get('where')).toBe(c.where);
      expect(c.gate.requests.filter((r) => r.gated).length, `${c.name}: refused attempts while away`).toBeGreaterThan(0);

      // What the second connection carried: the missed changes once each, no snapshot, then a
      // Ready that says resumed.
      const frames = wire.lastConnection().map(classify);
      expect(frames.filter((f) => f.kind === 'snapshot'), `${c.name}: no snapshot on resume`).toEqual([]);
      const replayed = frames.filter((f) => f.kind === 'patch').map((f) => (f as { seq: number }).seq);
      expect(replayed, `${c.name}: replayed seqs`).toEqual(c.where ? missedInFilter : missedSeqs);
      const ready = frames.find((f) => f.kind === 'ready') as { resumed: boolean; seq: number; epoch: string } | undefined;
      expect(ready, `${c.name}: Ready`).toMatchObject({ resumed: true, epoch });
      // Ready's seq is the position the client now holds: the last missed change (SSE and WS alike,
      // also for a filter, whose last missed change it did hear of here)
      expect(ready!.seq).toBe(parsePos(lastMissed).seq);
      expect(frames[frames.length - 1], `${c.name}: Ready comes after the replay`).toBe(ready);

      // And the client ends where the server is.
      const rest = await client.list<Doc>('tasks', c.where);
      const view = stream.getView();
      expect(view.data, `${c.name}: equals the REST read`).toEqual(rest.docs);
      expect(view.position, `${c.name}: at the store's position`).toBe(lastMissed);
      expect(view.transport).toBe(c.transport);
    }

    // Live again: a change after the rejoin reaches everyone.
    const after = await client.patch<Doc>('tasks', 'mover', [{ op: 'replace', path: '/title', value: 'after rejoin' }]);
    for (const c of all) {
      await c.checked.stream.waitFor(after.position, { timeoutMs: 5_000 });
      expect(c.checked.stream.getView().data['mover']?.title).toBe('after rejoin');
      c.checked.wire.assertClean();
    }
  });
});

describe('rejoin a server that lost its history (a new epoch)', () => {
  let engine: Engine;
  let client: PatchwireClient;
  const clients: CheckedStream<Doc>[] = [];

  beforeAll(async () => {
    engine = await startEngine(); // the demo seed: a fresh database starts at seq 6
    client = new PatchwireClient({ baseUrl: engine.baseUrl });
  });
  afterAll(async () => {
    for (const c of clients) c.stream.close();
    await engine?.dispose();
  });

  it('takes the new epoch’s snapshot (resumed:false), drops what the old database had, equals the REST read', async () => {
    // The old database gets further (seq 36) than the new one will be (seq 6), so that a client
    // comparing seqs across epochs would ignore the new data.
    let last = '';
    for (let i = 0; i < 30; i++) {
      last = (await client.replace('tasks', `old-${i % 3}`, { project_id: 'demo', title: `old ${i}` })).position;
    }
    const streams: CheckedStream<Doc>[] = [];
    for (const transport of ['ws', 'sse'] as const) {
      for (const where of [undefined, 'project_id:demo']) {
        const gate = await Gate.create(); // always open: it only marks each new connection
        const c = openChecked<Doc>(engine, `${transport} ${where ?? 'all'}`, {
          collection: 'tasks',
          transport,
          where,
          backoff: FAST_BACKOFF,
          WebSocket: gate.WebSocket,
          fetch: gate.fetch,
        });
        gate.onAttempt = () => c.wire.newConnection();
        clients.push(c);
        streams.push(c);
      }
    }
    const oldEpoch = engine.epoch!;
    const oldEnd = last;
    expect(oldEnd).toBe(`${oldEpoch}:36`);
    for (const c of streams) await c.stream.waitFor(oldEnd);
    // waits for positions the old history will never reach: the new epoch's snapshot ends them
    const beyond = streams.map((c) => c.stream.waitFor(`${oldEpoch}:1000`, { timeoutMs: 20_000 }));

    await engine.stop();
    await Promise.all(streams.map((c) => waitForState(c.stream, 'reconnecting')));
    engine.wipeData();
    await engine.start(); // seeds the demo project into the fresh database
    expect(engine.epoch).not.toBe(oldEpoch);

    const fresh = await client.list<Doc>('tasks');
    expect(Object.keys(fresh.docs).sort()).toEqual(['task-1', 'task-2', 'task-3', 'task-4', 'task-5']);
    expect(fresh.seq).toBe(6);
    for (const c of streams) {
      const view = await waitForView(
        c.stream,
        (v) => v.state === 'ready' && v.position === fresh.position,
        `${c.wire.name} on the new epoch`,
        15_000,
      );
      expect(view.data, c.wire.name).toEqual(fresh.docs);
      const frames = c.wire.lastConnection().map(classify);
      expect(frames.map((f) => f.kind)).toEqual(['snapshot', 'ready']);
      expect(frames[1]).toMatchObject({ kind: 'ready', resumed: false, epoch: engine.epoch });
      c.wire.assertClean();
    }

    await Promise.all(beyond);

    // and live on the new epoch
    const after = await client.patch<Doc>('tasks', 'task-1', [{ op: 'replace', path: '/title', value: 'new epoch' }]);
    for (const c of streams) {
      await c.stream.waitFor(after.position, { timeoutMs: 5000 });
      expect(c.stream.getView().data['task-1']?.title).toBe('new epoch');
    }
  });
});

describe('waitFor of a lost epoch after the stream moved on', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  // Found by this test: waitFor resolves once the stream applied "a snapshot of another epoch
  // (the history was lost)", but only waits pending at that snapshot were resolved; one called
  // afterwards with a position of the lost epoch waited until its timeout.
  it('resolves at once for a position of an epoch the stream has left', async () => {
    const c = openChecked<Doc>(engine, 'ws', { collection: 'tasks', transport: 'ws', backoff: FAST_BACKOFF });
    try {
      await waitForState(c.stream, 'ready');
      const oldEpoch = engine.epoch!;
      await engine.stop();
      await waitForState(c.stream, 'reconnecting');
      engine.wipeData();
      await engine.start();
      await waitForView(c.stream, (v) => v.state === 'ready' && v.position?.startsWith(`${engine.epoch}:`) === true, 'new epoch');
      await c.stream.waitFor(`${oldEpoch}:6`, { timeoutMs: 2000 });
    } finally {
      c.stream.close();
    }
  });
});
