import type { Registry } from '@bufbuild/protobuf';
import type { Logger } from '@order-system/logger';
import { createMetricsRegistry, type MetricsRegistry } from '@order-system/metrics';
import { Admission } from './app/admission.js';
import type { Deps } from './app/deps.js';
import type { Config } from './config.js';
import { publicServices } from './ports/grpc.js';
import { createHttpServer } from './ports/http.js';

export interface Infra {
  deps: Deps;
  registry: Registry;
  log: Logger;
  /** The process's Prometheus registry; a fresh one if not given. */
  metrics?: MetricsRegistry;
}

/** The composition root, shared by main.ts and the tests. */
export function buildService(config: Config, { deps, registry, log, metrics = createMetricsRegistry() }: Infra) {
  // One limit for every transport: gRPC, Connect and gRPC-Web, REST.
  const admission = new Admission(config.maxOrdersInFlight);
  const services = publicServices(deps, config.rpcTimeoutMs, admission);
  const httpServer = createHttpServer({
    registry,
    services,
    deps,
    log,
    metrics,
    maxBodyBytes: config.maxBodyBytes,
    rpcTimeoutMs: config.rpcTimeoutMs,
    admission,
    dependencies: { inventory: config.inventoryAddr, 'order-store': config.orderStoreAddr },
  });
  return { grpcServices: services, httpServer, metrics };
}
