/**
 * What a grpc-js unary call costs against a message of a bidirectional
 * stream, apart from any service: a server process and a client process, a
 * 200-byte request and a 120-byte answer (raw bytes, no protobuf), 300 a
 * second for 15 s each way. Prints CPU per call on both ends and the latency.
 *
 *   npx tsx tools/bench/src/rpc-cost.ts [--seconds 15] [--rate 300]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';

const same = (b: Buffer) => b;
const method = (name: string, stream: boolean) => ({
  path: `/bench.Cost/${name}`,
  requestStream: stream,
  responseStream: stream,
  requestSerialize: same,
  requestDeserialize: same,
  responseSerialize: same,
  responseDeserialize: same,
});
const definition = { unary: method('Unary', false), bidi: method('Bidi', true) };
const options = { 'grpc.enable_channelz': 0 };

async function serve() {
  const server = new grpc.Server(options);
  const answer = Buffer.alloc(120, 7);
  server.addService(definition, {
    unary: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, answer),
    bidi: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', () => call.write(answer));
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  // The parent asks for the CPU used since its last question.
  let since = process.cpuUsage();
  process.on('message', (msg) => {
    if (msg === 'cpu') {
      const used = process.cpuUsage(since);
      since = process.cpuUsage();
      process.send!((used.user + used.system) / 1000);
    } else process.exit(0);
  });
  process.send!(port);
}

async function measure(mode: 'unary' | 'bidi', port: number, seconds: number, rate: number, server: ReturnType<typeof fork>) {
  const Client = grpc.makeGenericClientConstructor(definition, 'Cost');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as unknown as Record<string, CallableFunction> & grpc.Client;
  const request = Buffer.alloc(200, 3);
  const latencies: number[] = [];
  const sentAt: number[] = [];
  const stream = mode === 'bidi' ? (client.bidi!() as grpc.ClientDuplexStream<Buffer, Buffer>) : undefined;
  stream?.on('data', () => latencies.push(performance.now() - sentAt.shift()!));
  const send = () => {
    const start = performance.now();
    if (stream) {
      sentAt.push(start);
      stream.write(request);
    } else client.unary!(request, new grpc.Metadata(), { deadline: Date.now() + 5000 }, () => latencies.push(performance.now() - start));
  };
  send(); // connect and warm up for a second first
  await new Promise((r) => setTimeout(r, 1000));
  latencies.length = 0;
  const serverCpu = () => new Promise<number>((resolve) => (server.once('message', (ms) => resolve(ms as number)), server.send('cpu')));
  await serverCpu();
  const before = process.cpuUsage();
  // Every 10 ms, the calls due by then.
  const perTick = rate / 100;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) send();
  }, 10);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 200));
  const used = process.cpuUsage(before);
  const onServer = await serverCpu();
  if (stream) {
    stream.end();
    await once(stream, 'status');
  }
  client.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.floor(latencies.length * q)]!.toFixed(2);
  const perCall = (ms: number) => ((ms * 1000) / latencies.length).toFixed(0);
  console.log(
    `${mode.padEnd(6)} ${latencies.length} calls: client ${perCall((used.user + used.system) / 1000)} µs CPU per call, ` +
      `server ${perCall(onServer)} µs; latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
  );
}

if (process.send) {
  await serve();
} else {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, rate: { type: 'string', default: '300' } } });
  const server = fork(new URL(import.meta.url).pathname, [], { execArgv: process.execArgv });
  const [port] = (await once(server, 'message')) as [number];
  for (const mode of ['unary', 'bidi'] as const) await measure(mode, port, Number(values.seconds), Number(values.rate), server);
  server.send('exit');
}
