/**
 * The board against an engine with `--jwt-secret`, opened as `--print-demo-token` prints it:
 * `/?token=T`. The board takes the token out of its address at once (not in the address, the
 * history or the console), sends it on its streams and writes, shows only what the token
 * grants (another project's tasks stay hidden), keeps working after a reload (sessionStorage), and a move made on it reaches the
 * server. Without a token the same board fails with 401 instead of showing anything.
 *
 * Chromium: $CHROMIUM_PATH or /usr/bin/chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchwireClient } from '../../src/index';
import { DEMO_GRANTS, mintToken, newSecret } from '../support/auth';
import { launchChromium } from '../support/chromium';
import { useEngine } from '../support/engine';

const secret = newSecret();
const hook = useEngine({ args: ['--jwt-secret', secret] });
const token = mintToken(secret, DEMO_GRANTS);

let context: BrowserContext;
let profile = '';
const consoleLines: string[] = [];
const streamUrls: string[] = [];
const pageErrors: string[] = [];

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('websocket', (ws) => streamUrls.push(ws.url()));
  page.on('request', (r) => {
    if (r.url().includes('/stream/')) streamUrls.push(r.url());
  });
  return page;
}

async function live(page: Page): Promise<void> {
  await page.locator('[data-testid="connection-state"][data-state="ready"]').waitFor({ timeout: 15_000 });
  await page.locator('[data-testid="board"][aria-busy="false"]').waitFor({ timeout: 15_000 });
}

const cardIds = (page: Page) =>
  page.locator('[data-task-id]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-task-id')).sort());

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'patchwire-e2e-auth-'));
  context = await launchChromium(profile);
  // another project, which the demo token does not grant
  const admin = new PatchwireClient({ baseUrl: hook.engine.baseUrl, token: mintToken(secret, { read: [{ c: '*' }], write: [{ c: '*' }] }) });
  await admin.replace('projects', 'secret-project', { name: 'Not yours' });
  await admin.replace('tasks', 'hidden-1', { project_id: 'secret-project', title: 'hidden' });
}, 60_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the board with ?token=', () => {
  it('shows what the token grants, with the token out of the address, the history and the console', async () => {
    const page = await newPage();
    await page.goto(`${hook.engine.baseUrl}/?token=${encodeURIComponent(token)}`);
    await live(page);
    expect(await cardIds(page)).toEqual(['task-1', 'task-2', 'task-3', 'task-4', 'task-5']);
    expect(page.url()).not.toContain('token');
    expect(page.url()).toContain('project=demo');
    // the history: the blank page the tab opened with, then the board without the token
    expect(await page.evaluate(() => history.length)).toBe(2);
    await page.goBack();
    expect(page.url()).toBe('about:blank');
    await page.goForward();
    expect(page.url()).not.toContain('token');
    await live(page);
    // the streams carried it (a browser cannot send a header on a WebSocket)
    expect(streamUrls.some((u) => u.includes(`access_token=${token}`))).toBe(true);

    // a move goes to the server with the token (REST: Authorization header)
    await page.getByTestId('task-task-4').getByTestId('task-move').selectOption('done');
    const rest = new PatchwireClient({ baseUrl: hook.engine.baseUrl, token });
    await expect.poll(async () => (await rest.get<{ status: string }>('tasks', 'task-4')).status, { timeout: 5000 }).toBe('done');

    // a reload keeps the board working: the token is kept for the tab, not in the address
    await page.reload();
    await live(page);
    expect(page.url()).not.toContain('token');
    expect(await cardIds(page)).toEqual(['task-1', 'task-2', 'task-3', 'task-4', 'task-5']);
    // the token reads the demo project's tasks only: another project's board stays empty
    await page.getByTestId('project-picker').selectOption('secret-project');
    await live(page);
    expect(await page.locator('[data-task-id]').count()).toBe(0);
    expect(page.url()).not.toContain('token');
    expect(consoleLines.filter((l) => l.includes(token))).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('without a token the board fails with 401 and shows no task', async () => {
    const fresh = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    try {
      const page = await fresh.newPage();
      await page.goto(`${hook.engine.baseUrl}/`);
      const state = page.getByTestId('connection-state');
      await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('failed');
      expect(await page.locator('[data-task-id]').count()).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
