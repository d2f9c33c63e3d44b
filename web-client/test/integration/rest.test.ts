/**
 * The REST helpers (PatchwireClient) against the real engine (PROTOCOL.md §2): writes answer
 * with positions that parse and increase, reads agree with them, odd ids survive the round
 * trip, and every refusal is a PatchwireError carrying the engine's status, code and details
 * (the error bodies themselves checked against the wire schema).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchwireClient, PatchwireError, parsePosition } from '../../src/index';
import { startEngine, type Engine } from '../support/engine';
import { validateErrorBody } from '../support/wireSchemas';
import { parsePos } from '../support/wireLog';
import type { Doc } from './helpers';

describe('PatchwireClient against the real engine', () => {
  let engine: Engine;
  let client: PatchwireClient;

  beforeAll(async () => {
    engine = await startEngine({ seed: false });
    client = new PatchwireClient({ baseUrl: engine.baseUrl });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  /** the PatchwireError a call rejects with (fails the test when it resolves) */
  async function refusal(call: Promise<unknown>): Promise<PatchwireError> {
    try {
      await call;
    } catch (e) {
      expect(e).toBeInstanceOf(PatchwireError);
      return e as PatchwireError;
    }
    throw new Error('expected the call to be refused');
  }

  it('create, replace, patch, delete: positions parse, share the epoch and strictly increase', async () => {
    const start = await client.list<Doc>('tasks');
    expect(start.docs).toEqual({});
    const seqs = [start.seq];
    const take = (position: string) => {
      const p = parsePosition(position);
      expect(p.epoch).toBe(engine.epoch);
      expect(parsePos(position)).toEqual(p);
      seqs.push(p.seq);
      return p.seq;
    };

    const created = await client.create<Doc>('tasks', { id: 'r1', project_id: 'p', title: 'one' });
    expect(created.status).toBe(201);
    expect(created.doc).toMatchObject({ id: 'r1', project_id: 'p', title: 'one', status: 'todo' });
    expect(created.doc!.created_at).toEqual(created.doc!.updated_at);
    const s1 = take(created.position);
    expect(created.etag).toBe(`"${s1}"`);

    const noId = await client.create<Doc>('tasks', { project_id: 'p', title: 'server id' });
    expect(noId.doc!.id).toMatch(/^[0-9a-f-]{36}$/);
    take(noId.position);

    const replaced = await client.replace<Doc>('tasks', 'r1', { project_id: 'p', title: 'one again', status: 'done' });
    expect(replaced.status).toBe(200);
    expect(replaced.doc).toMatchObject({ id: 'r1', title: 'one again', status: 'done', created_at: created.doc!.created_at });
    take(replaced.position);

    const upserted = await client.replace<Doc>('tasks', 'r2', { project_id: 'p', title: 'two' });
    expect(upserted.status).toBe(201);
    take(upserted.position);

    const patched = await client.patch<Doc>('tasks', 'r1', [
      { op: 'test', path: '/status', value: 'done' },
      { op: 'replace', path: '/status', value: 'inreview' },
      { op: 'add', path: '/description', value: 'patched' },
    ]);
    expect(patched.status).toBe(200);
    expect(patched.doc).toMatchObject({ id: 'r1', status: 'inreview', description: 'patched' });
    const sPatch = take(patched.position);

    // conditional write with the ETag of the last change
    const conditional = await client.patch<Doc>('tasks', 'r1', [{ op: 'replace', path: '/title', value: 'if-match' }], {
      ifMatch: patched.etag!,
    });
    expect(conditional.doc!.title).toBe('if-match');
    take(conditional.position);

    const deleted = await client.delete('tasks', 'r2');
    expect(deleted).toMatchObject({ status: 204, doc: null });
    const sDel = take(deleted.position);

    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!, `seq ${i}`).toBeGreaterThan(seqs[i - 1]!);

    // A write that changes nothing commits nothing: 200, the document, the current position.
    const noop = await client.patch<Doc>('tasks', 'r1', [{ op: 'test', path: '/title', value: 'if-match' }]);
    expect(noop.status).toBe(200);
    expect(noop.position).toBe(`${engine.epoch}:${sDel}`);

    // Reads agree with the writes.
    const one = await client.get<Doc>('tasks', 'r1');
    expect(one).toEqual(conditional.doc);
    const list = await client.list<Doc>('tasks');
    expect(list.seq).toBe(sDel);
    expect(list.position).toBe(deleted.position);
    expect(Object.keys(list.docs).sort()).toEqual([noId.doc!.id, 'r1'].sort());
    const filtered = await client.list<Doc>('tasks', 'status:inreview');
    expect(Object.keys(filtered.docs)).toEqual(['r1']);
    expect(sPatch).toBeLessThan(sDel);
  });

  it('odd ids round-trip through URL paths and the store', async () => {
    // NFD and NFC spellings of é are two different ids; ' ' and 'x ' keep their spaces
    const ids = ['a/b', '~0', '~1', '%', '%2F', 'a b', 'q?x=1&y=2', 'h#x', '+', 'back\\slash', 'ü', '漢字', '😀', '"', "'", '...', '.x', 'e\u0301', '\u00e9', ' ', 'x '];
    for (const id of ids) {
      const put = await client.replace<Doc>('tasks', id, { project_id: 'odd', title: `id ${id}` });
      expect(put.status, id).toBe(201);
      expect(put.doc!.id).toBe(id);
      expect((await client.get<Doc>('tasks', id)).title, id).toBe(`id ${id}`);
      const patched = await client.patch<Doc>('tasks', id, [{ op: 'replace', path: '/title', value: `patched ${id}` }]);
      expect(patched.doc!.title).toBe(`patched ${id}`);
    }
    const list = await client.list<Doc>('tasks', 'project_id:odd');
    expect(Object.keys(list.docs).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const del = await client.delete('tasks', id);
      expect(del.status, id).toBe(204);
      expect((await refusal(client.get('tasks', id))).code, id).toBe('not_found');
    }
  });

  it('refuses ids `.` and `..` before sending (a URL cannot carry them)', async () => {
    for (const id of ['.', '..']) {
      const e = await refusal(client.replace('tasks', id, { project_id: 'p', title: 't' }));
      expect(e).toMatchObject({ status: 0, code: 'bad_id' });
    }
  });

  // Found by this test: an id that encodeURIComponent cannot encode (a lone UTF-16 surrogate)
  // escaped as a raw URIError although every failure is promised as a PatchwireError.
  it('an id with a lone surrogate is refused as a PatchwireError, not a URIError', async () => {
    const e = await refusal(client.get('tasks', 'bad\ud800'));
    expect(e.code).toBe('bad_id');
  });

  it('maps refusals to PatchwireError with the engine status, code and details', async () => {
    await client.replace<Doc>('tasks', 'e1', { project_id: 'p', title: 'errors', status: 'todo' });
    const before = await client.list<Doc>('tasks');

    const testFailed = await refusal(
      client.patch('tasks', 'e1', [
        { op: 'test', path: '/status', value: 'done' },
        { op: 'replace', path: '/status', value: 'cancelled' },
      ]),
    );
    expect(testFailed).toMatchObject({ status: 409, code: 'test_failed' });
    expect(testFailed.message.length).toBeGreaterThan(0);

    expect(await refusal(client.create('tasks', { id: 'e1', project_id: 'p', title: 'dup' }))).toMatchObject({
      status: 409,
      code: 'already_exists',
    });
    expect(
      await refusal(client.patch('tasks', 'e1', [{ op: 'remove', path: '/nope' }])),
    ).toMatchObject({ status: 409, code: 'patch_conflict' });
    expect(
      await refusal(client.patch('tasks', 'e1', [{ op: 'replace', path: '/title', value: 'x' }], { ifMatch: '"1"' })),
    ).toMatchObject({ status: 409, code: 'precondition_failed' });

    expect(await refusal(client.get('tasks', 'missing'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await refusal(client.patch('tasks', 'missing', []))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await refusal(client.delete('tasks', 'missing'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await refusal(client.create('nope', { title: 'x' }))).toMatchObject({ status: 404, code: 'unknown_collection' });
    expect(await refusal(client.list('nope'))).toMatchObject({ status: 404, code: 'unknown_collection' });

    const schema = await refusal(client.patch('tasks', 'e1', [{ op: 'replace', path: '/status', value: 'someday' }]));
    expect(schema).toMatchObject({ status: 422, code: 'schema_violation' });
    expect(Array.isArray(schema.details)).toBe(true);
    expect((schema.details as unknown[]).length).toBeGreaterThan(0);
    expect(JSON.stringify(schema.details)).toContain('/status');
    const missingTitle = await refusal(client.create('tasks', { id: 'e2', project_id: 'p' }));
    expect(missingTitle).toMatchObject({ status: 422, code: 'schema_violation' });

    expect(await refusal(client.list('tasks', 'no-colon'))).toMatchObject({ status: 400, code: 'bad_where' });
    expect(
      await refusal(client.patch('tasks', 'e1', [{ op: 'replace', path: '/id', value: 'other' }])),
    ).toMatchObject({ status: 400 });

    // Nothing of that changed anything.
    const after = await client.list<Doc>('tasks');
    expect(after.seq).toBe(before.seq);
    expect(after.docs).toEqual(before.docs);
  });

  it("the engine's error bodies match the wire schema", async () => {
    const calls: [string, RequestInit][] = [
      ['/api/collections/tasks/docs/missing', {}],
      ['/api/collections/nope/docs', {}],
      ['/api/collections/tasks/docs?where=x', {}],
      [
        '/api/collections/tasks/docs',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"s","project_id":"p"}' },
      ],
      ['/api/collections/tasks/docs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }],
      ['/api/collections/tasks/docs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }],
    ];
    for (const [path, init] of calls) {
      const res = await fetch(engine.baseUrl + path, init);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      const body: unknown = await res.json();
      expect(() => validateErrorBody(body), `${init.method ?? 'GET'} ${path}`).not.toThrow();
    }
  });

  it('a network failure is a PatchwireError with status 0', async () => {
    const offline = new PatchwireClient({
      baseUrl: engine.baseUrl,
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    expect(await refusal(offline.get('tasks', 'x'))).toMatchObject({ status: 0, code: 'network_error' });
  });
});
