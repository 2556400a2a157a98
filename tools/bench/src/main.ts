/**
 * npm run bench -- --duration <s> [--rate <orders/s> | --concurrency <n>] [--products <n>] [--report <file.json>]
 *
 * Drives the gateway over gRPC with a realistic order mix, then reports
 * throughput (accepted, and terminal at the order-store), latencies, errors,
 * peak RSS and CPU per service, the PostgreSQL bound of inventory's reserve
 * transaction (pgbench) and the invariants. By default it runs its own system
 * (fresh database, Mongo db and topic prefix; the four built services) and
 * removes it afterwards, also on Ctrl-C. Exits 1 on drift.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CATALOG_ADMIN, signDevToken } from '@order-system/auth';
import { createServiceClient, type CallOptions } from '@order-system/grpc';
import { checkInvariants, type Report as InvariantsReport } from '@order-system/invariants';
import { catalog, orders } from '@order-system/proto';
import * as hdr from 'hdr-histogram-js';
import { parseBenchArgs, USAGE, type BenchArgs } from './args.js';
import { calibrateApart } from './calibrate.js';
import { benchConfig } from './config.js';
import { LoadStats, runLoad } from './load.js';
import { sampleLag, scrapeAll, stages, type Sample } from './metrics.js';
import { OrderStoreReader, type Terminal } from './order-store.js';
import { runPgbench, type PgbenchResult, type ReserveVariant } from './pgbench.js';
import { machineCpuSeconds, sampleRss, treeCpuSeconds } from './procstat.js';
import { formatProfileSummary, summarizeProfiles, type ProfileSummary } from './profile.js';
import { formatReport, percentilesMs, type Report } from './report.js';
import { buildInfo, connectExternal, ensureBuilt, root, startIsolated, type System } from './system.js';
import { benchProducts, MIX, mixCustomers, OrderMix } from './workload.js';
import { installAsyncResourceBindFix } from './async-resource-bind.js';

installAsyncResourceBindFix();

const parsed = parseBenchArgs(process.argv.slice(2));
if (parsed === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const args: BenchArgs = parsed;
if (args.summarizeProfiles) {
  for (const s of summarizeProfiles(args.summarizeProfiles)) console.log(`${formatProfileSummary(s, 15)}\n`);
  process.exit(0);
}

const cfg = benchConfig();
const runId = randomBytes(3).toString('hex');
const runDir = path.join(root, '.infra/bench', runId);
const profileDir = args.profile ? path.resolve(args.profileDir ?? path.join(runDir, 'profiles')) : undefined;
const paymentFailureRate = args.paymentFailureRate ?? cfg.paymentFailureRate;
const abort = new AbortController();
let system: System | undefined;

// First Ctrl-C: stop sending, skip the waiting, clean up. Second: kill and leave.
process.on('SIGINT', () => {
  if (!abort.signal.aborted) {
    console.log('\ninterrupted: stopping the load and cleaning up (Ctrl-C again to leave at once)…');
    abort.abort();
    return;
  }
  system?.killNow();
  console.error(`left without cleaning up: database/Mongo db bench_${runId}, topics bench-${runId}.*`);
  process.exit(130);
});
process.on('SIGTERM', () => abort.abort());
process.on('exit', () => system?.killNow());

// The machine's speed before the load, on a system not yet started (the isolated one).
const calibratedBefore = calibrateApart();
if (args.target === 'isolated') {
  ensureBuilt(args.build);
  console.log(`starting an isolated system (bench_${runId}; logs in ${path.relative(process.cwd(), path.join(runDir, 'logs'))})…`);
  system = await startIsolated(cfg, { runId, paymentFailureRate, profileDir, logDir: path.join(runDir, 'logs'), authDir: path.join(runDir, 'auth') });
} else {
  console.log(`benching the running system at ${cfg.gatewayAddr} (PostgreSQL ${cfg.postgresDb}, Mongo ${cfg.mongodbDb})`);
  system = await connectExternal(cfg);
}
const sys = system;
let crashed: string | undefined;
sys.onCrash((app, how) => {
  crashed = `${app} exited (${how})`;
  console.error(`✗ ${crashed}; stopping (logs: ${sys.logDir})`);
  abort.abort();
});

let exitCode = 0;
try {
  const report = await bench(sys);
  console.log(formatReport(report));
  if (report.profiles) for (const p of report.profiles) console.log(`\n${formatProfileSummary(p)}`);
  if (args.report) {
    mkdirSync(path.dirname(path.resolve(args.report)), { recursive: true });
    writeFileSync(args.report, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nreport written to ${args.report}`);
  }
  if (report.invariants_ok === false || crashed) exitCode = 1;
  else if (report.interrupted) exitCode = 130;
} catch (err) {
  console.error(`bench failed: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  await sys.cleanup();
}
process.exit(exitCode);

async function bench(sys: System): Promise<Report> {
  const products = benchProducts(args.products, args.scarceStock);
  // Products are managed through the gateway, as an operator would, with a catalog:admin token.
  const admin = createServiceClient(catalog.v1.CatalogServiceService, sys.gatewayAddr, {
    defaultTimeoutMs: 10_000,
    headers: { authorization: `Bearer ${await signDevToken(sys.authKeyFile, { sub: 'bench-admin', scopes: [CATALOG_ADMIN] })}` },
  });
  const all = [products.scarce, ...products.regular];
  for (let i = 0; i < all.length; i += 16) {
    await Promise.all(all.slice(i, i + 16).map((p) => admin.upsertProduct(p)));
  }
  admin.close();

  // Every customer of the mix calls with a token of its own, verified by the gateway like any client's.
  const tokens = new Map<string, string>();
  for (const userId of mixCustomers()) tokens.set(userId, `Bearer ${await signDevToken(sys.authKeyFile, { sub: userId, ttlSec: 4 * 3600 })}`);
  const orderClient = createServiceClient(orders.v1.OrderServiceService, sys.gatewayAddr, { defaultTimeoutMs: args.timeoutMs });
  const client = {
    createOrder: (req: orders.v1.CreateOrderRequest, opts: CallOptions = {}) =>
      orderClient.createOrder(req, { ...opts, headers: { authorization: tokens.get(req.customer?.userId ?? '') ?? '' } }),
    close: () => orderClient.close(),
  };
  const mix = new OrderMix(runId, products, args.seed);
  const warmup = new LoadStats();
  const stats = new LoadStats();
  const store = new OrderStoreReader(sys.mongo, sys.metricsUrls.get('order-store'), sys.isolated ? undefined : `bench-${runId}-`);
  await store.start();
  const modeText = args.mode.kind === 'open' ? `open loop at ${args.mode.rate}/s` : `closed loop, ${args.mode.concurrency} callers`;
  console.log(
    `${modeText} for ${args.durationS} s after a ${args.warmupS}-s warm-up, over ${args.products} products (+1 with ${args.scarceStock} units)`,
  );

  // Samplers: RSS of each service every 500 ms; CPU of services and infrastructure over the run.
  const rss = sampleRss(() => sys.pids());
  const lag = sampleLag(sys.metricsUrls);
  const cpuRoots = new Map([...sys.pids(), ...infraPids()]);
  let cpuAtStart = cpuSnapshot(cpuRoots);
  let cpuAtSendEnd = cpuAtStart;
  // The services' histograms count from their start; the stages are what the measured window added
  // (from the start for a run stopped during the warm-up).
  let metricsAtStart: Promise<Map<string, Sample[]>> | undefined;
  const t0 = Date.now();

  // Confirmed (terminal) as the order-store counts them: its /metrics, not a MongoDB scan (see order-store.ts).
  let confirmed = '0';
  let polling = false;
  const poll = () => {
    if (polling) return;
    polling = true;
    store
      .terminalSinceStart()
      .then((n) => (confirmed = n === undefined ? '?' : String(n)))
      .finally(() => (polling = false));
  };
  let phase = args.warmupS > 0 ? 'warm-up' : 'send';
  const progress = setInterval(() => {
    poll();
    const s = Math.round((Date.now() - t0) / 1000);
    const shown = phase === 'warm-up' ? warmup : stats;
    console.log(
      `[${String(s).padStart(4)} s ${phase}] sent ${shown.sent}  accepted ${shown.accepted}  confirmed ${confirmed}  errors ${shown.errorCount}  in flight ${warmup.inFlight + stats.inFlight}`,
    );
  }, 1000);

  let terminal = new Map<string, Terminal>();
  let invariants: InvariantsReport | undefined;
  try {
    await runLoad(
      client,
      mix,
      { warmup, measured: stats },
      {
        mode: args.mode,
        warmupS: args.warmupS,
        durationS: args.durationS,
        timeoutMs: args.timeoutMs,
        maxInFlight: args.maxInFlight,
        signal: abort.signal,
        onMeasuring: () => {
          phase = 'send';
          cpuAtStart = cpuSnapshot(cpuRoots);
          metricsAtStart = scrapeAll(sys.metricsUrls);
        },
        onSent: () => (phase = 'answers'),
      },
    );
    cpuAtSendEnd = cpuSnapshot(cpuRoots);
    phase = 'drain';
    const accepted = [...warmup.acceptedAt.keys(), ...stats.acceptedAt.keys()]; // disjoint (see runLoad)
    if (!abort.signal.aborted) terminal = await store.waitForTerminal(accepted, args.drainTimeoutS * 1000, abort.signal);
    else terminal = await store.readTerminal();
    if (!abort.signal.aborted) {
      phase = 'check';
      invariants = await quietInvariants(sys, 60_000);
    }
  } finally {
    clearInterval(progress);
    client.close();
  }
  const cpuAtEnd = cpuSnapshot(cpuRoots);
  const calibratedAfter = calibrateApart(); // the system idle again

  const stageTimes = stages(await scrapeAll(sys.metricsUrls), await metricsAtStart);
  lag.stop();
  await sys.stopServices();
  rss.stop();
  const profiles: ProfileSummary[] | undefined = profileDir ? summarizeProfiles(profileDir) : undefined;

  let pgbench: PgbenchResult | { skipped: string };
  if (!sys.isolated) pgbench = { skipped: 'external target: pgbench would write to its database' };
  else if (args.pgbenchSeconds === 0) pgbench = { skipped: '--pgbench-seconds 0' };
  else if (abort.signal.aborted) pgbench = { skipped: 'interrupted' };
  else {
    console.log(`pgbench: inventory's reserve transaction for ${args.pgbenchSeconds} s, ${cfg.postgresPoolSize} clients…`);
    const { rows } = await sys.pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_proc WHERE proname = 'reserve_order'");
    const variant: ReserveVariant = Number(rows[0]?.n) > 0 ? 'reserve_order()' : 'statements';
    pgbench = await runPgbench(cfg, sys.dbName, { products: args.products, seconds: args.pgbenchSeconds, clients: cfg.postgresPoolSize, variant }).catch(
      (err: Error) => ({ skipped: `pgbench failed: ${err.message}` }),
    );
    // The bound counts only if each transaction did the real work: one reservation each.
    const made = await sys.pg.query<{ n: string }>("SELECT count(*) AS n FROM reservations WHERE order_id LIKE 'pgbench-%'");
    if ('tps' in pgbench && Number(made.rows[0]?.n) < (pgbench.transactions ?? 0) * 0.99) {
      pgbench = { skipped: `pgbench's transactions did not all reserve (${made.rows[0]?.n} reservations for ${pgbench.transactions} transactions)` };
    }
  }

  // Confirm latency: when the order-store stored the terminal state minus the client's accept time (one clock).
  const confirmLatency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const counts = { confirmed: 0, failed: 0, not_terminal: 0 };
  let lastTerminal = 0;
  let duringSend = 0;
  for (const [id, acceptedAt] of stats.acceptedAt) {
    const t = terminal.get(id);
    if (!t) {
      counts.not_terminal++;
      continue;
    }
    counts[t.status === 'CONFIRMED' ? 'confirmed' : 'failed']++;
    confirmLatency.recordValue(Math.max(1, Math.round((t.storedAt - acceptedAt) * 1000)));
    lastTerminal = Math.max(lastTerminal, t.storedAt);
    if (t.storedAt <= stats.endedAt) duringSend++;
  }
  const sendS = Math.max(0.001, (stats.endedAt - stats.startedAt) / 1000);
  const terminalCount = counts.confirmed + counts.failed;
  const whileSending = cpuBetween(cpuAtStart, cpuAtSendEnd);

  return {
    run_id: runId,
    started_at: new Date(t0).toISOString(),
    interrupted: abort.signal.aborted,
    parameters: {
      target: args.target,
      mode: args.mode.kind === 'open' ? `open loop ${args.mode.rate}/s` : `closed loop ${args.mode.concurrency}`,
      rate: args.mode.kind === 'open' ? args.mode.rate : null,
      concurrency: args.mode.kind === 'closed' ? args.mode.concurrency : null,
      duration_s: args.durationS,
      warmup_s: args.warmupS,
      products: args.products,
      scarce_stock: args.scarceStock,
      payment_failure_rate: sys.isolated ? paymentFailureRate : 'as configured',
      postgres_pool_size: cfg.postgresPoolSize,
      timeout_ms: args.timeoutMs,
      seed: args.seed,
      mix: { lines: '1-3', quantity: '1-3', decline_token: MIX.declineRate, scarce_line: MIX.scarceRate, duplicates: MIX.duplicateRate },
      profile: profileDir ?? false,
    },
    build: sys.isolated ? buildInfo() : undefined,
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model.trim(),
      memory_gib: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      calibration_ms: { before: round(calibratedBefore.bestMs, 1), after: round(calibratedAfter.bestMs, 1) },
    },
    warmup: { sent: warmup.sent, accepted: warmup.accepted, create_latency_ms: percentilesMs(warmup.createLatency) },
    sent: stats.sent,
    duplicates_sent: stats.duplicatesSent,
    accepted: stats.accepted,
    rejected: stats.errorCount,
    accepted_per_s: round(stats.accepted / sendS, 1),
    confirmed_per_s: round(terminalCount / Math.max(0.001, (lastTerminal - stats.startedAt) / 1000), 1),
    confirmed_per_s_during_send: round(duringSend / sendS, 1),
    terminal: counts,
    create_latency_ms: percentilesMs(stats.createLatency),
    duplicate_create_latency_ms: percentilesMs(stats.duplicateLatency),
    first_create_latency_ms: percentilesMs(stats.firstLatency),
    send_lag_ms: percentilesMs(stats.sendLag),
    confirm_latency_ms: percentilesMs(confirmLatency),
    errors: Object.fromEntries([...stats.errors].sort((a, b) => b[1] - a[1])),
    max_in_flight: stats.maxInFlight,
    stages_ms: stageTimes,
    peak_consumer_lag: lag.peak(),
    peak_rss_mib: Object.fromEntries([...rss.peakMiB()].map(([k, v]) => [k, round(v, 0)])),
    cpu: cpuBetween(cpuAtStart, cpuAtEnd),
    // The steady state: the run's end also reads every order document and checks the invariants.
    cpu_while_sending: { ...whileSending, ms_per_order: round((1000 * whileSending.machine_busy_s) / Math.max(1, duringSend), 2) },
    pg_bound_tps: 'tps' in pgbench ? round(pgbench.tps, 0) : null,
    pgbench,
    invariants_ok: invariants ? invariants.drift.length === 0 : null,
    invariants: invariants
      ? { drift: invariants.drift.slice(0, 50), drift_count: invariants.drift.length, orders: invariants.orders, in_flight: invariants.inFlight }
      : { skipped: 'interrupted' },
    log_dir: sys.logDir,
    profiles,
  };
}

/** The invariants once the system is quiet (nothing in flight, no drift), or the last report after timeoutMs. */
async function quietInvariants(sys: System, timeoutMs: number): Promise<InvariantsReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await checkInvariants(sys.pg, sys.mongo, 1000);
    if ((report.inFlight === 0 && report.drift.length === 0) || Date.now() > deadline || abort.signal.aborted) return report;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The local infrastructure's processes (tools/infra keeps their pids in .infra/run), for CPU accounting. */
function infraPids(): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of ['postgres', 'kafka', 'ferretdb', 'ferretdb-pg']) {
    const file = path.join(root, '.infra/run', `${name}.pid`);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) out.set(name, pid);
  }
  return out;
}

interface CpuSnapshot {
  at: number;
  processes: Map<string, number>;
  machine: { busy: number; total: number };
  bench: NodeJS.CpuUsage;
}

/** CPU seconds used so far by each service and infrastructure process (with its children), the machine and the bench. */
function cpuSnapshot(roots: Map<string, number>): CpuSnapshot {
  return { at: Date.now(), processes: treeCpuSeconds(roots), machine: machineCpuSeconds(), bench: process.cpuUsage() };
}

/** The CPU used between two snapshots: seconds and share of one core per process, and how busy the machine was. */
function cpuBetween(from: CpuSnapshot, to: CpuSnapshot) {
  const windowS = Math.max(0.001, (to.at - from.at) / 1000);
  const seconds: Record<string, number> = {};
  for (const [name, cpu] of to.processes) seconds[name] = round(cpu - (from.processes.get(name) ?? 0), 1);
  seconds.bench = round((to.bench.user + to.bench.system - from.bench.user - from.bench.system) / 1e6, 1);
  const busy = to.machine.busy - from.machine.busy;
  // Whatever else kept the machine busy (another workload would distort the figures).
  const accounted = Object.values(seconds).reduce((sum, v) => sum + v, 0);
  seconds.other = round(Math.max(0, busy - accounted), 1);
  return {
    seconds,
    pct_of_one_core: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, round((100 * v) / windowS, 0)])),
    machine_busy_pct: round((100 * busy) / Math.max(0.001, to.machine.total - from.machine.total), 0),
    machine_busy_s: round(busy, 1),
    window_s: round(windowS, 1),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
