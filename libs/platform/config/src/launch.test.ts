import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, launch, parseConfig, serviceNodeFlags } from './index.js';
import { batchSchedulingAvailable, serviceCommand } from './launch.js';

// A stand-in bundle that prints the scheduling policy it runs under (field 41 of /proc/self/stat).
const bundle = path.join(mkdtempSync(path.join(tmpdir(), 'launch-')), 'main.cjs');
writeFileSync(bundle, "const s = require('fs').readFileSync('/proc/self/stat', 'utf8'); console.log(s.slice(s.lastIndexOf(')') + 2).split(' ')[38]);\n");

const SCHED_OTHER = '0';
const SCHED_BATCH = '3';

/** Runs the bundle as the launcher would for app, and returns the policy it reported. */
function policyOf(app: string, env: Record<string, string> = {}): string {
  const { command, args } = serviceCommand(app, bundle, parseConfig(env, launch).backgroundSched);
  const run = spawnSync(command, args, { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim();
}

describe.runIf(process.platform === 'linux')('serviceCommand', () => {
  it('finds chrt on this machine (util-linux)', () => {
    expect(batchSchedulingAvailable()).toBe(true);
  });

  it.each(['payment', 'order-store'])('starts %s, off the request path, under SCHED_BATCH', (app) => {
    expect(policyOf(app)).toBe(SCHED_BATCH);
  });

  it.each(['gateway', 'inventory'])('starts %s under the normal policy', (app) => {
    expect(policyOf(app)).toBe(SCHED_OTHER);
  });

  it('runs node with the service flags and any extra ones before the bundle', () => {
    const { args } = serviceCommand('gateway', bundle, 'batch', ['--cpu-prof']);
    expect(args).toEqual([...serviceNodeFlags('gateway'), '--cpu-prof', bundle]);
  });

  it('leaves the policy alone with BACKGROUND_SCHED=normal', () => {
    expect(policyOf('payment', { BACKGROUND_SCHED: 'normal' })).toBe(SCHED_OTHER);
  });

  it('names a BACKGROUND_SCHED it does not know', () => {
    expect(() => parseConfig({ BACKGROUND_SCHED: 'idle' }, launch)).toThrow(ConfigError);
    expect(() => parseConfig({ BACKGROUND_SCHED: 'idle' }, launch)).toThrow(/BACKGROUND_SCHED="idle": expected one of batch, normal/);
  });
});
