import { parseArgs } from 'node:util';

export const USAGE = `npm run bench -- --duration <s> [--rate <orders/s> | --concurrency <n>] [options]

  --duration <s>            length of the measured send phase (default 20)
  --warmup <s>              sent first at the same load and reported apart: the spawned services
                            start cold (JIT, pools). Default 10; 0 measures from the first order
  --rate <n>                open loop: n orders/s on a timer, latency from the scheduled time (default 100)
  --concurrency <n>         closed loop: n callers, each sends when its previous order answered
  --products <n>            regular products (default 10: contention; 1000: spread), plus one small-stock product
  --scarce-stock <n>        units of the small-stock product (default 20)
  --report <file.json>      also write the report there
  --target isolated|external
                            isolated (default): own database, Mongo db and topic prefix, the four built
                            services spawned; external: the system already running on GATEWAY_ADDR
                            (localhost:50051) / INVENTORY_ADDR, POSTGRES_DB, MONGODB_DB
  --profile                 run the services with --cpu-prof and summarize the top self-time functions
  --profile-dir <dir>       where the .cpuprofile files go (default .infra/bench/<run>/profiles)
  --summarize-profiles <dir>
                            only summarize the .cpuprofile files under dir (one subfolder per service)
  --payment-failure-rate <x>
                            PAYMENT_FAILURE_RATE of the spawned payment service (default 0.2)
  --timeout-ms <n>          deadline of each CreateOrder (default 10000)
  --max-in-flight <n>       open loop: skip (and count) sends beyond n unanswered calls (default 20000)
  --drain-timeout <s>       how long to wait for every accepted order to reach a terminal state (default 120)
  --pgbench-seconds <s>     pgbench run after the load (default 10; 0 skips it)
  --no-build                bench the bundles in dist as they are (by default they are built
                            first, through the Nx cache: a no-op when nothing changed)
  --seed <n>                seed of the order mix (default 1)
`;

export interface BenchArgs {
  durationS: number;
  warmupS: number;
  mode: { kind: 'open'; rate: number } | { kind: 'closed'; concurrency: number };
  products: number;
  scarceStock: number;
  report?: string;
  target: 'isolated' | 'external';
  profile: boolean;
  profileDir?: string;
  summarizeProfiles?: string;
  paymentFailureRate?: number;
  timeoutMs: number;
  maxInFlight: number;
  drainTimeoutS: number;
  pgbenchSeconds: number;
  build: boolean;
  seed: number;
}

function number(name: string, raw: string | undefined, fallback: number, min: number, integer = false, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name}=${raw}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
  }
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      products: { type: 'string' },
      'scarce-stock': { type: 'string' },
      report: { type: 'string' },
      target: { type: 'string' },
      profile: { type: 'boolean' },
      'profile-dir': { type: 'string' },
      'summarize-profiles': { type: 'string' },
      'payment-failure-rate': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'drain-timeout': { type: 'string' },
      'pgbench-seconds': { type: 'string' },
      'no-build': { type: 'boolean' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (values.rate !== undefined && values.concurrency !== undefined) throw new Error('give --rate or --concurrency, not both');
  const target = values.target ?? 'isolated';
  if (target !== 'isolated' && target !== 'external') throw new Error(`--target=${target}: expected isolated or external`);
  const failureRate = values['payment-failure-rate'];
  return {
    durationS: number('duration', values.duration, 20, 1),
    warmupS: number('warmup', values.warmup, 10, 0),
    mode:
      values.concurrency !== undefined
        ? { kind: 'closed', concurrency: number('concurrency', values.concurrency, 0, 1, true) }
        : { kind: 'open', rate: number('rate', values.rate, 100, 0.1) },
    products: number('products', values.products, 10, 1, true),
    scarceStock: number('scarce-stock', values['scarce-stock'], 20, 0, true),
    report: values.report,
    target,
    profile: values.profile ?? values['profile-dir'] !== undefined,
    profileDir: values['profile-dir'],
    summarizeProfiles: values['summarize-profiles'],
    paymentFailureRate: failureRate === undefined ? undefined : number('payment-failure-rate', failureRate, 0.2, 0, false, 1),
    timeoutMs: number('timeout-ms', values['timeout-ms'], 10_000, 1, true),
    maxInFlight: number('max-in-flight', values['max-in-flight'], 20_000, 1, true),
    drainTimeoutS: number('drain-timeout', values['drain-timeout'], 120, 0),
    pgbenchSeconds: number('pgbench-seconds', values['pgbench-seconds'], 10, 0, true),
    build: !values['no-build'],
    seed: number('seed', values.seed, 1, 0, true),
  };
}
