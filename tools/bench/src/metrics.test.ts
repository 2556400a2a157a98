import { describe, expect, it } from 'vitest';
import { parsePrometheus, stages } from './metrics.js';

/** A gateway's CreateOrder histogram, as prom-client prints it. */
const scrape = (buckets: Record<string, number>, sum: number) =>
  parsePrometheus(
    [
      '# HELP rpc_server_duration_seconds RPCs served.',
      ...Object.entries(buckets).map(([le, n]) => `rpc_server_duration_seconds_bucket{le="${le}",method="CreateOrder",code="OK"} ${n}`),
      `rpc_server_duration_seconds_sum{method="CreateOrder",code="OK"} ${sum}`,
      `rpc_server_duration_seconds_count{method="CreateOrder",code="OK"} ${buckets['+Inf']}`,
    ].join('\n'),
  );

describe('stages', () => {
  it('gives the mean and the bucket the p99 falls in', () => {
    const after = scrape({ '0.005': 90, '0.025': 98, '0.05': 99, '0.1': 100, '+Inf': 100 }, 0.8);
    expect(stages(new Map([['gateway', after]]))['gateway: CreateOrder served']).toEqual({ count: 100, mean_ms: 8, p99_at_most_ms: 50 });
  });

  it('counts only what was added since the first scrape', () => {
    // A slow start (20 calls over 100 ms), then 100 calls within 5 ms.
    const before = scrape({ '0.005': 0, '0.025': 0, '0.05': 0, '0.1': 0, '0.25': 20, '+Inf': 20 }, 3);
    const after = scrape({ '0.005': 100, '0.025': 100, '0.05': 100, '0.1': 100, '0.25': 120, '+Inf': 120 }, 3.2);
    expect(stages(new Map([['gateway', after]]), new Map([['gateway', before]]))['gateway: CreateOrder served']).toEqual({
      count: 100,
      mean_ms: 2,
      p99_at_most_ms: 5,
    });
  });

  it('says when the p99 is beyond the last bucket', () => {
    const after = scrape({ '10': 90, '+Inf': 100 }, 1000);
    expect(stages(new Map([['gateway', after]]))['gateway: CreateOrder served']?.p99_at_most_ms).toBeNull();
  });
});
