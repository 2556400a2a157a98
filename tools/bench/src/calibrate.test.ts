import { describe, expect, it } from 'vitest';
import { calibrate, calibrateApart } from './calibrate.js';

describe('calibrate', () => {
  it('times each round and reports the fastest, and a round trip to another process', async () => {
    const { bestMs, roundsMs, roundTripUs } = await calibrate(3);

    expect(roundsMs).toHaveLength(3);
    for (const ms of roundsMs) expect(ms).toBeGreaterThan(0);
    expect(bestMs).toBe(Math.min(...roundsMs));
    // Loopback TCP between two processes: more than a microsecond, far less than a millisecond.
    expect(roundTripUs).toBeGreaterThan(1);
    expect(roundTripUs).toBeLessThan(1000);
  });

  it('runs apart in a fresh process', () => {
    const { bestMs, roundsMs, roundTripUs } = calibrateApart();

    expect(roundsMs).toHaveLength(5);
    expect(bestMs).toBe(Math.min(...roundsMs));
    expect(roundTripUs).toBeGreaterThan(1);
  });
});
