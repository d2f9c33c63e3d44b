import { describe, expect, test } from 'vitest';
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from '../../src/backoff';

describe('backoff', () => {
  test('defaults: 0.5 s doubling to 8 s, half of each delay random', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 500, maxMs: 8000, jitter: 0.5 });
    const high = new Backoff({}, () => 1);
    expect(Array.from({ length: 7 }, () => high.next())).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
    const low = new Backoff({}, () => 0);
    expect(Array.from({ length: 7 }, () => low.next())).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
  });

  test('every delay lies in [base * (1 - jitter), base]', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.3 });
    for (let i = 0; i < 200; i++) {
      const base = Math.min(1000, 100 * 2 ** i);
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(Math.round(base * 0.7));
      expect(d).toBeLessThanOrEqual(base);
    }
  });

  test('the random share is spread over its range', () => {
    expect(backoffDelay(0, { initialMs: 1000, jitter: 0.5 }, () => 0.5)).toBe(750);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 300, jitter: 1 }, () => 0.25)).toBe(75);
    expect(backoffDelay(0, { initialMs: 1000, jitter: 0 }, () => 0.9)).toBe(1000);
  });

  test('reset starts over; attempt counts', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 100, jitter: 0 });
    b.next();
    b.next();
    expect(b.attempt).toBe(2);
    expect(b.next()).toBe(40);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(10);
  });

  test('a huge attempt number stays at the cap', () => {
    expect(backoffDelay(5000, { jitter: 0 })).toBe(8000);
  });

  test('nonsense options are refused at once', () => {
    expect(() => new Backoff({ initialMs: -1 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 50 })).toThrow(RangeError);
    expect(() => new Backoff({ jitter: 1.5 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: Number.NaN })).toThrow(RangeError);
  });
});
