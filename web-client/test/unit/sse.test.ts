/**
 * The event-stream parser on exact chunk boundaries, and readSse's outcomes against a real
 * HTTP server.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readSse, SseParser, type SseEvent, type SseOutcome } from '../../src/sse';
import { FakeServer } from '../support/fakeServer';

function parse(chunks: (string | Uint8Array)[]): { events: SseEvent[]; retries: number[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser((e) => events.push(e), (ms) => retries.push(ms));
  chunks.forEach((c) => parser.push(c));
  parser.end();
  return { events, retries };
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** every way to cut `bytes` into two chunks */
function allSplits(bytes: Uint8Array): Uint8Array[][] {
  return Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.slice(0, i), bytes.slice(i)]);
}

describe('SseParser', () => {
  const stream =
    'retry: 1000\r\n\r\n' +
    ':ping\n\n' +
    'id: e1:1\nevent: json_patch\ndata: {"title":"é € 😀 ✓"}\n\n' +
    'event: ready\r\ndata:{"a":1}\r\ndata:  two spaces\r\n\r\n' +
    'event: finished\rdata\r\r';
  const expected: Omit<SseEvent, 'lastEventId'>[] = [
    { event: 'json_patch', id: 'e1:1', data: '{"title":"é € 😀 ✓"}' },
    { event: 'ready', data: '{"a":1}\n two spaces' },
    { event: 'finished', data: '' },
  ];

  test('reads LF, CRLF and CR line ends, comments, multi-line data and a missing space', () => {
    const { events, retries } = parse([stream]);
    expect(events.map(({ lastEventId: _, ...e }) => e)).toEqual(expected);
    expect(events.map((e) => e.lastEventId)).toEqual(['e1:1', 'e1:1', 'e1:1']);
    expect(retries).toEqual([1000]);
  });

  test('gives the same events for every split into two chunks, inside UTF-8 characters and CRLFs too', () => {
    for (const chunks of allSplits(utf8(stream))) {
      const { events } = parse(chunks);
      expect(events.map(({ lastEventId: _, ...e }) => e)).toEqual(expected);
    }
  });

  test('gives the same events when fed one byte at a time', () => {
    const bytes = utf8(stream);
    const { events } = parse(Array.from(bytes, (b) => Uint8Array.of(b)));
    expect(events.map(({ lastEventId: _, ...e }) => e)).toEqual(expected);
  });

  test('a CR ending one chunk and an LF starting the next end one line, not two', () => {
    const { events } = parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(events).toEqual([{ event: 'message', data: 'a\nb', lastEventId: '' }]);
  });

  test('a block with only an id or retry dispatches nothing but keeps the id', () => {
    const { events } = parse(['id: x:1\n\nretry: 5\n\nevent: resync\ndata: {}\n\n']);
    expect(events).toEqual([{ event: 'resync', data: '{}', lastEventId: 'x:1' }]);
  });

  test('unknown fields, a bad retry and an id with NUL are ignored; an empty id clears the last id', () => {
    const { events, retries } = parse(['id: a:1\ndata: 1\n\nfoo: bar\nretry: 1s\nid: b\u0000\ndata: 2\n\nid\ndata: 3\n\n']);
    expect(events.map((e) => [e.data, e.id, e.lastEventId])).toEqual([
      ['1', 'a:1', 'a:1'],
      ['2', undefined, 'a:1'],
      ['3', '', ''],
    ]);
    expect(retries).toEqual([]);
  });

  test('an event without its closing blank line at the end of the stream is dropped', () => {
    expect(parse(['event: ready\ndata: {}\n']).events).toEqual([]);
  });

  test('a UTF-8 BOM at the start is skipped', () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    const { events } = parse([bom.slice(0, 2), Uint8Array.of(...bom.slice(2), ...utf8('data: x\n\n'))]);
    expect(events).toEqual([{ event: 'message', data: 'x', lastEventId: '' }]);
  });
});

describe('readSse', () => {
  let server: FakeServer;
  beforeEach(async () => {
    server = await FakeServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  function read(signal = new AbortController().signal): { outcome: Promise<SseOutcome>; events: SseEvent[]; opened: () => boolean } {
    const events: SseEvent[] = [];
    let opened = false;
    const outcome = readSse({
      url: `${server.url}/api/collections/tasks/stream/sse?since=e%3A1`,
      fetch,
      signal,
      onOpen: () => (opened = true),
      onEvent: (e) => events.push(e),
    });
    return { outcome, events, opened: () => opened };
  }

  test('asks for an event stream and reads it to its end', async () => {
    const r = read();
    const sse = await server.nextSse();
    expect(sse.request.headers.accept).toBe('text/event-stream');
    expect(sse.request.rawUrl).toBe('/api/collections/tasks/stream/sse?since=e%3A1');
    sse.open();
    sse.event({ event: 'resync', data: { reason: 'lagged', dropped: 2 } });
    sse.end();
    expect(await r.outcome).toEqual({ kind: 'ended' });
    expect(r.opened()).toBe(true);
    expect(r.events.map((e) => [e.event, e.data])).toEqual([['resync', '{"reason":"lagged","dropped":2}']]);
  });

  test('a refused request gives its status and parsed JSON body', async () => {
    const r = read();
    const body = { error: { code: 'unknown_collection', message: "no collection named 'tasks'" } };
    (await server.nextSse()).refuse(404, body);
    expect(await r.outcome).toEqual({ kind: 'refused', status: 404, body, text: JSON.stringify(body) });
    expect(r.opened()).toBe(false);
  });

  test('a refusal that is not JSON keeps its text', async () => {
    const r = read();
    (await server.nextSse()).refuse(502, '<html>bad gateway</html>', 'text/html');
    expect(await r.outcome).toEqual({ kind: 'refused', status: 502, body: undefined, text: '<html>bad gateway</html>' });
  });

  test('a 200 that is not an event stream is named as such', async () => {
    const r = read();
    const sse = await server.nextSse();
    sse.open('text/html');
    sse.end();
    expect(await r.outcome).toMatchObject({ kind: 'not_event_stream', status: 200, contentType: 'text/html' });
  });

  test('a connection dropped mid-stream is a network outcome', async () => {
    const r = read();
    const sse = await server.nextSse();
    sse.open();
    await sse.write('event: ready\n');
    sse.destroy();
    expect((await r.outcome).kind).toBe('network');
  });

  test('no server is a network outcome', async () => {
    await server.close();
    expect((await read().outcome).kind).toBe('network');
  });

  test('abort ends the read as aborted and lets the connection go', async () => {
    const controller = new AbortController();
    const r = read(controller.signal);
    const sse = await server.nextSse();
    sse.open();
    sse.ping();
    await new Promise((res) => setTimeout(res, 20));
    controller.abort();
    expect(await r.outcome).toEqual({ kind: 'aborted' });
    await sse.closed;
  });
});
