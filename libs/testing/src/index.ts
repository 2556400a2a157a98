import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDevKeys, signDevToken } from '@order-system/auth';
import { ConfigError } from '@order-system/config';
import { AppError } from '@order-system/errors';
import { createLogger, type Logger } from '@order-system/logger';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { testConfig, type TestConfig } from './config.js';

export { testConfig, type TestConfig };

const handedOut = new Set<number>();

/**
 * A TCP port free on loopback right now, for a server a test (or the bench)
 * starts later. It is drawn from below Linux's ephemeral range (32768-60999):
 * a port from that range, released until the server binds it, can meanwhile be
 * taken as the local end of any outgoing connection.
 */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    const server = net.createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise((resolve) => server.close(resolve));
    handedOut.add(port);
    return port;
  }
}

/** A short random id that names what one test run creates. */
export const runId = () => randomBytes(4).toString('hex');

export function testLogger(cfg: TestConfig = testConfig()): Logger {
  return createLogger({ service: 'test', level: cfg.logLevel });
}

/** A fresh PostgreSQL database; drop() removes it. */
export async function createTestDatabase(cfg: TestConfig = testConfig()) {
  const name = `test_${runId()}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({
      host: cfg.postgresHost,
      port: cfg.postgresPort,
      user: cfg.postgresUser,
      password: cfg.postgresPassword,
      database: 'postgres',
    });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  // Owned by the migration role, as the real database is: inventory's migrations run as it.
  await admin(`CREATE DATABASE ${name} OWNER ${cfg.migrationUser}`);
  return { name, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A fresh MongoDB database name; drop() removes it. */
export function createTestMongoDb(cfg: TestConfig = testConfig()) {
  const name = `test_${runId()}`;
  return {
    name,
    async drop() {
      const client = new MongoClient(cfg.mongodbUri, { serverSelectionTimeoutMS: 3000 });
      await client.connect();
      await client.db(name).dropDatabase();
      await client.close();
    },
  };
}

/** A topic prefix for one run (KAFKA_TOPIC_PREFIX), so runs sharing a broker never see each other's events. */
export const testTopicPrefix = () => `test-${runId()}.`;

/** Polls until check returns a value other than undefined/null/false, or fails after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}

/**
 * A TCP proxy in front of a server: cut() drops every connection and refuses
 * new ones, as if the server went down; restore() lets traffic through again.
 */
export async function tcpProxy(targetHost: string, targetPort: number) {
  const net = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as import('node:net').AddressInfo).port,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * A signing key of a test's own (a JWKS file for the gateway's
 * AUTH_JWKS_FILE) and tokens signed with it: `token(sub)` for a customer,
 * `token(sub, [ORDERS_ADMIN])` for an admin. Tokens are cached per sub and scopes.
 */
export async function testAuth() {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const keys = await ensureDevKeys(await mkdtemp(path.join(tmpdir(), 'auth-')));
  const tokens = new Map<string, Promise<string>>();
  const token = (sub: string, scopes: string[] = []) => {
    const key = `${sub} ${scopes.join(' ')}`;
    if (!tokens.has(key)) tokens.set(key, signDevToken(keys.privateKeyFile, { sub, scopes }));
    return tokens.get(key)!;
  };
  return {
    jwksFile: keys.jwksFile,
    privateKeyFile: keys.privateKeyFile,
    token,
    /** An Authorization header value. */
    bearer: async (sub: string, scopes: string[] = []) => `Bearer ${await token(sub, scopes)}`,
  };
}

export type TestAuth = Awaited<ReturnType<typeof testAuth>>;

/** What fn throws; fails the test if it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** The AppError a call fails with; fails the test if it succeeds or fails otherwise. */
export async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected the call to fail with an AppError, got ${String(err)}`);
  return err;
}

/** Asserts that a service's loadConfig refuses production without each named variable, naming every one. */
export function expectRefusedInProduction(loadConfig: (env: Record<string, string>) => unknown, names: string[]): void {
  let problems = '';
  try {
    loadConfig({ NODE_ENV: 'production' });
  } catch (err) {
    problems = err instanceof ConfigError ? err.problems.join('\n') : String(err);
  }
  const unnamed = names.filter((name) => !problems.includes(`${name} is required in production`));
  if (unnamed.length > 0) throw new Error(`production was not refused for ${unnamed.join(', ')}; problems: ${problems || 'none'}`);
}
