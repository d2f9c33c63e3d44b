/**
 * Capped exponential backoff with jitter (PROTOCOL.md §5: "for example 0.5 s doubling to 8 s,
 * with jitter"). Jitter spreads the reconnects of many pages after a server restart, so they
 * do not all arrive in the same millisecond.
 */
import type { BackoffOptions } from './types.js';

export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({
  initialMs: 500,
  maxMs: 8000,
  jitter: 0.5,
});

/**
 * The delay before reconnect number `attempt` (0 for the first): the capped base
 * `min(maxMs, initialMs * 2^attempt)`, of which the share `jitter` is random, so the delay
 * lies in `[base * (1 - jitter), base]`.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs, maxMs, jitter } = resolveBackoff(options);
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(base * (1 - jitter) + base * jitter * r);
}

/** The options with defaults filled in; throws a RangeError for values that make no sense. */
export function resolveBackoff(options: BackoffOptions = {}): Required<BackoffOptions> {
  const resolved = { ...DEFAULT_BACKOFF, ...stripUndefined(options) };
  const { initialMs, maxMs, jitter } = resolved;
  if (!(initialMs >= 0) || !(maxMs >= initialMs) || !(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`bad backoff options: initialMs ${initialMs}, maxMs ${maxMs}, jitter ${jitter}`);
  }
  return resolved;
}

/** Counts attempts; `reset()` once a connection has proved good. */
export class Backoff {
  private attempts = 0;
  private readonly options: Required<BackoffOptions>;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.options = resolveBackoff(options);
  }

  /** The delay for the next attempt; each call counts one attempt. */
  next(): number {
    return backoffDelay(this.attempts++, this.options, this.random);
  }

  reset(): void {
    this.attempts = 0;
  }

  /** attempts since the last reset */
  get attempt(): number {
    return this.attempts;
  }
}

function stripUndefined(o: BackoffOptions): BackoffOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
