import { execFileSync, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Calibration {
  /** The fixed workload's fastest round, in ms: the machine's speed with the least interference. */
  bestMs: number;
  roundsMs: number[];
  /**
   * A one-byte round trip over loopback TCP to another process, in µs (the
   * fastest round's mean): what every hop between the services pays in
   * system calls and wake-ups, which can slow down while the workload does not.
   */
  roundTripUs: number;
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

/** How to run this TypeScript file in a child process, whatever loader the caller has. */
const runTs = (file: string) => ({ cwd: path.dirname(file), execArgv: ['--import', 'tsx'] });

/** Mean µs per round trip over `trips` one-byte round trips on `socket`, each sent once the last came back. */
async function pingPong(socket: net.Socket, trips: number): Promise<number> {
  const started = performance.now();
  let done = 0;
  await new Promise<void>((resolve) => {
    const onData = () => {
      if (++done < trips) socket.write('x');
      else {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write('x');
  });
  return ((performance.now() - started) * 1000) / trips;
}

/** The best of `rounds` rounds of ping-pong with an echo server in a child process. */
async function roundTrip(self: string, rounds: number): Promise<number> {
  const echo = fork(self, ['echo'], { ...runTs(self), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      echo.once('message', (message) => resolve(message as number));
      echo.once('exit', (code) => reject(new Error(`the calibration's echo process exited (${code})`)));
    });
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    await once(socket, 'connect');
    await pingPong(socket, 1000); // warm
    const means: number[] = [];
    for (let i = 0; i < rounds; i++) means.push(await pingPong(socket, 2000));
    socket.destroy();
    return Math.min(...means);
  } finally {
    echo.kill();
  }
}

/**
 * How fast this machine runs now: a fixed single-threaded workload, and round
 * trips between two processes. Its speed moves (by ±10 % within an hour, more
 * across days, whatever the code), so two reports compare fairly only at like
 * figures. Run while the system is idle; the best of `rounds` (after one to
 * warm the JIT) leaves out a moment's interference.
 */
export async function calibrate(rounds = 5): Promise<Calibration> {
  round();
  const roundsMs = Array.from({ length: rounds }, round);
  return { bestMs: Math.min(...roundsMs), roundsMs, roundTripUs: await roundTrip(fileURLToPath(import.meta.url), rounds) };
}

/**
 * calibrate() in a fresh process, so that the figure does not depend on the
 * caller's heap (the bench's grows with the run) or on what its JIT has seen.
 */
export function calibrateApart(): Calibration {
  const self = fileURLToPath(import.meta.url);
  const { cwd, execArgv } = runTs(self);
  const out = execFileSync(process.execPath, [...execArgv, self], { cwd, encoding: 'utf8' });
  return JSON.parse(out) as Calibration;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === 'echo') {
    const server = net.createServer({ noDelay: true }, (socket) => socket.on('data', (data) => socket.write(data)));
    server.listen(0, '127.0.0.1', () => process.send!((server.address() as net.AddressInfo).port));
    process.on('disconnect', () => process.exit(0));
  } else {
    console.log(JSON.stringify(await calibrate()));
  }
}
