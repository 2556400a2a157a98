import type { Registry } from '@bufbuild/protobuf';
import type { TokenVerifier } from '@order-system/auth';
import type { Logger } from '@order-system/logger';
import { createMetricsRegistry, type MetricsRegistry } from '@order-system/metrics';
import { Admission } from './app/admission.js';
import type { Deps } from './app/deps.js';
import { Watches } from './app/watch-order.js';
import type { Config } from './config.js';
import { edge } from './ports/edge.js';
import { publicServices } from './ports/grpc.js';
import { createHttpServer } from './ports/http.js';

export interface Infra {
  deps: Deps;
  registry: Registry;
  verifier: TokenVerifier;
  log: Logger;
  /** The process's Prometheus registry; a fresh one if not given. */
  metrics?: MetricsRegistry;
}

/** The composition root, shared by main.ts and the tests. */
export function buildService(config: Config, { deps, registry, verifier, log, metrics = createMetricsRegistry() }: Infra) {
  // One limit for every transport: gRPC, Connect and gRPC-Web, REST.
  const admission = new Admission(config.maxOrdersInFlight);
  const watches = new Watches({ perCaller: config.watchMaxPerCaller, total: config.watchMaxTotal, lifetimeMs: config.watchMaxLifetimeMs });
  const services = publicServices(deps, config.rpcTimeoutMs, admission, watches);
  // One verifier and one rate limiter behind every transport's interceptor.
  const { authenticate, authenticateHeader } = edge(verifier, {
    perSec: config.rateLimitPerSec,
    burst: config.rateLimitBurst,
    adminPerSec: config.adminRateLimitPerSec,
    adminBurst: config.adminRateLimitBurst,
  });
  const httpServer = createHttpServer({
    registry,
    services,
    deps,
    log,
    metrics,
    authenticate,
    authenticateHeader,
    admission,
    maxBodyBytes: config.maxBodyBytes,
    rpcTimeoutMs: config.rpcTimeoutMs,
    corsOrigins: config.corsOrigins,
    consoleDir: config.consoleDir || undefined,
    devSignerKeyFile: config.devSignerKeyFile || undefined,
    limits: {
      maxConnections: config.httpMaxConnections,
      headersTimeoutMs: config.httpHeadersTimeoutMs,
      requestTimeoutMs: config.httpRequestTimeoutMs,
      keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
      maxHeaderBytes: config.maxHeaderBytes,
    },
  });
  return { grpcServices: services, authenticate, httpServer, metrics };
}
