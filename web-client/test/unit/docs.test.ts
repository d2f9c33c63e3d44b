/**
 * The stream's document map (src/docs.ts): a live change is applied to the documents it names
 * only, gives the same result as applyPatch on the plain root (the RFC 6902 suite and random
 * patches, both through the per-document path), keeps every other document's identity, never
 * touches the old map, and does not build the collection as a plain object.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyToDocuments, DocMap, documentsRoot, type DocumentsRoot } from '../../src/docs';
import { applyPatch, escapePointerToken, PatchError } from '../../src/patch';
import type { PatchOperation } from '../../src/types';
import { sharedDir } from '../support/sharedDir';

type Doc = Record<string, unknown>;
const C = 'tasks';

/** mulberry32: a small deterministic PRNG, so a failing run can be replayed */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** the root as the plain object `{tasks: {...}}` the patches are written against */
const plain = (root: DocumentsRoot<Doc>): Doc => ({ ...root.rest, ...(root.docs ? { [C]: root.docs.toObject() } : {}) });

function rootOf(docs: Record<string, Doc>): DocumentsRoot<Doc> {
  return documentsRoot<Doc>(C, docs);
}

describe('DocMap', () => {
  test('reads like a ReadonlyMap and as a frozen plain object, __proto__ ids included', () => {
    const root = rootOf(JSON.parse('{"a":{"id":"a"},"__proto__":{"id":"p"},"x/y~":{"id":"x"}}') as Record<string, Doc>);
    const docs = root.docs!;
    expect(docs.size).toBe(3);
    expect(docs.get('__proto__')).toEqual({ id: 'p' });
    expect(docs.has('constructor')).toBe(false);
    expect([...docs.keys()].sort()).toEqual(['__proto__', 'a', 'x/y~']);
    expect(new Map(docs).get('a')).toBe(docs.get('a'));
    const seen: string[] = [];
    docs.forEach((doc, id, map) => {
      expect(map).toBe(docs);
      seen.push(`${id}=${String(doc.id)}`);
    });
    expect(seen.sort()).toEqual(['__proto__=p', 'a=a', 'x/y~=x']);
    const obj = docs.toObject();
    expect(Object.isFrozen(obj)).toBe(true);
    expect(docs.toObject()).toBe(obj); // built once
    expect(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value).toEqual({ id: 'p' });
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.isFrozen(docs.get('a'))).toBe(true);
  });
});

describe('applyToDocuments', () => {
  test('a live change makes a new map; the old one and every other document stay as they were', () => {
    const before = rootOf({ a: { id: 'a', n: 1 }, b: { id: 'b', n: 2 } });
    const after = applyToDocuments(before, C, [{ op: 'replace', path: '/tasks/a/n', value: 10 }], false);
    expect(after.docs!.get('a')).toEqual({ id: 'a', n: 10 });
    expect(Object.isFrozen(after.docs!.get('a'))).toBe(true);
    expect(after.docs!.get('b')).toBe(before.docs!.get('b'));
    expect(before.docs!.get('a')).toEqual({ id: 'a', n: 1 });
    expect(after.docs).not.toBe(before.docs);
  });

  test('a change that changes nothing (a passing test) keeps the root', () => {
    const before = rootOf({ a: { id: 'a' } });
    expect(applyToDocuments(before, C, [{ op: 'test', path: '/tasks/a/id', value: 'a' }], false)).toBe(before);
  });

  test('adds, removes, moves and copies between documents in one patch, atomically', () => {
    const before = rootOf({ a: { id: 'a', tags: ['x'] }, b: { id: 'b' } });
    const after = applyToDocuments(
      before,
      C,
      [
        { op: 'copy', from: '/tasks/a/tags', path: '/tasks/b/tags' },
        { op: 'add', path: '/tasks/c', value: { id: 'c' } },
        { op: 'move', from: '/tasks/a', path: '/tasks/a2' },
        { op: 'remove', path: '/tasks/b/id' },
      ],
      false,
    );
    expect(plain(after)).toEqual({ tasks: { a2: { id: 'a', tags: ['x'] }, b: { tags: ['x'] }, c: { id: 'c' } } });
    expect(after.docs!.get('a2')).toBe(before.docs!.get('a'));
    // a failing operation after good ones: PatchError, nothing changed
    expect(() =>
      applyToDocuments(
        before,
        C,
        [
          { op: 'remove', path: '/tasks/a' },
          { op: 'replace', path: '/tasks/zzz/title', value: 'x' },
        ],
        false,
      ),
    ).toThrow(PatchError);
    expect(plain(before)).toEqual({ tasks: { a: { id: 'a', tags: ['x'] }, b: { id: 'b' } } });
  });

  test('a change of a document it does not hold, or before the collection exists, fails like applyPatch', () => {
    expect(() => applyToDocuments(rootOf({}), C, [{ op: 'replace', path: '/tasks/a/t', value: 1 }], false)).toThrow(PatchError);
    const none = documentsRoot<Doc>(C, null);
    expect(() => applyToDocuments(none, C, [{ op: 'add', path: '/tasks/a', value: {} }], false)).toThrow(/no member "tasks"/);
  });

  test('does not build the collection as a plain object for a live change (O(changed documents))', () => {
    const docs: Record<string, Doc> = {};
    for (let i = 0; i < 10_000; i++) docs[`t${i}`] = { id: `t${i}`, status: 'todo' };
    const root = rootOf(docs);
    const map = root.docs!;
    let builds = 0;
    const toObject = map.toObject.bind(map);
    map.toObject = () => {
      builds++;
      return toObject();
    };
    let r = root;
    for (let i = 0; i < 100; i++) {
      r = applyToDocuments(r, C, [{ op: 'replace', path: `/tasks/t${i * 97}/status`, value: 'done' }], false);
    }
    expect(builds).toBe(0);
    expect(r.docs!.get('t97')).toEqual({ id: 't97', status: 'done' });
    expect(r.docs!.get('t1')).toBe(map.get('t1'));
    expect(map.get('t97')).toEqual({ id: 't97', status: 'todo' });
  });

  test('a snapshot replaces the collection, carrying over equal documents (and the map when all are equal)', () => {
    const before = rootOf({ a: { id: 'a', n: 1 }, b: { id: 'b', n: 2 } });
    const snap = (docs: Record<string, Doc>): PatchOperation[] => [{ op: 'add', path: '/tasks', value: docs }];
    const next = applyToDocuments(before, C, snap({ a: { id: 'a', n: 1 }, b: { id: 'b', n: 3 }, c: { id: 'c' } }), true);
    expect(next.docs!.get('a')).toBe(before.docs!.get('a'));
    expect(next.docs!.get('b')).toEqual({ id: 'b', n: 3 });
    expect(next.docs!.size).toBe(3);
    const same = applyToDocuments(next, C, snap({ a: { id: 'a', n: 1 }, b: { id: 'b', n: 3 }, c: { id: 'c' } }), true);
    expect(same.docs).toBe(next.docs);
    const fewer = applyToDocuments(next, C, snap({ a: { id: 'a', n: 1 } }), true);
    expect([...fewer.docs!.keys()]).toEqual(['a']);
  });

  test('a patch that makes the collection something other than an object is a PatchError', () => {
    expect(() => applyToDocuments(rootOf({}), C, [{ op: 'replace', path: '/tasks', value: [] }], false)).toThrow(PatchError);
    expect(() => applyToDocuments(rootOf({}), C, [{ op: 'replace', path: '', value: 7 }], false)).toThrow(PatchError);
  });

  test('random patches give what applyPatch gives on the plain root', () => {
    const random = prng(20261204);
    const pick = <X>(xs: readonly X[]): X => xs[Math.floor(random() * xs.length)]!;
    const ids = ['a', 'b', 'c', '__proto__', 'x/y', '~0', 'é'];
    const fields = ['title', 'n', 'tags'];
    const ptr = (id: string, field?: string) => `/tasks/${escapePointerToken(id)}${field ? `/${field}` : ''}`;
    let root = rootOf({ a: { id: 'a', title: 'A', n: 1 } });
    let reference: unknown = plain(root);
    let failures = 0;
    for (let i = 0; i < 2000; i++) {
      const ops: PatchOperation[] = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
        const id = pick(ids);
        const field = random() < 0.6 ? pick(fields) : undefined;
        switch (pick(['add', 'remove', 'replace', 'test', 'move', 'copy'] as const)) {
          case 'add':
            return { op: 'add', path: ptr(id, field), value: field ? i : { id, title: `t${i}` } };
          case 'remove':
            return { op: 'remove', path: ptr(id, field) };
          case 'replace':
            return { op: 'replace', path: ptr(id, field), value: field ? `v${i}` : { id } };
          case 'test':
            return { op: 'test', path: ptr(id, field), value: field ? `v${i - 1}` : { id } };
          case 'move':
            return { op: 'move', from: ptr(pick(ids), field), path: ptr(id, field) };
          case 'copy':
            return { op: 'copy', from: ptr(pick(ids), field), path: ptr(id, field) };
        }
      });
      let expected: unknown;
      let expectedError = false;
      try {
        expected = applyPatch(reference, ops);
      } catch (e) {
        expect(e).toBeInstanceOf(PatchError);
        expectedError = true;
      }
      if (expectedError) {
        failures++;
        expect(() => applyToDocuments(root, C, ops, false), JSON.stringify(ops)).toThrow(PatchError);
        continue;
      }
      root = applyToDocuments(root, C, ops, false);
      expect(plain(root), JSON.stringify(ops)).toStrictEqual(expected);
      reference = expected;
    }
    expect(failures).toBeGreaterThan(100);
    expect(failures).toBeLessThan(1900);
  });
});

interface Case {
  comment?: string;
  doc: unknown;
  patch: PatchOperation[];
  expected?: unknown;
  error?: string;
  disabled?: boolean;
}

/** The case's pointers moved under /tasks/d, so every operation goes through the per-document path. */
function underDocument(op: unknown): unknown {
  if (typeof op !== 'object' || op === null) return op;
  const o = { ...(op as Record<string, unknown>) };
  for (const key of ['path', 'from']) {
    // a pointer that is not one ("foo") stays as it is, and fails as it would
    if (typeof o[key] === 'string' && (o[key] === '' || (o[key] as string).startsWith('/'))) o[key] = `/tasks/d${o[key] as string}`;
  }
  return o;
}

describe('the RFC 6902 suite through the per-document path', () => {
  const suite = join(sharedDir(), 'conformance', 'json-patch-tests');
  for (const file of ['tests.json', 'spec_tests.json']) {
    const path = join(suite, file);
    const cases = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Case[]) : [];
    test(`${file}: every enabled case gives what it gives on the document alone`, () => {
      expect(cases.length).toBeGreaterThan(10);
      let run = 0;
      for (const c of cases) {
        // `remove ""` removes a whole document but cannot remove a whole root: not comparable.
        const removesRoot = Array.isArray(c.patch) && c.patch.some((op) => op?.op === 'remove' && (op as { path: unknown }).path === '');
        if (c.disabled || (c.expected === undefined && c.error === undefined) || removesRoot || !Array.isArray(c.patch)) continue;
        run++;
        const root: DocumentsRoot<unknown> = documentsRoot(C, { d: c.doc });
        const ops = c.patch.map(underDocument) as PatchOperation[];
        const name = `${file}: ${c.comment ?? c.error ?? JSON.stringify(c.patch)}`;
        if (c.error !== undefined) {
          expect(() => applyToDocuments(root, C, ops, false), name).toThrow(PatchError);
        } else {
          const next = applyToDocuments(root, C, ops, false);
          expect(next.docs!.get('d'), name).toStrictEqual(c.expected);
          expect(next.docs!.size, name).toBe(1);
        }
      }
      expect(run).toBeGreaterThan(10);
    });
  }
});

test('DocMap is what the view hands out', () => {
  expect(rootOf({}).docs).toBeInstanceOf(DocMap);
});
