import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ORDERS_ADMIN, TokenVerifier } from '@order-system/auth';
import { ConfigError } from '@order-system/config';
import { descriptorRegistry } from '@order-system/grpc';
import { createLogger, memoryDestination } from '@order-system/logger';
import { descriptorSetBase64 } from '@order-system/proto';
import { testAuth } from '@order-system/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { Deps } from '../src/app/deps.js';
import { loadConfig } from '../src/config.js';
import { buildService } from '../src/service.js';

/** The console's files and the local stack's dev signer, on the gateway's HTTP listener as buildService wires it. */
const closers: (() => void)[] = [];
afterAll(() => closers.forEach((close) => close()));

async function gateway(env: Record<string, string>) {
  const auth = await testAuth();
  const config = loadConfig({ AUTH_JWKS_FILE: auth.jwksFile, ...env });
  const verifier = new TokenVerifier({ jwksFile: auth.jwksFile, issuer: config.authIssuer, audience: config.authAudience });
  const log = createLogger({ service: 'gateway', level: 'silent', destination: memoryDestination() });
  const { httpServer } = buildService(config, { deps: {} as Deps, registry: descriptorRegistry(descriptorSetBase64), verifier, log });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  closers.push(() => httpServer.close());
  return { base: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, auth, verifier };
}

const signIn = (base: string, body: unknown) =>
  fetch(`${base}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the dev signer', () => {
  it('signs a token the gateway accepts, for a customer or an admin, when the local stack turns it on', async () => {
    // A second gateway with the first one's keys, and its dev signer on.
    const { auth, verifier } = await gateway({});
    const on = await gateway({ AUTH_JWKS_FILE: auth.jwksFile, AUTH_DEV_SIGNER_KEY_FILE: auth.privateKeyFile });
    const customer = await signIn(on.base, { sub: 'user_7' });
    expect(customer.status).toBe(200);
    const { token } = (await customer.json()) as { token: string };
    expect(await verifier.verify(`Bearer ${token}`)).toMatchObject({ customerId: 'user_7' });
    const admin = (await (await signIn(on.base, { sub: 'ops', admin: true })).json()) as { token: string };
    expect((await verifier.verify(`Bearer ${admin.token}`)).scopes.has(ORDERS_ADMIN)).toBe(true);
    expect((await signIn(on.base, { sub: '../../etc' })).status).toBe(400);
    expect((await signIn(on.base, 'not an object')).status).toBe(400);
  });

  it('is off unless turned on', async () => {
    const { base } = await gateway({});
    const res = await signIn(base, { sub: 'user_7' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'not_found', message: 'the dev signer is off' });
  });

  it('is refused in production, naming the setting', async () => {
    const { auth } = await gateway({});
    const tls = { TLS_CA_FILE: '/tls/ca.crt', TLS_CERT_FILE: '/tls/gateway.crt', TLS_KEY_FILE: '/tls/gateway.key' };
    const production = { NODE_ENV: 'production', AUTH_JWKS_FILE: auth.jwksFile, AUTH_ISSUER: 'https://id.example', AUTH_AUDIENCE: 'shop', ...tls };
    expect(() => loadConfig(production)).not.toThrow();
    expect(() => loadConfig({ ...production, AUTH_DEV_SIGNER_KEY_FILE: auth.privateKeyFile })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, AUTH_DEV_SIGNER_KEY_FILE: auth.privateKeyFile })).toThrow(/AUTH_DEV_SIGNER_KEY_FILE is for the local stack only/);
  });
});

describe('the console', () => {
  it('is served under /console/ from its directory, same-origin, and not at all without one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'console-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Order console</title>');
    const served = await gateway({ CONSOLE_DIR: dir });
    const page = await fetch(`${served.base}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Order console');
    expect((await fetch(`${served.base}/console`, { redirect: 'manual' })).headers.get('location')).toBe('/console/');
    expect((await fetch(`${served.base}/console/../package.json`)).status).toBe(404);
    expect((await fetch(`${served.base}/console/missing.js`)).status).toBe(404);
    const none = await gateway({});
    expect((await fetch(`${none.base}/console/`)).status).toBe(404);
  });
});
