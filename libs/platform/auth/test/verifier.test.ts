import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isAppError } from '@order-system/errors';
import { base64url, exportJWK, generateKeyPair, importJWK, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_ADMIN, ensureDevKeys, ORDERS_ADMIN, signDevToken, TokenVerifier, type DevKeys } from '../src/index.js';

const issuer = 'order-system-dev';
const audience = 'order-system';
let keys: DevKeys;
let verifier: TokenVerifier;

beforeAll(async () => {
  keys = await ensureDevKeys(mkdtempSync(path.join(tmpdir(), 'auth-test-')));
  verifier = new TokenVerifier({ jwksFile: keys.jwksFile, issuer, audience, clockToleranceSec: 30 });
});

const sign = (claims: Parameters<typeof signDevToken>[1]) => signDevToken(keys.privateKeyFile, claims);

/** The verifier's refusal of a header, as the caller would read it. */
async function refusal(authorization: string | undefined, by = verifier) {
  const err = await by.verify(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(err, 'unauthenticated'), `expected UNAUTHENTICATED, got ${String(err)}`).toBe(true);
  return (err as Error).message;
}

/** A token with exactly these claims, signed with the JWKS's key. */
async function signed(claims: Record<string, unknown>) {
  const jwk = JSON.parse(readFileSync(keys.privateKeyFile, 'utf8')) as JWK;
  return new SignJWT({ iss: issuer, aud: audience, ...claims }).setProtectedHeader({ alg: 'ES256', kid: jwk.kid! }).sign(await importJWK(jwk, 'ES256'));
}

/** A token whose header and payload are the given ones, with the signature of a real token. */
async function forged(header: object, payload: object) {
  const [, , signature] = (await sign({ sub: 'user_1' })).split('.');
  const part = (o: object) => base64url.encode(JSON.stringify(o));
  return `${part(header)}.${part(payload)}.${signature}`;
}

describe('TokenVerifier', () => {
  it('accepts a token of the JWKS, naming its customer and scopes', async () => {
    const caller = await verifier.verify(`Bearer ${await sign({ sub: 'user_1', scopes: [ORDERS_ADMIN, CATALOG_ADMIN] })}`);
    expect(caller.customerId).toBe('user_1');
    expect([...caller.scopes]).toEqual([ORDERS_ADMIN, CATALOG_ADMIN]);
    expect((await verifier.verify(`bearer ${await sign({ sub: 'user_2' })}`)).scopes.size).toBe(0);
  });

  it('asks for a bearer token when there is none, or another scheme', async () => {
    expect(await refusal(undefined)).toBe('a bearer token is required');
    expect(await refusal('')).toBe('a bearer token is required');
    expect(await refusal('Basic dXNlcjpwYXNz')).toBe('the Authorization header is not "Bearer <token>"');
    expect(await refusal('Bearer')).toBe('the Authorization header is not "Bearer <token>"');
  });

  it('refuses garbage', async () => {
    for (const garbage of ['x', 'a.b.c', '....', 'eyJhbGciOiJFUzI1NiJ9', '%00%ff', 'é'.repeat(10)]) {
      expect(await refusal(`Bearer ${garbage}`)).toMatch(/^the token is not valid|is not "Bearer <token>"/);
    }
  });

  it('refuses alg "none", however its payload is dressed', async () => {
    const unsigned = new UnsecuredJWT({ scope: ORDERS_ADMIN }).setSubject('user_1').setIssuer(issuer).setAudience(audience).setExpirationTime('1h').encode();
    expect(await refusal(`Bearer ${unsigned}`)).toBe('the token is not valid: its algorithm is not accepted');
    expect(await refusal(`Bearer ${unsigned}c2ln`)).toMatch(/^the token is not valid/);
  });

  it('refuses an HS256 token whose secret is the public key, the classic key-confusion forgery', async () => {
    const jwks = JSON.parse(readFileSync(keys.jwksFile, 'utf8')) as { keys: JWK[] };
    const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const token = await new SignJWT({ scope: ORDERS_ADMIN })
      .setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0]!.kid! })
      .setSubject('user_1').setIssuer(issuer).setAudience(audience).setExpirationTime('1h')
      .sign(secret);
    expect(await refusal(`Bearer ${token}`)).toBe('the token is not valid: its algorithm is not accepted');
  });

  it('refuses altered claims: the signature no longer verifies', async () => {
    const token = await sign({ sub: 'user_1' });
    const [header, payload] = token.split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!))) as Record<string, unknown>;
    const altered = { ...claims, sub: 'user_2', scope: ORDERS_ADMIN };
    const tampered = `${header}.${base64url.encode(JSON.stringify(altered))}.${token.split('.')[2]}`;
    expect(await refusal(`Bearer ${tampered}`)).toBe('the token is not valid: its signature does not verify');
    expect(await refusal(`Bearer ${await forged({ alg: 'ES256', kid: 'nope' }, altered)}`)).toBe('the token is not valid: its signature does not verify');
  });

  it('refuses a token signed by a key outside the JWKS', async () => {
    const foreign = await ensureDevKeys(mkdtempSync(path.join(tmpdir(), 'auth-foreign-')));
    const token = await signDevToken(foreign.privateKeyFile, { sub: 'user_1' });
    expect(await refusal(`Bearer ${token}`)).toBe('the token is not valid: its signature does not verify');
  });

  it('refuses an expired token, a token not valid yet, and one without exp, allowing the clock skew', async () => {
    expect(await refusal(`Bearer ${await sign({ sub: 'user_1', ttlSec: -31 })}`)).toBe('the token is not valid: it has expired');
    await verifier.verify(`Bearer ${await sign({ sub: 'user_1', ttlSec: -5 })}`); // within 30 s of skew
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(`Bearer ${await signed({ sub: 'user_1', exp: now + 3600, nbf: now + 600 })}`)).toBe('the token is not valid: its nbf claim is not accepted');
    await verifier.verify(`Bearer ${await signed({ sub: 'user_1', exp: now + 3600, nbf: now + 20 })}`); // within the skew
    expect(await refusal(`Bearer ${await signed({ sub: 'user_1' })}`)).toBe('the token is not valid: its exp claim is not accepted');
  });

  it('refuses a wrong issuer or audience', async () => {
    expect(await refusal(`Bearer ${await sign({ sub: 'user_1', issuer: 'https://evil.example' })}`)).toBe('the token is not valid: its iss claim is not accepted');
    expect(await refusal(`Bearer ${await sign({ sub: 'user_1', audience: 'another-api' })}`)).toBe('the token is not valid: its aud claim is not accepted');
  });

  it('keeps a verified token until it expires, and only then', async () => {
    const short = new TokenVerifier({ jwksFile: keys.jwksFile, issuer, audience, clockToleranceSec: 0 });
    const token = `Bearer ${await sign({ sub: 'user_1', ttlSec: 2 })}`;
    expect((await short.verify(token)).customerId).toBe('user_1');
    expect((await short.verify(token)).customerId).toBe('user_1');
    await new Promise((r) => setTimeout(r, 2100));
    expect(await refusal(token, short)).toBe('the token is not valid: it has expired');
  });

  it('takes its keys from a JWKS endpoint, as from an identity provider', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'EdDSA' }] };
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const remote = new TokenVerifier({ jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, issuer, audience });
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'idp-1' }).setSubject('user_9').setIssuer(issuer).setAudience(audience).setExpirationTime('5m').sign(privateKey);
      expect((await remote.verify(`Bearer ${token}`)).customerId).toBe('user_9');
      expect(await refusal(`Bearer ${await sign({ sub: 'user_1' })}`, remote)).toBe('the token is not valid: its signature does not verify');
    } finally {
      server.close();
    }
  });

  it('answers UNAVAILABLE, not UNAUTHENTICATED, when the JWKS endpoint cannot be reached', async () => {
    const remote = new TokenVerifier({ jwksUrl: 'http://127.0.0.1:1/jwks', issuer, audience });
    const err = await remote.verify(`Bearer ${await sign({ sub: 'user_1' })}`).catch((e: unknown) => e);
    expect(isAppError(err, 'unavailable')).toBe(true);
  });
});
