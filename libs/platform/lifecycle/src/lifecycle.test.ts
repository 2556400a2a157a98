import { describe, expect, it } from 'vitest';
import { Lifecycle } from './index.js';

const silent = { info: () => {}, error: () => {} };

describe('Lifecycle', () => {
  it('closes newest first, once, even when a closer fails', async () => {
    const closed: string[] = [];
    const life = new Lifecycle(silent, 1000);
    life.defer('pool', () => void closed.push('pool'));
    life.defer('broken', () => {
      throw new Error('boom');
    });
    life.defer('server', async () => void closed.push('server'));
    await Promise.all([life.shutdown('test'), life.shutdown('again')]);
    expect(closed).toEqual(['server', 'pool']);
  });
});
