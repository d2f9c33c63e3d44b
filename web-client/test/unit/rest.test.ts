/**
 * PatchwireClient against a fake HTTP server: methods, paths, headers, bodies, positions, and
 * the mapping of every kind of failure to PatchwireError.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PatchwireClient, PatchwireError } from '../../src/rest';
import { FakeServer, type RecordedRequest } from '../support/fakeServer';
import { sseReady, sseSnapshot } from '../support/frames';
import { validateErrorBody } from '../support/wireSchemas';
import { ViewRecorder } from '../support/views';

let server: FakeServer;
let client: PatchwireClient;
/** what the next request is answered with */
let answer: (req: RecordedRequest, res: ServerResponse) => void;

beforeEach(async () => {
  server = await FakeServer.start();
  client = new PatchwireClient({ baseUrl: server.url });
  server.httpHandler = (req, res) => answer(req, res);
});

afterEach(async () => {
  await server.close();
});

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (_req: RecordedRequest, res: ServerResponse): void => {
    if (status >= 400 && typeof body === 'object') {
      validateErrorBody(body);
    }
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

const last = (): RecordedRequest => server.requests[server.requests.length - 1]!;

describe('writes', () => {
  test('create: POST to docs with a JSON body; status, document, position and ETag come back', async () => {
    answer = json(201, { id: 't1', title: 'x' }, { 'Patchwire-Seq': 'ep:12', ETag: '"12"' });
    const result = await client.create<{ id: string; title: string }>('tasks', { title: 'x' });
    expect(result).toEqual({ status: 201, doc: { id: 't1', title: 'x' }, position: 'ep:12', etag: '"12"' });
    expect(last()).toMatchObject({ method: 'POST', rawUrl: '/api/collections/tasks/docs', body: '{"title":"x"}' });
    expect(last().headers['content-type']).toBe('application/json');
    expect(last().headers['if-match']).toBeUndefined();
  });

  test('replace: PUT with If-Match when asked', async () => {
    answer = json(200, { id: 't1', title: 'y' }, { 'Patchwire-Seq': 'ep:13' });
    const result = await client.replace('tasks', 't1', { id: 't1', title: 'y' }, { ifMatch: '"12"' });
    expect(result).toEqual({ status: 200, doc: { id: 't1', title: 'y' }, position: 'ep:13' });
    expect(last()).toMatchObject({ method: 'PUT', rawUrl: '/api/collections/tasks/docs/t1' });
    expect(last().headers['if-match']).toBe('"12"');
    expect(JSON.parse(last().body)).toEqual({ id: 't1', title: 'y' });
  });

  test('patch: PATCH with application/json-patch+json and the operations as body', async () => {
    answer = json(200, { id: 't1', title: 'z' }, { 'Patchwire-Seq': 'ep:14' });
    const ops = [
      { op: 'test' as const, path: '/title', value: 'y' },
      { op: 'replace' as const, path: '/title', value: 'z' },
    ];
    const result = await client.patch('tasks', 't1', ops, { ifMatch: '*' });
    expect(result.position).toBe('ep:14');
    expect(last().method).toBe('PATCH');
    expect(last().headers['content-type']).toBe('application/json-patch+json');
    expect(last().headers['if-match']).toBe('*');
    expect(JSON.parse(last().body)).toEqual(ops);
  });

  test('delete: 204, no document, the position', async () => {
    answer = (_req, res) => {
      res.writeHead(204, { 'Patchwire-Seq': 'ep:15' });
      res.end();
    };
    expect(await client.delete('tasks', 't1')).toEqual({ status: 204, doc: null, position: 'ep:15' });
    expect(last()).toMatchObject({ method: 'DELETE', rawUrl: '/api/collections/tasks/docs/t1', body: '' });
    expect(last().headers['content-type']).toBeUndefined();
  });

  test('a success without Patchwire-Seq gives an empty position rather than failing a committed write', async () => {
    answer = json(201, { id: 't1' });
    expect((await client.create('tasks', {})).position).toBe('');
  });
});

describe('ids in paths', () => {
  test.each([
    ['a/b', 'a%2Fb'],
    ['~', '~'],
    ['100%', '100%25'],
    ['with space', 'with%20space'],
    ['é😀', '%C3%A9%F0%9F%98%80'],
    ['?#&=+', '%3F%23%26%3D%2B'],
    ['...', '...'],
    ['%2e%2e', '%252e%252e'],
  ])('%j is sent as %s', async (id, encoded) => {
    answer = json(200, { id });
    expect(await client.get('tasks', id)).toEqual({ id });
    expect(last().rawUrl).toBe(`/api/collections/tasks/docs/${encoded}`);
  });

  test.each(['.', '..', ''])('%j cannot be sent (URL parsers resolve dot segments) and nothing is sent', async (id) => {
    const error = (await client.delete('tasks', id).catch((e: unknown) => e)) as PatchwireError;
    expect(error).toBeInstanceOf(PatchwireError);
    expect(error).toMatchObject({ status: 0, code: 'bad_id' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('reads', () => {
  test('get returns the document', async () => {
    answer = json(200, { id: 't1', title: 'x' }, { 'Patchwire-Seq': 'ep:3' });
    expect(await client.get('tasks', 't1')).toEqual({ id: 't1', title: 'x' });
    expect(last()).toMatchObject({ method: 'GET', rawUrl: '/api/collections/tasks/docs/t1' });
    expect(last().headers.accept).toBe('application/json');
  });

  test('list returns the map, the seq and the position; where is encoded', async () => {
    answer = json(200, { tasks: { t1: { id: 't1' } }, seq: 9 }, { 'Patchwire-Seq': 'ep:9' });
    expect(await client.list('tasks', 'project_id:a b&c')).toEqual({
      docs: { t1: { id: 't1' } },
      seq: 9,
      position: 'ep:9',
    });
    expect(last().rawUrl).toBe('/api/collections/tasks/docs?where=project_id%3Aa%20b%26c');
    await client.list('tasks');
    expect(last().rawUrl).toBe('/api/collections/tasks/docs');
  });

  test('a list answer of the wrong shape is a bad_response', async () => {
    answer = json(200, { other: {}, seq: 1 });
    await expect(client.list('tasks')).rejects.toMatchObject({ code: 'bad_response', status: 200 });
  });
});

describe('errors', () => {
  test('the engine error body becomes status, code, message and details', async () => {
    const details = [{ instanceLocation: '/title', keywordLocation: '/required', error: 'required' }];
    answer = json(422, { error: { code: 'schema_violation', message: 'the document does not match', details } });
    const error = (await client.create('tasks', {}).catch((e: unknown) => e)) as PatchwireError;
    expect(error).toBeInstanceOf(PatchwireError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'PatchwireError',
      status: 422,
      code: 'schema_violation',
      message: 'the document does not match',
      details,
    });
  });

  test.each([
    [409, 'test_failed'],
    [409, 'precondition_failed'],
    [404, 'not_found'],
    [400, 'invalid_patch'],
    [415, 'unsupported_media_type'],
    [503, 'unavailable'],
  ])('HTTP %i %s', async (status, code) => {
    answer = json(status, { error: { code, message: 'm' } });
    await expect(client.patch('tasks', 't1', [])).rejects.toMatchObject({ status, code, message: 'm', details: undefined });
  });

  test('an answer that is not JSON keeps its status and some of its text', async () => {
    answer = (_req, res) => {
      res.writeHead(502, 'Bad Gateway', { 'Content-Type': 'text/html' });
      res.end('<h1>upstream down</h1>');
    };
    await expect(client.get('tasks', 't1')).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
      message: 'GET /api/collections/tasks/docs/t1: HTTP 502 Bad Gateway: <h1>upstream down</h1>',
    });
  });

  test('a success that is not JSON is a bad_response', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>');
    };
    await expect(client.get('tasks', 't1')).rejects.toMatchObject({ status: 200, code: 'bad_response' });
  });

  test('no server: status 0, network_error, with the cause', async () => {
    await server.close();
    const error = (await client.get('tasks', 't1').catch((e: unknown) => e)) as PatchwireError;
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
    expect(error.cause).toBeInstanceOf(Error);
    server = await FakeServer.start(); // for afterEach
  });
});

describe('construction and streams', () => {
  test('a custom fetch is used (called as a plain function)', async () => {
    const calls: string[] = [];
    const custom = new PatchwireClient({
      baseUrl: `${server.url}/`,
      fetch: function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
        expect(this).toBeUndefined();
        calls.push(String(input));
        return fetch(input, init);
      } as typeof fetch,
    });
    answer = json(200, { id: 't1' });
    await custom.get('tasks', 't1');
    expect(calls).toEqual([`${server.url}/api/collections/tasks/docs/t1`]);
  });

  test('no baseUrl and no page origin is refused at once', () => {
    expect(() => new PatchwireClient()).toThrow(TypeError);
  });

  test('stream() opens a stream on the same engine with the client fetch', async () => {
    const used: string[] = [];
    const custom = new PatchwireClient({
      baseUrl: server.url,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
        used.push(String(input));
        return fetch(input, init);
      }) as typeof fetch,
    });
    const stream = custom.stream('tasks', { transport: 'sse', where: 'a:b' });
    const rec = new ViewRecorder(stream);
    const sse = await server.nextSse();
    sse.open();
    sse.events(sseSnapshot('tasks', { t1: { id: 't1' } }, 'ep', 1), sseReady('ep', 1));
    expect((await rec.state('ready')).data).toEqual({ t1: { id: 't1' } });
    expect(used).toEqual([`${server.url}/api/collections/tasks/stream/sse?where=a%3Ab`]);
    stream.close();
  });
});
