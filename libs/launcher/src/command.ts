import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { oneOf } from '@order-system/config';

export const APPS = ['inventory', 'payment', 'order-store', 'gateway'] as const;
export type App = (typeof APPS)[number];

/** The services off the request path: they consume Kafka, and their work can wait a few milliseconds. */
const BACKGROUND: ReadonlySet<App> = new Set(['payment', 'order-store']);

/** What the launcher reads of the environment (the tools that use it spread this into their config schema). */
export const launchConfig = {
  /** batch: run the services off the request path under SCHED_BATCH, as tools/infra runs Kafka and FerretDB; normal: don't. */
  backgroundSched: oneOf('BACKGROUND_SCHED', 'batch', ['batch', 'normal'] as const),
};

export type BackgroundSched = 'batch' | 'normal';

/**
 * The node flags a service runs with; its Dockerfile's ENTRYPOINT gives the
 * same (a test checks). A heap sized for a 256 MiB container, and
 * single-threaded GC: a service gets a core or less, and GC helper threads
 * only compete with its main thread. The gateway, which answers clients while
 * they wait, gets the smaller young generation: shorter scavenge pauses. Node
 * does not take --single-threaded-gc from NODE_OPTIONS, hence flags.
 * See docs/performance.md for the measurements.
 */
export function serviceNodeFlags(app: App): string[] {
  return ['--max-old-space-size=128', `--max-semi-space-size=${app === 'gateway' ? 4 : 16}`, '--single-threaded-gc'];
}

/** Where `nx run <app>:build` leaves a service's bundle. */
export function serviceBundle(root: string, app: App): string {
  return path.join(root, 'dist/apps', app, 'main.cjs');
}

export interface CommandOptions {
  sched: BackgroundSched;
  /** Node flags beyond serviceNodeFlags (--cpu-prof, say). */
  nodeArgs?: readonly string[];
  /** util-linux's chrt, or null where there is none (default: looked up on PATH). */
  chrt?: string | null;
}

/**
 * How to run a built service: node with serviceNodeFlags, and a background
 * service under SCHED_BATCH through chrt where there is one. SCHED_BATCH keeps
 * a process's share of the CPU but stops it from preempting on wake-up, so the
 * request path is not interrupted every time a Kafka batch arrives (nice
 * levels would take the share away instead). Container images leave
 * scheduling to the orchestrator.
 */
export function serviceCommand(app: App, bundle: string, { sched, nodeArgs = [], chrt = findChrt() ?? null }: CommandOptions) {
  const node = [...serviceNodeFlags(app), ...nodeArgs, bundle];
  if (BACKGROUND.has(app) && sched === 'batch' && chrt) return { command: chrt, args: ['--batch', '0', process.execPath, ...node] };
  return { command: process.execPath, args: node };
}

let chrtPath: string | undefined | null = null;

/** chrt, if it can start a process under SCHED_BATCH here (Linux with util-linux). */
export function findChrt(): string | undefined {
  if (chrtPath === null) {
    chrtPath = process.platform === 'linux' && spawnSync('chrt', ['--batch', '0', 'true'], { stdio: 'ignore' }).status === 0 ? 'chrt' : undefined;
  }
  return chrtPath;
}
