/**
 * The stream over SSE against a scripted server: the same guarantees as over WebSocket, plus
 * HTTP refusals, chunking and keep-alive comments.
 */
import { describe, expect, test } from 'vitest';
import { useFakeEngine } from '../support/fakeEngine';
import { formatSseEvent } from '../support/fakeServer';
import {
  addDoc,
  removeDoc,
  setField,
  sseChange,
  sseError,
  sseFinished,
  sseReady,
  sseResync,
  sseSnapshot,
  type Docs,
} from '../support/frames';

type Task = { id: string; title: string };

const fake = useFakeEngine<Task>({ transport: 'sse' });
const open = fake.open.bind(fake);


const E = 'a1b2c3d4e5f6';
const docs: Docs = {
  t1: { id: 't1', title: 'one' },
  t2: { id: 't2', title: 'two' },
};

describe('SSE stream', () => {
  test('snapshot, ready, live changes in order; duplicates ignored', async () => {
    const { stream, rec } = open({ where: 'project_id:p 1' });
    const sse = await fake.server.nextSse();
    expect(sse.request.rawUrl).toBe('/api/collections/tasks/stream/sse?where=project_id%3Ap%201');
    expect(sse.request.headers.accept).toBe('text/event-stream');
    expect(stream.getView().transport).toBeNull();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 4), sseReady(E, 4));
    const first = await rec.state('ready');
    expect(first).toMatchObject({ position: `${E}:4`, transport: 'sse', error: null });
    expect(first.data).toEqual(docs);
    sse.events(
      sseChange([setField('tasks', 't1', 'title', 'stale')], E, 4),
      sseChange([addDoc('tasks', { id: 't3', title: 'three' })], E, 5),
      sseChange([addDoc('tasks', { id: 't3', title: 'dup' })], E, 5),
      sseChange([removeDoc('tasks', 't2')], E, 6),
    );
    const last = await rec.position(`${E}:6`);
    expect(last.data).toEqual({ t1: docs.t1, t3: { id: 't3', title: 'three' } });
    expect(last.data.t1).toBe(first.data.t1);
  });

  test('a snapshot is recognised by its shape and applied whatever its seq and epoch', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 40), sseReady(E, 40), sseResync(5));
    await rec.state('resyncing');
    sse.event(sseSnapshot('tasks', { t7: { id: 't7', title: 'seven' } }, 'beef', 2));
    const v = await rec.state('ready');
    expect(v.position).toBe('beef:2');
    expect(v.data).toEqual({ t7: { id: 't7', title: 'seven' } });
  });

  test('Ready adopts a seq past the last replayed change', async () => {
    const { rec } = open({ since: `${E}:3`, initialData: docs });
    const sse = await fake.server.nextSse();
    expect(sse.url.searchParams.get('since')).toBe(`${E}:3`);
    sse.open();
    sse.events(sseChange([removeDoc('tasks', 't1')], E, 5), sseReady(E, 8, true));
    const v = await rec.state('ready');
    expect(v.position).toBe(`${E}:8`);
    expect(v.data).toEqual({ t2: docs.t2 });
  });

  test('chunks cut mid-line and inside UTF-8 characters, with :ping comments between events', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    const title = 'naïve – 日本 😀';
    const text =
      formatSseEvent(sseSnapshot('tasks', { t1: { id: 't1', title } }, E, 1)) +
      ':ping\n\n' +
      formatSseEvent(sseReady(E, 1)).replace(/\n/g, '\r\n') +
      formatSseEvent(sseChange([setField('tasks', 't1', 'title', `${title}!`)], E, 2));
    const enc = new TextEncoder();
    const bytes = enc.encode(text);
    /** the byte offset of the first occurrence of `s` in the stream */
    const at = (s: string): number => {
      const needle = enc.encode(s);
      const i = bytes.findIndex((_, k) => needle.every((b, j) => bytes[k + j] === b));
      expect(i).toBeGreaterThan(0);
      return i;
    };
    const cuts = [
      at('data:') + 2, // inside a field name
      at('ï') + 1, // inside a 2-byte character
      at('日') + 1, // inside a 3-byte character, twice
      at('日') + 2,
      at('😀') + 3, // inside a 4-byte character
      at('\r\n') + 1, // between CR and LF
      bytes.length - 3, // inside the last event's closing lines
    ];
    let from = 0;
    for (const cut of [...cuts.sort((a, b) => a - b), bytes.length]) {
      await sse.write(bytes.slice(from, cut));
      await new Promise((r) => setTimeout(r, 5)); // separate reads on the client
      from = cut;
    }
    const v = await rec.position(`${E}:2`);
    expect(v.data.t1?.title).toBe(`${title}!`);
    expect(v.state).toBe('ready');
  });

  test(':ping changes nothing', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 1), sseReady(E, 1));
    await rec.state('ready');
    const n = rec.views.length;
    sse.ping();
    sse.ping();
    sse.event(sseChange([removeDoc('tasks', 't1')], E, 2));
    await rec.position(`${E}:2`);
    expect(rec.views.length).toBe(n + 1);
  });

  test('an end without finished reconnects with since; finished ends for good', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 4), sseReady(E, 4), sseChange([removeDoc('tasks', 't1')], E, 5));
    await rec.position(`${E}:5`);
    sse.end();
    const down = await rec.state('reconnecting');
    expect(down.error?.code).toBe('transport');
    expect(down.data).toEqual({ t2: docs.t2 });

    const sse2 = await fake.server.nextSse();
    expect(sse2.url.searchParams.get('since')).toBe(`${E}:5`);
    sse2.open();
    sse2.events(sseReady(E, 5, true), sseFinished);
    const closed = await rec.state('closed');
    expect(closed.data).toEqual({ t2: docs.t2 });
    await sse2.closed;
    await fake.server.expectNoStreamRequest(120);
  });

  test('a dropped connection reconnects with since', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 4), sseReady(E, 4));
    await rec.state('ready');
    sse.destroy();
    await rec.state('reconnecting');
    expect((await fake.server.nextSse()).url.searchParams.get('since')).toBe(`${E}:4`);
  });

  test('a connection that goes silent is dropped after sseIdleTimeoutMs and resumed with since', async () => {
    const { rec } = open({ sseIdleTimeoutMs: 300 });
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 4), sseReady(E, 4));
    await rec.state('ready');
    // pings keep it alive past the timeout ...
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 40));
      sse.ping();
    }
    expect(fake.server.streamRequests).toHaveLength(1);
    expect(rec.stream.getView().state).toBe('ready');
    // ... silence does not
    const down = await rec.state('reconnecting');
    expect(down.error).toEqual({ code: 'transport', message: 'SSE: nothing received for 300 ms' });
    await sse.closed;
    expect((await fake.server.nextSse()).url.searchParams.get('since')).toBe(`${E}:4`);
  });

  test('an error event before the end is the error the view shows while reconnecting', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 4), sseReady(E, 4), sseError('snapshot_failed', 'could not read'));
    sse.end();
    const down = await rec.state('reconnecting');
    expect(down.error).toEqual({ code: 'snapshot_failed', message: 'could not read' });
  });

  test.each([
    [400, 'bad_where', 'where must be FIELD:VALUE'],
    [401, 'unauthorized', 'no token'],
    [403, 'forbidden', 'not yours'],
    [404, 'unknown_collection', "no collection named 'tasks'"],
  ])('HTTP %i with a JSON error body: failed for good', async (status, code, message) => {
    const { rec } = open();
    (await fake.server.nextSse()).refuse(status, { error: { code, message } });
    const failed = await rec.state('failed');
    expect(failed.error).toEqual({ code, message, status });
    await fake.server.expectNoStreamRequest(120);
  });

  test.each([429, 500, 503])('HTTP %i is retried with backoff', async (status) => {
    const { rec } = open();
    const code = status === 429 ? 'too_many_subscribers' : 'unavailable';
    (await fake.server.nextSse()).refuse(status, { error: { code, message: 'later' } });
    const down = await rec.state('reconnecting');
    expect(down.error).toEqual({ code, message: 'later', status });
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 1), sseReady(E, 1));
    expect((await rec.state('ready')).error).toBeNull();
  });

  test('a refusal that is not JSON keeps a readable error', async () => {
    const { rec } = open();
    (await fake.server.nextSse()).refuse(502, '<h1>Bad Gateway</h1>', 'text/html');
    const down = await rec.state('reconnecting');
    expect(down.error).toEqual({ code: 'http_502', message: 'HTTP 502: <h1>Bad Gateway</h1>', status: 502 });
  });

  test('a 200 that is not an event stream fails (a page instead of the API)', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open('text/html');
    sse.end();
    expect((await rec.state('failed')).error).toMatchObject({ code: 'not_event_stream', status: 200 });
  });

  test('a change that does not apply starts over from a snapshot without since', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 4), sseReady(E, 4), sseChange([removeDoc('tasks', 'nope')], E, 5));
    const broken = await rec.state('reconnecting');
    expect(broken.error?.code).toBe('patch_failed');
    await sse.closed;
    expect((await fake.server.nextSse()).url.searchParams.has('since')).toBe(false);
  });

  test('a change of another epoch without a snapshot is a broken stream', async () => {
    const { rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 4), sseReady(E, 4), sseChange([removeDoc('tasks', 't1')], 'other', 5));
    expect((await rec.state('reconnecting')).error?.code).toBe('protocol_error');
    expect((await fake.server.nextSse()).url.searchParams.has('since')).toBe(false);
  });

  test('close() aborts the request', async () => {
    const { stream, rec } = open();
    const sse = await fake.server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 4), sseReady(E, 4));
    await rec.state('ready');
    stream.close();
    stream.close();
    await sse.closed;
    expect(rec.states.filter((s) => s === 'closed')).toHaveLength(1);
    await fake.server.expectNoStreamRequest(80);
  });
});
