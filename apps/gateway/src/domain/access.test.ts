import { CATALOG_ADMIN, ORDERS_ADMIN, type Caller } from '@order-system/auth';
import { isAppError } from '@order-system/errors';
import { thrown } from '@order-system/testing';
import { describe, expect, it } from 'vitest';
import { customerOfNewOrder, listedCustomer, mayManageCatalog, visibleOrder } from './access.js';

const alice: Caller = { customerId: 'alice', scopes: new Set() };
const ordersAdmin: Caller = { customerId: 'ops', scopes: new Set([ORDERS_ADMIN]) };
const catalogAdmin: Caller = { customerId: 'buyer', scopes: new Set([CATALOG_ADMIN]) };

describe('access rules', () => {
  it('places an order in the caller’s name, and refuses one in another’s, admin or not', () => {
    expect(customerOfNewOrder(alice, '')).toBe('alice');
    expect(customerOfNewOrder(alice, undefined)).toBe('alice');
    expect(customerOfNewOrder(alice, 'alice')).toBe('alice');
    for (const caller of [alice, ordersAdmin]) {
      const err = thrown(() => customerOfNewOrder(caller, 'bob'));
      expect(isAppError(err, 'permission_denied') && err.message).toContain('customer.user_id "bob" is not the caller');
    }
  });

  it('shows a customer their own order and hides another’s exactly as a missing one', () => {
    const mine = { orderId: 'O-1', customer: { userId: 'alice', email: 'a@x.io' } };
    const theirs = { orderId: 'O-2', customer: { userId: 'bob', email: 'b@x.io' } };
    expect(visibleOrder(alice, mine)).toBe(mine);
    const err = thrown(() => visibleOrder(alice, theirs));
    expect(isAppError(err, 'not_found') && err.message).toBe('order O-2 not found');
    expect(visibleOrder(ordersAdmin, theirs)).toBe(theirs);
    expect(isAppError(thrown(() => visibleOrder(catalogAdmin, theirs)), 'not_found')).toBe(true);
  });

  it('lists a customer’s own orders only, an admin’s choice across customers', () => {
    expect(listedCustomer(alice, '')).toBe('alice');
    expect(listedCustomer(alice, 'alice')).toBe('alice');
    expect(listedCustomer(alice, 'bob')).toBeUndefined();
    expect(listedCustomer(ordersAdmin, '')).toBe('');
    expect(listedCustomer(ordersAdmin, 'bob')).toBe('bob');
  });

  it('lets only catalog:admin manage products', () => {
    expect(() => mayManageCatalog(catalogAdmin)).not.toThrow();
    for (const caller of [alice, ordersAdmin]) expect(isAppError(thrown(() => mayManageCatalog(caller)), 'permission_denied')).toBe(true);
  });
});
