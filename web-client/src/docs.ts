/**
 * The documents a stream holds, as a persistent map (immutable.js's `Map`, a hash array mapped
 * trie): a change to one document makes a new map in O(log n) that shares everything else with
 * the old one, where a copy of a plain object costs O(n) per change (6 ms at 10,000 documents).
 * The stream applies each patch to the few documents it names (`applyToDocuments`), so a live
 * change costs the same at 100 documents as at 10,000.
 */
import { Map as PersistentMap } from 'immutable';
import { applyPatch, escapePointerToken, parsePointer, PatchError } from './patch.js';
import { keepIdentity } from './share.js';
import type { PatchOperation } from './types.js';

type JsonObject = Record<string, unknown>;

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
const isPlainObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A stream's documents by id: a read-only `Map`. Immutable: every change gives a new DocMap, and
 * the documents it did not touch are the same objects as before.
 */
export class DocMap<T> implements ReadonlyMap<string, T> {
  /** the plain object `data` hands out, made on first use */
  private plain: Readonly<Record<string, T>> | null = null;

  /** @internal */
  constructor(
    /** @internal */
    readonly map: PersistentMap<string, T>,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(id: string): T | undefined {
    return this.map.get(id);
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  *keys(): MapIterator<string> {
    yield* this.map.keys();
  }

  *values(): MapIterator<T> {
    yield* this.map.values();
  }

  *entries(): MapIterator<[string, T]> {
    yield* this.map.entries();
  }

  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }

  forEach(callback: (doc: T, id: string, map: ReadonlyMap<string, T>) => void, thisArg?: unknown): void {
    for (const [id, doc] of this.map.entries()) {
      callback.call(thisArg, doc, id, this);
    }
  }

  /**
   * The documents as a frozen plain object `{ [id]: doc }`, built once per DocMap: O(n) the first
   * time, so a page that reads it for every view pays O(n) per change (use the map itself).
   */
  toObject(): Readonly<Record<string, T>> {
    if (this.plain === null) {
      const out: Record<string, T> = {};
      for (const [id, doc] of this.map.entries()) {
        // defineProperty: an id `__proto__` stays an own member
        Object.defineProperty(out, id, { value: doc, enumerable: true, writable: false, configurable: false });
      }
      this.plain = Object.freeze(out);
    }
    return this.plain;
  }

  get [Symbol.toStringTag](): string {
    return 'DocMap';
  }
}

/** What a stream's patches apply to: `{[collection]: {id: doc}}`, kept as a DocMap. */
export interface DocumentsRoot<T> {
  /** null while the root has no member for the collection (before the first snapshot) */
  readonly docs: DocMap<T> | null;
  /** the root's other members; the engine sends none, but a patch may make them */
  readonly rest: Readonly<JsonObject>;
}

export const EMPTY_DOCS: DocMap<never> = new DocMap(PersistentMap<string, never>());

/** A root holding a frozen copy of `initial`, or an empty root (no collection member) for null. */
export function documentsRoot<T>(collection: string, initial: Readonly<Record<string, unknown>> | null): DocumentsRoot<T> {
  const empty: DocumentsRoot<T> = { docs: null, rest: {} };
  if (initial === null) {
    return empty;
  }
  return applyToWhole(empty, collection, [{ op: 'add', path: `/${escapePointerToken(collection)}`, value: initial }], false);
}

/**
 * Applies one JSON Patch to the root, strictly and atomically as `applyPatch` does (a PatchError
 * leaves `root` as it was), with every new part frozen. A patch whose every operation is below
 * `/<collection>/<id>` (a live change) costs O(documents it names): only those documents are
 * handed to `applyPatch`. Any other patch (a snapshot, an operation on the whole collection) is
 * applied to the root as a plain object, O(n). With `snapshot`, unchanged documents of the old
 * root keep their identity (and the map itself, when nothing changed).
 */
export function applyToDocuments<T>(
  root: DocumentsRoot<T>,
  collection: string,
  ops: readonly PatchOperation[],
  snapshot: boolean,
): DocumentsRoot<T> {
  const ids = snapshot ? null : documentIds(collection, ops);
  if (ids === null) {
    return applyToWhole(root, collection, ops, snapshot);
  }
  const docs = root.docs;
  // Only the named documents, under the same path: the patch sees what it would see in the root.
  const part: JsonObject = {};
  if (docs !== null) {
    const members: JsonObject = {};
    for (const id of ids) {
      if (docs.map.has(id)) {
        define(members, id, docs.map.get(id));
      }
    }
    define(part, collection, members);
  }
  const next = applyPatch(part, ops, { freeze: true }) as JsonObject;
  const after = next[collection] as JsonObject;
  let map = docs!.map;
  for (const id of ids) {
    map = hasOwn(after, id) ? map.set(id, after[id] as T) : map.remove(id);
  }
  return map === docs!.map ? root : { docs: new DocMap(map), rest: root.rest };
}

/**
 * The document ids a patch touches, when every operation (its `path`, and `from` for move and
 * copy) is at or below `/<collection>/<id>`; otherwise null. Malformed operations give null too:
 * `applyPatch` then reports them.
 */
function documentIds(collection: string, ops: readonly PatchOperation[]): Set<string> | null {
  if (!Array.isArray(ops)) {
    return null;
  }
  const ids = new Set<string>();
  for (const op of ops as unknown[]) {
    if (!isPlainObject(op) || !['add', 'remove', 'replace', 'test', 'move', 'copy'].includes(op.op as string)) {
      return null;
    }
    const pointers = op.op === 'move' || op.op === 'copy' ? [op.path, op.from] : [op.path];
    for (const pointer of pointers) {
      let tokens: string[];
      try {
        tokens = parsePointer(pointer as string);
      } catch {
        return null;
      }
      if (tokens.length < 2 || tokens[0] !== collection) {
        return null;
      }
      ids.add(tokens[1]!);
    }
  }
  return ids;
}

function applyToWhole<T>(
  root: DocumentsRoot<T>,
  collection: string,
  ops: readonly PatchOperation[],
  snapshot: boolean,
): DocumentsRoot<T> {
  const whole: JsonObject = { ...root.rest };
  if (root.docs !== null) {
    define(whole, collection, root.docs.toObject());
  }
  const next = applyPatch(whole, ops, { freeze: true });
  if (!isPlainObject(next)) {
    throw new PatchError('the patch makes the stream document something other than an object', -1, ops);
  }
  const rest: JsonObject = {};
  for (const key of Object.keys(next)) {
    if (key !== collection) {
      define(rest, key, next[key]);
    }
  }
  if (!hasOwn(next, collection)) {
    return { docs: null, rest };
  }
  const value = next[collection];
  if (!isPlainObject(value)) {
    throw new PatchError(`the patch makes "${collection}" something other than an object of documents`, -1, ops);
  }
  if (root.docs !== null && value === root.docs.toObject()) {
    return { docs: root.docs, rest }; // the collection was not touched
  }
  const fresh = fromObject<T>(value);
  return { docs: snapshot && root.docs !== null ? carryOver(root.docs, fresh) : fresh, rest };
}

/** `next` with every document equal to the one `prev` has under its id replaced by `prev`'s. */
function carryOver<T>(prev: DocMap<T>, next: DocMap<T>): DocMap<T> {
  let same = prev.size === next.size;
  const map = next.map.withMutations((m) => {
    for (const [id, doc] of next.map.entries()) {
      const old = prev.map.get(id);
      const kept = old === undefined ? doc : keepIdentity(old, doc);
      if (kept !== doc) {
        m.set(id, kept);
      }
      same &&= kept === old;
    }
  });
  return same ? prev : new DocMap(map);
}

function fromObject<T>(obj: JsonObject): DocMap<T> {
  const map = PersistentMap<string, T>().withMutations((m) => {
    for (const id of Object.keys(obj)) {
      m.set(id, obj[id] as T);
    }
  });
  return new DocMap(map);
}

function define(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    // an own member, not the prototype
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
