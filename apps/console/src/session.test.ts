import { describe, expect, it } from 'vitest';
import { isOperator, sessionFromToken } from './session.js';

const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256' })}.${b64(claims)}.c2ln`;

describe('sessionFromToken', () => {
  it('reads the user and scopes of a pasted token, "Bearer " or not', () => {
    const s = sessionFromToken(`Bearer ${jwt({ sub: 'user_001', scope: 'orders:admin catalog:admin', exp: 2_000_000_000 })}\n`);
    expect(s).toMatchObject({ userId: 'user_001', expiresAt: 2_000_000_000_000 });
    if ('problem' in s) throw new Error(s.problem);
    expect([...s.scopes]).toEqual(['orders:admin', 'catalog:admin']);
    expect(isOperator(s)).toBe(true);
    expect(s.token).not.toMatch(/^Bearer|\s/);
  });

  it('a customer is no operator', () => {
    const s = sessionFromToken(jwt({ sub: 'user_002' }));
    expect('problem' in s || isOperator(s)).toBe(false);
  });

  it('says what is wrong with something that cannot be a session', () => {
    expect(sessionFromToken('hello')).toEqual({ problem: expect.stringContaining('not a JWT') });
    expect(sessionFromToken('a.b.c')).toEqual({ problem: expect.stringContaining('not readable') });
    expect(sessionFromToken(jwt({ scope: 'x' }))).toEqual({ problem: expect.stringContaining('no user') });
    expect(sessionFromToken(jwt({ sub: 'u', exp: 1000 }), 2_000_000)).toEqual({ problem: expect.stringContaining('expired') });
  });
});
