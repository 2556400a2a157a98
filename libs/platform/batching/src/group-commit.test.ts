import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

/** A GroupCommit over numbers whose calls are recorded and held until released. */
function recorded({ failMany, shared = false, maxInFlight }: { failMany?: Error; shared?: boolean; maxInFlight?: number } = {}) {
  const sent: string[] = [];
  const held: (() => void)[] = [];
  const hold = () => new Promise<void>((resolve) => held.push(resolve));
  const batcher = new GroupCommit<number, string>({
    async many(items) {
      sent.push(`many ${items.join(',')}`);
      await hold();
      if (failMany) throw failMany;
      return items.map((n) => `ok ${n}`);
    },
    async one(n) {
      sent.push(`one ${n}`);
      await hold();
      if (n < 0) throw new Error(`bad ${n}`);
      return `ok ${n}`;
    },
    shared: () => shared,
    maxBatch: 3,
    maxInFlight,
  });
  /** Lets the call in flight return. */
  const release = async () => {
    await new Promise((r) => setImmediate(r));
    held.shift()?.();
  };
  return { batcher, sent, release };
}

describe('GroupCommit', () => {
  it('sends a lone call at once, and the calls made meanwhile together, a batch at most maxBatch', async () => {
    const { batcher, sent, release } = recorded();
    const first = batcher.run(1);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['one 1']);
    const rest = [2, 3, 4, 5].map((n) => batcher.run(n));
    for (let i = 0; i < 3; i++) await release();
    expect(await Promise.all([first, ...rest])).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
    expect(sent).toEqual(['one 1', 'many 2,3,4', 'one 5']);
  });

  it('sends the calls made in one synchronous run as one batch', async () => {
    const { batcher, sent, release } = recorded();
    const calls = [1, 2].map((n) => batcher.run(n));
    await release();
    expect(await Promise.all(calls)).toEqual(['ok 1', 'ok 2']);
    expect(sent).toEqual(['many 1,2']);
  });

  it('keeps up to maxInFlight batches in flight, and sends the calls made meanwhile when one returns', async () => {
    const { batcher, sent, release } = recorded({ maxInFlight: 2 });
    const calls = [batcher.run(1)];
    await new Promise((r) => setImmediate(r));
    calls.push(batcher.run(2));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['one 1', 'one 2']);
    calls.push(...[3, 4, 5, 6].map((n) => batcher.run(n)));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['one 1', 'one 2']);
    await release();
    await new Promise((r) => setImmediate(r));
    // 1 returned: 3, 4, 5 go at once, beside 2, still in flight; 6 waits for a slot.
    expect(sent).toEqual(['one 1', 'one 2', 'many 3,4,5']);
    for (let i = 0; i < 3; i++) await release();
    expect(await Promise.all(calls)).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5', 'ok 6']);
    expect(sent).toEqual(['one 1', 'one 2', 'many 3,4,5', 'one 6']);
  });

  it('runs a batch that failed for its own reason again one item at a time, each with its own result', async () => {
    const { batcher, sent, release } = recorded({ failMany: new Error('one bad item') });
    const calls = [1, -2, 3].map((n) => batcher.run(n).catch((err: Error) => err.message));
    for (let i = 0; i < 4; i++) await release();
    expect(await Promise.all(calls)).toEqual(['ok 1', 'bad -2', 'ok 3']);
    expect(sent).toEqual(['many 1,-2,3', 'one 1', 'one -2', 'one 3']);
  });

  it('fails every item of a batch on a shared error, without trying them alone', async () => {
    const down = new Error('database down');
    const { batcher, sent, release } = recorded({ failMany: down, shared: true });
    const calls = [1, 2, 3].map((n) => batcher.run(n).catch((err: unknown) => err));
    await release();
    expect(await Promise.all(calls)).toEqual([down, down, down]);
    expect(sent).toEqual(['many 1,2,3']);
  });
});
