import { describe, expect, test } from 'vitest';
import { applyPatch, jsonEqual, parsePointer, PatchError } from '../../src/patch';
import type { PatchOperation } from '../../src/types';

/** Deep-freezes a fixture, so any write into it throws (strict mode) and proves the input stays untouched. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(frozen);
    Object.freeze(value);
  }
  return value;
}

function fails(doc: unknown, ops: unknown[], message?: RegExp): PatchError {
  let error: unknown;
  try {
    applyPatch(doc, ops as PatchOperation[]);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PatchError);
  if (message) {
    expect((error as PatchError).message).toMatch(message);
  }
  return error as PatchError;
}

describe('structural sharing', () => {
  const doc = frozen({
    tasks: {
      t1: { id: 't1', title: 'a', tags: ['x'] },
      t2: { id: 't2', title: 'b', tags: ['y'] },
    },
    other: { n: 1 },
  });

  test('copies only the containers on the changed path', () => {
    const out = applyPatch(doc, [{ op: 'replace', path: '/tasks/t1/title', value: 'A' }]);
    expect(out).not.toBe(doc);
    expect(out.tasks).not.toBe(doc.tasks);
    expect(out.tasks.t1).not.toBe(doc.tasks.t1);
    expect(out.tasks.t1.title).toBe('A');
    expect(out.tasks.t1.tags).toBe(doc.tasks.t1.tags);
    expect(out.tasks.t2).toBe(doc.tasks.t2);
    expect(out.other).toBe(doc.other);
    expect(doc.tasks.t1.title).toBe('a');
  });

  test('an empty patch returns the document itself', () => {
    expect(applyPatch(doc, [])).toBe(doc);
  });

  test('a test-only patch returns the document itself', () => {
    expect(applyPatch(doc, [{ op: 'test', path: '/other/n', value: 1 }])).toBe(doc);
  });

  test('move keeps the moved subtree', () => {
    const out = applyPatch(doc, [{ op: 'move', from: '/tasks/t2', path: '/done' }]) as Record<string, unknown>;
    expect(out.done).toBe(doc.tasks.t2);
    expect(out.tasks).toEqual({ t1: doc.tasks.t1 });
  });

  test('a copy is independent of its source for later operations in the same patch', () => {
    const out = applyPatch({ a: { x: 0 } } as Record<string, Record<string, number>>, [
      { op: 'add', path: '/a/x', value: 1 }, // /a is now a copy made by this call
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'add', path: '/a/y', value: 2 },
      { op: 'add', path: '/b/z', value: 3 },
    ]);
    expect(out).toEqual({ a: { x: 1, y: 2 }, b: { x: 1, z: 3 } });
  });

  test('the result never aliases an operation value', () => {
    const value = { id: 't3', tags: ['z'] };
    const ops: PatchOperation[] = [{ op: 'add', path: '/tasks/t3', value }];
    const out = applyPatch(doc, ops) as { tasks: Record<string, unknown> };
    expect(out.tasks.t3).toEqual(value);
    expect(out.tasks.t3).not.toBe(value);
    value.tags.push('mutated later');
    expect(out.tasks.t3).toEqual({ id: 't3', tags: ['z'] });
  });

  test('freeze: the result is frozen through and through, the input is not frozen by default', () => {
    const input = { a: { b: [1, { c: 2 }] }, d: { e: 1 } };
    const plain = applyPatch(input, [{ op: 'add', path: '/a/b/-', value: { f: 3 } }]);
    expect(Object.isFrozen(plain)).toBe(false);
    expect(Object.isFrozen(input.d)).toBe(false);
    const out = applyPatch(input, [{ op: 'add', path: '/a/b/-', value: { f: 3 } }], { freeze: true });
    expect(Object.isFrozen(out)).toBe(true);
    expect(Object.isFrozen(out.a.b)).toBe(true);
    expect(Object.isFrozen(out.a.b[2])).toBe(true);
    expect(Object.isFrozen(out.a.b[1])).toBe(true);
  });
});

describe('owned containers (a batch of patches)', () => {
  test('a shared owned set copies each container once for all the patches; the input stays as it was', () => {
    const input = Object.freeze({ tasks: Object.freeze({ a: Object.freeze({ n: 1 }), b: Object.freeze({ n: 2 }) }) });
    const owned = new WeakSet<object>();
    const first = applyPatch(input, [{ op: 'replace', path: '/tasks/a/n', value: 10 }], { owned });
    const second = applyPatch(first, [{ op: 'add', path: '/tasks/c', value: { n: 3 } }], { owned });
    expect(second).toBe(first); // the root and the map were already owned: written in place
    expect(second.tasks).toBe(first.tasks);
    expect(second).toEqual({ tasks: { a: { n: 10 }, b: { n: 2 }, c: { n: 3 } } });
    expect(second.tasks.b).toBe(input.tasks.b);
    expect(input).toEqual({ tasks: { a: { n: 1 }, b: { n: 2 } } });
    // without the set every call copies again
    const third = applyPatch(second, [{ op: 'remove', path: '/tasks/c' }]);
    expect(third).not.toBe(second);
    expect(second.tasks).toHaveProperty('c');
  });
});

describe('atomicity', () => {
  test('a failing operation leaves the input untouched and returns nothing', () => {
    const doc = frozen({ a: { n: 1 }, list: [1, 2] });
    const e = fails(doc, [
      { op: 'replace', path: '/a/n', value: 2 },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'remove', path: '/missing' },
    ]);
    expect(e.index).toBe(2);
    expect(e.operation).toEqual({ op: 'remove', path: '/missing' });
    expect(e.message).toMatch(/operation 2 \(remove "\/missing"\)/);
    expect(doc).toEqual({ a: { n: 1 }, list: [1, 2] });
  });

  test('a failing test op refuses the whole patch', () => {
    const doc = frozen({ a: 1 });
    fails(doc, [{ op: 'add', path: '/b', value: 2 }, { op: 'test', path: '/a', value: 2 }], /test failed/);
  });
});

describe('strictness (no leniency)', () => {
  const doc = frozen({ obj: { k: 1 }, arr: ['a', 'b'] });

  test.each([
    ['replace on a missing member', { op: 'replace', path: '/obj/none', value: 1 }],
    ['replace on a missing parent', { op: 'replace', path: '/none/k', value: 1 }],
    ['remove of a missing member', { op: 'remove', path: '/obj/none' }],
    ['test of a missing member', { op: 'test', path: '/obj/none', value: null }],
    ['add under a missing parent', { op: 'add', path: '/none/k', value: 1 }],
    ['add through a scalar', { op: 'add', path: '/obj/k/x', value: 1 }],
    ['array index with a leading zero', { op: 'replace', path: '/arr/01', value: 'x' }],
    ['array index past the end for add', { op: 'add', path: '/arr/3', value: 'x' }],
    ['array index at the end for replace', { op: 'replace', path: '/arr/2', value: 'x' }],
    ['"-" for replace', { op: 'replace', path: '/arr/-', value: 'x' }],
    ['"-" for remove', { op: 'remove', path: '/arr/-' }],
    ['negative index', { op: 'add', path: '/arr/-1', value: 'x' }],
    ['a member name on an array', { op: 'add', path: '/arr/k', value: 'x' }],
    ['move into its own child', { op: 'move', from: '/obj', path: '/obj/inner' }],
    ['move of the whole document into a child', { op: 'move', from: '', path: '/x' }],
    ['move from a missing member', { op: 'move', from: '/obj/none', path: '/x' }],
    ['copy from a missing member', { op: 'copy', from: '/none', path: '/x' }],
    ['remove of the whole document', { op: 'remove', path: '' }],
    ['a pointer without a leading slash', { op: 'add', path: 'obj', value: 1 }],
    ['a "~" not followed by 0 or 1', { op: 'add', path: '/a~2b', value: 1 }],
    ['a trailing "~"', { op: 'add', path: '/a~', value: 1 }],
    ['an unknown op', { op: 'merge', path: '/obj', value: {} }],
    ['a missing value', { op: 'add', path: '/x' }],
    ['a missing from', { op: 'copy', path: '/x' }],
    ['a null path', { op: 'add', path: null, value: 1 }],
    ['an operation that is not an object', 'add'],
  ])('%s fails', (_name, op) => {
    fails(doc, [op]);
  });

  test('inherited members are not members', () => {
    fails({}, [{ op: 'replace', path: '/toString', value: 1 }]);
    fails({}, [{ op: 'remove', path: '/constructor' }]);
    fails({}, [{ op: 'test', path: '/__proto__', value: {} }]);
    fails({}, [{ op: 'add', path: '/hasOwnProperty/x', value: 1 }]);
  });

  test('a patch that is not an array fails', () => {
    expect(() => applyPatch({}, { op: 'add' } as unknown as PatchOperation[])).toThrow(PatchError);
  });
});

describe('pointers', () => {
  test('~1 is "/" and ~0 is "~", unescaped in the right order', () => {
    expect(parsePointer('/a~1b/m~0n/~01/~10')).toEqual(['a/b', 'm~n', '~1', '/0']);
    expect(parsePointer('')).toEqual([]);
    expect(parsePointer('/')).toEqual(['']);
    const out = applyPatch({ 'a/b': { '~': 1 } }, [
      { op: 'replace', path: '/a~1b/~0', value: 2 },
      { op: 'add', path: '/~01', value: 3 },
    ]);
    expect(out).toEqual({ 'a/b': { '~': 2 }, '~1': 3 });
  });

  test('"-" appends to an array and is an ordinary name in an object', () => {
    expect(applyPatch({ a: [1], o: {} }, [
      { op: 'add', path: '/a/-', value: 2 },
      { op: 'add', path: '/o/-', value: 3 },
    ])).toEqual({ a: [1, 2], o: { '-': 3 } });
  });

  test('the empty member name is a member', () => {
    expect(applyPatch({ '': 1 }, [{ op: 'replace', path: '/', value: 2 }])).toEqual({ '': 2 });
  });

  test('ids like __proto__, constructor and hasOwnProperty are ordinary members', () => {
    const doc = { tasks: {} as Record<string, unknown> };
    const out = applyPatch(doc, [
      { op: 'add', path: '/tasks/__proto__', value: { id: '__proto__', n: 1 } },
      { op: 'add', path: '/tasks/constructor', value: { id: 'constructor' } },
      { op: 'add', path: '/tasks/hasOwnProperty', value: { id: 'hasOwnProperty' } },
      { op: 'replace', path: '/tasks/__proto__/n', value: 2 },
      { op: 'copy', from: '/tasks/__proto__', path: '/tasks/x' },
    ]);
    expect(Object.getPrototypeOf(out.tasks)).toBe(Object.prototype);
    expect(Object.keys(out.tasks)).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'x']);
    expect(Object.getOwnPropertyDescriptor(out.tasks, '__proto__')?.value).toEqual({ id: '__proto__', n: 2 });
    expect(({} as Record<string, unknown>).n).toBeUndefined(); // Object.prototype untouched
    const removed = applyPatch(out, [{ op: 'remove', path: '/tasks/__proto__' }], { freeze: true });
    expect(Object.keys(removed.tasks)).toEqual(['constructor', 'hasOwnProperty', 'x']);
  });
});

describe('root operations', () => {
  test('add, replace and test on "" act on the whole document', () => {
    expect(applyPatch({ a: 1 }, [{ op: 'add', path: '', value: { b: 2 } }])).toEqual({ b: 2 });
    expect(applyPatch({ a: 1 }, [{ op: 'replace', path: '', value: [1] }])).toEqual([1]);
    expect(applyPatch('x', [{ op: 'replace', path: '', value: 'y' }])).toBe('y');
    expect(applyPatch({ a: 1 }, [{ op: 'test', path: '', value: { a: 1 } }])).toEqual({ a: 1 });
    fails({ a: 1 }, [{ op: 'test', path: '', value: { a: 2 } }]);
  });

  test('the whole document can be copied into its own member', () => {
    const doc = frozen({ a: { n: 1 } });
    const out = applyPatch(doc, [{ op: 'copy', from: '', path: '/self' }]) as Record<string, unknown>;
    expect(out).toEqual({ a: { n: 1 }, self: { a: { n: 1 } } });
    expect(out.self).toBe(doc);
  });

  test('moving a value onto itself changes nothing', () => {
    const doc = frozen({ a: { n: 1 } });
    expect(applyPatch(doc, [{ op: 'move', from: '/a', path: '/a' }])).toEqual(doc);
    expect(applyPatch(doc, [{ op: 'move', from: '', path: '' }])).toBe(doc);
  });

  test('a collection map is added to an empty document and replaced on a second add (the snapshot)', () => {
    const first = applyPatch({}, [{ op: 'add', path: '/tasks', value: { t1: { id: 't1' } } }]);
    const second = applyPatch(first, [{ op: 'add', path: '/tasks', value: { t2: { id: 't2' } } }]);
    expect(second).toEqual({ tasks: { t2: { id: 't2' } } });
  });
});

describe('test op equality (RFC 6902 §4.6)', () => {
  test.each([
    [1, 1.0, true],
    [0, -0, true],
    ['1', 1, false],
    [null, false, false],
    [[1, 2], [2, 1], false],
    [[1, [2]], [1, [2]], true],
    [{ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [{}, [], false],
    [{ a: undefined }, { b: undefined }, false],
  ])('%j vs %j: %s', (a, b, equal) => {
    expect(jsonEqual(a, b)).toBe(equal);
    expect(jsonEqual(b, a)).toBe(equal);
  });
});
