/**
 * Wire checking shared by the integration tests (raw messages a stream reports through
 * `onMessage`) and the browser tests (the frames Chromium received, seen through playwright):
 * every message is validated against the wire schemas (schemas/wire) and the per-connection
 * order of PROTOCOL.md §3.1 is checked.
 */
import { expect } from 'vitest';
import type { RawMessage } from '../../src/types';
import { validateSseEvent, validateWsFrame } from './wireSchemas';

/** `EPOCH:SEQ` split; throws (failing the test) on anything else. */
export function parsePos(position: string | null | undefined): { epoch: string; seq: number } {
  const m = /^([^:]+):(0|[1-9][0-9]*)$/.exec(position ?? '');
  if (!m) throw new Error(`not a position: ${JSON.stringify(position)}`);
  return { epoch: m[1]!, seq: Number(m[2]) };
}

/** where a connection is in the order of PROTOCOL.md §3.1 */
type Phase =
  /** before Ready: a snapshot, or replayed changes */
  | 'start'
  /** after Ready: live changes, a Resync */
  | 'live'
  /** after a Resync: its snapshot must come next */
  | 'resync'
  /** after `finished` or an error: nothing more */
  | 'ended';

/**
 * Records every raw message of one stream, validates it against the wire schemas, and checks the
 * per-connection order the protocol promises: a start (a snapshot, first, or replayed changes),
 * exactly one Ready, then live messages with strictly increasing seq; a Resync only followed by a
 * snapshot; nothing after `finished` or an error. SSE events are held to the same order.
 * Violations are collected (a throw inside onMessage would only be reported by the library),
 * and `assertClean()` fails the test with all of them.
 *
 * One WireLog may follow a stream across reconnects (call `newConnection()` when a connection
 * begins), or follow one connection only.
 */
export class WireLog {
  readonly messages: RawMessage[] = [];
  readonly violations: string[] = [];
  /** index into `messages` where each connection began (a connection begins with its first message) */
  readonly connections: number[] = [];
  /** how many Ready each connection of `connections` (same index) sent: 1 once it got going */
  readonly readyCounts: number[] = [];
  private lastSeq: number | null = null;
  private phase: Phase = 'start';
  /** Ready seen on this connection (a Resync goes back to a snapshot, not to a second Ready) */
  private readySeen = false;
  private expectStart = true;

  constructor(readonly name: string) {}

  readonly onMessage = (raw: RawMessage): void => {
    this.messages.push(raw);
    try {
      if (raw.transport === 'ws') validateWsFrame(raw.frame);
      else validateSseEvent(raw.event);
    } catch (e) {
      this.violations.push(`${this.name}: schema: ${(e as Error).message} in ${JSON.stringify(raw).slice(0, 500)}`);
    }
    let kind: Classified;
    try {
      kind = classify(raw);
    } catch (e) {
      kind = { kind: 'other' }; // a shape the schema check has already reported
      this.violations.push(`${this.name}: cannot classify ${JSON.stringify(raw).slice(0, 200)}: ${(e as Error).message}`);
    }
    const first = this.expectStart;
    if (first) {
      this.connections.push(this.messages.length - 1);
      this.readyCounts.push(0);
      this.expectStart = false;
    }
    const at = `${this.name}: message ${this.messages.length - 1} (${kind.kind})`;
    if (this.phase === 'ended') {
      this.violations.push(`${at} after finished or an error on the same connection`);
      return;
    }
    switch (kind.kind) {
      case 'snapshot':
        // only the first message of a connection, or the one right after a Resync
        if (!(first && this.phase === 'start') && this.phase !== 'resync') {
          this.violations.push(`${at}: a snapshot neither at the start of the connection nor right after a Resync`);
        }
        this.phase = this.readySeen ? 'live' : 'start';
        this.lastSeq = kind.seq; // a snapshot is applied whatever its seq
        break;
      case 'patch':
        if (this.phase === 'resync') this.violations.push(`${at}: a change after a Resync, before its snapshot`);
        if (this.lastSeq !== null && kind.seq <= this.lastSeq) {
          this.violations.push(`${this.name}: seq ${kind.seq} after ${this.lastSeq} (duplicate or out of order)`);
        }
        this.lastSeq = kind.seq;
        break;
      case 'ready':
        this.readyCounts[this.readyCounts.length - 1]! += 1;
        if (this.readySeen) this.violations.push(`${this.name}: a second Ready on one connection`);
        else if (this.phase !== 'start') this.violations.push(`${at}: Ready after a Resync, before its snapshot`);
        if (this.lastSeq !== null && kind.seq < this.lastSeq) {
          this.violations.push(`${this.name}: Ready seq ${kind.seq} behind the last frame ${this.lastSeq}`);
        }
        this.readySeen = true;
        this.phase = 'live';
        this.lastSeq = kind.seq;
        break;
      case 'resync':
        if (this.phase === 'resync') this.violations.push(`${at}: a second Resync before the snapshot of the first`);
        this.phase = 'resync';
        break;
      case 'finished':
      case 'error':
        this.phase = 'ended';
        break;
      default:
        break;
    }
  };

  /** call when the stream starts a new connection (a reconnect): order checks start over */
  newConnection(): void {
    this.lastSeq = null;
    this.phase = 'start';
    this.readySeen = false;
    this.expectStart = true;
  }

  /** the messages of the last connection that sent anything */
  lastConnection(): RawMessage[] {
    const start = this.connections[this.connections.length - 1] ?? 0;
    return this.messages.slice(start);
  }

  assertClean(): void {
    expect(this.violations, `${this.name}: wire violations`).toEqual([]);
  }
}

export type Classified =
  | { kind: 'snapshot'; seq: number; epoch: string | null }
  | { kind: 'patch'; seq: number; ops: unknown[] }
  | { kind: 'ready'; seq: number; epoch: string; resumed: boolean }
  | { kind: 'resync' }
  | { kind: 'finished' }
  | { kind: 'error'; code: string }
  | { kind: 'other' };

/** what a raw message is, for either transport */
export function classify(raw: RawMessage): Classified {
  if (raw.transport === 'ws') {
    const f = raw.frame as Record<string, unknown>;
    if (f && typeof f === 'object') {
      if ('JsonPatch' in f && f.snapshot === true) {
        return { kind: 'snapshot', seq: f.seq as number, epoch: f.epoch as string };
      }
      if ('JsonPatch' in f) return { kind: 'patch', seq: f.seq as number, ops: f.JsonPatch as unknown[] };
      if ('Ready' in f) {
        return { kind: 'ready', seq: f.seq as number, epoch: f.epoch as string, resumed: f.resumed as boolean };
      }
      if ('Resync' in f) return { kind: 'resync' };
      if ('finished' in f) return { kind: 'finished' };
      if ('error' in f) return { kind: 'error', code: (f.error as { code: string }).code };
    }
    return { kind: 'other' };
  }
  const ev = raw.event;
  switch (ev.event) {
    case 'json_patch': {
      const ops = ev.data as { op: string; path: string }[];
      const seq = ev.id ? parsePos(ev.id).seq : -1;
      // a snapshot is one add of the whole collection map: a path with one token
      const first = ops[0];
      if (ops.length === 1 && first && first.op === 'add' && /^\/[^/]+$/.test(first.path)) {
        return { kind: 'snapshot', seq, epoch: ev.id ? parsePos(ev.id).epoch : null };
      }
      return { kind: 'patch', seq, ops };
    }
    case 'ready': {
      const d = ev.data as { seq: number; epoch: string; resumed: boolean };
      return { kind: 'ready', seq: d.seq, epoch: d.epoch, resumed: d.resumed };
    }
    case 'resync':
      return { kind: 'resync' };
    case 'finished':
      return { kind: 'finished' };
    case 'error':
      return { kind: 'error', code: (ev.data as { code: string }).code };
    default:
      return { kind: 'other' };
  }
}
