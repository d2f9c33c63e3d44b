/**
 * Builders for the protocol's messages (PROTOCOL.md §3.1, §3.2), so a test reads like the wire:
 * `ws.send(snapshot('tasks', docs, 'e1', 4))`. Paths are escaped as RFC 6901 says.
 */
import { escapePointerToken } from '../../src/patch';
import type { PatchOperation } from '../../src/types';
import type { SseEventOut } from './fakeServer';

export type Docs = Record<string, Record<string, unknown> & { id: string }>;

/** `/collection/id/...rest`, each token escaped */
export function docPath(collection: string, id: string, ...rest: string[]): string {
  return [collection, id, ...rest].map((t) => `/${escapePointerToken(t)}`).join('');
}

export function snapshot(collection: string, docs: Docs, epoch: string, seq: number) {
  return { JsonPatch: [{ op: 'add', path: `/${collection}`, value: docs }], seq, epoch, snapshot: true };
}

/** Ready; `scope` as an engine with auth sends it */
export function ready(epoch: string, seq: number, resumed = false, scope?: string) {
  return scope === undefined ? { Ready: true, epoch, seq, resumed } : { Ready: true, epoch, seq, resumed, scope };
}

export function change(ops: PatchOperation[], seq: number) {
  return { JsonPatch: ops, seq };
}

export function resync(dropped = 3) {
  return { Resync: { reason: 'lagged', dropped } };
}

export const finished = { finished: true };

/** add of a whole document, the shape of a create (or of a document that starts to match) */
export function addDoc(collection: string, doc: { id: string } & Record<string, unknown>): PatchOperation {
  return { op: 'add', path: docPath(collection, doc.id), value: doc };
}

export function setField(collection: string, id: string, field: string, value: unknown): PatchOperation {
  return { op: 'replace', path: docPath(collection, id, field), value };
}

export function removeDoc(collection: string, id: string): PatchOperation {
  return { op: 'remove', path: docPath(collection, id) };
}

// ---- SSE ----

export function sseSnapshot(collection: string, docs: Docs, epoch: string, seq: number): SseEventOut {
  return { event: 'json_patch', id: `${epoch}:${seq}`, data: snapshot(collection, docs, epoch, seq).JsonPatch };
}

export function sseReady(epoch: string, seq: number, resumed = false, scope?: string): SseEventOut {
  return { event: 'ready', id: `${epoch}:${seq}`, data: ready(epoch, seq, resumed, scope) };
}

export function sseChange(ops: PatchOperation[], epoch: string, seq: number): SseEventOut {
  return { event: 'json_patch', id: `${epoch}:${seq}`, data: ops };
}

export function sseResync(dropped = 3): SseEventOut {
  return { event: 'resync', data: { reason: 'lagged', dropped } };
}

export const sseFinished: SseEventOut = { event: 'finished', data: { finished: true } };

export function sseError(code: string, message: string): SseEventOut {
  return { event: 'error', data: { code, message, error: { code, message } } };
}
