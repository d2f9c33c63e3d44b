/**
 * What a page sees of a stream: immutable views with structural sharing, listeners that cannot
 * hurt each other, waitFor, and options checked up front.
 */
import WS from 'ws';
import type { WebSocketConstructor } from '../../src/types';
import { describe, expect, test } from 'vitest';
import { openStream, StreamWaitError } from '../../src/stream';
import type { StreamOptions, StreamView, SyncStream } from '../../src/types';
import { useFakeEngine } from '../support/fakeEngine';
import { type FakeWs } from '../support/fakeServer';
import { addDoc, change, ready, resync, setField, snapshot, type Docs } from '../support/frames';
import { sleep, ViewRecorder } from '../support/views';

// the `ws` class fits the `WebSocket` option as it is (a structural type), no cast
const NodeWebSocket: WebSocketConstructor = WS;
type Task = { id: string; title: string; tags?: string[] };

const fake = useFakeEngine<Task>({ transport: 'ws', WebSocket: NodeWebSocket });
const open = fake.open.bind(fake);


const E = 'abcdef012345';
const docs: Docs = {
  t1: { id: 't1', title: 'one', tags: ['a'] },
  t2: { id: 't2', title: 'two', tags: ['b'] },
};

async function readyStream(options: Partial<StreamOptions> = {}): Promise<{
  stream: SyncStream<Task>;
  rec: ViewRecorder<Task>;
  ws: FakeWs;
}> {
  const { stream, rec } = open(options);
  const ws = await fake.server.nextWs();
  ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
  await rec.state('ready');
  return { stream, rec, ws };
}

describe('views', () => {
  test('are frozen, data included, and a change copies only the changed document', async () => {
    const { stream, rec, ws } = await readyStream();
    const before = stream.getView();
    expect(Object.isFrozen(before)).toBe(true);
    expect(Object.isFrozen(before.data)).toBe(true);
    expect(Object.isFrozen(before.data.t1)).toBe(true);
    expect(Object.isFrozen(before.data.t1?.tags)).toBe(true);
    expect(() => {
      (before.data.t1 as Task).title = 'x';
    }).toThrow(TypeError);

    ws.send(change([setField('tasks', 't1', 'title', 'ONE')], 5));
    const after = await rec.position(`${E}:5`);
    expect(after).not.toBe(before);
    expect(after.data).not.toBe(before.data);
    expect(after.data.t1).not.toBe(before.data.t1);
    expect(after.data.t1?.tags).toBe(before.data.t1?.tags);
    expect(after.data.t2).toBe(before.data.t2);
    expect(before.data.t1?.title).toBe('one'); // an old view never changes
    expect(Object.isFrozen(after.data.t1)).toBe(true);
  });

  test('getView returns the same object until something changes; listeners get each new view once', async () => {
    const { stream, rec, ws } = await readyStream();
    const v = stream.getView();
    expect(stream.getView()).toBe(v);
    const seen: StreamView<Task>[] = [];
    stream.subscribe((view) => seen.push(view));
    expect(seen).toEqual([]); // not called with the current view
    ws.send(change([addDoc('tasks', { id: 't3', title: 'three' })], 5));
    await rec.position(`${E}:5`);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(stream.getView());
  });

  test('data is {} before the first snapshot and when the collection map is absent', () => {
    const { stream } = open();
    expect(stream.getView().data).toEqual({});
    expect(Object.isFrozen(stream.getView().data)).toBe(true);
  });

  test('a throwing listener neither stops the others nor the stream; the error is reported', async () => {
    const reported: unknown[] = [];
    const { stream, rec, ws } = await readyStream({ onListenerError: (e) => reported.push(e) });
    const calls: string[] = [];
    stream.subscribe(() => {
      calls.push('first');
      throw new Error('boom');
    });
    stream.subscribe(() => calls.push('second'));
    ws.send(change([setField('tasks', 't1', 'title', 'x')], 5));
    ws.send(change([setField('tasks', 't1', 'title', 'y')], 6));
    const v = await rec.position(`${E}:6`);
    expect(v.data.t1?.title).toBe('y');
    expect(calls).toEqual(['first', 'second', 'first', 'second']);
    expect(reported).toHaveLength(2);
    expect((reported[0] as Error).message).toBe('boom');
  });

  test('an onMessage that throws is reported the same way', async () => {
    const reported: unknown[] = [];
    const { rec } = open({
      onListenerError: (e) => reported.push(e),
      onMessage: () => {
        throw new Error('log full');
      },
    });
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 4));
    await rec.state('ready');
    expect(reported).toHaveLength(2);
  });

  test('unsubscribe stops the calls; a listener may unsubscribe or close inside a call', async () => {
    const { stream, rec, ws } = await readyStream();
    const calls: string[] = [];
    const offA = stream.subscribe((v) => {
      calls.push(`a:${v.state}`);
      offA();
    });
    stream.subscribe((v) => {
      calls.push(`b:${v.state}`);
      if (v.position === `${E}:5`) stream.close();
    });
    const offC = stream.subscribe((v) => calls.push(`c:${v.state}`));
    offC();
    ws.send(change([setField('tasks', 't1', 'title', 'x')], 5));
    await rec.state('closed');
    // b closed the stream while the first view was handed out: every listener still sees views in order
    expect(calls).toEqual(['a:ready', 'b:ready', 'b:closed']);
    expect(rec.states.slice(-2)).toEqual(['ready', 'closed']);
  });

  test('the same function subscribed twice is called twice and unsubscribed once per handle', async () => {
    const { stream, rec, ws } = await readyStream();
    let n = 0;
    const f = (): void => void n++;
    const off1 = stream.subscribe(f);
    stream.subscribe(f);
    off1();
    ws.send(change([setField('tasks', 't1', 'title', 'x')], 5));
    await rec.position(`${E}:5`);
    expect(n).toBe(1);
  });
});

describe('waitFor', () => {
  test('resolves once the position is applied; at once when it already is', async () => {
    const { stream, ws } = await readyStream();
    await stream.waitFor(`${E}:3`);
    await stream.waitFor(`${E}:4`);
    let done = false;
    const wait = stream.waitFor(`${E}:6`).then(() => (done = true));
    ws.send(change([setField('tasks', 't1', 'title', 'x')], 5));
    await sleep(30);
    expect(done).toBe(false);
    ws.send(change([setField('tasks', 't1', 'title', 'y')], 7));
    await wait;
    expect(stream.getView().data.t1?.title).toBe('y');
  });

  test('resolves when Ready carries the stream past the position (a filtered stream)', async () => {
    const { stream } = open();
    const ws = await fake.server.nextWs();
    const wait = stream.waitFor(`${E}:9`);
    ws.sendAll(snapshot('tasks', docs, E, 4), ready(E, 9));
    await wait;
  });

  test('resolves when a snapshot of another epoch arrives (the history was lost)', async () => {
    const { stream, ws } = await readyStream();
    const wait = stream.waitFor(`${E}:100`);
    ws.sendAll(resync(), snapshot('tasks', docs, 'fresh0000000', 2));
    await wait;
    expect(stream.getView().position).toBe('fresh0000000:2');
  });

  test('a position of another epoch is not reached by seq alone', async () => {
    const { stream, ws } = await readyStream();
    const wait = stream.waitFor('other:1', { timeoutMs: 80 });
    ws.send(change([setField('tasks', 't1', 'title', 'x')], 5));
    await expect(wait).rejects.toMatchObject({ name: 'StreamWaitError', reason: 'timeout' });
  });

  test('rejects after its timeout', async () => {
    const { stream } = await readyStream();
    const started = Date.now();
    const error = await stream.waitFor(`${E}:5`, { timeoutMs: 60 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamWaitError);
    expect((error as StreamWaitError).reason).toBe('timeout');
    expect((error as StreamWaitError).message).toMatch(/timed out after 60 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  test('rejects when the stream is closed first, and at once when it already is', async () => {
    const { stream } = await readyStream();
    const wait = stream.waitFor(`${E}:5`);
    stream.close();
    await expect(wait).rejects.toMatchObject({ reason: 'closed' });
    await expect(stream.waitFor(`${E}:5`)).rejects.toMatchObject({ reason: 'closed' });
    await stream.waitFor(`${E}:4`); // already reached: still true
  });

  test('rejects when the stream fails first, with the stream error', async () => {
    const { stream } = open();
    const ws = await fake.server.nextWs();
    const wait = stream.waitFor(`${E}:5`);
    void ws.refuse('unknown_collection', 'no such collection', 4404);
    const error = (await wait.catch((e: unknown) => e)) as StreamWaitError;
    expect(error.reason).toBe('failed');
    expect(error.streamError).toMatchObject({ code: 'unknown_collection', status: 4404 });
  });

  test('keeps waiting across a reconnect', async () => {
    const { stream, rec, ws } = await readyStream();
    const wait = stream.waitFor(`${E}:6`);
    ws.terminate();
    await rec.state('reconnecting');
    const ws2 = await fake.server.nextWs();
    ws2.sendAll(change([setField('tasks', 't1', 'title', 'x')], 6), ready(E, 6, true));
    await wait;
  });

  test('a malformed position is a rejected promise, not a throw', async () => {
    const { stream } = open();
    await expect(stream.waitFor('nonsense')).rejects.toBeInstanceOf(TypeError);
  });
});

describe('options', () => {
  test('wrong options throw at once', () => {
    const base = { baseUrl: 'http://127.0.0.1:1', WebSocket: NodeWebSocket, fetch };
    expect(() => openStream({ ...base, collection: '' })).toThrow(TypeError);
    expect(() => openStream({ ...base, collection: 'tasks', baseUrl: 'not a url' })).toThrow(TypeError);
    expect(() => openStream({ ...base, collection: 'tasks', baseUrl: 'ftp://x' })).toThrow(TypeError);
    // a lone surrogate has no UTF-8 form: no URL can carry it (a pair is fine)
    expect(() => openStream({ ...base, collection: 'tasks', where: 'title:\ud800' })).toThrow(/lone surrogate/);
    expect(() => openStream({ ...base, collection: 'a\udc00' })).toThrow(/lone surrogate/);
    expect(() => openStream({ ...base, collection: 'tasks', since: 'nope' })).toThrow(TypeError);
    expect(() => openStream({ ...base, collection: 'tasks', transport: 'carrier-pigeon' as 'ws' })).toThrow(TypeError);
    expect(() => openStream({ ...base, collection: 'tasks', backoff: { jitter: 2 } })).toThrow(RangeError);
  });

  test('no baseUrl and no page origin is refused', () => {
    expect(() => openStream({ collection: 'tasks', WebSocket: NodeWebSocket })).toThrow(/baseUrl/);
  });

  test('since and initialData give a view that starts where the page left off', async () => {
    const { stream } = open({ since: `${E}:7`, initialData: docs });
    const v = stream.getView();
    expect(v).toMatchObject({ state: 'connecting', position: `${E}:7` });
    expect(v.data).toEqual(docs);
    expect(Object.isFrozen(v.data.t1)).toBe(true);
    expect((await fake.server.nextWs()).url.searchParams.get('since')).toBe(`${E}:7`);
  });

  test('a base URL with a path prefix keeps it', async () => {
    fake.server.httpHandler = null;
    const stream = openStream({ baseUrl: `${fake.server.url}/prefix/`, collection: 'tasks', transport: 'sse' });
    fake.track(stream);
    const rec = new ViewRecorder(stream);
    // the fake serves streams only at the root: a 404 there proves the prefix was used
    expect((await rec.state('failed')).error).toMatchObject({ status: 404 });
    expect(fake.server.requests[0]?.rawUrl).toBe('/prefix/api/collections/tasks/stream/sse');
  });
});
