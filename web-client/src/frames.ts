/**
 * Turns what a transport received (a WebSocket frame, an SSE event) into one transport-free
 * message, so the stream applies both the same way. Shapes are checked as far as the client
 * relies on them; frame kinds this client does not know are `ignored`, since the contract
 * lets the engine add messages and fields.
 */
import { escapePointerToken } from './patch.js';
import { tryParsePosition } from './position.js';
import type { PatchOperation } from './types.js';

export type Incoming =
  /** a change, or (snapshot) the whole filtered collection; epoch is known for snapshots and on SSE */
  | { kind: 'patch'; ops: PatchOperation[]; seq: number; epoch: string | null; snapshot: boolean }
  /** `scope`: the hash of the token's read grants, sent by an engine with auth */
  | { kind: 'ready'; epoch: string; seq: number; resumed: boolean; scope: string | null }
  | { kind: 'resync'; reason: string; dropped: number | null }
  | { kind: 'finished' }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'ignored' }
  /** a known message with a shape the client cannot use */
  | { kind: 'invalid'; reason: string };

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A WebSocket text frame, already parsed as JSON. */
export function decodeWsFrame(frame: unknown): Incoming {
  if (!isObject(frame)) {
    return invalid('a frame must be a JSON object');
  }
  if ('JsonPatch' in frame) {
    if (!Array.isArray(frame.JsonPatch) || !isSeq(frame.seq)) {
      return invalid('JsonPatch frame without an operation array and a seq');
    }
    const snapshot = frame.snapshot === true;
    if (snapshot && (typeof frame.epoch !== 'string' || frame.epoch === '')) {
      return invalid('snapshot frame without an epoch');
    }
    return {
      kind: 'patch',
      ops: frame.JsonPatch as PatchOperation[],
      seq: frame.seq,
      epoch: typeof frame.epoch === 'string' ? frame.epoch : null,
      snapshot,
    };
  }
  if ('Ready' in frame) {
    return decodeReady(frame);
  }
  if ('Resync' in frame) {
    return decodeResync(frame.Resync);
  }
  if ('finished' in frame) {
    return { kind: 'finished' };
  }
  if ('error' in frame) {
    return decodeError(frame.error);
  }
  return { kind: 'ignored' };
}

/**
 * An SSE event with its data parsed as JSON (undefined when it had none). A `json_patch` is a
 * snapshot when it is exactly one `add` of the collection's own path, a shape no change has.
 */
export function decodeSseEvent(event: { event: string; id?: string; data?: unknown }, collection: string): Incoming {
  switch (event.event) {
    case 'json_patch': {
      const position = event.id === undefined ? null : tryParsePosition(event.id);
      if (!Array.isArray(event.data) || position === null) {
        return invalid('json_patch event without an operation array and an EPOCH:SEQ id');
      }
      const ops = event.data as PatchOperation[];
      const first: unknown = ops[0];
      const snapshot =
        ops.length === 1 && isObject(first) && first.op === 'add' && first.path === `/${escapePointerToken(collection)}`;
      return { kind: 'patch', ops, seq: position.seq, epoch: position.epoch, snapshot };
    }
    case 'ready':
      return decodeReady(event.data);
    case 'resync':
      return decodeResync(event.data);
    case 'finished':
      return { kind: 'finished' };
    case 'error': {
      // The engine sends {code, message, error:{code, message}}; either reading works here.
      const data = event.data;
      return decodeError(isObject(data) && typeof data.code === 'string' ? data : isObject(data) ? data.error : data);
    }
    default:
      return { kind: 'ignored' };
  }
}

function decodeReady(v: unknown): Incoming {
  if (!isObject(v) || typeof v.epoch !== 'string' || v.epoch === '' || !isSeq(v.seq)) {
    return invalid('Ready without an epoch and a seq');
  }
  const scope = typeof v.scope === 'string' && v.scope !== '' ? v.scope : null;
  return { kind: 'ready', epoch: v.epoch, seq: v.seq, resumed: v.resumed === true, scope };
}

function decodeResync(v: unknown): Incoming {
  const o = isObject(v) ? v : {};
  return {
    kind: 'resync',
    reason: typeof o.reason === 'string' ? o.reason : 'unknown',
    dropped: isSeq(o.dropped) ? o.dropped : null,
  };
}

function decodeError(v: unknown): Incoming {
  const o = isObject(v) ? v : {};
  return {
    kind: 'error',
    code: typeof o.code === 'string' ? o.code : 'unknown_error',
    message: typeof o.message === 'string' ? o.message : 'the server reported an error',
  };
}

function invalid(reason: string): Incoming {
  return { kind: 'invalid', reason };
}
