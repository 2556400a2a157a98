import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { notFound } from '@order-system/errors';
import { createLogger } from '@order-system/logger';
import { catalog, descriptorSetBase64 } from '@order-system/proto';
import { startTracing, type Tracing } from '@order-system/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindService, createServiceClient, startGrpcServer, type RunningGrpcServer } from '../src/index.js';

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
let tracing: Tracing;
let server: RunningGrpcServer;
let client: ReturnType<typeof createServiceClient<typeof catalog.v1.CatalogServiceService>>;

beforeAll(async () => {
  // As main.ts does with OTEL_ENABLED=true, with spans kept in memory instead of sent.
  tracing = await startTracing({ service: 'grpc-test', spanProcessors: [processor] });
  const services = [
    bindService(catalog.v1.CatalogServiceService, {
      listProducts: async () => ({ products: [], nextPageToken: '' }),
      getProduct: async (req) => {
        throw notFound(`product ${req.productId} not found`);
      },
      upsertProduct: async () => ({ product: undefined }),
    }),
  ];
  const log = createLogger({ service: 'test', level: 'silent' });
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services, descriptorSetBase64, log });
  client = createServiceClient(catalog.v1.CatalogServiceService, `127.0.0.1:${server.port}`);
});

afterAll(async () => {
  client?.close();
  await server?.close(100);
  await tracing?.shutdown();
  trace.disable();
});

describe('with tracing on', () => {
  it('a call makes a client span and its handling a server span in the same trace, with the status code', async () => {
    await client.listProducts({ pageSize: 1, pageToken: '' });
    await client.getProduct({ productId: 'nope' }).catch(() => undefined);
    await processor.forceFlush();

    const spans = exporter.getFinishedSpans().map((s) => ({
      name: s.name,
      kind: s.kind,
      trace: s.spanContext().traceId,
      id: s.spanContext().spanId,
      parent: s.parentSpanContext?.spanId,
      code: s.attributes['rpc.grpc.status_code'],
      service: s.resource.attributes['service.name'],
    }));
    for (const method of ['ListProducts', 'GetProduct']) {
      const name = `catalog.v1.CatalogService/${method}`;
      const clientSpan = spans.find((s) => s.name === name && s.kind === SpanKind.CLIENT);
      const serverSpan = spans.find((s) => s.name === name && s.kind === SpanKind.SERVER);
      expect(clientSpan).toBeDefined();
      expect(serverSpan).toMatchObject({ trace: clientSpan!.trace, parent: clientSpan!.id, service: 'grpc-test' });
      expect(serverSpan!.code).toBe(method === 'GetProduct' ? 5 : 0); // NOT_FOUND, OK
    }
  });
});
