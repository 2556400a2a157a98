import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger, currentCorrelationId, memoryDestination, orderLogger, withCorrelation } from './index.js';

function capture() {
  const destination = memoryDestination();
  const log = createLogger({ service: 'test', level: 'info', destination });
  return { log, entries: destination.entries, lines: destination.lines };
}

describe('createLogger', () => {
  it('writes JSON lines with service, order id and redacted e-mail', () => {
    const { log, entries } = capture();
    orderLogger(log, 'ORD-1', 'corr-1').info({ customer: { email: 'a@b.c', userId: 'u1' } }, 'placed');
    expect(entries()[0]).toMatchObject({
      level: 'info',
      service: 'test',
      order_id: 'ORD-1',
      correlation_id: 'corr-1',
      msg: 'placed',
      customer: { email: '[redacted]', userId: 'u1' },
    });
  });

  it('never writes a token, a payment token or a password, at any depth and in any case, and leaves the logged object alone', () => {
    const { log, lines } = capture();
    const secrets = ['Bearer eyJ.secret.sig', 'tok_visa_secret', 'hunter2'];
    const request = {
      headers: { Authorization: secrets[0], 'x-correlation-id': 'c-1' },
      order: { items: [{ sku: 'A' }], paymentToken: secrets[1], nested: { deeper: { PAYMENT_TOKEN: secrets[1], payment_token: secrets[1] } } },
      batch: [{ authorization: secrets[0] }, { Password: secrets[2] }],
    };
    log.info({ request }, 'incoming');
    log.child({ authorization: secrets[0] }).warn({ 'Payment-Token': secrets[1] }, 'child');
    for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);
    expect(lines[0]).toContain('"x-correlation-id":"c-1"');
    expect(lines[0]).toContain('"sku":"A"');
    expect(request.headers.Authorization).toBe(secrets[0]); // the caller's object is not changed
  });
});

describe('withCorrelation', () => {
  it('puts the correlation id on every line logged inside, across awaits and timers, and on none outside', async () => {
    const { log, entries } = capture();
    const child = log.child({ component: 'worker' });
    log.info('before');
    await withCorrelation('corr-A', async () => {
      log.info('first');
      await sleep(1);
      child.info('after an await');
      await new Promise<void>((resolve) => setTimeout(() => resolve(child.info('in a timer')), 1));
    });
    log.info('after');
    expect(entries().map((e) => [e.msg, e.correlation_id])).toEqual([
      ['before', undefined],
      ['first', 'corr-A'],
      ['after an await', 'corr-A'],
      ['in a timer', 'corr-A'],
      ['after', undefined],
    ]);
  });

  it('keeps concurrent requests apart', async () => {
    const { log, entries } = capture();
    const handle = (id: string, delayMs: number) =>
      withCorrelation(id, async () => {
        await sleep(delayMs);
        log.info({ id }, 'done');
        return currentCorrelationId();
      });
    expect(await Promise.all([handle('slow', 20), handle('fast', 1)])).toEqual(['slow', 'fast']);
    for (const e of entries()) expect(e.correlation_id).toBe(e.id);
    expect(currentCorrelationId()).toBeUndefined();
  });

  it('writes correlation_id once: a child logger that binds its own wins over the context', () => {
    const { log, lines } = capture();
    withCorrelation('ctx-id', () => orderLogger(log, 'ORD-2', 'bound-id').info('settled'));
    expect(lines[0]!.match(/"correlation_id"/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ order_id: 'ORD-2', correlation_id: 'bound-id' });
  });
});
