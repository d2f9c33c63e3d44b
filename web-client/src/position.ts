/**
 * Stream positions, written `EPOCH:SEQ` (PROTOCOL.md §1). The epoch is opaque, so a position
 * is split at its last `:`; seq is a non-negative integer that fits a JS number exactly.
 */

export interface Position {
  epoch: string;
  seq: number;
}

/** Parses `EPOCH:SEQ`, or returns null when the text is not one. */
export function tryParsePosition(text: string): Position | null {
  if (typeof text !== 'string') {
    return null;
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) {
    return null;
  }
  const digits = text.slice(colon + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) {
    return null;
  }
  const seq = Number(digits);
  // Past 2^53 a JS number cannot tell two seqs apart; such a position would compare wrongly.
  if (!Number.isSafeInteger(seq)) {
    return null;
  }
  return { epoch: text.slice(0, colon), seq };
}

/** Parses `EPOCH:SEQ`; throws a TypeError naming the text when it is not one. */
export function parsePosition(text: string): Position {
  const p = tryParsePosition(text);
  if (p === null) {
    throw new TypeError(`not a stream position (EPOCH:SEQ): ${JSON.stringify(text)}`);
  }
  return p;
}

export function formatPosition(position: Position): string;
export function formatPosition(epoch: string, seq: number): string;
export function formatPosition(a: Position | string, b?: number): string {
  const p = typeof a === 'string' ? { epoch: a, seq: b } : a;
  if (typeof p.epoch !== 'string' || p.epoch === '' || !Number.isSafeInteger(p.seq) || (p.seq as number) < 0) {
    throw new TypeError(`not a stream position: epoch ${JSON.stringify(p.epoch)}, seq ${String(p.seq)}`);
  }
  return `${p.epoch}:${String(p.seq)}`;
}

/**
 * Orders two positions of the same epoch (negative, 0, positive, like a sort comparator).
 * Positions of different epochs have no order: the answer is null.
 */
export function comparePositions(a: Position | string, b: Position | string): number | null {
  const pa = typeof a === 'string' ? parsePosition(a) : a;
  const pb = typeof b === 'string' ? parsePosition(b) : b;
  if (pa.epoch !== pb.epoch) {
    return null;
  }
  return Math.sign(pa.seq - pb.seq);
}
