import { once } from 'node:events';
import { TokenVerifier } from '@order-system/auth';
import { createServiceClient, descriptorRegistry, healthChecker, startGrpcServer, tlsFromFiles } from '@order-system/grpc';
import { Lifecycle, runMain } from '@order-system/lifecycle';
import { createLogger } from '@order-system/logger';
import { createMetricsRegistry, startAdminServer } from '@order-system/metrics';
import { descriptorSetBase64, inventory, orderstore } from '@order-system/proto';
import { startTracing } from '@order-system/tracing';
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

  // Mutual TLS to inventory and the order-store, each proving it is the service it is meant to be.
  const tls = tlsFromFiles({ caFile: config.tlsCaFile, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  // Ready while what the gateway calls answers its health checks (each asked at most once a second).
  const dependencies = {
    inventory: healthChecker(config.inventoryAddr, { tls, serverName: 'inventory' }),
    'order-store': healthChecker(config.orderStoreAddr, { tls, serverName: 'order-store' }),
  };
  const readiness = async () => {
    const checks = Object.fromEntries(await Promise.all(Object.entries(dependencies).map(async ([name, d]) => [name, await d.check()])));
    return { ready: Object.values(checks).every((s) => s === 'SERVING'), checks };
  };
  const admin = await startAdminServer({ host: config.bindHost, port: config.adminPort, registry: metrics, readiness });
  life.defer('admin server', async () => {
    await admin.close();
    for (const d of Object.values(dependencies)) d.close();
  });

  const clientOpts = { defaultTimeoutMs: config.rpcTimeoutMs, metrics, tls };
  const deps = {
    inventory: withStreamedReservations(
      createServiceClient(inventory.v1.InventoryServiceService, config.inventoryAddr, { ...clientOpts, serverName: 'inventory' }),
      { defaultTimeoutMs: config.rpcTimeoutMs, metrics },
    ),
    orderStore: createServiceClient(orderstore.v1.OrderStoreServiceService, config.orderStoreAddr, { ...clientOpts, serverName: 'order-store' }),
  };
  life.defer('clients', () => {
    deps.inventory.close();
    deps.orderStore.close();
  });

  const verifier = new TokenVerifier({
    jwksUrl: config.authJwksUrl || undefined,
    jwksFile: config.authJwksFile || undefined,
    issuer: config.authIssuer,
    audience: config.authAudience,
    clockToleranceSec: config.authClockSkewSec,
  });
  const { grpcServices, authenticate, httpServer } = buildService(config, { deps, registry: descriptorRegistry(descriptorSetBase64), verifier, log, metrics });
  const grpcServer = await startGrpcServer({
    host: config.publicBindHost,
    port: config.grpcPort,
    services: grpcServices,
    descriptorSetBase64,
    log,
    maxMessageBytes: config.maxBodyBytes,
    metrics,
    authenticate,
    reflection: config.reflection,
  });
  life.defer('grpc server', () => grpcServer.close(config.shutdownTimeoutMs / 2));

  httpServer.listen(config.httpPort, config.publicBindHost);
  await once(httpServer, 'listening');
  life.defer('http server', async () => {
    httpServer.close();
    httpServer.closeIdleConnections();
    await once(httpServer, 'close');
  });

  log.info({ grpcPort: grpcServer.port, httpPort: config.httpPort, adminPort: admin.port }, 'gateway listening');
});
