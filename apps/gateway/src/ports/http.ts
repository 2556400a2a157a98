import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Registry } from '@bufbuild/protobuf';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { checkHealth, connectRoutes, CORRELATION_HEADER, type ServiceBinding } from '@order-system/grpc';
import { withCorrelation, type Logger } from '@order-system/logger';
import { serveMetrics, type MetricsRegistry } from '@order-system/metrics';
import type { Admission } from '../app/admission.js';
import type { Deps } from '../app/deps.js';
import { restRoutes } from './rest.js';

export interface HttpOptions {
  registry: Registry;
  services: ServiceBinding[];
  deps: Deps;
  log: Logger;
  /** Served at GET /metrics; Connect calls are timed in it. */
  metrics: MetricsRegistry;
  maxBodyBytes: number;
  rpcTimeoutMs: number;
  /** The limit on CreateOrders in flight, shared with the gRPC listener. */
  admission: Admission;
  /** gRPC addresses whose health makes the gateway ready. */
  dependencies: Record<string, string>;
}

/**
 * The HTTP/1.1 listener: Connect (JSON and binary) and gRPC-Web for the public
 * services, the original REST routes, /healthz (alive), /readyz (dependencies
 * reachable) and /metrics (Prometheus). Each request is handled in the
 * correlation context of its x-correlation-id (one is made up if missing).
 */
export function createHttpServer(opts: HttpOptions): http.Server {
  const connect = connectNodeAdapter({
    routes: connectRoutes(opts.registry, opts.services, opts.log, opts.metrics),
    readMaxBytes: opts.maxBodyBytes,
  });
  const rest = restRoutes(opts.deps, opts.registry, opts);

  return http.createServer((req, res) => {
    const correlationId = req.headers[CORRELATION_HEADER]?.toString() || randomUUID();
    res.setHeader(CORRELATION_HEADER, correlationId);
    return withCorrelation(correlationId, () => handle(req, res, correlationId));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, correlationId: string) {
    const url = new URL(req.url ?? '/', 'http://gateway');
    try {
      if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
      if (await serveMetrics(opts.metrics, req, res)) return;
      if (url.pathname === '/readyz') {
        const checks = Object.fromEntries(
          await Promise.all(Object.entries(opts.dependencies).map(async ([name, addr]) => [name, await checkHealth(addr)])),
        );
        const ready = Object.values(checks).every((s) => s === 'SERVING');
        return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
      }
      if (await rest(req, res, url, correlationId)) return;
      connect(req, res);
    } catch (err) {
      opts.log.error({ err, path: url.pathname }, 'http request failed');
      if (!res.headersSent) json(res, 500, { code: 'internal', message: 'internal error' });
      else res.destroy();
    }
  }
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
