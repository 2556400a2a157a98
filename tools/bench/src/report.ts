import type { Histogram } from 'hdr-histogram-js';
import type { Stage } from './metrics.js';
import type { PgbenchResult } from './pgbench.js';
import type { ProfileSummary } from './profile.js';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}

/** A microsecond histogram as milliseconds. */
export function percentilesMs(h: Histogram): Percentiles | null {
  if (h.totalCount === 0) return null;
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
    count: h.totalCount,
  };
}

/** CPU used over a window: per process (and the bench), and how busy the machine was. */
export interface CpuUse {
  seconds: Record<string, number>;
  pct_of_one_core: Record<string, number>;
  machine_busy_pct: number;
  machine_busy_s: number;
  window_s: number;
}

export interface Report {
  run_id: string;
  started_at: string;
  interrupted: boolean;
  parameters: Record<string, unknown>;
  /** The commit and bundles benched (isolated target). */
  build?: Record<string, unknown>;
  machine: Record<string, unknown> & {
    /** A fixed single-threaded workload's time before and after the run (less is faster): see calibrate.ts. */
    calibration_ms: { before: number; after: number };
  };
  /** The warm-up before the measured window, at the same load; counted nowhere else. */
  warmup: { sent: number; accepted: number; create_latency_ms: Percentiles | null };
  sent: number;
  duplicates_sent: number;
  accepted: number;
  rejected: number;
  accepted_per_s: number;
  /** Orders reaching a terminal state (CONFIRMED or FAILED) at the order-store per second, first accept to last terminal. */
  confirmed_per_s: number;
  /** The same, counting only what became terminal while orders were being sent. */
  confirmed_per_s_during_send: number;
  terminal: { confirmed: number; failed: number; not_terminal: number };
  create_latency_ms: Percentiles | null;
  /** The duplicates among those calls: a replay also reads the order-store. */
  duplicate_create_latency_ms: Percentiles | null;
  /** The other calls, each an order's first placement. */
  first_create_latency_ms: Percentiles | null;
  confirm_latency_ms: Percentiles | null;
  /** Open loop: how late the bench sent each call after its due time (its own delay, part of create_latency_ms). */
  send_lag_ms: Percentiles | null;
  errors: Record<string, number>;
  max_in_flight: number;
  /** Mean time per RPC or Kafka message in each service, from the services' own metrics. */
  stages_ms: Record<string, Stage>;
  /** The most messages each consumer was behind (summed over partitions), sampled every 5 s. */
  peak_consumer_lag: Record<string, number>;
  peak_rss_mib: Record<string, number>;
  cpu: CpuUse;
  cpu_while_sending: CpuUse & { ms_per_order: number };
  pg_bound_tps: number | null;
  pgbench: PgbenchResult | { skipped: string };
  invariants_ok: boolean | null;
  invariants: { drift: string[]; drift_count: number; orders?: Record<string, number>; in_flight?: number } | { skipped: string };
  log_dir?: string;
  profiles?: ProfileSummary[];
}

const fmt = (p: Percentiles | null) => (p ? `p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms (max ${p.max}, n=${p.count})` : 'n/a');
const kv = (o: Record<string, number>, unit = '') =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}${unit}`)
    .join(', ') || 'none';

export function formatReport(r: Report): string {
  const pg = 'tps' in r.pgbench ? r.pgbench : undefined;
  const lines = [
    '',
    `── bench ${r.run_id}${r.interrupted ? ' (INTERRUPTED)' : ''}: ${r.parameters.mode} for ${r.parameters.duration_s} s, ${r.parameters.products} products, target ${r.parameters.target}`,
    `warm-up          ${r.parameters.warmup_s} s: sent ${r.warmup.sent}, accepted ${r.warmup.accepted}, create latency ${fmt(r.warmup.create_latency_ms)} (not counted below)`,
    `sent ${r.sent} (${r.duplicates_sent} duplicates); accepted ${r.accepted} orders; rejected calls ${r.rejected}; max in flight ${r.max_in_flight}`,
    `accepted_per_s   ${r.accepted_per_s}`,
    `confirmed_per_s  ${r.confirmed_per_s} (terminal at the order-store; ${r.confirmed_per_s_during_send}/s while sending): ${r.terminal.confirmed} confirmed, ${r.terminal.failed} failed, ${r.terminal.not_terminal} not terminal`,
    `create latency   ${fmt(r.create_latency_ms)}`,
    `  of duplicates  ${fmt(r.duplicate_create_latency_ms)}`,
    `  of the rest    ${fmt(r.first_create_latency_ms)}`,
    ...(r.send_lag_ms ? [`  sent late by   ${fmt(r.send_lag_ms)} (the bench's own delay, counted in the above)`] : []),
    `confirm latency  ${fmt(r.confirm_latency_ms)}`,
    `errors           ${kv(r.errors)}`,
    `stages (mean; p99 as its histogram bucket; from the services' /metrics)${Object.entries(r.stages_ms).map(([k, v]) => `\n  ${k.padEnd(40)} ${String(v.mean_ms).padStart(8)} ms  p99 ${v.p99_at_most_ms === null ? '> 10 s' : `≤ ${v.p99_at_most_ms} ms`}  n=${v.count}`).join('') || ' n/a'}`,
    `peak lag         ${kv(r.peak_consumer_lag, ' msgs')}`,
    `peak RSS         ${Object.keys(r.peak_rss_mib).length > 0 ? kv(r.peak_rss_mib, ' MiB') : 'n/a (sampled for spawned services only)'}`,
    `CPU sending      (% of a core over ${r.cpu_while_sending.window_s} s) ${kv(r.cpu_while_sending.pct_of_one_core, '%')}; machine ${r.cpu_while_sending.machine_busy_pct}% busy, ${r.cpu_while_sending.ms_per_order} ms per order`,
    `CPU whole run    (% of a core over ${r.cpu.window_s} s, with the final reads and checks) ${kv(r.cpu.pct_of_one_core, '%')}; machine ${r.cpu.machine_busy_pct}% busy`,
    pg
      ? `pg_bound_tps     ${r.pg_bound_tps} (pgbench ${pg.variant}, -c ${pg.clients} -j ${pg.threads}, ${pg.seconds} s, avg ${pg.latency_avg_ms} ms; accepted_per_s is ${Math.round((100 * r.accepted_per_s) / Math.max(1, pg.tps))}% of it)`
      : `pg_bound_tps     n/a (${(r.pgbench as { skipped: string }).skipped})`,
    'drift' in r.invariants
      ? `invariants       ${r.invariants_ok ? 'ok' : `DRIFT (${r.invariants.drift_count})`}${r.invariants.drift.slice(0, 10).map((d) => `\n  ${d}`).join('')}`
      : `invariants       not checked (${r.invariants.skipped})`,
    `machine          ${r.machine.cpus} CPUs (${r.machine.cpu_model}), node ${r.machine.node}; calibration ${r.machine.calibration_ms.before} ms before the run, ${r.machine.calibration_ms.after} ms after (less is faster)`,
  ];
  if (r.log_dir) lines.push(`service logs     ${r.log_dir}`);
  return lines.join('\n');
}
