import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, orderLogger } from './index.js';

describe('createLogger', () => {
  it('writes JSON lines with service, order id and redacted e-mail', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ service: 'test', level: 'info', destination });
    orderLogger(log, 'ORD-1', 'corr-1').info({ customer: { email: 'a@b.c', userId: 'u1' } }, 'placed');
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(entry).toMatchObject({
      level: 'info',
      service: 'test',
      order_id: 'ORD-1',
      correlation_id: 'corr-1',
      msg: 'placed',
      customer: { email: '[redacted]', userId: 'u1' },
    });
  });
});
