import { describe, expect, test } from 'vitest';
import { decodeSseEvent, decodeWsFrame } from '../../src/frames';
import { keepIdentity } from '../../src/share';

describe('decoding', () => {
  test('WebSocket frames', () => {
    expect(decodeWsFrame({ JsonPatch: [], seq: 3 })).toEqual({ kind: 'patch', ops: [], seq: 3, epoch: null, snapshot: false });
    expect(decodeWsFrame({ JsonPatch: [], seq: 3, epoch: 'e', snapshot: true })).toMatchObject({ snapshot: true, epoch: 'e' });
    expect(decodeWsFrame({ Ready: true, epoch: 'e', seq: 0, resumed: true })).toEqual({ kind: 'ready', epoch: 'e', seq: 0, resumed: true, scope: null });
    expect(decodeWsFrame({ Ready: true, epoch: 'e', seq: 0, resumed: false, scope: '9c1e0b7d4a2f6e31' })).toMatchObject({ scope: '9c1e0b7d4a2f6e31' });
    expect(decodeWsFrame({ Resync: { reason: 'lagged', dropped: 2 } })).toEqual({ kind: 'resync', reason: 'lagged', dropped: 2 });
    expect(decodeWsFrame({ finished: true })).toEqual({ kind: 'finished' });
    expect(decodeWsFrame({ error: { code: 'c', message: 'm' } })).toEqual({ kind: 'error', code: 'c', message: 'm' });
    expect(decodeWsFrame({ Hello: 1 })).toEqual({ kind: 'ignored' });
  });

  test.each([
    [[1]],
    ['text'],
    [{ JsonPatch: {}, seq: 1 }],
    [{ JsonPatch: [], seq: -1 }],
    [{ JsonPatch: [], seq: 1.5 }],
    [{ JsonPatch: [], seq: '1' }],
    [{ JsonPatch: [], seq: 1, snapshot: true }],
    [{ Ready: true, seq: 1 }],
    [{ Ready: true, epoch: '', seq: 1 }],
  ])('%j is invalid', (frame) => {
    expect(decodeWsFrame(frame).kind).toBe('invalid');
  });

  test('an SSE json_patch is a snapshot exactly when it is one add of the collection path', () => {
    const snap = [{ op: 'add', path: '/tasks', value: {} }];
    expect(decodeSseEvent({ event: 'json_patch', id: 'e:1:5', data: snap }, 'tasks')).toEqual({
      kind: 'patch', ops: snap, seq: 5, epoch: 'e:1', snapshot: true,
    });
    for (const data of [
      [{ op: 'add', path: '/tasks/t1', value: {} }],
      [{ op: 'replace', path: '/tasks', value: {} }],
      [...snap, ...snap],
      [{ op: 'add', path: '/other', value: {} }],
    ]) {
      expect(decodeSseEvent({ event: 'json_patch', id: 'e:5', data }, 'tasks')).toMatchObject({ snapshot: false });
    }
    expect(decodeSseEvent({ event: 'json_patch', data: snap }, 'tasks').kind).toBe('invalid');
    expect(decodeSseEvent({ event: 'json_patch', id: 'e:x', data: snap }, 'tasks').kind).toBe('invalid');
  });

  test('the SSE error event is read in both of its shapes; unknown events are ignored', () => {
    expect(decodeSseEvent({ event: 'error', data: { code: 'a', message: 'b', error: { code: 'a', message: 'b' } } }, 't'))
      .toEqual({ kind: 'error', code: 'a', message: 'b' });
    expect(decodeSseEvent({ event: 'error', data: { error: { code: 'a', message: 'b' } } }, 't'))
      .toEqual({ kind: 'error', code: 'a', message: 'b' });
    expect(decodeSseEvent({ event: 'finished' }, 't')).toEqual({ kind: 'finished' });
    expect(decodeSseEvent({ event: 'message', data: 1 }, 't')).toEqual({ kind: 'ignored' });
  });
});

describe('keepIdentity', () => {
  test('equal subtrees of the new value are the old objects; changed ones are new', () => {
    const prev = { tasks: { t1: { id: 't1', tags: ['a'] }, t2: { id: 't2', n: 1 } } };
    const next = { tasks: { t1: { id: 't1', tags: ['a'] }, t2: { id: 't2', n: 2 }, t3: { id: 't3' } } };
    const out = keepIdentity(prev, next);
    expect(out).toEqual(next);
    expect(out.tasks.t1).toBe(prev.tasks.t1);
    expect(out.tasks.t2).not.toBe(prev.tasks.t2);
    expect(out.tasks.t3).toBe(next.tasks.t3);
    expect(keepIdentity(prev, JSON.parse(JSON.stringify(prev)))).toBe(prev);
  });

  test('a removed member or a reordered array is a change', () => {
    const prev = { a: { x: 1, y: 2 }, b: [1, 2] };
    const out = keepIdentity(prev, { a: { x: 1 }, b: [2, 1] });
    expect(out.a).not.toBe(prev.a);
    expect(out.b).not.toBe(prev.b);
    expect(out).toEqual({ a: { x: 1 }, b: [2, 1] });
  });

  test('the result is frozen when the new value is; an own __proto__ member stays a member', () => {
    const next = Object.freeze(JSON.parse('{"__proto__":{"id":"p","n":2},"q":{"id":"q"}}') as Record<string, unknown>);
    const prev = JSON.parse('{"__proto__":{"id":"p","n":1},"q":{"id":"q"}}') as Record<string, unknown>;
    const out = keepIdentity(prev, next);
    expect(Object.isFrozen(out)).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ id: 'p', n: 2 });
    expect(out.q).toBe(prev.q);
  });
});
