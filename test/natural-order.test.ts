/**
 * The order versions are listed in (core/natural-order.ts), as properties over generated names:
 * a total order that ties only a name with itself, numbers by value whatever their length, and
 * text by character codes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naturalCompare } from '../src/core/natural-order.js';

const sign = (n: number): number => Math.sign(n);
/** Version-like names: digits, dots, dashes and a few letters, so runs of digits meet often. */
const name = fc.stringMatching(/^[0-9a-cA-C.-]{0,12}$/);

describe('naturalCompare', () => {
  it('is a total order: antisymmetric, transitive, and 0 only for the same string', () => {
    fc.assert(
      fc.property(name, name, name, (a, b, c) => {
        expect(sign(naturalCompare(a, b)) + sign(naturalCompare(b, a))).toBe(0);
        expect(naturalCompare(a, b) === 0).toBe(a === b);
        if (naturalCompare(a, b) < 0 && naturalCompare(b, c) < 0) expect(naturalCompare(a, c)).toBeLessThan(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('orders numbers of any length by value (leading zeros aside)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.nat(3), (x, y, zeros) => {
        const a = '0'.repeat(zeros) + String(x);
        if (x !== y) expect(sign(naturalCompare(a, String(y)))).toBe(x < y ? -1 : 1);
        expect(sign(naturalCompare(`v${a}.1`, `v${String(y)}.2`))).toBe(x < y ? -1 : x > y ? 1 : -1);
      }),
    );
  });

  it('orders text without digits by character code', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z.-]{0,8}$/), fc.stringMatching(/^[a-zA-Z.-]{0,8}$/), (a, b) => {
        expect(sign(naturalCompare(a, b))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  it('puts a name before the same name with more after it, and digits before letters', () => {
    expect(['17a', '17.0.10', '17', '17.0.9', '17.0', 'lts', '8'].sort(naturalCompare)).toEqual(['8', '17', '17.0', '17.0.9', '17.0.10', '17a', 'lts']);
  });
});
