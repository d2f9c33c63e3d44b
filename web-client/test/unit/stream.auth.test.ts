/**
 * Access tokens on streams and REST calls, against the scripted fake engine: the token goes in
 * `access_token` (streams) or `Authorization: Bearer` (REST); a token refused at open (4401 / 401
 * `unauthorized`) or expired on an open stream (`token_expired`) is replaced by asking the token
 * function again, and the stream resumes with `since` and the Ready's `scope`; a fresh token
 * refused again, or a fixed token refused, is final; a token is replaced shortly before its
 * `exp`; a token never shows in an error.
 */
import WS from 'ws';
import type { ServerResponse } from 'node:http';
import { describe, expect, test } from 'vitest';
import { PatchwireClient, PatchwireError } from '../../src/rest';
import { openStream } from '../../src/stream';
import { expiryOf, redactToken, REFRESH_BEFORE_EXP_MS, TokenSource } from '../../src/token';
import type { WebSocketConstructor } from '../../src/types';
import { useFakeEngine } from '../support/fakeEngine';
import type { RecordedRequest } from '../support/fakeServer';
import { change, ready, setField, snapshot, sseChange, sseError, sseReady, sseSnapshot, type Docs } from '../support/frames';
import { validateErrorBody } from '../support/wireSchemas';

const NodeWebSocket: WebSocketConstructor = WS;
type Task = { id: string; title: string };

const fake = useFakeEngine<Task>({ WebSocket: NodeWebSocket, transport: 'ws' });
const open = fake.open.bind(fake);

const E = 'a1b2c3d4e5f6';
const SCOPE = '9c1e0b7d4a2f6e31';
const docs: Docs = { t1: { id: 't1', title: 'one' }, t2: { id: 't2', title: 'two' } };

/** An unsigned JWT-shaped token (the client reads `exp`, it does not verify) expiring in `s` seconds. */
function jwt(name: string, expiresInS = 3600): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: name, exp: Math.floor(Date.now() / 1000) + expiresInS })}.c2ln`;
}

/** a token function handing out t1, t2, ... and counting its calls */
function tokenFunction(expiresInS = 3600): { fn: () => Promise<string>; issued: string[] } {
  const issued: string[] = [];
  return {
    issued,
    fn: async () => {
      const t = jwt(`t${issued.length + 1}`, expiresInS);
      issued.push(t);
      return t;
    },
  };
}

describe('stream tokens', () => {
  test('a fixed token is sent as access_token; Ready without scope sends no scope back', async () => {
    const token = jwt('fixed');
    const { rec } = open({ token });
    const ws = await fake.server.nextWs();
    expect(ws.url.searchParams.get('access_token')).toBe(token);
    ws.sendAll(snapshot('tasks', docs, E, 3), ready(E, 3));
    await rec.state('ready');
    ws.terminate();
    const ws2 = await fake.server.nextWs();
    expect(ws2.url.searchParams.get('since')).toBe(`${E}:3`);
    expect(ws2.url.searchParams.has('scope')).toBe(false);
    expect(ws2.url.searchParams.get('access_token')).toBe(token);
  });

  test('token_expired on an open WebSocket: a fresh token, then since and scope, nothing lost', async () => {
    const tokens = tokenFunction();
    const { rec } = open({ token: tokens.fn });
    const ws = await fake.server.nextWs();
    expect(ws.url.searchParams.get('access_token')).toBe(tokens.issued[0]);
    ws.sendAll(snapshot('tasks', docs, E, 3), ready(E, 3, false, SCOPE), change([setField('tasks', 't1', 'title', 'uno')], 4));
    await rec.position(`${E}:4`);
    void ws.refuse('token_expired', 'the token expired', 4401);
    const ws2 = await fake.server.nextWs();
    expect(tokens.issued).toHaveLength(2);
    expect(Object.fromEntries(ws2.url.searchParams)).toEqual({ since: `${E}:4`, scope: SCOPE, access_token: tokens.issued[1] });
    expect(rec.stream.getView()).toMatchObject({ state: 'reconnecting', error: { code: 'token_expired', status: 4401 } });
    ws2.sendAll(change([setField('tasks', 't2', 'title', 'dos')], 5), ready(E, 5, true, SCOPE));
    const back = await rec.state('ready');
    expect(back.data).toEqual({ t1: { id: 't1', title: 'uno' }, t2: { id: 't2', title: 'dos' } });
    expect(back.error).toBeNull();
    // the replacement reached a Ready: a later expiry is replaced again
    void ws2.refuse('token_expired', 'the token expired', 4401);
    const ws3 = await fake.server.nextWs();
    expect(ws3.url.searchParams.get('access_token')).toBe(tokens.issued[2]);
  });

  test('a fresh token refused again before a Ready ends the stream: failed with the error', async () => {
    const tokens = tokenFunction();
    const { rec } = open({ token: tokens.fn });
    void (await fake.server.nextWs()).refuse('unauthorized', 'bad signature', 4401);
    void (await fake.server.nextWs()).refuse('unauthorized', 'bad signature', 4401);
    const failed = await rec.state('failed');
    expect(failed.error).toMatchObject({ code: 'unauthorized', status: 4401 });
    expect(tokens.issued).toHaveLength(2);
    await fake.server.expectNoStreamRequest(100);
  });

  test('a fixed token that is refused or expires is final', async () => {
    const { rec } = open({ token: jwt('fixed') });
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 3), ready(E, 3, false, SCOPE));
    await rec.state('ready');
    void ws.refuse('token_expired', 'the token expired', 4401);
    expect((await rec.state('failed')).error).toMatchObject({ code: 'token_expired' });
    expect((await rec.state('failed')).data).toEqual(docs);
    await fake.server.expectNoStreamRequest(100);
  });

  test('a token function that fails is retried with backoff, its error said without the token', async () => {
    let calls = 0;
    const late = jwt('late');
    const { rec } = open({
      token: async () => {
        calls++;
        if (calls === 1) throw new Error('auth server down for access_token=secret-value');
        return late;
      },
    });
    const down = await rec.state('reconnecting');
    expect(down.error?.code).toBe('token_unavailable');
    expect(down.error?.message).not.toContain('secret-value');
    const ws = await fake.server.nextWs();
    expect(ws.url.searchParams.get('access_token')).toBe(late);
  });

  test('the token is replaced shortly before its exp, on a new connection that resumes', async () => {
    const tokens = tokenFunction(2); // refreshed at half its remaining life, about 1 s from now
    const { rec } = open({ token: tokens.fn });
    const ws = await fake.server.nextWs();
    ws.sendAll(snapshot('tasks', docs, E, 3), ready(E, 3, false, SCOPE));
    await rec.state('ready');
    const ws2 = await fake.server.nextWs(4000);
    expect(tokens.issued).toHaveLength(2);
    expect(Object.fromEntries(ws2.url.searchParams)).toEqual({ since: `${E}:3`, scope: SCOPE, access_token: tokens.issued[1] });
    expect((await ws.closed).code).toBe(1000); // the old connection is closed by the client
    expect(rec.views.every((v) => v.state !== 'reconnecting' && v.error === null)).toBe(true);
    ws2.send(ready(E, 3, true, SCOPE));
    expect((await rec.state('ready')).position).toBe(`${E}:3`);
  });

  test('over SSE: a 401 at open and token_expired on the stream are both replaced; since and scope follow', async () => {
    const tokens = tokenFunction();
    const { rec } = open({ transport: 'sse', token: tokens.fn });
    const first = await fake.server.nextSse();
    expect(first.url.searchParams.get('access_token')).toBe(tokens.issued[0]);
    first.refuse(401, { error: { code: 'unauthorized', message: 'expired' } });
    const sse = await fake.server.nextSse();
    expect(sse.url.searchParams.get('access_token')).toBe(tokens.issued[1]);
    sse.open();
    sse.events(sseSnapshot('tasks', docs, E, 3), sseReady(E, 3, false, SCOPE), sseChange([setField('tasks', 't1', 'title', 'uno')], E, 4));
    await rec.position(`${E}:4`);
    sse.events(sseError('token_expired', 'the token expired'));
    sse.end();
    const again = await fake.server.nextSse();
    expect(Object.fromEntries(again.url.searchParams)).toEqual({ since: `${E}:4`, scope: SCOPE, access_token: tokens.issued[2] });
  });

  test('no token in view.error when the WebSocket constructor quotes the URL', async () => {
    const token = jwt('secret');
    class Quoting {
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror = null;
      constructor(url: string) {
        throw new SyntaxError(`The URL '${url}' is invalid`);
      }
      close(): void {}
    }
    const stream = openStream({ baseUrl: fake.server.url, collection: 'tasks', transport: 'ws', WebSocket: Quoting, token });
    fake.track(stream);
    await new Promise((r) => setTimeout(r, 20));
    const error = stream.getView().error;
    expect(error?.message).toContain('access_token=REDACTED');
    expect(error?.message).not.toContain(token);
  });
});

describe('REST tokens', () => {
  function answering(handler: (req: RecordedRequest, res: ServerResponse) => void): void {
    fake.server.httpHandler = handler;
  }
  const ok = (res: ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Patchwire-Seq': `${E}:9` });
    res.end(JSON.stringify({ id: 't1', title: 'one' }));
  };
  const unauthorized = (res: ServerResponse) => {
    const body = { error: { code: 'unauthorized', message: 'the token has expired' } };
    validateErrorBody(body);
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' });
    res.end(JSON.stringify(body));
  };

  test('every call sends Authorization: Bearer; a 401 asks for a new token and sends the call once more', async () => {
    const tokens = tokenFunction();
    const seen: (string | undefined)[] = [];
    answering((req, res) => {
      seen.push(req.headers.authorization);
      if (seen.length === 2) unauthorized(res);
      else ok(res);
    });
    const pw = new PatchwireClient({ baseUrl: fake.server.url, token: tokens.fn });
    await pw.get('tasks', 't1');
    const { position } = await pw.patch('tasks', 't1', [{ op: 'replace', path: '/title', value: 'x' }]);
    expect(position).toBe(`${E}:9`);
    expect(seen).toEqual([`Bearer ${tokens.issued[0]}`, `Bearer ${tokens.issued[0]}`, `Bearer ${tokens.issued[1]}`]);
    expect(fake.server.requests.slice(-1)[0]!.body).toBe('[{"op":"replace","path":"/title","value":"x"}]');
  });

  test('a fresh token refused again is the PatchwireError; a fixed token is not retried', async () => {
    answering((_req, res) => unauthorized(res));
    const tokens = tokenFunction();
    const pw = new PatchwireClient({ baseUrl: fake.server.url, token: tokens.fn });
    const e = await pw.get('tasks', 't1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PatchwireError);
    expect(e).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(tokens.issued).toHaveLength(2);
    const fixed = new PatchwireClient({ baseUrl: fake.server.url, token: 'abc.def.ghi' });
    const before = fake.server.requests.length;
    await expect(fixed.get('tasks', 't1')).rejects.toMatchObject({ status: 401 });
    expect(fake.server.requests.length - before).toBe(1);
  });

  test("the client's streams use its token, and share it with the REST calls", async () => {
    const tokens = tokenFunction();
    answering((_req, res) => ok(res));
    const pw = new PatchwireClient({ baseUrl: fake.server.url, token: tokens.fn });
    await pw.get('tasks', 't1');
    const stream = pw.stream('tasks', { transport: 'ws', WebSocket: NodeWebSocket });
    fake.track(stream);
    const ws = await fake.server.nextWs();
    expect(ws.url.searchParams.get('access_token')).toBe(tokens.issued[0]);
    expect(tokens.issued).toHaveLength(1);
  });
});

describe('TokenSource', () => {
  test('reads exp without verifying; replaces a token 30 s before exp, or at half a shorter life', () => {
    let now = 1_000_000_000_000;
    const exp = (s: number) => `e30.${Buffer.from(JSON.stringify({ exp: s })).toString('base64url')}.x`;
    expect(expiryOf(exp(1_000_003_600))).toBe(1_000_003_600_000);
    expect(expiryOf('not-a-jwt')).toBeNull();
    expect(expiryOf('a.b.c')).toBeNull();
    const source = new TokenSource(async () => 'x', () => now);
    expect(source.refreshAt(exp(1_000_003_600))).toBe(1_000_003_600_000 - REFRESH_BEFORE_EXP_MS);
    expect(source.refreshAt(exp(1_000_000_010))).toBe(1_000_000_005_000);
    now = 1_000_000_020_000;
    expect(source.refreshAt(exp(1_000_000_010))).toBe(1_000_000_010_000); // already expired: now
  });

  test('one call of the function for everyone asking at once; a refused value is not echoed', async () => {
    let calls = 0;
    const source = new TokenSource(async () => {
      calls++;
      return jwt('shared');
    });
    const [a, b] = await Promise.all([source.current(), source.current()]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
    expect(await source.current()).toBe(a); // held until it is due
    expect(calls).toBe(1);
    const bad = new TokenSource(async () => 'has a space-secret');
    await expect(bad.current()).rejects.toThrow(/non-empty string without spaces/);
    await expect(bad.current()).rejects.not.toThrow(/secret/);
    expect(redactToken('wss://h/x?a=1&access_token=abc.def&b=2')).toBe('wss://h/x?a=1&access_token=REDACTED&b=2');
  });
});
