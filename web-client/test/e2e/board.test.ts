/**
 * The kanban board end to end: the real engine jar serves the BUILT board at `/`; two headless
 * Chromium pages (two separate browser profiles) show project `demo`. Every change made in page A
 * through the UI — create, edit, drag to another column, reorder by drag, keyboard move, menu
 * move, delete — must show in page B within 1 s of the action (measured from the end of the
 * action to B's DOM showing it). An optimistic move the server refuses (409: the move's `test`
 * saw an old status) snaps back to the server's column with a readable alert, and so does one the
 * server answers 503 for. Then the server stops (SIGTERM): both pages show "Reconnecting…", and a
 * task created meanwhile is taken off the board again with "The server cannot be reached; …"
 * (not the request's technical text, which is in the alert's title). The server starts again on
 * the same port: both pages recover by themselves to "Live", and a change made after the restart
 * shows in both.
 *
 * Every stream message either page receives is checked as it arrives (test/support/pageWire.ts:
 * a WireLog per connection, each message against the wire schemas, each connection in the
 * protocol's order; SSE streams too, which the client's `auto` transport falls back to when a
 * WebSocket cannot connect, e.g. at the moment the engine comes back). Each test fails on a
 * violation seen during it; the last test also checks that frames were seen at all, on every
 * connection.
 *
 * Test hooks: the `data-testid`s listed at the top of board/main.ts.
 * Chromium: $CHROMIUM_PATH or /usr/bin/chromium. Screenshot: web-client/target/e2e/board.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, type Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PatchwireClient } from '../../src/index';
import { startEngine, WEB_CLIENT_DIR, type Engine } from '../support/engine';
import {
  columnsFromServer,
  columnsOf,
  ids,
  STATUSES,
  whereIs,
  type Columns,
  type Status,
  type Task,
} from '../support/boardPage';
import { launchChromium } from '../support/chromium';
import { PageWire } from '../support/pageWire';

/** "within 1 s" of the action */
const LIVE_MS = 1000;

describe('kanban board in two browsers against the real engine', () => {
  let engine: Engine;
  let rest: PatchwireClient;
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  let A: Page;
  let B: Page;
  const pageErrors: string[] = [];
  const latencies: Record<string, number> = {};
  const wire = new PageWire();
  /** every stream connection of both pages, in the order they were opened */
  const connections = wire.connections;
  /** SSE responses with status 200 the browser saw, per page (to prove the wrapper saw them all) */
  const sseResponses = wire.sseResponses;
  let violationsReported = 0;

  const wireViolations = (): string[] => wire.violations();
  const watchWire = (page: Page, name: string): Promise<void> => wire.watch(page, name);

  async function openBoard(name: string): Promise<Page> {
    const dir = mkdtempSync(join(tmpdir(), 'patchwire-e2e-chromium-'));
    profiles.push(dir);
    const context = await launchChromium(dir);
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
    await watchWire(page, name);
    // from the engine's own `/`, never a dev server
    const response = await page.goto(`${engine.baseUrl}/`);
    expect(response?.status()).toBe(200);
    if ((await page.getByTestId('board').count()) === 0) {
      throw new Error(
        `the engine at ${engine.baseUrl}/ does not serve the built board (no data-testid="board"); ` +
          'is web-client/dist/board packed into the jar? (mvn package)',
      );
    }
    await page.locator('[data-testid="connection-state"][data-state="ready"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="board"][aria-busy="false"]').waitFor({ timeout: 15_000 });
    return page;
  }

  /** Polls page B (or A) until `probe` equals `expected`, at most LIVE_MS; records the latency. */
  async function within1s<T>(what: string, probe: () => Promise<T>, expected: T): Promise<void> {
    const t0 = performance.now();
    await expect.poll(probe, { timeout: LIVE_MS, interval: 20, message: `${what} within ${LIVE_MS} ms` }).toEqual(expected);
    latencies[what] = Math.round(performance.now() - t0);
  }

  /** Waits until A has no write in flight for `id` (its optimistic overlay is gone). */
  async function settled(page: Page, id: string): Promise<void> {
    const pending = async () => {
      const columns = await columnsOf(page);
      return STATUSES.flatMap((s) => columns[s]).find((c) => c.id === id)?.pending ?? 'gone';
    };
    await expect.poll(pending, { timeout: 10_000, interval: 20, message: `no write in flight for ${id}` }).toBe('false');
  }

  /**
   * One write of each kind on a task of another project (no page shows it). A fresh JVM answers
   * its first PATCH in 300-600 ms on a small machine (class loading, cold code); the 1 s budget
   * is for the sync path, not for the engine's warm-up.
   */
  async function warmUp(): Promise<void> {
    const doc = { id: 'warm-up', project_id: 'warm-up', title: 'warm-up' };
    await rest.create('tasks', doc);
    await rest.patch('tasks', doc.id, [
      { op: 'test', path: '/status', value: 'todo' },
      { op: 'replace', path: '/status', value: 'done' },
      { op: 'add', path: '/position', value: 1 },
    ]);
    await rest.patch('tasks', doc.id, [{ op: 'replace', path: '/title', value: 'warm' }]);
    await rest.replace('tasks', doc.id, doc);
    await rest.delete('tasks', doc.id);
  }

  async function serverTasks(): Promise<Record<string, Task>> {
    return (await rest.list<Task>('tasks', 'project_id:demo')).docs;
  }

  beforeAll(async () => {
    engine = await startEngine();
    rest = new PatchwireClient({ baseUrl: engine.baseUrl });
    await warmUp();
    A = await openBoard('A');
    B = await openBoard('B');
  }, 60_000);

  // each test answers for the wire messages that arrived while it ran
  afterEach(() => {
    const all = wireViolations();
    const fresh = all.slice(violationsReported);
    violationsReported = all.length;
    expect(fresh, 'wire violations (schemas/wire, PROTOCOL.md §3.1 order)').toEqual([]);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const d of profiles) rmSync(d, { recursive: true, force: true });
    await engine?.dispose();
    console.info(`board e2e latencies (action done → other page shows it, ms): ${JSON.stringify(latencies)}`);
    const used = connections.filter((c) => c.log.messages.length > 0);
    console.info(
      `board e2e wire: ${used.length} connections carried ${used.reduce((n, c) => n + c.log.messages.length, 0)} messages ` +
        `(${used.filter((c) => c.transport === 'sse').length} on SSE), all checked`,
    );
    // anything that arrived after the last test (the pages are closed now, nothing more comes)
    expect(wireViolations().slice(violationsReported), 'wire violations after the last test').toEqual([]);
  });

  let created = '';

  it('both pages show the demo board as the server has it', async () => {
    const server = columnsFromServer(await serverTasks());
    expect(Object.values(server).flat().sort()).toEqual(['task-1', 'task-2', 'task-3', 'task-4', 'task-5']);
    for (const page of [A, B]) {
      const shown = await columnsOf(page);
      for (const s of STATUSES) {
        expect(ids(shown, s), `${s}`).toEqual(server[s]);
        expect(await page.getByTestId(`column-count-${s}`).textContent()).toBe(String(server[s].length));
      }
      await expect.poll(() => page.getByTestId('connection-state').getAttribute('data-transport')).toBe('ws');
      expect(await page.getByTestId('project-picker').inputValue()).toBe('demo');
    }
    // the wire check has something to check: each page's two streams started on WebSocket
    for (const name of ['A', 'B']) {
      for (const collection of ['projects', 'tasks']) {
        const started = () =>
          connections.some(
            (c) =>
              c.page === name &&
              c.transport === 'ws' &&
              c.url.startsWith(`/api/collections/${collection}/stream/ws`) &&
              c.log.readyCounts[0] === 1,
          );
        await expect.poll(started, { message: `${name}: ${collection} frames up to Ready` }).toBe(true);
      }
    }
  });

  it('a task created in A appears in B within 1 s', async () => {
    const title = 'Written in A — “quotes” & <b>tags</b> ✓';
    const before = await columnsOf(B);
    await A.getByTestId('new-task-todo').click();
    const dialog = A.getByTestId('task-dialog');
    await dialog.waitFor({ state: 'visible' });
    await A.getByTestId('task-form-title').fill(title);
    await A.getByTestId('task-form-description').fill('from the e2e test');
    await A.getByTestId('task-form-save').click();
    await dialog.waitFor({ state: 'hidden' });

    const t0 = performance.now();
    await expect
      .poll(async () => (await columnsOf(B)).todo.find((c) => c.title === title)?.id ?? null, {
        timeout: LIVE_MS,
        interval: 20,
        message: `the new task in B within ${LIVE_MS} ms`,
      })
      .not.toBeNull();
    latencies.create = Math.round(performance.now() - t0);
    const shown = await columnsOf(B);
    const card = shown.todo.find((c) => c.title === title)!;
    created = card.id;
    expect(created).toMatch(/^[0-9a-f-]{36}$/);
    // at the end of To do, after the two demo tasks; the title is text, not markup
    expect(ids(shown, 'todo')).toEqual([...ids(before, 'todo'), created]);
    expect(card.description).toBe('from the e2e test');
    expect(await B.getByTestId(`task-${created}`).locator('b').count()).toBe(0);
    expect(await B.getByTestId('column-count-todo').textContent()).toBe('3');

    const doc = await rest.get<Task>('tasks', created);
    expect(doc).toMatchObject({ id: created, project_id: 'demo', title, status: 'todo', description: 'from the e2e test' });
    await settled(A, created);
  });

  it('a title edited in A shows in B within 1 s', async () => {
    const card = A.getByTestId(`task-${created}`);
    await card.getByTestId('task-edit').click();
    await A.getByTestId('task-dialog').waitFor({ state: 'visible' });
    const input = A.getByTestId('task-form-title');
    expect(await input.inputValue()).toContain('Written in A');
    await input.fill('Edited in A');
    await A.getByTestId('task-form-save').click();
    await A.getByTestId('task-dialog').waitFor({ state: 'hidden' });
    await within1s('edit', async () => (await whereIs(B, created))?.title, 'Edited in A');
    await settled(A, created);
    expect((await rest.get<Task>('tasks', created)).title).toBe('Edited in A');
  });

  it('dragged to another column in A: B shows it there within 1 s', async () => {
    // dropped on the centre of task-3 (the only card In progress): lands after it
    await A.getByTestId(`task-${created}`).dragTo(A.getByTestId('task-task-3'));
    expect(ids(await columnsOf(A), 'inprogress'), 'A shows the move at once').toEqual(['task-3', created]);
    await within1s('drag to column', async () => ids(await columnsOf(B), 'inprogress'), ['task-3', created]);
    expect(ids(await columnsOf(B), 'todo')).toEqual(['task-4', 'task-5']);
    await settled(A, created);
    const doc = await rest.get<Task>('tasks', created);
    expect(doc.status).toBe('inprogress');
    expect(doc.position).toBeGreaterThan((await rest.get<Task>('tasks', 'task-3')).position!);
  });

  it('reordered by drag in A: B shows the new order within 1 s', async () => {
    // dropped on the upper part of task-3: lands before it
    const target = A.getByTestId('task-task-3');
    const box = (await target.boundingBox())!;
    await A.getByTestId(`task-${created}`).dragTo(target, { targetPosition: { x: box.width / 2, y: 4 } });
    await within1s('reorder by drag', async () => ids(await columnsOf(B), 'inprogress'), [created, 'task-3']);
    await settled(A, created);
    const doc = await rest.get<Task>('tasks', created);
    expect(doc.position).toBeLessThan((await rest.get<Task>('tasks', 'task-3')).position!);
  });

  it('moved by keyboard in A (Alt+→, Alt+↑): B follows within 1 s', async () => {
    const card = A.getByTestId(`task-${created}`);
    await card.focus();
    await A.keyboard.press('Alt+ArrowRight');
    // to the end of In review (after task-2)
    await within1s('keyboard move to column', async () => ids(await columnsOf(B), 'inreview'), ['task-2', created]);
    await settled(A, created);
    expect(ids(await columnsOf(B), 'inprogress')).toEqual(['task-3']);

    // the card keeps focus through the move; Alt+↑ swaps it with its upper neighbour
    await expect.poll(() => card.evaluate((el) => el === document.activeElement)).toBe(true);
    await A.keyboard.press('Alt+ArrowUp');
    await within1s('keyboard reorder', async () => ids(await columnsOf(B), 'inreview'), [created, 'task-2']);
    await settled(A, created);
    expect(await A.getByTestId('announcer').textContent()).toContain('Edited in A');
  });

  it('moved with the card menu in A: B shows it within 1 s', async () => {
    await A.getByTestId(`task-${created}`).getByTestId('task-move').selectOption('done');
    await within1s('menu move', async () => ids(await columnsOf(B), 'done'), ['task-1', created]);
    await settled(A, created);
    expect((await rest.get<Task>('tasks', created)).status).toBe('done');
  });

  it('deleted in A: gone from B within 1 s', async () => {
    await A.getByTestId(`task-${created}`).getByTestId('task-delete').click();
    await A.getByTestId('delete-dialog').waitFor({ state: 'visible' });
    await A.getByTestId('delete-confirm').click();
    await A.getByTestId('delete-dialog').waitFor({ state: 'hidden' });
    await within1s('delete', async () => whereIs(B, created), null);
    expect(await whereIs(A, created)).toBeNull();
    expect(ids(await columnsOf(B), 'done')).toEqual(['task-1']);
    await expect(rest.get('tasks', created)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('an optimistic move the server refuses snaps back to the server’s column with an alert', async () => {
    const url = `${engine.baseUrl}/api/collections/tasks/docs/task-4`;
    let release!: () => Promise<void>;
    const held = new Promise<void>((resolveHeld) => {
      void A.route(
        (u) => u.href === url,
        async (route: Route) => {
          if (route.request().method() !== 'PATCH') return route.continue();
          release = () => route.continue();
          resolveHeld();
        },
      );
    });
    // B records every column it ever shows task-4 in
    await B.evaluate(() => {
      const w = window as unknown as { __task4Columns: string[] };
      w.__task4Columns = [];
      const note = () => {
        const el = document.querySelector('[data-task-id="task-4"]');
        const column = el?.closest<HTMLElement>('section')?.dataset.status ?? 'none';
        if (w.__task4Columns[w.__task4Columns.length - 1] !== column) w.__task4Columns.push(column);
      };
      note();
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    try {
      // A moves task-4 (To do) to Done; its PATCH is held on the way
      await A.getByTestId('task-task-4').getByTestId('task-move').selectOption('done');
      await held;
      const optimistic = await whereIs(A, 'task-4');
      expect(optimistic?.column, 'A shows the move before the server answers').toBe('done');
      expect(await A.getByTestId('task-task-4').getAttribute('data-pending')).toBe('true');

      // meanwhile someone else moves it to In review
      const theirs = await rest.patch<Task>('tasks', 'task-4', [{ op: 'replace', path: '/status', value: 'inreview' }]);
      expect(theirs.doc?.status).toBe('inreview');
      await within1s('their move in B', async () => (await whereIs(B, 'task-4'))?.column, 'inreview');

      // now A's request goes on: its `test` of /status = todo fails, the engine answers 409
      const answered = A.waitForResponse((r) => r.url() === url && r.request().method() === 'PATCH');
      await release();
      expect((await answered).status()).toBe(409);

      await expect
        .poll(async () => (await whereIs(A, 'task-4'))?.column, { timeout: 5000, message: 'the card snaps back' })
        .toBe('inreview');
      await settled(A, 'task-4');
      const alert = A.locator('[data-testid="toast"][role="alert"]');
      await alert.first().waitFor({ state: 'visible', timeout: 5000 });
      const text = (await alert.last().textContent()) ?? '';
      expect(text).toMatch(/changed by someone else/i);
      expect(text).toContain('Resume after reconnect'); // the task's title
      expect(text).toMatch(/undone/i);
      expect(await alert.last().getAttribute('data-kind')).toBe('error');
      // B never showed A's refused move
      expect(await B.evaluate(() => (window as unknown as { __task4Columns: string[] }).__task4Columns)).toEqual([
        'todo',
        'inreview',
      ]);
      expect((await rest.get<Task>('tasks', 'task-4')).status).toBe('inreview');
    } finally {
      await A.unrouteAll({ behavior: 'ignoreErrors' });
    }
  });

  it('a move the server answers 503 for is undone, with a readable alert (the technical text in its title)', async () => {
    const url = `${engine.baseUrl}/api/collections/tasks/docs/task-2`;
    const before = (await whereIs(A, 'task-2'))!;
    expect(before.column).not.toBe('done');
    await A.route(
      (u) => u.href === url,
      (route: Route) =>
        route.request().method() === 'PATCH'
          ? route.fulfill({
              status: 503,
              contentType: 'application/json',
              body: JSON.stringify({ error: { code: 'unavailable', message: 'the engine cannot take writes now; retry shortly' } }),
            })
          : route.continue(),
    );
    try {
      await A.getByTestId('task-task-2').getByTestId('task-move').selectOption('done');
      const expected = `The server is unavailable right now; your move of task “${before.title}” was undone.`;
      const alert = A.locator('[data-testid="toast"][role="alert"]').filter({ hasText: 'unavailable right now' });
      await alert.waitFor({ state: 'visible', timeout: 5000 });
      expect(await alert.textContent()).toBe(expected);
      expect(await alert.getAttribute('title')).toBe('unavailable (HTTP 503): the engine cannot take writes now; retry shortly');
      await expect
        .poll(async () => (await whereIs(A, 'task-2'))?.column, { timeout: 5000, message: 'the card snaps back' })
        .toBe(before.column);
      await settled(A, 'task-2');
      expect((await rest.get<Task>('tasks', 'task-2')).status).toBe(before.column);
      await alert.getByTestId('toast-dismiss').click();
    } finally {
      await A.unrouteAll({ behavior: 'ignoreErrors' });
    }
  });

  it('both pages ride out a server restart by themselves and stay live', async () => {
    const indicator = (page: Page) => page.getByTestId('connection-state');
    const before = await columnsOf(B);
    // a page reload would lose this: the pages must recover in place
    for (const page of [A, B]) await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    await engine.stop(); // SIGTERM: the engine closes the WebSockets with 1001
    for (const page of [A, B]) {
      await expect.poll(() => indicator(page).getAttribute('data-state'), { timeout: 5000 }).toBe('reconnecting');
      expect(await indicator(page).textContent()).toContain('Reconnecting');
    }
    // the last good data stays on screen while reconnecting
    expect(await columnsOf(B)).toEqual(before);

    // A task created in A now: shown at once (optimistic), then taken off again with an alert
    // a user understands; the request's own text is in the alert's title.
    const offline = 'Written while the server is down';
    const beforeA = await columnsOf(A);
    await A.evaluate((title) => {
      const w = window as unknown as { __offlineShown: boolean };
      w.__offlineShown = false;
      new MutationObserver(() => {
        const titles = document.querySelectorAll('[data-testid="column-list-todo"] [data-testid="task-title"]');
        if ([...titles].some((el) => el.textContent === title)) w.__offlineShown = true;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, offline);
    await A.getByTestId('new-task-todo').click();
    await A.getByTestId('task-dialog').waitFor({ state: 'visible' });
    await A.getByTestId('task-form-title').fill(offline);
    await A.getByTestId('task-form-save').click();
    await A.getByTestId('task-dialog').waitFor({ state: 'hidden' });
    const alert = A.locator('[data-testid="toast"][role="alert"]').filter({ hasText: offline });
    await alert.waitFor({ state: 'visible', timeout: 5000 });
    expect(await alert.textContent()).toBe(`The server cannot be reached; task “${offline}” was not saved.`);
    expect(await alert.getAttribute('title')).toMatch(/^network_error: POST \/api\/collections\/tasks\/docs: no answer \(/);
    await expect
      .poll(async () => (await columnsOf(A)).todo.some((c) => c.title === offline), {
        timeout: 5000,
        message: 'the optimistic card goes',
      })
      .toBe(false);
    const wasShown = await A.evaluate(() => (window as unknown as { __offlineShown: boolean }).__offlineShown);
    expect(wasShown, 'the card was shown first (optimistic)').toBe(true);
    expect(await columnsOf(A)).toEqual(beforeA);
    expect(await columnsOf(B)).toEqual(before);

    await engine.start(); // the same port and data dir
    await warmUp();
    for (const page of [A, B]) {
      // recovers by itself: no reload, no click (the backoff may wait up to 8 s between attempts)
      await expect.poll(() => indicator(page).getAttribute('data-state'), { timeout: 20_000, interval: 50 }).toBe('ready');
      expect(await indicator(page).textContent()).toContain('Live');
      expect(await page.getByTestId('reconnect').isHidden()).toBe(true);
      expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    }
    console.info(
      `after the restart: A on ${await indicator(A).getAttribute('data-transport')}, B on ${await indicator(B).getAttribute('data-transport')}`,
    );

    // a change after the restart, made in B, shows in A within 1 s
    const card = B.getByTestId('task-task-5');
    await card.getByTestId('task-edit').click();
    await B.getByTestId('task-form-title').fill('Edited in B after the restart');
    await B.getByTestId('task-form-save').click();
    await B.getByTestId('task-dialog').waitFor({ state: 'hidden' });
    await within1s('edit after restart (B → A)', async () => (await whereIs(A, 'task-5'))?.title, 'Edited in B after the restart');

    // and one from another client shows in both
    const theirs = await rest.patch<Task>('tasks', 'task-1', [{ op: 'replace', path: '/status', value: 'cancelled' }]);
    expect(theirs.status).toBe(200);
    for (const page of [A, B]) {
      await within1s(`REST change after restart in ${page === A ? 'A' : 'B'}`, async () => (await whereIs(page, 'task-1'))?.column, 'cancelled');
    }

    // both pages end exactly as the server is
    await settled(B, 'task-5');
    const docs = await serverTasks();
    expect(Object.values(docs).map((t) => t.title), 'the task written while the server was down').not.toContain(offline);
    const server = columnsFromServer(docs);
    for (const page of [A, B]) {
      const shown = await columnsOf(page);
      for (const s of STATUSES) expect(ids(shown, s), s).toEqual(server[s]);
      expect(Object.values(shown).flat().every((c) => c.pending === 'false')).toBe(true);
    }

    const dir = join(WEB_CLIENT_DIR, 'target', 'e2e');
    mkdirSync(dir, { recursive: true });
    await A.screenshot({ path: join(dir, 'board.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('every stream message both pages received matched the wire schemas, in the protocol’s order', () => {
    const used = connections.filter((c) => c.log.messages.length > 0);
    for (const name of ['A', 'B']) {
      const mine = used.filter((c) => c.page === name);
      // before the restart and after it, each of the two streams: at least four connections
      expect(mine.length, `${name}: connections that carried messages`).toBeGreaterThanOrEqual(4);
      expect(mine.reduce((n, c) => n + c.log.messages.length, 0), `${name}: messages checked`).toBeGreaterThan(0);
      for (const collection of ['projects', 'tasks']) {
        const of = mine.filter((c) => c.url.startsWith(`/api/collections/${collection}/`));
        expect(of.length, `${name}: ${collection} connections (one before the restart, one after)`).toBeGreaterThanOrEqual(2);
      }
      // the wrapper of fetch saw every SSE stream the browser opened (none, unless auto fell back)
      expect(mine.filter((c) => c.transport === 'sse').length, `${name}: SSE streams checked`).toBe(sseResponses[name]);
    }
    // exactly one Ready on each connection (a second one is a violation of its own); only one the
    // server closed before it got going may have none
    const unready = used.filter((c) => c.log.readyCounts[0] !== 1 && !(c.closed && c.log.readyCounts[0] === 0));
    expect(
      unready.map((c) => `${c.log.name}: ${c.log.readyCounts[0]} Ready`),
      'connections without their Ready',
    ).toEqual([]);
    expect(wireViolations()).toEqual([]);
  });
});
