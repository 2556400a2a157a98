import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equals, fromDecimal, sum, times, toDecimalString, toNanos } from './index.js';

describe('money', () => {
  it('parses decimals exactly', () => {
    expect(fromDecimal('USD', 1299.99)).toEqual({ currencyCode: 'USD', units: 1299, nanos: 990_000_000 });
    expect(fromDecimal('USD', '0.1')).toEqual({ currencyCode: 'USD', units: 0, nanos: 100_000_000 });
    expect(fromDecimal('USD', -2.5)).toEqual({ currencyCode: 'USD', units: -2, nanos: -500_000_000 });
    expect(fromDecimal('USD', 1e21)).toBeUndefined();
    expect(fromDecimal('USD', Number.NaN)).toBeUndefined();
    expect(fromDecimal('USD', '12abc')).toBeUndefined();
  });

  it('multiplies and sums without rounding', () => {
    const price = fromDecimal('USD', 0.1)!;
    expect(sum('USD', [times(price, 3), fromDecimal('USD', 0.2)!])).toEqual(fromDecimal('USD', 0.5));
    expect(toDecimalString(times(fromDecimal('USD', 1299.99)!, 3))).toBe('3899.97');
  });

  it('round-trips decimal text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (cents) => {
        const text = `${cents < 0n ? '-' : ''}${(cents < 0n ? -cents : cents) / 100n}.${((cents < 0n ? -cents : cents) % 100n).toString().padStart(2, '0')}`;
        const m = fromDecimal('EUR', text);
        if (!m) return cents >= 10n ** 17n || cents <= -(10n ** 17n);
        return toNanos(m) === cents * 10_000_000n && equals(fromDecimal('EUR', toDecimalString(m))!, m);
      }),
    );
  });
});
