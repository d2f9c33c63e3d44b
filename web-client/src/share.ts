/**
 * Keeps the identity of unchanged subtrees across a snapshot. A snapshot (first load, Resync,
 * reconnect past the history) brings every document as a new object; a page that compares by
 * reference would redraw everything. This hands back `next` with every subtree that equals the
 * one at the same place in `prev` replaced by `prev`'s, so only what really changed is new.
 */
import { jsonEqual } from './patch.js';

type Obj = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `next`, sharing `prev`'s equal subtrees; `prev` itself when the two are equal. Frozen when `next` is. */
export function keepIdentity<T>(prev: unknown, next: T): T {
  return share(prev, next) as T;
}

function share(prev: unknown, next: unknown): unknown {
  if (prev === next) {
    return prev;
  }
  if (Array.isArray(prev) && Array.isArray(next)) {
    let same = prev.length === next.length;
    const out = next.map((item: unknown, i) => {
      const v = i < prev.length ? share(prev[i], item) : item;
      same &&= v === prev[i];
      return v;
    });
    return same ? prev : finish(out, next);
  }
  if (isPlainObject(prev) && isPlainObject(next)) {
    const keys = Object.keys(next);
    let same = keys.length === Object.keys(prev).length;
    const out: Obj = {};
    for (const key of keys) {
      const had = Object.prototype.hasOwnProperty.call(prev, key);
      const v = had ? share(prev[key], next[key]) : next[key];
      same &&= had && v === prev[key];
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return same ? prev : finish(out, next);
  }
  // Scalars: equal ones are interchangeable; anything else is a change.
  return jsonEqual(prev, next) ? prev : next;
}

function finish<T extends object>(out: T, next: object): T {
  return Object.isFrozen(next) ? Object.freeze(out) : out;
}
