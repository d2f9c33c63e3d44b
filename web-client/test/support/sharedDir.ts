/**
 * The project's shared folder (PROTOCOL.md, the conformance suite): PATCHWIRE_SHARED_DIR, or
 * `shared` beside the repository (web-client/../../shared), wherever the repository is cloned.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function sharedDir(): string {
  return process.env.PATCHWIRE_SHARED_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared');
}
