import type { Registry } from '@bufbuild/protobuf';
import type { Logger } from '@order-system/logger';
import type { Deps } from './app/deps.js';
import type { Config } from './config.js';
import { publicServices } from './ports/grpc.js';
import { createHttpServer } from './ports/http.js';

export interface Infra {
  deps: Deps;
  registry: Registry;
  log: Logger;
}

/** The composition root, shared by main.ts and the tests. */
export function buildService(config: Config, { deps, registry, log }: Infra) {
  const services = publicServices(deps, config.rpcTimeoutMs);
  const httpServer = createHttpServer({
    registry,
    services,
    deps,
    log,
    maxBodyBytes: config.maxBodyBytes,
    rpcTimeoutMs: config.rpcTimeoutMs,
    dependencies: { inventory: config.inventoryAddr, 'order-store': config.orderStoreAddr },
  });
  return { grpcServices: services, httpServer };
}
