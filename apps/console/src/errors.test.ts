import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { describeError } from './errors.js';

const err = (code: Code, message: string, headers?: Record<string, string>) => new ConnectError(message, code, new Headers(headers));

describe('describeError', () => {
  it('names the product and the quantities when stock is short', () => {
    const p = describeError(err(Code.FailedPrecondition, 'insufficient stock for product 4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f8a (MONITOR01): requested 121, available 120'));
    expect(p).toEqual({ title: 'Not enough stock', detail: 'MONITOR01: you asked for 121, only 120 available. Nothing was reserved.' });
  });

  it('says what a changed price is now, and that the catalog changed', () => {
    const p = describeError(err(Code.FailedPrecondition, 'items[0]: the price of HEADPH001 is 179.00 USD, not 199.99 USD'));
    expect(p.title).toBe('The price changed');
    expect(p.detail).toContain('HEADPH001 now costs 179.00 USD, not 199.99 USD');
    expect(p.catalogChanged).toBe(true);
  });

  it('calls an unknown product one', () => {
    const p = describeError(err(Code.InvalidArgument, 'items[0]: product "NOPE1" does not exist'));
    expect(p).toMatchObject({ title: 'Unknown product', detail: 'Product "NOPE1" is not in the catalog.', catalogChanged: true });
    expect(describeError(err(Code.InvalidArgument, 'customer.email is not valid'))).toEqual({ title: 'Check the order', detail: 'customer.email is not valid' });
  });

  it('says when to come back from a throttle', () => {
    expect(describeError(err(Code.ResourceExhausted, 'rate limit exceeded', { 'retry-after': '2' })).detail).toBe('The gateway is throttling you (rate limit exceeded). Try again in 2 s.');
    expect(describeError(err(Code.ResourceExhausted, 'too many watches')).detail).toContain('Try again in a moment.');
  });

  it('signs out on a refused token', () => {
    expect(describeError(err(Code.Unauthenticated, 'token expired'))).toMatchObject({ title: 'Signed out', signedOut: true });
    expect(describeError(err(Code.PermissionDenied, 'catalog:admin is required')).signedOut).toBeUndefined();
  });

  it('covers the other codes and errors that never reached the gateway', () => {
    expect(describeError(err(Code.NotFound, 'order X not found'))).toEqual({ title: 'Not found', detail: 'order X not found' });
    expect(describeError(err(Code.AlreadyExists, 'order X already exists')).title).toBe('Order id already used');
    expect(describeError(err(Code.Unavailable, 'inventory is unavailable')).detail).toContain('placing the same order again is safe');
    expect(describeError(err(Code.Internal, 'boom'))).toEqual({ title: 'Something went wrong', detail: 'Internal: boom' });
    expect(describeError(new TypeError('Failed to fetch'))).toEqual({ title: 'Cannot reach the gateway', detail: 'Failed to fetch' });
  });
});
