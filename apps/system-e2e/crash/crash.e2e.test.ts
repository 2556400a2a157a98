import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isAppError } from '@order-system/errors';
import { decodeEvent, topicNames } from '@order-system/kafka';
import { events, orders } from '@order-system/proto';
import { eventually } from '@order-system/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from '../test/system.js';

/**
 * Crash test: under a steady stream of orders, SIGKILL each service in turn,
 * then the Kafka broker and the MongoDB-protocol server, restart each, and
 * check once the system is quiet that nothing was lost, doubled, oversold or
 * left stuck. Runs alone (it kills shared infrastructure): `nx run system-e2e:crash`.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);
let sys: System;

beforeAll(async () => {
  sys = await startSystem({ env: { PAYMENT_FAILURE_RATE: '0.2', RESERVATION_TTL_MS: '15000' } });
}, 120_000);
afterAll(async () => {
  await run('bash', [path.join(root, 'tools/infra/up.sh')]).catch(() => undefined);
  await sys?.stop();
});

const random = (min: number, max: number) => min + Math.random() * (max - min);

/** SIGKILLs a piece of shared infrastructure by its pid file, then brings it back with tools/infra. */
async function killInfra(component: 'kafka' | 'ferretdb') {
  const { stdout } = await run('bash', ['-c', `source ${root}/tools/infra/lib.sh >/dev/null; echo "$RUN_DIR"`]);
  const pid = Number(await readFile(path.join(stdout.trim(), `${component}.pid`), 'utf8'));
  process.kill(pid, 'SIGKILL');
  await sleep(random(1000, 3000));
  await run('bash', [path.join(root, 'tools/infra/up.sh')], { timeout: 180_000 });
}

describe('crashes under load', () => {
  it('lose nothing and double nothing', async () => {
    const products = await Promise.all(
      [['CRASH-BIG', 100_000], ['CRASH-SMALL', 40]].map(async ([sku, stock]) =>
        (await sys.catalogAdmin.upsertProduct({ productId: '', sku: `${sku}-${randomUUID().slice(0, 6)}`, name: String(sku), price: { currencyCode: 'USD', units: 7, nanos: 0 }, stock: Number(stock) })).product!,
      ),
    );
    const accepted = new Set<string>();
    const rejected = new Map<string, string>();
    let retries = 0;
    let sending = true;

    /** One client: places orders one after another, retrying each with its order_id until a definite answer. */
    const client = async (c: number) => {
      for (let i = 0; sending; i++) {
        const req: orders.v1.CreateOrderRequest = {
          orderId: `ORD-CRASH-${c}-${i}-${randomUUID().slice(0, 6)}`,
          customer: { userId: `crash-${c}`, email: `crash-${c}@example.com` },
          items: [{ productId: products[i % 5 === 0 ? 1 : 0]!.productId, sku: '', quantity: 1 + (i % 3), expectedUnitPrice: undefined }],
          paymentToken: '',
        };
        for (;;) {
          try {
            await sys.orders.createOrder(req, { timeoutMs: 5000 });
            accepted.add(req.orderId);
            break;
          } catch (err) {
            if (isAppError(err, 'failed_precondition')) {
              rejected.set(req.orderId, (err as Error).message);
              break;
            }
            if (!isAppError(err, 'unavailable')) throw err;
            retries++;
            await sleep(250); // gateway or inventory down: the same order again
          }
        }
        await sleep(100);
      }
    };
    const began = Date.now();
    const clients = Promise.all(Array.from({ length: 4 }, (_, c) => client(c)));

    const victims: string[] = [];
    for (const name of ['inventory', 'payment', 'order-store', 'gateway']) {
      await sleep(random(2000, 4000));
      await sys.stopApp(name, 'SIGKILL');
      victims.push(name);
      await sleep(random(500, 2500));
      await sys.start(name);
    }
    for (const component of ['kafka', 'ferretdb'] as const) {
      await sleep(random(2000, 4000));
      await killInfra(component);
      victims.push(component);
    }
    await sleep(3000);
    sending = false;
    await clients;
    const sentFor = Date.now() - began;

    // Quiet: every accepted order in a terminal state (payment, or expiry after RESERVATION_TTL_MS).
    const quietFrom = Date.now();
    await eventually(async () => {
      const { rows } = await sys.pg.query("SELECT count(*)::int AS n FROM reservations WHERE status = 'RESERVED'");
      return rows[0].n === 0;
    }, { timeoutMs: 120_000, intervalMs: 500, what: 'every order to end' });
    const report = await sys.quietInvariants(120_000);
    const convergedMs = Date.now() - quietFrom;

    expect(report.drift).toEqual([]);
    // Every accepted order exists once, in one terminal state, in PostgreSQL and MongoDB alike.
    const { rows } = await sys.pg.query<{ order_id: string; status: string }>('SELECT order_id, status FROM reservations');
    const stored = new Map(rows.map((r) => [r.order_id, r.status]));
    expect([...accepted].filter((id) => !stored.has(id))).toEqual([]);
    expect(rows.filter((r) => !accepted.has(r.order_id))).toEqual([]);
    expect([...rejected.keys()].filter((id) => stored.has(id))).toEqual([]);
    expect(report.orders.pending).toBe(0);
    expect(report.orders.stored).toBe(accepted.size);

    // At most one successful payment per order, and only confirmed orders keep their money.
    const payments = new Map<string, Set<string>>();
    const refunds = new Set<string>();
    await sys.kafka.drain(topicNames(sys.topicPrefix).paymentEvents, `crash-read-${randomUUID()}`, async (m) => {
      const e = decodeEvent(events.v1.PaymentEvent, m);
      if (e.paymentRefunded) refunds.add(e.orderId);
      if (e.paymentProcessed?.outcome !== events.v1.PaymentOutcome.PAYMENT_OUTCOME_APPROVED) return;
      payments.set(e.orderId, (payments.get(e.orderId) ?? new Set()).add(e.paymentProcessed.paymentId));
    }, { temporary: true });
    for (const [orderId, ids] of payments) {
      expect({ orderId, payments: ids.size }).toEqual({ orderId, payments: 1 });
      const status = stored.get(orderId);
      if (status !== 'COMMITTED') expect({ orderId, status, refunded: refunds.has(orderId) }).toEqual({ orderId, status: 'RELEASED', refunded: true });
    }
    for (const [orderId, status] of stored) if (status === 'COMMITTED') expect(payments.has(orderId)).toBe(true);

    const figures = {
      victims,
      sentForMs: sentFor,
      ordersAccepted: accepted.size,
      rejectedForStock: rejected.size,
      clientRetries: retries,
      confirmed: report.orders.confirmed,
      failed: report.orders.failed,
      refunded: refunds.size,
      convergedMs,
      lost: 0,
    };
    console.log(`crash test: ${JSON.stringify(figures)}`);
    await writeFile(path.join(sys.logDir, 'crash-report.json'), JSON.stringify(figures, null, 2));
    expect(accepted.size).toBeGreaterThan(50);
  }, 600_000);
});
