import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchConfig } from './config.js';

/**
 * The PostgreSQL ceiling of inventory's per-order work: pgbench replaying the
 * reserve transaction of apps/inventory/src/adapters/inventory-postgres-repository.ts
 * with random order ids over the bench's products, two lines an order (the mix
 * averages two), with inventory's pool size as clients. Inventory has done it
 * two ways: as statements (reservation insert ON CONFLICT DO NOTHING, the
 * locked conditional stock update, the outbox insert, pg_notify; one round
 * trip each), and since migration 003 as one call of reserve_order(), which
 * runs the same writes server-side. The script follows whichever the database
 * has. Run it with the services stopped: the outbox rows it writes must not
 * reach Kafka.
 */
export type ReserveVariant = 'reserve_order()' | 'statements';

export function reserveScript(products: number, variant: ReserveVariant): string {
  const uuid = (v: string) => `('00000000-0000-4000-8000-' || lpad(${v}::text, 12, '0'))::uuid`;
  const two = products >= 2;
  const ids = two ? `ARRAY[${uuid(':p1')}, ${uuid(':p2')}]` : `ARRAY[${uuid(':p1')}]`;
  const qty = two ? 'ARRAY[1, 1]::bigint[]' : 'ARRAY[1]::bigint[]';
  // Each line names its product as workload.ts made it: reserve_order (since 004) checks sku, name and price.
  const sku = (v: string) => `'BENCH-' || lpad(${v}::text, 5, '0')`;
  const line = (v: string) =>
    `'{"productId": "' || ${uuid(v)} || '", "sku": "' || ${sku(v)} || '", "name": "Bench product ' || ${sku(v)} || '", "unitPrice": {"currencyCode": "USD", "units": ' || (5 + ${v} % 95) || ', "nanos": 990000000}, "quantity": 1}'`;
  const lines = two ? `'[' || ${line(':p1')} || ', ' || ${line(':p2')} || ']'` : `'[' || ${line(':p1')} || ']'`;
  const header = `\\set id random(1, 2000000000)
\\set p1 random(1, ${products})
\\set p2 (:p1 % ${products}) + 1
`;
  const orderId = `'pgbench-' || :client_id || '-' || :id`;
  const payload = `decode(repeat('0a', 320), 'hex')`;
  const headers = `'{"x-correlation-id": "pgbench", "event-type": "OrderPlaced"}'`;
  if (variant === 'reserve_order()') {
    return `${header}SELECT * FROM reserve_order(${orderId}, md5(:id::text), 'user_1', 'user_1@example.com', '',
  (${lines})::jsonb, 'USD', 21, 980000000, now(), now() + interval '5 minutes',
  ${ids}, ${qty}, 'bench.order-events', ${payload}, ${headers}::jsonb);
`;
  }
  return `${header}BEGIN;
INSERT INTO reservations (order_id, fingerprint, status, customer_id, customer_email, payment_token, lines,
    currency_code, total_units, total_nanos, created_at, updated_at, expires_at)
  VALUES (${orderId}, md5(:id::text), 'RESERVED', 'user_1', 'user_1@example.com', '',
    (${lines})::jsonb, 'USD', 21, 980000000, now(), now(), now() + interval '5 minutes')
  ON CONFLICT (order_id) DO NOTHING;
WITH wanted AS (SELECT * FROM unnest(${ids}, ${qty}) AS w(id, qty)),
     locked AS (SELECT product_id FROM products WHERE product_id = ANY(${ids}) ORDER BY product_id FOR UPDATE)
UPDATE products p SET available = p.available - w.qty, reserved = p.reserved + w.qty, updated_at = now()
  FROM wanted w
 WHERE p.product_id = w.id AND p.available >= w.qty AND p.product_id IN (SELECT product_id FROM locked)
RETURNING p.product_id;
INSERT INTO outbox (topic, key, payload, headers)
  SELECT * FROM unnest(ARRAY['bench.order-events']::text[], ARRAY[${orderId}]::text[],
    ARRAY[${payload}]::bytea[], ARRAY[${headers}]::jsonb[]);
SELECT pg_notify('outbox', '');
END;
`;
}

export function findPgbench(cfg: BenchConfig): string | undefined {
  if (cfg.pgbench) return cfg.pgbench;
  for (const candidate of ['/usr/lib/postgresql/15/bin/pgbench', '/usr/bin/pgbench', '/usr/local/bin/pgbench']) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface PgbenchResult {
  tps: number;
  variant: ReserveVariant;
  latency_avg_ms?: number;
  transactions?: number;
  failed?: number;
  clients: number;
  threads: number;
  seconds: number;
  products: number;
}

export async function runPgbench(
  cfg: BenchConfig,
  database: string,
  { products, seconds, clients, threads = 2, variant }: { products: number; seconds: number; clients: number; threads?: number; variant: ReserveVariant },
): Promise<PgbenchResult> {
  const binary = findPgbench(cfg);
  if (!binary) throw new Error('pgbench not found (apt-get install postgresql-client-15, or set PGBENCH)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-pgbench-'));
  const script = path.join(dir, 'reserve.sql');
  writeFileSync(script, reserveScript(products, variant));
  try {
    const args = ['-h', cfg.postgresHost, '-p', String(cfg.postgresPort), '-U', cfg.postgresUser, '-n', '-M', 'extended',
      '-c', String(clients), '-j', String(threads), '-T', String(seconds), '-f', script, database];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(binary, args, { env: { ...process.env, PGPASSWORD: cfg.postgresPassword }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pgbench exited with ${code}:\n${out.slice(-2000)}`))));
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output);
    if (!tps) throw new Error(`no tps in pgbench's output:\n${output.slice(-2000)}`);
    const num = (re: RegExp) => {
      const m = re.exec(output);
      return m ? Number(m[1]) : undefined;
    };
    return {
      tps: Number(tps[1]),
      variant,
      latency_avg_ms: num(/latency average = ([\d.]+) ms/),
      transactions: num(/number of transactions actually processed: (\d+)/),
      failed: num(/number of failed transactions: (\d+)/),
      clients,
      threads,
      seconds,
      products,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
