import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { APPS, serviceBundle, serviceCommand, type App, type BackgroundSched } from './command.js';

/** One service process of a system. */
export interface ServiceProcess {
  /** The app, or `<app>-<n>` for its instance n > 1. */
  name: string;
  app: App;
  grpcPort: number;
  /** The gateway's public HTTP port (Connect, gRPC-Web, REST). */
  httpPort?: number;
  /** /metrics, /healthz, /readyz. */
  adminPort: number;
  /** Its own variables, over the launcher's base environment. */
  env: Record<string, string>;
}

export interface Ports {
  grpc: number;
  /** The gateway's public HTTP port; the others have none. */
  http?: number;
  admin: number;
}

/** The ports `npm start` serves on, as each service's config defaults them. */
export const DEFAULT_PORTS: Record<App, Ports> = {
  gateway: { grpc: 50051, http: 8080, admin: 8081 },
  inventory: { grpc: 50052, admin: 8082 },
  payment: { grpc: 50053, admin: 8083 },
  'order-store': { grpc: 50054, admin: 8084 },
};

/** Free ports on loopback for one process (the gateway's HTTP port too). */
export const freePorts = (freePort: () => Promise<number>) => async (_name: string, app: App): Promise<Ports> => ({
  grpc: await freePort(),
  http: app === 'gateway' ? await freePort() : undefined,
  admin: await freePort(),
});

export interface SystemOptions {
  /** Ports for each process; DEFAULT_PORTS for a single system on the usual ports. */
  ports: (name: string, app: App) => Ports | Promise<Ports>;
  /** Variables of every process (database names, topic prefix, log level...). */
  env?: Record<string, string>;
  /** Variables of each app's processes (its credentials and certificate, say), over `env`. */
  appEnv?: (app: App) => Record<string, string>;
  /** Instances of each service (default 1); gateway n talks to inventory n and order-store n. */
  instances?: number;
  /** Each app's consumer group is `<app><groupSuffix>`, shared by its instances (default: the services' own). */
  groupSuffix?: string;
}

/** The processes of a whole system, in start order (the gateway last, once what it calls is up). */
export async function systemProcesses({ ports, env = {}, appEnv = () => ({}), instances = 1, groupSuffix }: SystemOptions): Promise<ServiceProcess[]> {
  const processes: ServiceProcess[] = [];
  for (let n = 1; n <= instances; n++) {
    const name = (app: App) => (n === 1 ? app : `${app}-${n}`);
    for (const app of APPS) {
      const { grpc, http, admin } = await ports(name(app), app);
      const own: Record<string, string> = { ...env, ...appEnv(app), GRPC_PORT: String(grpc), ADMIN_PORT: String(admin) };
      if (http !== undefined) own.HTTP_PORT = String(http);
      if (groupSuffix !== undefined && app !== 'gateway') own.KAFKA_GROUP_ID = `${app}${groupSuffix}`;
      if (app === 'gateway') {
        const peer = (other: App) => processes.find((p) => p.name === name(other))!;
        own.INVENTORY_ADDR = `127.0.0.1:${peer('inventory').grpcPort}`;
        own.ORDER_STORE_ADDR = `127.0.0.1:${peer('order-store').grpcPort}`;
      }
      processes.push({ name: name(app), app, grpcPort: grpc, httpPort: http, adminPort: admin, env: own });
    }
  }
  return processes;
}

export interface LaunchOptions {
  /** The repository root: bundles are under dist/apps. */
  root: string;
  /** Each process's stdout and stderr go to <logDir>/<name>.log. */
  logDir: string;
  sched: BackgroundSched;
  /** Node flags of a process beyond the service flags (profiling, say). */
  nodeArgs?: (p: ServiceProcess) => string[];
  /** What every process inherits under its own variables (default process.env). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Each process in a process group of its own: a Ctrl-C reaches the launcher's owner, which stops them in order. */
  detached?: boolean;
  /** How long a process may take to serve (default 60 s). */
  startTimeoutMs?: number;
}

/**
 * The one way the project runs its services as processes: `npm start`, the
 * bench and the end-to-end tests. Each runs as serviceCommand says (node
 * flags, scheduling), logs to a file, and counts as started once its admin
 * port's /readyz answers 200 (the probe a kubelet uses too).
 */
export class Launcher {
  private readonly procs = new Map<string, ChildProcess>();
  private readonly exitHandlers: ((name: string, how: string) => void)[] = [];
  private readonly stopping = new Set<string>();

  constructor(
    readonly processes: ServiceProcess[],
    private readonly opts: LaunchOptions,
  ) {
    mkdirSync(opts.logDir, { recursive: true });
  }

  /** Starts every process, in order, each once the one before serves. */
  async startAll(): Promise<void> {
    for (const p of this.processes) await this.start(p.name);
  }

  /** Starts (or restarts) a process and resolves once it serves; rejects if it exits or times out first. */
  async start(name: string): Promise<void> {
    const p = this.process(name);
    const { command, args } = serviceCommand(p.app, serviceBundle(this.opts.root, p.app), {
      sched: this.opts.sched,
      nodeArgs: this.opts.nodeArgs?.(p),
    });
    const log = this.logFile(name);
    const child = spawn(command, args, {
      cwd: this.opts.root,
      env: { ...(this.opts.baseEnv ?? process.env), ...p.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.opts.detached ?? false,
    });
    const out = createWriteStream(log, { flags: 'a' });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    this.stopping.delete(name);
    this.procs.set(name, child);
    child.on('exit', (code, signal) => {
      if (this.stopping.has(name)) return;
      for (const handler of this.exitHandlers) handler(name, signal ?? `code ${code}`);
    });

    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited while starting; ${lastLines(log)}`);
      if (await ready(p.adminPort)) return;
      if (Date.now() > deadline) throw new Error(`${name} did not serve in time; ${lastLines(log)}`);
      await sleep(200);
    }
  }

  /** Signals a process and resolves once it exited, with its exit code and how long it took; SIGKILL after graceMs. */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<{ code: number | null; ms: number }> {
    const child = this.procs.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return { code: child?.exitCode ?? null, ms: 0 };
    this.stopping.add(name);
    const began = Date.now();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited.finally(() => clearTimeout(timer));
    return { code, ms: Date.now() - began };
  }

  /** Stops every process, in reverse start order. */
  async stopAll(): Promise<void> {
    for (const p of [...this.processes].reverse()) await this.stop(p.name);
  }

  /** SIGKILLs every process now: for an owner exiting in a hurry. */
  killAll(): void {
    for (const [name, child] of this.procs) {
      this.stopping.add(name);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  /** Hears of every process that exits without being stopped. */
  onUnexpectedExit(handler: (name: string, how: string) => void): void {
    this.exitHandlers.push(handler);
  }

  /** The running processes' pids, by name. */
  pids(): Map<string, number> {
    const running = [...this.procs].filter(([, c]) => c.pid !== undefined && c.exitCode === null && c.signalCode === null);
    return new Map(running.map(([name, c]) => [name, c.pid!]));
  }

  logFile(name: string): string {
    return path.join(this.opts.logDir, `${name}.log`);
  }

  private process(name: string): ServiceProcess {
    const p = this.processes.find((q) => q.name === name);
    if (!p) throw new Error(`no process named ${name}`);
    return p;
  }
}

/** The admin port's /readyz answers 200. */
async function ready(adminPort: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function lastLines(file: string, count = 5): string {
  try {
    return `last lines of ${file}:\n${readFileSync(file, 'utf8').trim().split('\n').slice(-count).join('\n')}`;
  } catch {
    return `see ${file}`;
  }
}
