/**
 * The client's tokens against the real engine with `--jwt-secret` (docs/protocol.md "Auth"):
 * REST and both transports send the token; the read grants narrow the stream and Ready carries
 * the scope; a token that expires on an open stream (WebSocket: token_expired + 4401; SSE:
 * `event: error` + end) is replaced from the token function and the stream resumes with since
 * and scope (Ready resumed:true), a write made meanwhile included; a replacement the engine
 * refuses ends the stream `failed`; a REST 401 is retried once with a fresh token.
 */
import { describe, expect, it } from 'vitest';
import { PatchwireClient, PatchwireError } from '../../src/index';
import type { TransportKind } from '../../src/types';
import { mintToken, newSecret, type Claims } from '../support/auth';
import { useEngine } from '../support/engine';
import type { WireLog } from '../support/wireLog';
import { Gate, NodeWebSocket, openChecked, waitForState, waitForView, type Doc } from './helpers';

const secret = newSecret();
const hook = useEngine({ args: ['--jwt-secret', secret] });

const DEMO: Claims = {
  read: [{ c: 'projects' }, { c: 'tasks', where: { project_id: 'demo' } }],
  write: [{ c: 'tasks', where: { project_id: 'demo' } }],
};
const EVERYTHING: Claims = { read: [{ c: '*' }], write: [{ c: '*' }] };
const DEMO_TASKS = ['task-1', 'task-2', 'task-3', 'task-4', 'task-5'];

/** a token function that counts its calls */
function tokenFunction(next: (call: number) => string): { fn: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return { fn: async () => next(++calls), calls: () => calls };
}

/** the Ready messages a stream received, in order (WebSocket frames or SSE `ready` data) */
function readies(wire: WireLog): { resumed?: boolean; scope?: string }[] {
  return wire.messages.flatMap((m) => {
    if (m.transport === 'ws') {
      const f = m.frame as { Ready?: unknown };
      return f && typeof f === 'object' && 'Ready' in f ? [f as { resumed?: boolean; scope?: string }] : [];
    }
    return m.event.event === 'ready' ? [m.event.data as { resumed?: boolean; scope?: string }] : [];
  });
}

const expOf = (token: string): number =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;

describe('tokens against the real engine', () => {
  it('REST and both transports carry the token; the grants narrow the stream; Ready has the scope', async () => {
    const engine = hook.engine;
    const admin = new PatchwireClient({ baseUrl: engine.baseUrl, token: mintToken(secret, EVERYTHING) });
    await admin.replace('tasks', 'other-1', { project_id: 'other', title: 'not for demo readers' });

    const pw = new PatchwireClient({ baseUrl: engine.baseUrl, token: mintToken(secret, DEMO) });
    expect(Object.keys((await pw.list('tasks')).docs).sort()).toEqual(DEMO_TASKS);
    await expect(new PatchwireClient({ baseUrl: engine.baseUrl }).list('tasks')).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
    for (const transport of ['ws', 'sse'] as TransportKind[]) {
      const { stream, wire } = openChecked<Doc>(engine, `grants-${transport}`, {
        collection: 'tasks',
        transport,
        token: mintToken(secret, DEMO),
      });
      try {
        const v = await waitForState(stream, 'ready');
        expect(Object.keys(v.data).sort()).toEqual(DEMO_TASKS);
        expect(readies(wire).at(-1)?.scope, transport).toMatch(/^[0-9a-f]{16}$/);
        expect(wire.violations).toEqual([]);
      } finally {
        stream.close();
      }
    }
  });

  for (const transport of ['ws', 'sse'] as TransportKind[]) {
    it(`${transport}: a token expiring on the open stream is replaced; since and scope resume it, a write meanwhile arrives`, async () => {
      const engine = hook.engine;
      const writer = new PatchwireClient({ baseUrl: engine.baseUrl, token: mintToken(secret, DEMO) });
      // 4 s: the client's own refresh comes at half of it, before exp, and gets the same token
      // (nothing to change); at exp the engine ends the stream and the next call gets a long one.
      const short = mintToken(secret, { ...DEMO, ttlS: 4 });
      const tokens = tokenFunction(() => (Date.now() < expOf(short) - 1000 ? short : mintToken(secret, DEMO)));
      let written: Promise<unknown> | null = null;
      const gate = await Gate.create();
      const { stream, wire } = openChecked<Doc>(engine, `expiry-${transport}`, {
        collection: 'tasks',
        transport,
        token: tokens.fn,
        where: 'project_id:demo',
        WebSocket: gate.WebSocket,
        fetch: gate.fetch,
      });
      gate.onAttempt = () => wire.newConnection(); // the first attempt waits for the token
      // the write goes in while the stream is between its expired and its new connection
      const seenExpiry = new Promise<void>((resolve) => {
        stream.subscribe((v) => {
          if (v.error?.code === 'token_expired' && written === null) {
            written = writer.create('tasks', { id: `during-${transport}`, project_id: 'demo', title: 'during' });
            resolve();
          }
        });
      });
      try {
        await waitForState(stream, 'ready');
        await seenExpiry;
        const { position } = (await written!) as { position: string };
        await stream.waitFor(position, { timeoutMs: 10_000 });
        const back = await waitForView(stream, (v) => v.state === 'ready' && v.error === null, 'ready again');
        expect(back.data[`during-${transport}`]).toMatchObject({ title: 'during' });
        expect(tokens.calls()).toBeGreaterThanOrEqual(2);
        const seen = readies(wire);
        expect(seen.length).toBeGreaterThanOrEqual(2);
        // the second connection resumed (since + scope honoured): a replay, not a snapshot
        expect(seen[1]).toMatchObject({ resumed: true, scope: seen[0]!.scope });
        const urls = gate.passed().map((r) => new URL(r.url).searchParams);
        expect(urls[1]?.get('scope')).toBe(seen[0]!.scope);
        expect(urls[1]?.get('access_token')).not.toBe(short);
        expect(wire.violations).toEqual([]);
      } finally {
        stream.close();
      }
    }, 30_000);
  }

  it('a replacement token the engine refuses ends the stream failed with the error', async () => {
    const engine = hook.engine;
    const wrongKey = newSecret();
    const tokens = tokenFunction((call) => (call === 1 ? mintToken(secret, { ...DEMO, ttlS: 2 }) : mintToken(wrongKey, DEMO)));
    const { stream } = openChecked<Doc>(engine, 'refused', {
      collection: 'tasks',
      transport: 'ws',
      WebSocket: NodeWebSocket,
      token: tokens.fn,
    });
    try {
      await waitForState(stream, 'ready');
      const failed = await waitForState(stream, 'failed', 15_000);
      expect(failed.error).toMatchObject({ code: 'unauthorized', status: 4401 });
      expect(Object.keys(failed.data)).toEqual(expect.arrayContaining(DEMO_TASKS)); // the last good data stays
    } finally {
      stream.close();
    }
  });

  it('REST: a 401 asks the token function again and sends the call once more', async () => {
    const engine = hook.engine;
    const tokens = tokenFunction((call) => mintToken(secret, { ...DEMO, ttlS: call === 1 ? -60 : 3600 }));
    const pw = new PatchwireClient({ baseUrl: engine.baseUrl, token: tokens.fn });
    const { doc } = await pw.patch('tasks', 'task-4', [{ op: 'replace', path: '/title', value: 'retried' }]);
    expect(doc).toMatchObject({ title: 'retried' });
    expect(tokens.calls()).toBe(2);
    const refused = new PatchwireClient({ baseUrl: engine.baseUrl, token: async () => mintToken(newSecret(), DEMO) });
    const e = await refused.get('tasks', 'task-1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PatchwireError);
    expect(e).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});
