/**
 * Convergence against the real engine (PROTOCOL.md §3.1 "No loss, no duplicate", "Convergence"):
 * WebSocket and SSE clients, whole-collection and filtered (`where`), watch a burst of
 * concurrent writes from several writers — creates (POST and PUT), patches that move tasks
 * between statuses and projects (so they enter and leave the filters), replaces, deletes and
 * re-creates, on ids that need escaping in URLs and JSON Pointers. Checked:
 *
 *  - every frame and event is valid by the wire schemas, and per connection a start, one Ready,
 *    then strictly increasing seqs (no duplicate, nothing out of order);
 *  - every write's position is reached through `stream.waitFor(position)` on every stream the
 *    write touches (a filtered stream only hears of writes that touch its documents);
 *  - EVERY view a stream showed while ready equals the server's (filtered) state at the view's
 *    seq, rebuilt from the writes' own answers (each answer is the stored document at its seq);
 *  - at the end each stream equals the REST read (`GET .../docs[?where=]`) exactly, and the
 *    whole-collection streams stand at the store's last position;
 *  - a client that joins mid-burst (snapshot while writes commit) and one that resumes mid-burst
 *    with `since` + the data it saved converge too; nobody reconnects or resyncs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchwireClient } from '../../src/index';
import type { PatchOperation, StreamView, TransportKind } from '../../src/types';
import { startEngine, type Engine } from '../support/engine';
import { classify, parsePos } from '../support/wireLog';
import { openChecked, prng, waitForState, type CheckedStream, type Doc } from './helpers';

const STATUSES = ['todo', 'inprogress', 'inreview', 'done', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
/** a project id full of URL and pointer specials, used as a `where` value */
const ODD_PROJECT = 'ü/p&q=1 %#+~0';
const PROJECTS = ['p1', ODD_PROJECT] as const;
/** ids that need escaping somewhere: URL path, JSON Pointer (~0 ~1), query, unicode */
const ODD_IDS = [
  'a/b',
  '~0',
  '~1',
  '~01',
  'x/~1y',
  '/',
  '~',
  '%',
  '%25',
  '%2F',
  'a b',
  'q?x=1&y',
  'h#x',
  '+',
  'back\\slash',
  'ü',
  '漢字',
  '😀🎉',
  '"quoted"',
  "it's",
  'e\u0301', // NFD é: another id than the NFC one
  '\u00e9',
  ' ',
];
const WRITERS = 8;
const OPS_PER_WRITER = 50;
const SEED = Number(process.env.PW_SEED ?? Date.now() % 100_000);

interface Model {
  project_id: string;
  title: string;
  status: Status;
  description?: string;
  position?: number;
}

/** one committed change as its answer reported it */
interface Write {
  seq: number;
  id: string;
  /** the stored document after the write (null: deleted) */
  doc: Doc | null;
}

type Filter = { field: 'status' | 'project_id'; value: string } | null;

interface Subscriber {
  name: string;
  filter: Filter;
  transport: TransportKind;
  checked: CheckedStream<Doc>;
  views: StreamView<Doc>[];
}

const where = (f: Filter): string | undefined => (f ? `${f.field}:${f.value}` : undefined);
const matches = (f: Filter, doc: Record<string, unknown> | null | undefined): boolean =>
  !!doc && (f === null || doc[f.field] === f.value);
const stripTimes = (doc: Record<string, unknown> | null): Record<string, unknown> | null => {
  if (!doc) return doc;
  const { created_at: _c, updated_at: _u, ...rest } = doc;
  return rest;
};

describe('convergence under a burst of concurrent writes', () => {
  let engine: Engine;
  let client: PatchwireClient;
  const subscribers: Subscriber[] = [];

  beforeAll(async () => {
    // Pings every 100 ms on both transports (SSE comment lines, WebSocket ping frames) and a
    // 2 ms flush window (several frames per socket write) make the clients parse what a busy
    // production socket carries.
    engine = await startEngine({
      seed: false,
      args: ['--ping-interval', '100', '--sse-ping-interval', '100', '--flush-interval', '2'],
    });
    client = new PatchwireClient({ baseUrl: engine.baseUrl });
  });
  afterAll(async () => {
    for (const s of subscribers) s.checked.stream.close();
    await engine?.dispose();
  });

  function subscribe(name: string, transport: TransportKind, filter: Filter, extra: { since?: string; initialData?: Record<string, unknown> } = {}): Subscriber {
    const checked = openChecked<Doc>(engine, name, { collection: 'tasks', transport, where: where(filter), ...extra });
    const views: StreamView<Doc>[] = [];
    checked.stream.subscribe((v) => views.push(v));
    const sub = { name, filter, transport, checked, views };
    subscribers.push(sub);
    return sub;
  }

  it(`converges: ${WRITERS} writers x ${OPS_PER_WRITER} ops, ws and sse, filtered and not (seed ${SEED})`, async () => {
    const random = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const writes: Write[] = [];
    const record = (id: string, position: string, doc: Doc | null): number => {
      const { epoch, seq } = parsePos(position);
      expect(epoch).toBe(engine.epoch);
      writes.push({ seq, id, doc });
      return seq;
    };

    // A few documents before anyone subscribes, so the snapshots are not empty.
    const initial: [string, Model][] = [
      ['hot', { project_id: 'p1', title: 'hot', status: 'todo' }],
      ['seed-prog', { project_id: 'p1', title: 'seed in progress', status: 'inprogress', position: 1 }],
      ['seed-odd', { project_id: ODD_PROJECT, title: 'seed odd project', status: 'done' }],
      ['a/b', { project_id: ODD_PROJECT, title: 'slash id', status: 'inprogress', description: 'd' }],
    ];
    const model = new Map<string, Model>();
    for (const [id, m] of initial) {
      const res = await client.create<Doc>('tasks', { id, ...m });
      expect(res.status).toBe(201);
      record(id, res.position, res.doc);
      model.set(id, m);
    }

    const specs: [string, TransportKind, Filter][] = [
      ['ws all', 'ws', null],
      ['sse all', 'sse', null],
      ['ws status:inprogress', 'ws', { field: 'status', value: 'inprogress' }],
      ['sse status:inprogress', 'sse', { field: 'status', value: 'inprogress' }],
      ['ws project odd', 'ws', { field: 'project_id', value: ODD_PROJECT }],
      ['sse project odd', 'sse', { field: 'project_id', value: ODD_PROJECT }],
    ];
    for (const [name, transport, filter] of specs) subscribe(name, transport, filter);
    await Promise.all(subscribers.map((s) => waitForState(s.checked.stream, 'ready')));

    // ids: each writer owns some (so it knows their state and its test ops must pass);
    // 'hot' is patched by everyone at once.
    const owned: string[][] = Array.from({ length: WRITERS }, (_, w) => [`w${w}-0`, `w${w}-1`, `w${w}-2`]);
    ODD_IDS.forEach((id, i) => owned[i % WRITERS]!.push(id));
    owned[0]!.push('seed-prog', 'seed-odd');
    // 'a/b' is in ODD_IDS already (writer 0 owns it).

    const waits: Promise<void>[] = [];
    const waitOn = (seq: number, position: string, before: Model | null | undefined, after: Record<string, unknown> | null) => {
      for (const s of subscribers) {
        if (s.filter && !matches(s.filter, before as Record<string, unknown> | null) && !matches(s.filter, after)) continue;
        waits.push(
          s.checked.stream.waitFor(position, { timeoutMs: 25_000 }).then(
            () => {
              const at = parsePos(s.checked.stream.getView().position).seq;
              if (at < seq) throw new Error(`${s.name}: waitFor(${position}) resolved at seq ${at}`);
            },
            (e: unknown) => {
              throw new Error(`${s.name}: waitFor(${position}) failed: ${String(e)}`);
            },
          ),
        );
      }
    };

    let counter = 0;
    let joinedLate: Promise<void> | null = null;
    const half = Math.floor((WRITERS * OPS_PER_WRITER) / 2);

    async function step(w: number): Promise<void> {
      const n = ++counter;
      if (n === half && joinedLate === null) {
        // Mid-burst: one client joins with a snapshot while writes commit, another resumes
        // with `since` and the data a page would have saved with it.
        joinedLate = (async () => {
          subscribe('ws late joiner', 'ws', null);
          const saved = await client.list<Doc>('tasks', 'status:inprogress');
          expect(saved.position).toBe(`${engine.epoch}:${saved.seq}`);
          subscribe('sse resumer (since)', 'sse', { field: 'status', value: 'inprogress' }, {
            since: saved.position!,
            initialData: saved.docs,
          });
        })();
      }
      if (random() < 0.15) {
        const title = `hot ${w}.${n}`;
        const before = model.get('hot')!;
        const res = await client.patch<Doc>('tasks', 'hot', [{ op: 'replace', path: '/title', value: title }]);
        expect(res.doc?.title).toBe(title);
        const seq = record('hot', res.position, res.doc);
        waitOn(seq, res.position, before, res.doc);
        return;
      }
      const id = pick(owned[w]!);
      const before = model.get(id);
      let after: Model | null;
      let res: { status: number; doc: Doc | null; position: string } | undefined;
      if (!before) {
        after = {
          project_id: pick(PROJECTS),
          title: `t ${id} ${n}`,
          status: pick(STATUSES),
          ...(random() < 0.5 ? { position: n } : {}),
        };
        if (random() < 0.5) {
          res = await client.create<Doc>('tasks', { id, ...after });
          expect(res.status).toBe(201);
        } else {
          res = await client.replace<Doc>('tasks', id, { ...after });
          expect(res.status).toBe(201);
        }
      } else {
        const r = random();
        let ops: PatchOperation[] | null = null;
        if (r < 0.4) {
          // a move between columns; the test op guards the status we believe is there
          const status = random() < 0.5 && before.status !== 'inprogress' ? 'inprogress' : pick(STATUSES.filter((s) => s !== before.status));
          const position = n + random();
          ops = [
            { op: 'test', path: '/status', value: before.status },
            { op: 'replace', path: '/status', value: status },
            { op: 'add', path: '/position', value: position },
          ];
          after = { ...before, status, position };
        } else if (r < 0.55) {
          const title = `edited ${id} ${n}`;
          ops = [
            { op: 'replace', path: '/title', value: title },
            { op: 'add', path: '/description', value: `desc ${n} ✓ "q" / ~` },
          ];
          after = { ...before, title, description: `desc ${n} ✓ "q" / ~` };
        } else if (r < 0.62 && before.description !== undefined) {
          ops = [{ op: 'remove', path: '/description' }];
          const { description: _d, ...rest } = before;
          after = rest;
        } else if (r < 0.72) {
          const project_id = before.project_id === 'p1' ? ODD_PROJECT : 'p1';
          ops = [{ op: 'replace', path: '/project_id', value: project_id }];
          after = { ...before, project_id };
        } else if (r < 0.86) {
          after = { project_id: pick(PROJECTS), title: `replaced ${id} ${n}`, status: pick(STATUSES) };
          res = await client.replace<Doc>('tasks', id, { ...after });
          expect(res.status).toBe(200);
        } else {
          after = null;
          res = await client.delete('tasks', id);
          expect(res.status).toBe(204);
          expect(res.doc).toBeNull();
        }
        if (ops) res = await client.patch<Doc>('tasks', id, ops);
      }
      if (!res) throw new Error('no write was made');
      if (after) {
        expect(stripTimes(res.doc), `answer of the write to ${id}`).toEqual({ id, ...after });
        model.set(id, after);
      } else {
        model.delete(id);
      }
      const seq = record(id, res.position, after ? res.doc : null);
      waitOn(seq, res.position, before, res.doc);
    }

    const started = Date.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; i < OPS_PER_WRITER; i++) await step(w);
      }),
    );
    const burstMs = Date.now() - started;
    await joinedLate;
    await Promise.all(waits);

    // Every write committed with its own seq.
    const seqs = writes.map((x) => x.seq);
    expect(new Set(seqs).size, 'each write has its own seq').toBe(seqs.length);
    const last = Math.max(...seqs);
    expect(writes.length).toBe(initial.length + WRITERS * OPS_PER_WRITER);

    // Make the late subscribers pass the end too: one last write that every stream hears of
    // (a new task in the inprogress column of the odd project).
    const fence = await client.replace<Doc>('tasks', 'fence', { project_id: ODD_PROJECT, title: 'fence', status: 'inprogress' });
    expect(fence.status).toBe(201);
    const fenceSeq = record('fence', fence.position, fence.doc);
    expect(fenceSeq).toBeGreaterThan(last);
    for (const s of subscribers) {
      expect(matches(s.filter, fence.doc), `${s.name} hears of the fence`).toBe(true);
      await s.checked.stream.waitFor(fence.position);
    }

    // The server's state after each seq, rebuilt from the answers.
    const bySeq = [...writes].sort((a, b) => a.seq - b.seq);
    const docAt = new Map<number, Write>(bySeq.map((x) => [x.seq, x]));
    const stateAt = (seq: number, filter: Filter): Record<string, Doc> => {
      const state: Record<string, Doc> = {};
      for (const x of bySeq) {
        if (x.seq > seq) break;
        if (x.doc) state[x.id] = x.doc;
        else delete state[x.id];
      }
      for (const id of Object.keys(state)) if (!matches(filter, state[id])) delete state[id];
      return state;
    };
    const docBefore = (seq: number, id: string): Doc | null => {
      let doc: Doc | null = null;
      for (const x of bySeq) {
        if (x.seq >= seq) break;
        if (x.id === id) doc = x.doc;
      }
      return doc;
    };

    const rest = await client.list<Doc>('tasks');
    expect(rest.seq).toBe(fenceSeq);
    expect(rest.docs).toEqual(stateAt(fenceSeq, null));

    for (const s of subscribers) {
      s.checked.wire.assertClean();
      expect(s.checked.states, `${s.name}: states`).toEqual(['connecting', 'ready']);
      const view = s.checked.stream.getView();
      expect(view.transport, `${s.name}: transport`).toBe(s.transport);
      const expected = s.filter ? (await client.list<Doc>('tasks', where(s.filter))).docs : rest.docs;
      expect(view.data, `${s.name}: final data equals the REST read`).toEqual(expected);
      if (s.filter === null) expect(view.position, `${s.name}: final position`).toBe(fence.position);

      // every view shown while ready is the server's filtered state at its seq
      let checkedViews = 0;
      for (const v of s.views) {
        if (v.state !== 'ready' || v.position === null) continue;
        const at = parsePos(v.position).seq;
        expect(v.data, `${s.name}: view at seq ${at}`).toEqual(stateAt(at, s.filter));
        checkedViews++;
      }
      expect(checkedViews, `${s.name}: views checked`).toBeGreaterThan(0);
    }

    // The resumer really resumed: no snapshot, Ready resumed:true.
    const resumer = subscribers.find((s) => s.name.startsWith('sse resumer'))!;
    const starts = resumer.checked.wire.messages.filter((m) => m.transport === 'sse' && m.event.event === 'ready');
    expect(starts.map((m) => (m.transport === 'sse' ? (m.event.data as { resumed: boolean }).resumed : null))).toEqual([true]);

    // A filtered stream hears only of changes to documents that matched before or after.
    for (const s of subscribers) {
      if (!s.filter) continue;
      for (const m of s.checked.wire.messages) {
        const c = classify(m);
        if (c.kind !== 'patch') continue;
        const write = docAt.get(c.seq);
        expect(write, `${s.name}: seq ${c.seq} is one of our writes`).toBeDefined();
        const paths = (c.ops as { path: string }[]).map((op) => op.path);
        const escaped = write!.id.replace(/~/g, '~0').replace(/\//g, '~1');
        for (const path of paths) {
          const ok = path === `/tasks/${escaped}` || path.startsWith(`/tasks/${escaped}/`);
          expect(ok, `${s.name}: ${path} at seq ${c.seq} is inside ${write!.id}`).toBe(true);
        }
        const touched = matches(s.filter, docBefore(c.seq, write!.id)) || matches(s.filter, write!.doc);
        expect(touched, `${s.name}: seq ${c.seq} (${write!.id}) touches the filter`).toBe(true);
      }
    }
    console.info(
      `convergence: ${writes.length} writes in ${burstMs} ms, ${waits.length} waitFor calls, ` +
        subscribers.map((s) => `${s.name}: ${s.checked.wire.messages.length} msgs`).join(', '),
    );
  });
});
