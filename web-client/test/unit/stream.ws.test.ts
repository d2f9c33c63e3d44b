/**
 * The stream over WebSocket against a scripted server: order, dedup, snapshots, Ready,
 * Resync, reconnects with `since`, backoff, close codes, broken streams.
 */
import WS from 'ws';
import type { WebSocketConstructor } from '../../src/types';
import { describe, expect, test } from 'vitest';
import { DocMap } from '../../src/docs';
import { openStream } from '../../src/stream';
import type { RawMessage, Timers } from '../../src/types';
import { useFakeEngine } from '../support/fakeEngine';
import { addDoc, change, finished, ready, removeDoc, resync, setField, snapshot, type Docs } from '../support/frames';
import { sleep } from '../support/views';

// the `ws` class fits the `WebSocket` option as it is (a structural type), no cast
const NodeWebSocket: WebSocketConstructor = WS;
type Task = { id: string; title: string; status?: string };

const fake = useFakeEngine<Task>({ transport: 'ws', WebSocket: NodeWebSocket });
const open = fake.open.bind(fake);


const E = 'a1b2c3d4e5f6';
const docs: Docs = {
  t1: { id: 't1', title: 'one' },
  t2: { id: 't2', title: 'two' },
};

describe('a first connection', () => {
  test('view.docs is a persistent map: a change shares every other document, the old view keeps its own', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    const before = await rec.state('ready');
    ws.send(change([setField('tasks', 't1', 'title', 'ONE')], 5));
    const after = await rec.position(`${E}:5`);
    expect(after.docs).toBeInstanceOf(DocMap);
    expect(after.docs.get('t1')).toEqual({ id: 't1', title: 'ONE' });
    expect(after.docs.get('t2')).toBe(before.docs.get('t2'));
    expect(before.docs.get('t1')).toEqual({ id: 't1', title: 'one' });
    expect([...after.docs.keys()].sort()).toEqual(['t1', 't2']);
    // data: the same documents as a frozen plain object, one per map
    expect(after.data).toEqual({ t1: { id: 't1', title: 'ONE' }, t2: docs.t2 });
    expect(after.data.t2).toBe(after.docs.get('t2'));
    expect(after.data).toBe(after.data);
    expect(Object.isFrozen(after.data)).toBe(true);
    expect(Object.isFrozen(after)).toBe(true);
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['state', 'docs', 'data', 'position', 'transport', 'error', 'attempt']));
  });

  test('applies the snapshot, becomes ready at Ready, then applies live changes in order', async () => {
    const raws: RawMessage[] = [];
    const { stream, rec } = open({ where: 'project_id:a b/é', lag: 'close', onMessage: (m) => raws.push(m) });
    expect(stream.getView()).toMatchObject({ state: 'connecting', data: {}, position: null, transport: null, attempt: 0 });

    const ws = await fake.server.nextWs();
    expect(ws.url.pathname).toBe('/api/collections/tasks/stream/ws');
    expect(ws.request.rawUrl).toBe('/api/collections/tasks/stream/ws?where=project_id%3Aa%20b%2F%C3%A9&lag=close');
    expect(ws.url.searchParams.has('since')).toBe(false);

    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    const first = await rec.state('ready');
    expect(first).toMatchObject({ position: `${E}:4`, transport: 'ws', error: null, attempt: 0 });
    expect(first.data).toEqual(docs);

    ws.sendAll(
      change([addDoc('tasks', { id: 't3', title: 'three' })], 5),
      change([setField('tasks', 't3', 'title', 'THREE')], 6),
      change([removeDoc('tasks', 't1')], 7),
    );
    const last = await rec.position(`${E}:7`);
    expect(last.data).toEqual({ t2: docs.t2, t3: { id: 't3', title: 'THREE' } });
    // snapshot (connecting), transport open, Ready, and one view per change
    expect(rec.views.map((v) => [v.state, v.position, v.transport])).toEqual([
      ['connecting', null, 'ws'],
      ['connecting', `${E}:4`, 'ws'],
      ['ready', `${E}:4`, 'ws'],
      ['ready', `${E}:5`, 'ws'],
      ['ready', `${E}:6`, 'ws'],
      ['ready', `${E}:7`, 'ws'],
    ]);
    expect(raws.map((r) => (r.transport === 'ws' ? r.frame : null))).toEqual([
      snapshot('tasks', docs, E, 4),
      ready(E, 4),
      change([addDoc('tasks', { id: 't3', title: 'three' })], 5),
      change([setField('tasks', 't3', 'title', 'THREE')], 6),
      change([removeDoc('tasks', 't1')], 7),
    ]);
  });

  test('the collection name is percent-encoded in the path and http becomes ws', async () => {
    const stream = openStream({ baseUrl: `${fake.server.url}/`, collection: 'my-tasks_2', transport: 'ws', WebSocket: NodeWebSocket });
    fake.track(stream);
    const ws = await fake.server.nextWs();
    expect(ws.request.rawUrl).toBe('/api/collections/my-tasks_2/stream/ws');
    expect(ws.request.headers.upgrade).toBe('websocket');
  });
});

describe('seq order', () => {
  test('a change whose seq is not above the last applied one is ignored', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 10), ready(E, 10));
    const readyView = await rec.state('ready');
    const count = rec.views.length;
    // 9 and 10 are at or below the snapshot; 11 twice: the second is a duplicate.
    ws.sendAll(
      change([setField('tasks', 't1', 'title', 'stale 9')], 9),
      change([setField('tasks', 't1', 'title', 'stale 10')], 10),
      change([setField('tasks', 't1', 'title', 'eleven')], 11),
      change([addDoc('tasks', { id: 't1', title: 'dup 11' })], 11),
      change([setField('tasks', 't2', 'title', 'twelve')], 12),
    );
    const last = await rec.position(`${E}:12`);
    expect(last.data.t1?.title).toBe('eleven');
    expect(last.data.t2?.title).toBe('twelve');
    expect(rec.views.length - count).toBe(2);
    expect(readyView.data.t1?.title).toBe('one');
  });

  test('a snapshot is applied whatever its seq, also a lower one of a new epoch', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 50), ready(E, 50));
    await rec.state('ready');
    ws.sendAll(resync(), snapshot('tasks', { t9: { id: 't9', title: 'new world' } }, 'f00d', 3));
    const after = await rec.position('f00d:3');
    expect(after.state).toBe('ready');
    expect(after.data).toEqual({ t9: { id: 't9', title: 'new world' } });
    ws.send(change([setField('tasks', 't9', 'title', 'four')], 4));
    expect((await rec.position('f00d:4')).data.t9?.title).toBe('four');
  });

  test("Ready's seq is adopted when it is past the last replayed change", async () => {
    const { rec } = open({ since: `${E}:5`, initialData: { t1: { id: 't1', title: 'one' } } });
    const ws = await fake.server.nextWs();
    expect(ws.url.searchParams.get('since')).toBe(`${E}:5`);
    ws.sendAll(change([setField('tasks', 't1', 'title', 'six')], 6), ready(E, 9, true));
    const v = await rec.state('ready');
    expect(v.position).toBe(`${E}:9`);
    expect(v.data).toEqual({ t1: { id: 't1', title: 'six' } });
    ws.sendAll(change([setField('tasks', 't1', 'title', 'stale')], 9), change([setField('tasks', 't1', 'title', 'ten')], 10));
    expect((await rec.position(`${E}:10`)).data.t1?.title).toBe('ten');
  });

  test('a lower Ready seq in the same epoch does not move the position back', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 8), ready(E, 7));
    expect((await rec.state('ready')).position).toBe(`${E}:8`);
  });
});

describe('Resync', () => {
  test('resyncing keeps the data until the snapshot, which makes the stream ready again without a Ready', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    const before = await rec.state('ready');
    ws.send(resync(17));
    const resyncing = await rec.state('resyncing');
    expect(resyncing.data).toBe(before.data);
    expect(resyncing.position).toBe(`${E}:4`);
    ws.send(snapshot('tasks', { ...docs, t2: { id: 't2', title: 'changed' } }, E, 30));
    const back = await rec.state('ready');
    expect(back.position).toBe(`${E}:30`);
    expect(back.data.t2?.title).toBe('changed');
    // an unchanged document keeps its identity across the snapshot
    expect(back.data.t1).toBe(before.data.t1);
    ws.send(change([setField('tasks', 't1', 'title', 'live')], 31));
    expect((await rec.position(`${E}:31`)).data.t1?.title).toBe('live');
    expect(rec.states.filter((s) => s === 'resyncing')).toHaveLength(1);
  });
});

describe('reconnects', () => {
  test.each([
    ['1001 going away', 1001],
    ['1011 server error', 1011],
    ['4008 lagged', 4008],
    ['4429 too many streams', 4429],
    ['a code the protocol does not name', 4999],
  ])('after %s: reconnecting, then resumed with since=E:lastSeq', async (_name, code) => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4), change([setField('tasks', 't1', 'title', 'x')], 5));
    const held = await rec.position(`${E}:5`);
    void ws.close(code);
    const down = await rec.state('reconnecting');
    expect(down.error).toMatchObject({ status: code });
    expect(down.attempt).toBe(1);
    expect(down.data).toBe(held.data);

    const ws2 = await fake.server.nextWs();
    expect(ws2.url.searchParams.get('since')).toBe(`${E}:5`);
    ws2.sendAll(change([setField('tasks', 't2', 'title', 'y')], 6), ready(E, 6, true));
    const up = await rec.state('ready');
    expect(up).toMatchObject({ position: `${E}:6`, error: null, attempt: 0 });
    expect(up.data.t1).toBe(held.data.t1);
    expect(up.data.t2?.title).toBe('y');
  });

  test('after a dropped connection (1006), and a replayed duplicate is ignored', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    await rec.state('ready');
    ws.terminate();
    const down = await rec.state('reconnecting');
    expect(down.error).toMatchObject({ code: 'transport', status: 1006 });
    const ws2 = await fake.server.nextWs();
    expect(ws2.url.searchParams.get('since')).toBe(`${E}:4`);
    ws2.sendAll(change([addDoc('tasks', { id: 't1', title: 'dup' })], 4), change([removeDoc('tasks', 't2')], 5), ready(E, 5, true));
    const up = await rec.state('ready');
    expect(up.data).toEqual({ t1: docs.t1 });
  });

  test('the error frame before a retryable close is what the view shows', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    await rec.state('ready');
    void ws.refuse('snapshot_failed', 'the snapshot could not be read', 1011);
    const down = await rec.state('reconnecting');
    expect(down.error).toEqual({ code: 'snapshot_failed', message: 'the snapshot could not be read', status: 1011 });
    await fake.server.nextWs();
  });

  test('backoff grows to its cap with jitter and starts over after a Ready', async () => {
    const delays: number[] = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        delays.push(ms);
        return setTimeout(fn, ms);
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    const OPEN_DEADLINE = 60_000; // armed on every connect; told apart from backoff delays by its value
    const backoffDelays = (): number[] => delays.filter((d) => d !== OPEN_DEADLINE);
    const { rec } = open({
      backoff: { initialMs: 8, maxMs: 40, jitter: 0.5 },
      random: () => 0.5,
      timers,
      wsOpenTimeoutMs: OPEN_DEADLINE,
    });
    for (let i = 0; i < 5; i++) {
      (await fake.server.nextWs()).terminate();
      await rec.until((v) => v.state === 'reconnecting' && v.attempt === i + 1);
    }
    // base 8, 16, 32, 40, 40; three quarters of each with random 0.5 and jitter 0.5
    expect(backoffDelays()).toEqual([6, 12, 24, 30, 30]);
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    expect((await rec.state('ready')).attempt).toBe(0);
    ws.terminate();
    await fake.server.nextWs();
    expect(backoffDelays()).toEqual([6, 12, 24, 30, 30, 6]);
  });

  test('a handshake that hangs is given up after wsOpenTimeoutMs and retried', async () => {
    fake.server.upgradePolicy = 'hang';
    const { rec } = open({ wsOpenTimeoutMs: 60 });
    const down = await rec.state('reconnecting');
    expect(down.error).toEqual({ code: 'transport', message: 'WebSocket did not open within 60 ms' });
    fake.server.upgradePolicy = 'accept';
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 1), ready(E, 1));
    await rec.state('ready');
    expect(fake.server.streamRequests.every((r) => r.kind === 'ws')).toBe(true);
  });

  test('a socket that never opens is retried with backoff', async () => {
    fake.server.upgradePolicy = { refuse: 503 };
    const { rec } = open();
    const down = await rec.until((v) => v.attempt >= 2);
    expect(down.state).toBe('reconnecting');
    expect(down.error).toMatchObject({ code: 'transport', status: 1006 });
    fake.server.upgradePolicy = 'accept';
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 1), ready(E, 1));
    await rec.state('ready');
  });
});

describe('the end', () => {
  test.each([
    [4400, 'bad_where', 'where must be FIELD:VALUE'],
    [4401, 'unauthorized', 'no token'],
    [4403, 'forbidden', 'not yours'],
    [4404, 'unknown_collection', "no collection named 'tasks'"],
  ])('close %i after an error frame: failed for good, error kept', async (closeCode, code, message) => {
    const { stream, rec } = open();
    const ws = await fake.server.nextWs();
    void ws.refuse(code, message, closeCode);
    const failed = await rec.state('failed');
    expect(failed.error).toEqual({ code, message, status: closeCode });
    await fake.server.expectNoStreamRequest(120);
    expect(stream.getView()).toBe(failed);
  });

  test('a final close without an error frame still says what happened', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    void ws.close(4404, 'unknown_collection');
    expect((await rec.state('failed')).error).toMatchObject({ code: 'unknown_collection', status: 4404 });
  });

  test('finished ends the stream; the data stays', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4), finished);
    const closed = await rec.state('closed');
    expect(closed.data).toEqual(docs);
    expect((await ws.closed).code).toBe(1000);
    await fake.server.expectNoStreamRequest(120);
  });

  test('a close with 1000 ends the stream', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    await rec.state('ready');
    void ws.close(1000);
    await rec.state('closed');
    await fake.server.expectNoStreamRequest(120);
  });
});

describe('a replay before Ready', () => {
  test('is applied as one batch: one view with the Ready, untouched documents keep identity, all frozen', async () => {
    const { rec } = open({ backoff: { initialMs: 10, maxMs: 10, jitter: 0 } });
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    const held = await rec.state('ready');
    ws.terminate();
    await rec.state('reconnecting');
    const before = rec.views.length;
    const ws2 = await fake.server.nextWs();
    expect(ws2.url.searchParams.get('since')).toBe(`${E}:4`);
    const replay = [];
    for (let seq = 5; seq <= 54; seq++) {
      replay.push(change([setField('tasks', 't1', 'title', `t${seq}`)], seq));
    }
    ws2.sendAll(...replay, change([addDoc('tasks', { id: 't3', title: 'three' })], 55), ready(E, 55, true));
    const up = await rec.state('ready');
    // no half-replayed view in between: the next view after reconnecting is the Ready one
    expect(rec.views.slice(before).map((v) => v.position)).toEqual([`${E}:55`]);
    expect(up.data.t1?.title).toBe('t54');
    expect(up.data.t3).toEqual({ id: 't3', title: 'three' });
    expect(up.data.t2).toBe(held.data.t2);
    expect(Object.isFrozen(up.data)).toBe(true);
    expect(Object.isFrozen(up.data.t1)).toBe(true);
    expect(Object.isFrozen(up.data.t3)).toBe(true);
    // the view the page held before is untouched by the in-place batch
    expect(held.data.t1?.title).toBe('one');
    expect(held.data.t3).toBeUndefined();
    // live changes after Ready are views of their own again
    ws2.send(change([setField('tasks', 't2', 'title', 'live')], 56));
    const live = await rec.position(`${E}:56`);
    expect(live.data.t2?.title).toBe('live');
    expect(up.data.t2?.title).toBe('two');
  });

  test('a change that does not apply mid-replay: the page never sees the half-applied batch', async () => {
    const { rec } = open({ backoff: { initialMs: 10, maxMs: 10, jitter: 0 } });
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    const held = await rec.state('ready');
    ws.terminate();
    await rec.state('reconnecting');
    const ws2 = await fake.server.nextWs();
    ws2.sendAll(
      change([setField('tasks', 't1', 'title', 'half')], 5),
      change([setField('tasks', 'missing', 'title', 'x')], 6),
    );
    const broken = await rec.until((v) => v.error?.code === 'patch_failed', 3000, 'patch_failed');
    expect(broken.data).toBe(held.data);
    expect(broken.data.t1?.title).toBe('one');
    expect(rec.views.every((v) => v.data.t1?.title !== 'half')).toBe(true);
    const ws3 = await fake.server.nextWs();
    expect(ws3.url.searchParams.has('since')).toBe(false);
  });
});

describe('a stream that cannot be trusted', () => {
  test('a change that does not apply: reported as patch_failed, position dropped, fresh snapshot without since', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    const good = await rec.state('ready');
    ws.send(change([setField('tasks', 'missing', 'title', 'x')], 5));
    const broken = await rec.state('reconnecting');
    expect(broken.error?.code).toBe('patch_failed');
    expect(broken.position).toBeNull();
    expect(broken.data).toBe(good.data);
    expect((await ws.closed).code).toBe(1000);

    const ws2 = await fake.server.nextWs();
    expect(ws2.url.searchParams.has('since')).toBe(false);
    ws2.sendAll(snapshot('tasks', docs, E, 5), ready(E, 5));
    const up = await rec.state('ready');
    expect(up.position).toBe(`${E}:5`);
    expect(up.data.t1).toBe(good.data.t1);
  });

  test('a frame that is not JSON: protocol_error and a fresh snapshot', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    await rec.state('ready');
    ws.sendRaw('{"JsonPatch":[');
    expect((await rec.state('reconnecting')).error?.code).toBe('protocol_error');
    expect((await fake.server.nextWs()).url.searchParams.has('since')).toBe(false);
  });

  test('a frame kind the client does not know is ignored', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    await rec.state('ready');
    const n = rec.views.length;
    ws.sendRaw(JSON.stringify({ Stats: { subscribers: 3 } }));
    ws.send(change([setField('tasks', 't1', 'title', 'x')], 5));
    await rec.position(`${E}:5`);
    expect(rec.views.length).toBe(n + 1);
  });
});

describe('close()', () => {
  test('is idempotent: one closed view, the socket closed with 1000, no reconnect', async () => {
    const { stream, rec } = open();
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    await rec.state('ready');
    stream.close();
    stream.close();
    expect(stream.getView().state).toBe('closed');
    expect(rec.states.filter((s) => s === 'closed')).toHaveLength(1);
    expect((await ws.closed).code).toBe(1000);
    await fake.server.expectNoStreamRequest(100);
  });

  test('an online event cuts a pending backoff short; none after close', async () => {
    const network = new EventTarget();
    const { stream, rec } = open({ networkEvents: network, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    await rec.state('ready');
    ws.terminate();
    await rec.state('reconnecting');
    await fake.server.expectNoStreamRequest(100); // a minute of backoff ahead
    network.dispatchEvent(new Event('online'));
    const ws2 = await fake.server.nextWs();
    expect(ws2.url.searchParams.get('since')).toBe(`${E}:4`);
    ws2.sendAll(ready(E, 4, true));
    await rec.state('ready');
    network.dispatchEvent(new Event('online')); // connected: nothing to cut short
    await fake.server.expectNoStreamRequest(100);
    stream.close();
    network.dispatchEvent(new Event('online'));
    await fake.server.expectNoStreamRequest(100);
    expect(stream.getView().state).toBe('closed');
  });

  test('cancels a pending reconnect', async () => {
    const { stream, rec } = open({ backoff: { initialMs: 60, maxMs: 60, jitter: 0 } });
    (await fake.server.nextWs()).terminate();
    await rec.state('reconnecting');
    stream.close();
    await fake.server.expectNoStreamRequest(150);
    expect(stream.getView().state).toBe('closed');
  });

  test('while connecting closes the socket being opened', async () => {
    fake.server.upgradePolicy = 'hang';
    const { stream } = open();
    await sleep(30);
    stream.close();
    expect(stream.getView().state).toBe('closed');
    await fake.server.expectNoStreamRequest(60);
  });
});

describe('ids the protocol allows', () => {
  test('__proto__, constructor, "a/b" and "~" are ordinary documents', async () => {
    const { rec } = open();
    const ws = await fake.server.nextWs();
    // JSON.parse makes "__proto__" an own member; an object literal would set the prototype
    const odd = JSON.parse(
      '{"__proto__":{"id":"__proto__","title":"p"},"constructor":{"id":"constructor","title":"c"}}',
    ) as Docs;
    ws.sendAll(snapshot('tasks', odd, E, 1), ready(E, 1));
    await rec.state('ready');
    ws.sendAll(
      change([addDoc('tasks', { id: 'a/b', title: 'slash' }), addDoc('tasks', { id: '~', title: 'tilde' })], 2),
      change([setField('tasks', '__proto__', 'title', 'P')], 3),
      change([removeDoc('tasks', 'a/b')], 4),
    );
    const v = await rec.position(`${E}:4`);
    expect(Object.keys(v.data).sort()).toEqual(['__proto__', 'constructor', '~'].sort());
    expect(Object.getOwnPropertyDescriptor(v.data, '__proto__')?.value).toEqual({ id: '__proto__', title: 'P' });
    expect(v.state).toBe('ready');
  });
});
