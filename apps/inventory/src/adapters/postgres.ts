import { unavailable } from '@order-system/errors';
import pg from 'pg';
import type { Logger } from 'pino';
import m001 from '../../migrations/001_inventory.sql';
import m002 from '../../migrations/002_default_catalog.sql';
import m003 from '../../migrations/003_reserve_function.sql';
import m004 from '../../migrations/004_reserve_checks_prices.sql';
import m005 from '../../migrations/005_reserve_orders.sql';
import m006 from '../../migrations/006_apply_settlements.sql';
import m007 from '../../migrations/007_clear_payment_tokens.sql';

/** Numbered migrations, applied in order, each once. */
const migrations: [version: string, sql: string][] = [
  ['001_inventory', m001],
  ['002_default_catalog', m002],
  ['003_reserve_function', m003],
  ['004_reserve_checks_prices', m004],
  ['005_reserve_orders', m005],
  ['006_apply_settlements', m006],
  ['007_clear_payment_tokens', m007],
];

export interface PostgresOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  poolSize: number;
}

export function createPool(opts: PostgresOptions, log: Logger): pg.Pool {
  const pool = new pg.Pool({
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    database: opts.database,
    max: opts.poolSize,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
    application_name: 'inventory',
    // Reservations go one group at a time (group commit): one statement stuck on
    // a lock or a dead connection would hold up every order. Ours take milliseconds.
    statement_timeout: 10_000,
    query_timeout: 15_000,
    keepAlive: true,
  });
  // An idle client losing its server must not crash the process.
  pool.on('error', (err) => log.warn({ err }, 'idle postgres client failed'));
  return pool;
}

/**
 * Applies pending migrations under an advisory lock, so racing instances
 * apply each once. The pool connects as the migration role, which owns the
 * schema; the runtime role, if named, is then granted what inventory does at
 * run time and nothing more: DML on the tables, the sequences, EXECUTE on the
 * functions. No DDL.
 */
export async function migrate(pool: pg.Pool, log: Logger, { runtimeRole }: { runtimeRole?: string } = {}): Promise<void> {
  const client = await pool.connect();
  client.on('error', (err) => log.warn({ err }, 'migration connection failed'));
  try {
    await client.query('SELECT pg_advisory_lock(7411)');
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const [version, sql] of migrations) {
      if (applied.has(version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
        log.info({ version }, 'migration applied');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
    if (runtimeRole) {
      const role = client.escapeIdentifier(runtimeRole);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${role};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${role}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(7411)').catch(() => undefined);
    client.release();
  }
}

/** Fails, naming what to do, unless every migration has been applied (a runtime role cannot apply them). */
export async function requireMigrated(pool: pg.Pool): Promise<void> {
  const { rows } = await pool
    .query<{ version: string }>('SELECT version FROM schema_migrations')
    .catch((err: { code?: string }) => (err.code === '42P01' ? { rows: [] } : asUnavailable(err)));
  const applied = new Set(rows.map((r) => r.version));
  const pending = migrations.map(([version]) => version).filter((v) => !applied.has(v));
  if (pending.length > 0) {
    throw new Error(`the database lacks migrations ${pending.join(', ')}: run inventory with POSTGRES_MIGRATION_USER set, or its migrate command`);
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03']);

/** True when the error says PostgreSQL cannot be reached, rather than that a statement failed. */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e.code !== undefined && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08'))) ||
    // (and statement_timeout, query_timeout: a statement that cannot finish is the database's trouble, not the request's)
    e.code === '57014' ||
    /timeout exceeded when trying to connect|Connection terminated|connection timeout|Query read timeout/i.test(e.message ?? '')
  );
}

/** Rethrows connection failures as UNAVAILABLE, other errors as they are. */
export function asUnavailable(err: unknown): never {
  if (isConnectionError(err)) throw unavailable('PostgreSQL is unavailable', err);
  throw err;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock

/** Runs fn in a transaction, retrying deadlocks and serialization failures. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect().catch(asUnavailable);
    let broken = false;
    // A checked-out client whose connection drops emits 'error'; unheard, it would crash the process.
    const onError = () => (broken = true);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = isConnectionError(err);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      if (RETRYABLE.has((err as { code?: string }).code ?? '') && attempt < 5) continue;
      return asUnavailable(err);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
