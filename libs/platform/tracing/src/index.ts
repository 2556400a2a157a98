import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TracingOptions {
  /** service.name of every span. */
  service: string;
  /**
   * Where spans go. Default: batched to OTLP over HTTP, configured by the
   * SDK's own variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...).
   * Tests pass an in-memory exporter.
   */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  /** Exports the spans not yet exported, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing: the Node SDK, registered as the global tracer
 * provider, with W3C trace-context propagation. Called only when
 * OTEL_ENABLED=true; the SDK is imported here, so a process without tracing
 * never loads it.
 *
 * The spans come from our libs (the grpc lib: a server span per RPC over
 * gRPC, Connect and gRPC-Web, a client span per call, traceparent in the
 * metadata; the kafka lib: a consumer span per message) through
 * @opentelemetry/api, which is a no-op until this runs. The http and grpc
 * auto-instrumentations are not used: they patch modules as they are
 * required, and the services run as esbuild bundles that inline them.
 */
export async function startTracing({ service, spanProcessors }: TracingOptions): Promise<Tracing> {
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const sdk = new NodeSDK({
    serviceName: service,
    ...(spanProcessors ? { spanProcessors } : { traceExporter: new OTLPTraceExporter() }),
    // Traces only: metrics are Prometheus' (GET /metrics), logs are pino's JSON on stdout.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
