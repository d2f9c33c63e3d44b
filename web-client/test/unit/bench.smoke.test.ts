/**
 * `npm run bench` still runs: bench/apply-patch.mjs at 100 documents only (a second or two),
 * against the built library (dist/lib, which Maven builds before the unit tests run).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { WEB_CLIENT_DIR } from '../support/engine';

const built = existsSync(join(WEB_CLIENT_DIR, 'dist', 'lib', 'index.js'));

test.skipIf(!built)('the client benchmark runs and measures a stream (smoke run, 100 documents)', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      'node',
      ['bench/apply-patch.mjs'],
      { cwd: WEB_CLIENT_DIR, env: { ...process.env, BENCH_SIZES: '100' }, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  expect(out).toMatch(/^ +100 documents: stream live change [\d.]+ µs \(whole-root applyPatch [\d.]+ µs\); stream replay of 1,000 changes [-\d.]+ ms after a [\d.]+ ms snapshot$/m);
}, 60_000);
