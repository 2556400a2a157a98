import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Counter, Gauge, Histogram } from 'prom-client';
export type MetricsRegistry = Registry;

/**
 * The Prometheus registry of one process (or one test), with the default
 * process metrics (CPU, memory, event loop, GC). Created by main.ts or
 * buildService and passed down: nothing registers metrics at import time.
 */
export function createMetricsRegistry({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/**
 * The metric of that name in the registry, created on first use: several
 * clients, servers or consumers of one process share one series family.
 */
function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function counter<L extends string>(registry: Registry, spec: MetricSpec<L>): Counter<L> {
  return getOrCreate(registry, spec.name, () => new Counter<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] }));
}

export function gauge<L extends string>(registry: Registry, spec: MetricSpec<L>): Gauge<L> {
  return getOrCreate(registry, spec.name, () => new Gauge<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] }));
}

/** Seconds; the buckets span 1 ms to 10 s, every 5-10 ms between 5 and 50 ms (the request path's targets lie there). */
export function histogram<L extends string>(registry: Registry, spec: MetricSpec<L> & { buckets?: number[] }): Histogram<L> {
  return getOrCreate(
    registry,
    spec.name,
    () =>
      new Histogram<L>({
        buckets: [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        ...spec,
        labelNames: spec.labelNames ?? [],
        registers: [registry],
      }),
  );
}

/**
 * Answers GET /metrics with the registry in the Prometheus text format;
 * false for any other path, so the caller can route it.
 */
export async function serveMetrics(registry: Registry, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return true;
  }
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

export interface AdminServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  /** Whether the process can serve now, with what it checked; /readyz answers 503 while not. Default: ready. */
  readiness?: () => Promise<{ ready: boolean; checks?: Record<string, string> }>;
}

export interface RunningAdminServer {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * A process's admin listener, apart from the ports it serves callers on:
 * GET /metrics (Prometheus), /healthz (the process is up) and /readyz (it can
 * serve). Kubelet probes and Prometheus use it; it is never published.
 */
export async function startAdminServer({ host, port, registry, readiness }: AdminServerOptions): Promise<RunningAdminServer> {
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = async () => {
      if (await serveMetrics(registry, req, res)) return;
      if (path === '/healthz') return json(res, 200, { status: 'ok' });
      if (path === '/readyz') {
        const { ready, checks } = readiness ? await readiness() : { ready: true, checks: undefined };
        return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
      }
      json(res, 404, { code: 'not_found', message: 'not found' });
    };
    answer().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 10_000;
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.close();
      server.closeIdleConnections();
      await once(server, 'close');
    },
  };
}
