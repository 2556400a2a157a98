import { PassThrough } from 'node:stream';
import { createLogger, memoryDestination } from '@order-system/logger';
import { descriptorSetBase64, inventory } from '@order-system/proto';
import { eventually } from '@order-system/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bindService, createServiceClient, startGrpcServer, type RunningGrpcServer } from '../src/index.js';
import { drained } from '../src/streams.js';

/**
 * A bidirectional stream through our server and client: the handler takes an
 * async iterable of requests and gives one of responses, in any order. On
 * close, the server stops taking requests, and the handler answers the ones it
 * took and ends the call OK.
 */
type Request = inventory.v1.ReserveStockStreamRequest;
type Response = inventory.v1.ReserveStockStreamResponse;

const { reserveStockStream } = inventory.v1.InventoryServiceService;
let server: RunningGrpcServer | undefined;
let client: { close(): void } | undefined;
afterEach(async () => {
  client?.close();
  await server?.close(100);
});

/** A server whose handler answers each request (one order each, its correlation id as the message) when the test releases it. */
async function start() {
  const taken: Request[] = [];
  const release = new Map<number, () => void>();
  let requestsEnded = false;
  let cancelled = false;
  const services = [
    bindService(
      { reserveStockStream },
      {
        reserveStockStream(requests: AsyncIterable<Request>, ctx) {
          ctx.signal.addEventListener('abort', () => (cancelled = true));
          const responses = new PassThrough({ objectMode: true });
          let open = 1;
          const done = () => --open === 0 && responses.end();
          void (async () => {
            for await (const req of requests) {
              taken.push(req);
              open++;
              const [{ id, correlationId }] = req.orders as [inventory.v1.StreamedOrder];
              release.set(id, () => {
                responses.write({ results: [{ id, result: { failed: { code: 0, message: correlationId } } }] });
                done();
              });
            }
            requestsEnded = true;
            done();
          })().catch(() => undefined); // the caller went away
          return responses;
        },
      },
    ),
  ];
  const log = createLogger({ service: 'test', level: 'silent', destination: memoryDestination() });
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services, descriptorSetBase64, log });
  const c = createServiceClient({ reserveStockStream }, `127.0.0.1:${server.port}`);
  client = c;
  return { client: c, server, taken, release, requestsEnded: () => requestsEnded, cancelled: () => cancelled };
}

const request = (id: number): Request => ({ orders: [{ id, order: undefined, correlationId: `c-${id}` }] });

const until = (condition: () => boolean) => eventually(condition, { timeoutMs: 3000, intervalMs: 10 });

async function collect(responses: AsyncIterable<Response>) {
  const out: { id: number; message: string }[] = [];
  for await (const r of responses) out.push(...r.results.map(({ id, result }) => ({ id, message: result!.failed!.message })));
  return out;
}

describe('bidirectional streams', () => {
  it('cancels the call when its caller stops reading the answers', async () => {
    const { client, taken, release, cancelled } = await start();
    const requests = new PassThrough({ objectMode: true });
    requests.write(request(1));
    requests.write(request(2));
    const answers = client.reserveStockStream(requests)[Symbol.asyncIterator]();
    await until(() => taken.length === 2);
    release.get(1)!();
    expect((await answers.next()).value).toMatchObject({ results: [{ id: 1 }] });
    await answers.return!();
    await until(cancelled);
  });

  it('answers requests in the order the handler decides them, and ends once the caller has ended and all are answered', async () => {
    const { client, taken, release } = await start();
    const answers = collect(client.reserveStockStream([1, 2, 3].map(request)));
    await until(() => taken.length === 3);
    release.get(3)!();
    release.get(1)!();
    release.get(2)!();
    expect(await answers).toEqual([
      { id: 3, message: 'c-3' },
      { id: 1, message: 'c-1' },
      { id: 2, message: 'c-2' },
    ]);
  });

  it('on close, takes no more requests, answers those it took and ends the call OK', async () => {
    const { client, server, taken, release, requestsEnded } = await start();
    const requests = new PassThrough({ objectMode: true });
    const answers = collect(client.reserveStockStream(requests));
    requests.write(request(1));
    requests.write(request(2));
    await until(() => taken.length === 2);

    const closed = server.close(5000);
    await until(requestsEnded);
    requests.write(request(3)); // after the close: never taken
    await new Promise((r) => setTimeout(r, 100));
    release.get(2)!();
    release.get(1)!();
    expect(await answers).toEqual([
      { id: 2, message: 'c-2' },
      { id: 1, message: 'c-1' },
    ]);
    expect(taken.map((r) => r.orders[0]!.id)).toEqual([1, 2]);
    await closed;
  });
});

describe('drained', () => {
  it('waits for drain or close, and leaves no listener behind either way', async () => {
    const stream = new PassThrough({ highWaterMark: 1 });
    for (let i = 0; i < 50; i++) {
      expect(stream.write('xx')).toBe(false);
      const waiting = drained(stream);
      stream.read();
      await waiting;
    }
    expect([stream.listenerCount('close'), stream.listenerCount('drain'), stream.listenerCount('error')]).toEqual([0, 0, 0]);
    stream.write('xx');
    const closing = drained(stream);
    stream.destroy();
    await closing;
    await drained(stream); // already closed: at once
  });
});
