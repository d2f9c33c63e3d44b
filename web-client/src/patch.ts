/**
 * Strict RFC 6902 JSON Patch over immutable JSON values (RFC 6901 pointers).
 *
 * - Atomic: the input is never written to, so a failing operation leaves nothing half done.
 * - Structural sharing: only the containers on the path of a change are copied; every
 *   untouched subtree keeps its identity, so a page can compare by reference.
 * - Strict: `replace`, `remove` and `test` on a missing path fail, array indices have no
 *   leading zeros and stay in range, `move` into its own child fails.
 *
 * The copy-on-write is done here rather than with immer's `produce`: document ids are any
 * string, and an immer draft cannot take an own member named `__proto__` (it throws
 * "Object.setPrototypeOf() cannot be used on an Immer draft"), so one legal id would break a
 * stream for good.
 */
import type { PatchOperation } from './types.js';

/** A patch that cannot be applied; `index` is the failing operation's position in the patch. */
export class PatchError extends Error {
  override readonly name = 'PatchError';
  constructor(
    message: string,
    readonly index: number,
    readonly operation: unknown,
  ) {
    super(message);
  }
}

export interface ApplyPatchOptions {
  /**
   * Deep-freeze the result. Only the new parts are walked: a subtree that is already frozen is
   * taken as frozen all the way down. Off by default, since the result shares the input's
   * untouched subtrees and freezing them would change the caller's objects.
   */
  freeze?: boolean;
  /**
   * Containers the caller owns, which may be written in place; the copies this call makes are
   * added. Passing the same set to consecutive calls copies each container once for all of them
   * (a run of patches over a large map costs one copy, not one per patch). The result is then not
   * atomic for those containers: after a PatchError, discard everything the set holds.
   */
  owned?: WeakSet<object>;
}

type JsonObject = Record<string, unknown>;
type Container = JsonObject | unknown[];

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Applies `ops` to `doc` and returns the new document; `doc` and `ops` are left as they were. */
export function applyPatch<T>(doc: T, ops: readonly PatchOperation[], options: ApplyPatchOptions = {}): T {
  if (!Array.isArray(ops)) {
    throw new PatchError('a JSON Patch must be an array of operations', -1, ops);
  }
  const w = new Writer(doc, options.owned ?? new WeakSet<object>());
  ops.forEach((op, index) => {
    try {
      w.apply(op);
    } catch (e) {
      if (e instanceof OpError) {
        throw new PatchError(`operation ${index} (${describe(op)}): ${e.message}`, index, op);
      }
      throw e;
    }
  });
  return (options.freeze ? deepFreeze(w.root) : w.root) as T;
}

/** Parses an RFC 6901 pointer into its unescaped tokens ("" is the whole document). */
export function parsePointer(pointer: string): string[] {
  if (typeof pointer !== 'string') {
    throw new OpError('a JSON Pointer must be a string');
  }
  if (pointer === '') {
    return [];
  }
  if (pointer[0] !== '/') {
    throw new OpError(`JSON Pointer "${pointer}" must start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) {
        throw new OpError(`JSON Pointer "${pointer}" has a "~" that is not "~0" or "~1"`);
      }
      // ~1 first, so "~01" becomes "~1" and not "/"
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** Escapes one pointer token: `~` as `~0`, `/` as `~1`. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** RFC 6902 §4.6 equality: same type and value, objects by members regardless of order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ak = Object.keys(a);
  const bo = b as JsonObject;
  if (ak.length !== Object.keys(bo).length) {
    return false;
  }
  const ao = a as JsonObject;
  return ak.every((k) => hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

/** Thrown inside one operation; applyPatch wraps it with the operation's index. */
class OpError extends Error {}

/** Copy-on-write state of one applyPatch call. */
class Writer {
  constructor(
    public root: unknown,
    /** containers copied during this call (or owned by the caller): the only objects it may write to */
    private readonly owned: WeakSet<object>,
  ) {}

  apply(op: unknown): void {
    if (typeof op !== 'object' || op === null || Array.isArray(op)) {
      throw new OpError('an operation must be an object');
    }
    const o = op as JsonObject;
    const path = parsePointer(requireMember(o, 'path') as string);
    switch (o.op) {
      case 'add':
        this.add(path, clone(requireMember(o, 'value')));
        return;
      case 'remove':
        this.remove(path);
        return;
      case 'replace':
        this.replace(path, clone(requireMember(o, 'value')));
        return;
      case 'test': {
        const value = requireMember(o, 'value');
        if (!jsonEqual(this.get(path), value)) {
          throw new OpError('test failed: the value differs');
        }
        return;
      }
      case 'move': {
        const from = parsePointer(requireMember(o, 'from') as string);
        if (from.length < path.length && from.every((t, i) => t === path[i])) {
          throw new OpError('cannot move a value into one of its own children');
        }
        const value = this.get(from);
        if (from.length === path.length && from.every((t, i) => t === path[i])) {
          return; // moving a value onto itself changes nothing
        }
        this.remove(from);
        this.add(path, value);
        return;
      }
      case 'copy': {
        // Both places share the subtree; once it is disowned, a later write to either copies it.
        const value = this.get(parsePointer(requireMember(o, 'from') as string));
        this.disown(value);
        this.add(path, value);
        return;
      }
      default:
        throw new OpError(`unknown op ${JSON.stringify(o.op)}`);
    }
  }

  /** The value at `path`; fails when it does not exist. */
  get(path: readonly string[]): unknown {
    let node = this.root;
    for (const token of path) {
      node = childOf(node, token);
    }
    return node;
  }

  private add(path: readonly string[], value: unknown): void {
    if (path.length === 0) {
      this.root = value;
      return;
    }
    const parent = this.writableParent(path);
    const token = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      const index = token === '-' ? parent.length : arrayIndex(token, parent.length + 1);
      parent.splice(index, 0, value);
    } else {
      setMember(parent, token, value);
    }
  }

  private replace(path: readonly string[], value: unknown): void {
    if (path.length === 0) {
      this.root = value;
      return;
    }
    const parent = this.writableParent(path);
    const token = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      parent[arrayIndex(token, parent.length)] = value;
    } else {
      if (!hasOwn(parent, token)) {
        throw new OpError(`no member "${token}"`);
      }
      setMember(parent, token, value);
    }
  }

  private remove(path: readonly string[]): void {
    if (path.length === 0) {
      throw new OpError('cannot remove the whole document');
    }
    const parent = this.writableParent(path);
    const token = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      parent.splice(arrayIndex(token, parent.length), 1);
    } else {
      if (!hasOwn(parent, token)) {
        throw new OpError(`no member "${token}"`);
      }
      delete parent[token];
    }
  }

  /** The container holding the last token of `path`, copied along the way so it can be written. */
  private writableParent(path: readonly string[]): Container {
    let node = this.own(this.root);
    this.root = node;
    for (let i = 0; i < path.length - 1; i++) {
      const token = path[i]!;
      const child = this.own(childOf(node, token));
      if (Array.isArray(node)) {
        node[arrayIndex(token, node.length)] = child;
      } else {
        setMember(node, token, child);
      }
      node = child;
    }
    return node;
  }

  /**
   * Gives up write access to the containers of `value` this call made, so the value can sit in
   * two places. Only owned containers can hold owned children: the walk stops at the others.
   */
  private disown(value: unknown): void {
    if (typeof value === 'object' && value !== null && this.owned.delete(value)) {
      for (const child of Object.values(value)) {
        this.disown(child);
      }
    }
  }

  /** `node` itself when this call made it, else a shallow copy this call owns. */
  private own(node: unknown): Container {
    if (typeof node !== 'object' || node === null) {
      throw new OpError('the path goes through a value that is not an object or array');
    }
    if (this.owned.has(node)) {
      return node as Container;
    }
    // Spread defines own members (an own "__proto__" stays a member, not a prototype).
    const copy: Container = Array.isArray(node) ? node.slice() : { ...(node as JsonObject) };
    this.owned.add(copy);
    return copy;
  }
}

function childOf(node: unknown, token: string): unknown {
  if (Array.isArray(node)) {
    return node[arrayIndex(token, node.length)];
  }
  if (typeof node === 'object' && node !== null) {
    if (!hasOwn(node, token)) {
      throw new OpError(`no member "${token}"`);
    }
    return (node as JsonObject)[token];
  }
  throw new OpError(`cannot look up "${token}" in a ${node === null ? 'null' : typeof node}`);
}

/** An array index token, which must be below `limit`. */
function arrayIndex(token: string, limit: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    throw new OpError(`"${token}" is not an array index`);
  }
  const index = Number(token);
  if (index >= limit) {
    throw new OpError(`array index ${token} is out of range`);
  }
  return index;
}

function setMember(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

function requireMember(op: JsonObject, name: string): unknown {
  if (!hasOwn(op, name) || op[name] === undefined) {
    throw new OpError(`missing "${name}"`);
  }
  return op[name];
}

/** A private copy of an operation's value, so the result never aliases the caller's patch. */
function clone(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map(clone);
  }
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    setMember(out, key, clone((value as JsonObject)[key]));
  }
  return out;
}

function deepFreeze(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) {
      deepFreeze((value as JsonObject)[key]);
    }
  }
  return value;
}

function describe(op: unknown): string {
  if (typeof op === 'object' && op !== null) {
    const o = op as JsonObject;
    const from = typeof o.from === 'string' ? ` from "${o.from}"` : '';
    return `${String(o.op)}${from} "${String(o.path)}"`;
  }
  return String(op);
}
