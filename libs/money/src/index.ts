/**
 * Exact money arithmetic on the google.type.Money shape (units + nanos),
 * through bigint nanos: no floating point ever touches an amount.
 */
export interface Money {
  currencyCode: string;
  units: number;
  nanos: number;
}

const NANOS = 1_000_000_000n;

export function toNanos(m: Money): bigint {
  return BigInt(m.units) * NANOS + BigInt(m.nanos);
}

export function fromNanos(currencyCode: string, nanos: bigint): Money {
  const units = nanos / NANOS;
  return { currencyCode, units: Number(units), nanos: Number(nanos - units * NANOS) };
}

export function times(m: Money, quantity: number): Money {
  return fromNanos(m.currencyCode, toNanos(m) * BigInt(quantity));
}

export function sum(currencyCode: string, amounts: Money[]): Money {
  return fromNanos(currencyCode, amounts.reduce((acc, m) => acc + toNanos(m), 0n));
}

export function equals(a: Money, b: Money): boolean {
  return a.currencyCode === b.currencyCode && toNanos(a) === toNanos(b);
}

/** Why m is not a valid amount, or undefined when it is. */
export function problemWith(m: Money): string | undefined {
  if (!/^[A-Z]{3}$/.test(m.currencyCode)) return 'currency_code must be 3 upper-case letters (ISO 4217)';
  if (!Number.isSafeInteger(m.units)) return 'units is out of range';
  if (!Number.isInteger(m.nanos) || Math.abs(m.nanos) > 999_999_999) return 'nanos must be in [-999999999, 999999999]';
  if ((m.units > 0 && m.nanos < 0) || (m.units < 0 && m.nanos > 0)) return 'units and nanos must have the same sign';
  return undefined;
}

/**
 * A decimal amount as JSON clients send it (1299.99, or "1299.99"), exactly:
 * parsed from its shortest decimal text, never multiplied as a float.
 */
export function fromDecimal(currencyCode: string, amount: number | string): Money | undefined {
  const text = typeof amount === 'number' ? (Number.isFinite(amount) ? String(amount) : '') : amount.trim();
  const match = /^(-?)(\d{1,15})(?:\.(\d{1,9}))?$/.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  const nanos = BigInt(whole!) * NANOS + BigInt(fraction.padEnd(9, '0'));
  return fromNanos(currencyCode, sign === '-' ? -nanos : nanos);
}

/** "1299.99" for display and REST; trailing zeros trimmed to two decimals. */
export function toDecimalString(m: Money): string {
  const nanos = toNanos(m);
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const fraction = (abs % NANOS).toString().padStart(9, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${negative ? '-' : ''}${abs / NANOS}.${fraction}`;
}
