import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { serviceNodeFlags, type ConfigOf, type launch } from './index.js';

export type BackgroundSched = ConfigOf<typeof launch>['backgroundSched'];

/**
 * The services off the request path. They consume Kafka, and their work can
 * wait a few milliseconds; a CreateOrder cannot.
 */
const BACKGROUND_SERVICES: ReadonlySet<string> = new Set(['payment', 'order-store']);

/** Where `nx run <app>:build` leaves a service's bundle, under the repository root. */
export function serviceBundle(root: string, app: string): string {
  return path.join(root, 'dist/apps', app, 'main.cjs');
}

/**
 * How to run a built service on this machine: node with serviceNodeFlags(app)
 * (and extraNodeArgs), and a background service under SCHED_BATCH, through
 * util-linux's chrt where there is one. SCHED_BATCH keeps a process's share
 * of the CPU but stops it from preempting on wake-up, so the request path
 * is not interrupted every time a Kafka batch arrives. On the bench at 300
 * orders/s, with Kafka and FerretDB under SCHED_BATCH as well
 * (tools/infra), CreateOrder's p99 averaged 28 ms (24-30) over 7 runs
 * against 33 ms (28-37) over 8 runs without, interleaved; the ceiling was no
 * lower. Nice levels cannot do this: they take the share away, and at
 * saturation the order-store starved (its lag grew to 35,000 messages).
 * `sched` is BACKGROUND_SCHED (`launch` in the config schema), which
 * tools/infra reads too; normal turns it off. The
 * container images leave scheduling to the orchestrator.
 */
export function serviceCommand(
  app: string,
  bundle: string,
  sched: BackgroundSched,
  extraNodeArgs: readonly string[] = [],
): { command: string; args: string[] } {
  const node = [...serviceNodeFlags(app), ...extraNodeArgs, bundle];
  if (BACKGROUND_SERVICES.has(app) && sched === 'batch' && batchSchedulingAvailable()) {
    return { command: 'chrt', args: ['--batch', '0', process.execPath, ...node] };
  }
  return { command: process.execPath, args: node };
}

let available: boolean | undefined;

/** chrt can start a process under SCHED_BATCH here (Linux with util-linux). */
export function batchSchedulingAvailable(): boolean {
  available ??= process.platform === 'linux' && spawnSync('chrt', ['--batch', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return available;
}
