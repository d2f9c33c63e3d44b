/**
 * The npm package as a user gets it: `npm pack` (its prepack builds the library), the tarball
 * installed into a scratch project in a temp dir (from the npm cache when it can), then
 * - its contents: README, LICENSE, the ESM build, declarations whose maps point at shipped files;
 * - a Node script using it against the real engine jar, over `ws` and over `auto` without a
 *   WebSocket (SSE, said once), and from CommonJS;
 * - a TypeScript consumer passing `ws`'s class as `WebSocket`, type-checked with tsc;
 * - every TypeScript/JavaScript example in README.md and docs/client.md, type-checked and run as
 *   shown against a fresh demo database (`http://127.0.0.1:8080` becomes the test engine's URL;
 *   a `// prints: X` comment must be matched by the output; an example that reads
 *   `process.env.PATCHWIRE_TOKEN` runs against an engine with `--jwt-secret`, that variable set to
 *   a token for the demo project).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_GRANTS, mintToken, newSecret } from '../support/auth';
import { startEngine, useEngine, WEB_CLIENT_DIR, type Engine } from '../support/engine';

const REPO = resolve(WEB_CLIENT_DIR, '..');
const DOC_FILES = ['README.md', 'docs/client.md'];
const TSC = join(WEB_CLIENT_DIR, 'node_modules', 'typescript', 'bin', 'tsc');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    const options = { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...env } };
    execFile(cmd, args, options, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolveRun({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function mustRun(cmd: string, args: string[], cwd: string, timeoutMs?: number): Promise<Run> {
  const r = await run(cmd, args, cwd, timeoutMs);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

const installedVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(WEB_CLIENT_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

/** The ```ts / ```js blocks of a markdown file, with the line each starts on. */
export function codeBlocks(markdown: string): { lang: string; code: string; line: number }[] {
  const blocks: { lang: string; code: string; line: number }[] = [];
  const re = /^```(ts|typescript|js|javascript|mjs)[^\n]*\n([\s\S]*?)^```/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    blocks.push({ lang: m[1]!, code: m[2]!, line: markdown.slice(0, m.index).split('\n').length });
  }
  return blocks;
}

const examples = DOC_FILES.flatMap((file) =>
  codeBlocks(readFileSync(join(REPO, file), 'utf8')).map((b) => ({ ...b, file, name: `${file}:${b.line}` })),
);

const engineHook = useEngine();
let tmp = '';
let app = '';
let pkgDir = '';
let tarball = '';

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'patchwire-pack-'));
  const packed = await mustRun('npm', ['pack', '--json', '--pack-destination', tmp], WEB_CLIENT_DIR, 180_000);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];
  tarball = join(tmp, info!.filename);
  app = join(tmp, 'app');
  await mustRun('mkdir', ['-p', app], tmp);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
  // The same versions as this project's lockfile, so `npm ci` has put them in the cache.
  await mustRun(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      `ws@${installedVersion('ws')}`,
      `@types/ws@${installedVersion('@types/ws')}`,
      `@types/node@${installedVersion('@types/node')}`,
    ],
    app,
    180_000,
  );
  pkgDir = join(app, 'node_modules', '@patchwire', 'client');
}, 300_000);

let authEngine: Engine | null = null;
const secret = newSecret();

afterAll(async () => {
  await authEngine?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds README, LICENSE, the ESM build and declarations whose maps point at shipped files', () => {
    const files = listFiles(pkgDir);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'dist/lib/index.js', 'dist/lib/index.d.ts']));
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('board/') || f.startsWith('node_modules/'))).toEqual([]);
    expect(readFileSync(join(pkgDir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(REPO, 'LICENSE'), 'utf8'));
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    expect(readme).toMatch(/^# @patchwire\/client\n/);
    expect(readme).toContain("import { PatchwireClient } from '@patchwire/client';");
    expect(readme).not.toContain('## The board');
    // The README and LICENSE are written for the pack only: git keeps one copy of each.
    expect(existsSync(join(WEB_CLIENT_DIR, 'README.md'))).toBe(false);
    expect(existsSync(join(WEB_CLIENT_DIR, 'LICENSE'))).toBe(false);
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(pkgDir, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        expect(existsSync(resolve(pkgDir, dirname(map), source)), `${map} -> ${source}`).toBe(true);
      }
    }
  });

  it('runs in Node against the real engine: ws, auto without a WebSocket (SSE, said once), CommonJS', async () => {
    const script = `
      import { PatchwireClient, PatchwireError } from '@patchwire/client';
      import WebSocket from 'ws';
      const pw = new PatchwireClient({ baseUrl: process.argv[2] });
      const ready = (stream) => new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('no ready: ' + JSON.stringify(stream.getView().error))), 10000);
        stream.subscribe((v) => { if (v.state === 'ready') { clearTimeout(t); res(v); } });
      });
      const overWs = pw.stream('tasks', { where: 'project_id:demo', WebSocket });
      const auto1 = pw.stream('tasks');
      const auto2 = pw.stream('projects');
      const before = [auto1.getView().transport, auto2.getView().transport];
      await Promise.all([ready(overWs), ready(auto1), ready(auto2)]);
      const { position } = await pw.create('tasks', { id: 'from-package', project_id: 'demo', title: 'packed' });
      await Promise.all([overWs.waitFor(position), auto1.waitFor(position)]);
      let refused = null;
      try { await pw.create('tasks', { id: 'from-package', project_id: 'demo', title: 'again' }); }
      catch (e) { refused = e instanceof PatchwireError ? e.code : String(e); }
      console.log(JSON.stringify({
        before,
        transports: [overWs, auto1, auto2].map((s) => s.getView().transport),
        titles: [overWs, auto1].map((s) => s.getView().data['from-package']?.title),
        refused,
      }));
      for (const s of [overWs, auto1, auto2]) s.close();
    `;
    writeFileSync(join(app, 'smoke.mjs'), script);
    const r = await mustRun('node', ['smoke.mjs', engineHook.engine.baseUrl], app, 60_000);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({
      before: ['sse', 'sse'],
      transports: ['ws', 'sse', 'sse'],
      titles: ['packed', 'packed'],
      refused: 'already_exists',
    });
    const notes = r.stdout.split('\n').filter((l) => l.includes("transport 'auto' uses SSE"));
    expect(notes).toEqual([
      "patchwire: no WebSocket in this runtime, so transport 'auto' uses SSE (pass the `ws` package as the `WebSocket` option to use WebSockets)",
    ]);

    // CommonJS: require works where Node can require ES modules; import() everywhere.
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const viaRequire = require('@patchwire/client');
       import('@patchwire/client').then((m) => console.log(typeof viaRequire.PatchwireClient, m.PatchwireClient === viaRequire.PatchwireClient));`,
    );
    expect((await mustRun('node', ['cjs.cjs'], app)).stdout.trim()).toBe('function true');
    // Where it cannot, the error docs/client.md quotes.
    writeFileSync(join(app, 'old.cjs'), `try { require('@patchwire/client') } catch (e) { console.log(e.code + ' ' + e.message) }`);
    const old = await mustRun('node', ['--no-experimental-require-module', 'old.cjs'], app);
    expect(old.stdout).toMatch(/^ERR_REQUIRE_ESM require\(\) of ES Module .*\/node_modules\/@patchwire\/client\/dist\/lib\/index\.js from .* not supported\./);
    expect(readFileSync(join(REPO, 'docs', 'client.md'), 'utf8')).toContain(
      '`ERR_REQUIRE_ESM`: "require() of ES Module …/node_modules/@patchwire/client/dist/lib/index.js',
    );
  });

  it('type-checks a TypeScript consumer that passes the ws class as WebSocket', async () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { openStream, PatchwireClient, type StreamView, type WebSocketConstructor } from '@patchwire/client';
       import WebSocket from 'ws';
       interface Task { id: string; title: string }
       const pw = new PatchwireClient({ baseUrl: 'http://127.0.0.1:8080' });
       const a = pw.stream<Task>('tasks', { WebSocket });
       const b = openStream<Task>({ baseUrl: 'http://127.0.0.1:8080', collection: 'tasks', transport: 'ws', WebSocket });
       const asOption: WebSocketConstructor = WebSocket;
       a.subscribe((view: StreamView<Task>) => console.log(view.transport, view.data['t']?.title, asOption));
       b.close();
      `,
    );
    writeFileSync(
      join(app, 'tsconfig.consumer.json'),
      JSON.stringify({
        // skipLibCheck as most projects have it: the errors that matter are the consumer's (TS2322
        // for a WebSocket type `ws` does not fit), and checking @types/node and immutable's
        // declarations would cost ~10 s of CPU
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
        files: ['consumer.ts'],
      }),
    );
    const r = await run('node', [TSC, '-p', 'tsconfig.consumer.json'], app);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);

  it('finds the examples of README.md and docs/client.md', () => {
    expect(examples.map((e) => e.file)).toEqual(expect.arrayContaining(DOC_FILES));
  });

  it.each(examples)('runs the example at $name as shown, on a fresh demo database', async (example) => {
    const auth = example.code.includes('process.env.PATCHWIRE_TOKEN');
    let engine: Engine;
    if (auth) {
      authEngine ??= await startEngine({ args: ['--jwt-secret', secret] });
      engine = authEngine;
    } else {
      engine = engineHook.engine;
    }
    await engine.stop();
    engine.wipeData();
    await engine.start();
    const base = `example-${example.file.replace(/\W+/g, '-')}-${example.line}`;
    const code = example.code.replaceAll('http://127.0.0.1:8080', engine.baseUrl);
    // As written, in a strict TypeScript project (JavaScript examples are checked as JavaScript).
    const source = `${base}.${example.lang.startsWith('t') ? 'ts' : 'mjs'}`;
    writeFileSync(join(app, source), code);
    writeFileSync(
      join(app, `${base}.tsconfig.json`),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          allowJs: true,
          checkJs: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: [source],
      }),
    );
    const check = await run('node', [TSC, '-p', `${base}.tsconfig.json`], app);
    expect(check.stdout + check.stderr, `${example.name} does not type-check`).toBe('');
    const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } });
    writeFileSync(join(app, `${base}.run.mjs`), js.outputText);
    const env: Record<string, string> = auth ? { PATCHWIRE_TOKEN: mintToken(secret, DEMO_GRANTS) } : {};
    const r = await run('node', [`${base}.run.mjs`], app, 30_000, env);
    expect(r.code, `${example.name} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    let from = 0;
    for (const [, expected] of code.matchAll(/\/\/ prints: (.*)$/gm)) {
      const at = r.stdout.indexOf(expected!.trim(), from);
      expect(at, `${example.name}: "${expected}" in\n${r.stdout}`).toBeGreaterThanOrEqual(0);
      from = at;
    }
  }, 120_000);
});

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}
