import { describe, expect, it } from 'vitest';
import { calibrate, calibrateApart } from './calibrate.js';

describe('calibrate', () => {
  it('times each round and reports the fastest', () => {
    const { bestMs, roundsMs } = calibrate(3);

    expect(roundsMs).toHaveLength(3);
    for (const ms of roundsMs) expect(ms).toBeGreaterThan(0);
    expect(bestMs).toBe(Math.min(...roundsMs));
  });

  it('runs apart in a fresh process', () => {
    const { bestMs, roundsMs } = calibrateApart();

    expect(roundsMs).toHaveLength(5);
    expect(bestMs).toBe(Math.min(...roundsMs));
  });
});
