import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Calibration {
  /** The fastest round, in ms: the machine's speed with the least interference. */
  bestMs: number;
  roundsMs: number[];
}

/** One round: order-like objects built, encoded to JSON and back, and hashed. */
function round(): number {
  const started = performance.now();
  let size = 0;
  for (let i = 0; i < 20_000; i++) {
    const order = {
      orderId: `calibrate-${i}`,
      customer: { userId: `user_${i % 1000}`, email: `user_${i % 1000}@example.com` },
      items: [1, 2, 3].map((n) => ({ productId: `p-${(i + n) % 10}`, quantity: n, unitPrice: { units: 10 + n, nanos: 0 } })),
    };
    const text = JSON.stringify(order);
    size += (JSON.parse(text) as typeof order).items.length;
    if (i % 4 === 0) createHash('sha256').update(text).digest();
  }
  if (size !== 60_000) throw new Error('calibration workload miscounted');
  return performance.now() - started;
}

/**
 * How long this machine takes for a fixed single-threaded workload, now. Its
 * speed moves (by ±10 % within an hour, more across days, whatever the code),
 * so two reports compare fairly only at like figures. Run while the system is
 * idle; the best of `rounds` (after one to warm the JIT) leaves out a moment's
 * interference.
 */
export function calibrate(rounds = 5): Calibration {
  round();
  const roundsMs = Array.from({ length: rounds }, round);
  return { bestMs: Math.min(...roundsMs), roundsMs };
}

/**
 * calibrate() in a fresh process, so that the figure does not depend on the
 * caller's heap (the bench's grows with the run) or on what its JIT has seen.
 */
export function calibrateApart(): Calibration {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', self], { cwd: path.dirname(self), encoding: 'utf8' });
  return JSON.parse(out) as Calibration;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(calibrate()));
