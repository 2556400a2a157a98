import { once } from 'node:events';
import { createServiceClient, descriptorRegistry, startGrpcServer } from '@order-system/grpc';
import { Lifecycle, runMain } from '@order-system/lifecycle';
import { createLogger } from '@order-system/logger';
import { createMetricsRegistry } from '@order-system/metrics';
import { startTracing } from '@order-system/tracing';
import { descriptorSetBase64, inventory, orderstore } from '@order-system/proto';
import { withStreamedReservations } from './adapters/streamed-reservations.js';
import { loadConfig } from './config.js';
import { buildService } from './service.js';

runMain('gateway', async () => {
  const config = loadConfig();
  const log = createLogger({ service: 'gateway', level: config.logLevel });
  const life = new Lifecycle(log, config.shutdownTimeoutMs);
  life.exitOnSignals();
  if (config.otelEnabled) life.defer('tracing', (await startTracing({ service: 'gateway' })).shutdown);
  const metrics = createMetricsRegistry();

  const clientOpts = { defaultTimeoutMs: config.rpcTimeoutMs, metrics };
  const deps = {
    inventory: withStreamedReservations(createServiceClient(inventory.v1.InventoryServiceService, config.inventoryAddr, clientOpts), {
      defaultTimeoutMs: config.rpcTimeoutMs,
      metrics,
    }),
    orderStore: createServiceClient(orderstore.v1.OrderStoreServiceService, config.orderStoreAddr, clientOpts),
  };
  life.defer('clients', () => {
    deps.inventory.close();
    deps.orderStore.close();
  });

  const { grpcServices, httpServer } = buildService(config, { deps, registry: descriptorRegistry(descriptorSetBase64), log, metrics });
  const grpcServer = await startGrpcServer({
    host: config.bindHost,
    port: config.grpcPort,
    services: grpcServices,
    descriptorSetBase64,
    log,
    maxMessageBytes: config.maxBodyBytes,
    metrics,
  });
  life.defer('grpc server', () => grpcServer.close(config.shutdownTimeoutMs / 2));

  httpServer.listen(config.httpPort, config.bindHost);
  await once(httpServer, 'listening');
  life.defer('http server', async () => {
    httpServer.close();
    httpServer.closeIdleConnections();
    await once(httpServer, 'close');
  });

  log.info({ grpcPort: grpcServer.port, httpPort: config.httpPort }, 'gateway listening');
});
