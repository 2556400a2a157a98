import { afterEach, describe, expect, it } from 'vitest';
import { counter, createMetricsRegistry, gauge, histogram, startAdminServer, type RunningAdminServer } from './index.js';

let server: RunningAdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('metrics registry', () => {
  it('has the default process metrics, per registry', async () => {
    const text = await createMetricsRegistry().metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(await createMetricsRegistry({ defaultMetrics: false }).metrics()).not.toMatch(/process_cpu/);
  });

  it('creates a metric once per registry and hands it out again by name', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const spec = { name: 'things_total', help: 'Things.', labelNames: ['kind'] as const };
    counter(registry, spec).inc({ kind: 'a' });
    counter(registry, spec).inc({ kind: 'a' }, 2);
    counter(createMetricsRegistry({ defaultMetrics: false }), spec).inc({ kind: 'a' }); // another registry, another series
    gauge(registry, { name: 'depth', help: 'Depth.' }).set(7);
    histogram(registry, { name: 'work_seconds', help: 'Work.', labelNames: ['outcome'] }).observe({ outcome: 'ok' }, 0.003);
    const text = await registry.metrics();
    expect(text).toContain('things_total{kind="a"} 3');
    expect(text).toContain('depth 7');
    expect(text).toContain('work_seconds_bucket{le="0.005",outcome="ok"} 1');
    expect(text).toContain('work_seconds_count{outcome="ok"} 1');
  });
});

describe('startAdminServer', () => {
  it('serves /metrics in the Prometheus text format, /healthz and /readyz, and 404 elsewhere', async () => {
    const registry = createMetricsRegistry();
    counter(registry, { name: 'served_total', help: 'Served.' }).inc();
    let ready = false;
    server = await startAdminServer({ host: '127.0.0.1', port: 0, registry, readiness: async () => ({ ready, checks: { db: ready ? 'up' : 'down' } }) });
    const base = `http://127.0.0.1:${server.port}`;

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toContain('# TYPE served_total counter');
    expect(text).toContain('served_total 1');
    expect(text).toContain('process_resident_memory_bytes');

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', checks: { db: 'down' } });
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
