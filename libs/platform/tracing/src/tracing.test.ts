import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from './index.js';

let tracing: Tracing | undefined;
afterAll(async () => {
  await tracing?.shutdown();
  trace.disable();
});

describe('startTracing', () => {
  it('registers the SDK globally: spans made through @opentelemetry/api reach the exporter, named after the service', async () => {
    const exporter = new InMemorySpanExporter();
    const processor = new SimpleSpanProcessor(exporter);
    tracing = await startTracing({ service: 'tracing-test', spanProcessors: [processor] });

    trace.getTracer('test').startActiveSpan('work', (span) => span.end());
    await processor.forceFlush();

    const [work] = exporter.getFinishedSpans();
    expect(work?.name).toBe('work');
    expect(work?.resource.attributes['service.name']).toBe('tracing-test');
  });
});
