/**
 * The kanban board on three engine nodes behind a real HAProxy, as the README's "Several nodes"
 * runs them: a throwaway PostgreSQL (initdb + pg_ctl, a free port), three engine jars on it
 * (`--database-url`, `--node-id`), and Debian's HAProxy with the checked-in deploy/haproxy.cfg
 * (round robin, /health checks). Two Chromium pages open the board through HAProxy; each node's
 * `/api/stats` says which node serves each page's tasks stream (B is reloaded until it is on
 * another node than A). The node serving A's tasks stream is killed with kill -9 (its PID); a
 * change is made through HAProxy and another on page B meanwhile. Page A must reconnect through
 * HAProxy to a surviving node by itself (no reload), resume with `since` (the position it had:
 * its new connection's URL) and get `resumed:true`; then both pages show exactly the REST
 * snapshot. Every stream message both pages receive is checked against the wire schemas and the
 * protocol's order (test/support/pageWire.ts).
 *
 * Skipped, with the reason, only where PostgreSQL or HAProxy is not installed (`.ci/run`
 * installs both). Chromium: $CHROMIUM_PATH or /usr/bin/chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchwireClient, PatchwireError } from '../../src/index';
import { columnsFromServer, columnsOf, STATUSES, whereIs, type Task } from '../support/boardPage';
import { clusterMissing, startHaproxy, startPostgres, type Haproxy, type TestPostgres } from '../support/cluster';
import { startEngine, type Engine } from '../support/engine';
import { launchChromium } from '../support/chromium';
import { PageWire, type Connection } from '../support/pageWire';
import { classify } from '../support/wireLog';

const missing = clusterMissing();
if (missing) console.warn(`board behind HAProxy: skipped: ${missing}`);

interface StatsSubscriber {
  collection: string;
}

/** How many tasks streams each node serves, from its /api/stats (a dead node: null). */
async function tasksStreamsPerNode(nodes: Engine[]): Promise<(number | null)[]> {
  return Promise.all(
    nodes.map(async (node) => {
      if (!node.running) return null;
      const stats = (await (await fetch(`${node.baseUrl}/api/stats`)).json()) as { subscribers: StatsSubscriber[] };
      return stats.subscribers.filter((s) => s.collection === 'tasks').length;
    }),
  );
}

const isTasksStream = (c: Connection) => c.url.startsWith('/api/collections/tasks/stream/');

/** The last seq a connection's messages carried (snapshot, live change or Ready). */
function lastSeq(c: Connection): number | null {
  let seq: number | null = null;
  for (const m of c.log.messages) {
    const k = classify(m);
    if (k.kind === 'snapshot' || k.kind === 'patch' || k.kind === 'ready') seq = k.seq;
  }
  return seq;
}

describe.skipIf(missing !== null)('the board on three nodes behind HAProxy, one node killed with kill -9', () => {
  let pg: TestPostgres | undefined;
  const nodes: Engine[] = [];
  let proxy: Haproxy | undefined;
  let rest: PatchwireClient;
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  const wire = new PageWire();
  const pageErrors: string[] = [];
  let A: Page;
  let B: Page;
  /** the index in `nodes` of the node serving A's (B's) tasks stream */
  let aNode = -1;
  let bNode = -1;
  /** how often B was reloaded to land on another node than A */
  let reloads = 0;

  async function openBoard(name: string): Promise<Page> {
    const dir = mkdtempSync(join(tmpdir(), 'patchwire-e2e-chromium-'));
    profiles.push(dir);
    const context = await launchChromium(dir);
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
    await wire.watch(page, name);
    expect((await page.goto(`${proxy!.baseUrl}/`))?.status()).toBe(200);
    await live(page);
    return page;
  }

  async function live(page: Page): Promise<void> {
    await page.locator('[data-testid="connection-state"][data-state="ready"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="board"][aria-busy="false"]').waitFor({ timeout: 20_000 });
  }

  /** Waits until exactly `count` tasks streams are open over the nodes, and returns them per node. */
  async function settledStreams(count: number): Promise<(number | null)[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const per = await tasksStreamsPerNode(nodes);
      if (per.reduce<number>((a, n) => a + (n ?? 0), 0) === count) return per;
      if (Date.now() > deadline) throw new Error(`not ${count} tasks streams over the nodes: ${JSON.stringify(per)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A write through HAProxy, retried on 503 as a client does while a dead node is not yet marked down. */
  async function throughProxy<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (e) {
        if (attempt >= 20 || !(e instanceof PatchwireError) || (e.status !== 503 && e.status !== 502)) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.newDatabase('board');
    // at once: schema creation and the demo seed take an advisory lock, the first one seeds
    const node = (i: number) => startEngine({ args: ['--database-url', url, '--node-id', `node${i}`], startTimeoutMs: 120_000 });
    nodes.push(...(await Promise.all([1, 2, 3].map(node))));
    proxy = await startHaproxy(nodes.map((n) => n.port));
    rest = new PatchwireClient({ baseUrl: proxy.baseUrl });
    // each node's first write warms it up (class loading), on a task no page shows
    for (const node of nodes) {
      const direct = new PatchwireClient({ baseUrl: node.baseUrl });
      await direct.replace('tasks', `warm-${node.port}`, { project_id: 'warm-up', title: 'warm-up' });
      await direct.delete('tasks', `warm-${node.port}`);
    }
    A = await openBoard('A');
    aNode = (await settledStreams(1)).indexOf(1);
    B = await openBoard('B');
    // B's tasks stream on another node than A's: one request through HAProxy before each reload
    // moves round robin on by one (a page load alone may make a multiple of three requests)
    for (let attempt = 0; (await settledStreams(2))[aNode] === 2; attempt++) {
      expect(attempt, 'B lands on another node than A within a few reloads').toBeLessThan(6);
      await fetch(`${proxy.baseUrl}/health`);
      await B.reload();
      await live(B);
      reloads++;
    }
    const per = await settledStreams(2);
    bNode = per.findIndex((n, i) => n === 1 && i !== aNode);
    expect(bNode, `B's node (tasks streams per node: ${JSON.stringify(per)})`).toBeGreaterThanOrEqual(0);
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const d of profiles) rmSync(d, { recursive: true, force: true });
    await proxy?.stop();
    for (const node of nodes) await node.dispose();
    await pg?.stop();
  });

  it('page A reconnects through HAProxy to another node by itself, resumes with since, and both pages equal the REST snapshot', async () => {
    const aConnection = wire.connections.filter((c) => c.page === 'A' && isTasksStream(c) && !c.closed).at(-1);
    expect(aConnection, 'A has an open tasks stream').toBeDefined();
    const since = lastSeq(aConnection!);
    expect(since, "A's tasks stream has a position").not.toBeNull();
    await A.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const before = wire.connections.length;

    await nodes[aNode]!.kill(); // SIGKILL of that node's PID: no close frame, no shutdown hook
    // a change through HAProxy while A is cut off (it must arrive by the resume)
    await throughProxy(() => rest.patch<Task>('tasks', 'task-1', [{ op: 'replace', path: '/status', value: 'cancelled' }]));
    // and one on page B, through its own UI
    const card = B.getByTestId('task-task-5');
    await card.getByTestId('task-edit').click();
    await B.getByTestId('task-form-title').fill('Edited in B while a node is down');
    await B.getByTestId('task-form-save').click();
    await B.getByTestId('task-dialog').waitFor({ state: 'hidden' });

    // A reconnects by itself, through HAProxy, with its since, and the node resumes it
    const isResumedReady = (c: Connection) =>
      c.log.messages.some((m) => {
        const k = classify(m);
        return k.kind === 'ready' && k.resumed;
      });
    const resumed = () => wire.connections.slice(before).find((c) => c.page === 'A' && isTasksStream(c) && isResumedReady(c));
    await expect
      .poll(() => resumed() !== undefined, { timeout: 30_000, interval: 100, message: 'A resumed its tasks stream' })
      .toBe(true);
    expect(aConnection!.closed, "the kill cut A's tasks stream").toBe(true);
    const again = resumed()!;
    const position = new URL(again.url, 'http://x').searchParams.get('since');
    expect(position, `A's reconnection ${again.url}`).toMatch(new RegExp(`^[0-9a-f]+:${since}$`));
    // what A missed came as changes, not as a new snapshot
    expect(again.log.messages.map((m) => classify(m).kind), 'the resumed connection').not.toContain('snapshot');
    await live(A);
    expect(await A.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), 'A was not reloaded').toBe(true);
    // on a surviving node: the two pages' tasks streams are both there
    const after = await settledStreams(2);
    expect(after[aNode], 'the killed node').toBeNull();

    // both pages show exactly what the server has (through HAProxy)
    const docs = (await rest.list<Task>('tasks', 'project_id:demo')).docs;
    expect(docs['task-1']?.status).toBe('cancelled');
    expect(docs['task-5']?.title).toBe('Edited in B while a node is down');
    const server = columnsFromServer(docs);
    for (const page of [A, B]) {
      await expect
        .poll(
          async () => {
            const shown = await columnsOf(page);
            return Object.fromEntries(STATUSES.map((s) => [s, shown[s].filter((c) => c.pending === 'false').map((c) => c.id)]));
          },
          { timeout: 10_000, message: `${page === A ? 'A' : 'B'} equals the REST snapshot` },
        )
        .toEqual(server);
      for (const t of Object.values(docs)) expect((await whereIs(page, t.id))?.title).toBe(t.title);
    }
    console.info(
      `board behind HAProxy: A's tasks stream was on node${aNode + 1} (killed), B's on node${bNode + 1} ` +
        `(after ${reloads} reloads of B); ` +
        `A resumed from ${position} on ${again.transport}`,
    );
    expect(pageErrors).toEqual([]);
    expect(wire.violations(), 'wire violations (schemas/wire, PROTOCOL.md §3.1 order)').toEqual([]);
  }, 90_000);
});
