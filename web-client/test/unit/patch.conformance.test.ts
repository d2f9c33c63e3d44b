/**
 * The JSON Patch conformance suite (json-patch/json-patch-tests), read from the shared folder
 * at test time: every enabled case through applyPatch. `expected` must deep-equal the result,
 * `error` must throw a PatchError and leave the input as it was.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyPatch, PatchError } from '../../src/patch';
import type { PatchOperation } from '../../src/types';
import { sharedDir } from '../support/sharedDir';

interface Case {
  comment?: string;
  doc: unknown;
  patch: PatchOperation[];
  expected?: unknown;
  error?: string;
  disabled?: boolean;
}

const SUITE_DIR = join(sharedDir(), 'conformance', 'json-patch-tests');

function load(file: string): Case[] {
  const path = join(SUITE_DIR, file);
  if (!existsSync(path)) {
    throw new Error(`conformance suite not found at ${path}; set PATCHWIRE_SHARED_DIR`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as Case[];
}

for (const file of ['tests.json', 'spec_tests.json']) {
  const cases = load(file);

  describe(file, () => {
    test('has cases of both kinds', () => {
      expect(cases.filter((c) => !c.disabled && c.error !== undefined).length).toBeGreaterThan(3);
      expect(cases.filter((c) => !c.disabled && c.expected !== undefined).length).toBeGreaterThan(10);
    });

    cases.forEach((c, i) => {
      const name = `#${i} ${c.comment ?? c.error ?? JSON.stringify(c.patch)}`.slice(0, 150);
      // The suite marks cases its authors do not want run; a case with neither outcome checks nothing.
      const runnable = !c.disabled && (c.expected !== undefined || c.error !== undefined);
      test.skipIf(!runnable)(name, () => {
        const before = JSON.stringify(c.doc);
        if (c.error !== undefined) {
          expect(() => applyPatch(c.doc, c.patch), c.error).toThrow(PatchError);
        } else {
          expect(applyPatch(c.doc, c.patch)).toStrictEqual(c.expected);
        }
        expect(JSON.stringify(c.doc), 'the input is unchanged').toBe(before);
      });
    });
  });
}
