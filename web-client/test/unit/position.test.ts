import { describe, expect, test } from 'vitest';
import { comparePositions, formatPosition, parsePosition, tryParsePosition } from '../../src/position';

describe('positions', () => {
  test('split at the last colon: the epoch is opaque and may hold colons', () => {
    expect(parsePosition('a1b2c3d4e5f6:42')).toEqual({ epoch: 'a1b2c3d4e5f6', seq: 42 });
    expect(parsePosition('urn:uuid:0f:0')).toEqual({ epoch: 'urn:uuid:0f', seq: 0 });
  });

  test.each(['', ':1', 'e:', 'e:01', 'e:-1', 'e:1.5', 'e:1e3', 'e: 1', 'e', 'e:9007199254740993'])(
    '%j is not a position',
    (text) => {
      expect(tryParsePosition(text)).toBeNull();
      expect(() => parsePosition(text)).toThrow(TypeError);
    },
  );

  test('the largest exact seq still parses', () => {
    expect(parsePosition('e:9007199254740991').seq).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('format is the inverse of parse', () => {
    expect(formatPosition('ep:x', 7)).toBe('ep:x:7');
    expect(formatPosition(parsePosition('ep:x:7'))).toBe('ep:x:7');
    expect(() => formatPosition('', 1)).toThrow(TypeError);
    expect(() => formatPosition('e', -1)).toThrow(TypeError);
    expect(() => formatPosition('e', 1.5)).toThrow(TypeError);
  });

  test('compare orders seqs of one epoch and refuses to order different epochs', () => {
    expect(comparePositions('e:2', 'e:10')).toBe(-1);
    expect(comparePositions('e:10', 'e:10')).toBe(0);
    expect(comparePositions({ epoch: 'e', seq: 11 }, 'e:10')).toBe(1);
    expect(comparePositions('e:2', 'f:1')).toBeNull();
  });
});
