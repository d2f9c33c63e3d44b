// Puts the package's README.md and LICENSE next to package.json for `npm pack` / `npm publish`
// (prepack), and removes them again afterwards (postpack), so git keeps one copy of each: the
// README is the client part of docs/client.md, the LICENSE the repository's.
//   node scripts/pack-files.mjs add | remove
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const webClient = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(webClient, '..');
const readme = join(webClient, 'README.md');
const license = join(webClient, 'LICENSE');

/** docs/client.md from "## Using the client" up to "## The board", its headings one level up. */
export function clientReadme(clientMd) {
  const start = clientMd.indexOf('\n## Using the client\n');
  const end = clientMd.indexOf('\n## The board\n');
  if (start < 0 || end < start) {
    throw new Error('docs/client.md: no "## Using the client" ... "## The board" section');
  }
  const body = clientMd
    .slice(start + 1, end)
    .replace(/^## Using the client\n/, '')
    .replace(/^(#{2,}) /gm, (_, hashes) => `${hashes.slice(1)} `);
  return (
    '# @patchwire/client\n\n' +
    'The TypeScript client of patchwire, a reactive JSON Patch sync\n' +
    'engine: live, filtered views of a collection over WebSocket or SSE, and the REST writes. ESM only,\n' +
    'with type declarations; browsers and Node 20+. This text is the client part of the\n' +
    "repository's docs/client.md.\n\n" +
    body.trim() +
    '\n'
  );
}

const mode = process.argv[2];
if (mode === 'add') {
  writeFileSync(readme, clientReadme(readFileSync(join(repo, 'docs', 'client.md'), 'utf8')));
  copyFileSync(join(repo, 'LICENSE'), license);
} else if (mode === 'remove') {
  rmSync(readme, { force: true });
  rmSync(license, { force: true });
} else if (mode !== undefined) {
  throw new Error(`usage: node scripts/pack-files.mjs add|remove (got ${mode})`);
}
