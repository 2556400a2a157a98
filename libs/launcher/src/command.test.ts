import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '@order-system/config';
import { describe, expect, it } from 'vitest';
import { APPS, findChrt, launchConfig, serviceCommand, serviceNodeFlags, type App } from './command.js';

const bundle = '/srv/dist/apps/x/main.cjs';

describe('serviceCommand', () => {
  it('runs node with the service flags, then any extra ones, then the bundle', () => {
    const { command, args } = serviceCommand('gateway', bundle, { sched: 'batch', nodeArgs: ['--cpu-prof'], chrt: '/usr/bin/chrt' });
    expect(command).toBe(process.execPath);
    expect(args).toEqual([...serviceNodeFlags('gateway'), '--cpu-prof', bundle]);
  });

  it.each(['payment', 'order-store'] as App[])('starts %s, off the request path, through chrt under SCHED_BATCH', (app) => {
    expect(serviceCommand(app, bundle, { sched: 'batch', chrt: '/usr/bin/chrt' })).toEqual({
      command: '/usr/bin/chrt',
      args: ['--batch', '0', process.execPath, ...serviceNodeFlags(app), bundle],
    });
  });

  it('leaves scheduling alone with BACKGROUND_SCHED=normal, or on a machine without chrt', () => {
    expect(serviceCommand('payment', bundle, { sched: 'normal', chrt: '/usr/bin/chrt' }).command).toBe(process.execPath);
    expect(serviceCommand('payment', bundle, { sched: 'batch', chrt: null }).command).toBe(process.execPath);
  });

  it('names a BACKGROUND_SCHED it does not know', () => {
    expect(() => parseConfig({ BACKGROUND_SCHED: 'idle' }, launchConfig)).toThrow(ConfigError);
    expect(() => parseConfig({ BACKGROUND_SCHED: 'idle' }, launchConfig)).toThrow(/BACKGROUND_SCHED="idle": expected one of batch, normal/);
  });
});

// Where chrt exists, the commands really run under the policies they name (field 41 of /proc/self/stat).
describe.runIf(findChrt())('serviceCommand on this machine', () => {
  const policyBundle = path.join(mkdtempSync(path.join(tmpdir(), 'launch-')), 'main.cjs');
  writeFileSync(policyBundle, "const s = require('fs').readFileSync('/proc/self/stat', 'utf8'); console.log(s.slice(s.lastIndexOf(')') + 2).split(' ')[38]);\n");
  const policyOf = (app: App) => {
    const { command, args } = serviceCommand(app, policyBundle, { sched: 'batch' });
    const run = spawnSync(command, args, { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.trim();
  };

  it('runs payment under SCHED_BATCH (3) and the gateway under SCHED_OTHER (0)', () => {
    expect(policyOf('payment')).toBe('3');
    expect(policyOf('gateway')).toBe('0');
  });
});

describe('serviceNodeFlags', () => {
  it.each(APPS)('are what the %s image starts node with', (app) => {
    const dockerfile = readFileSync(new URL(`../../../apps/${app}/Dockerfile`, import.meta.url), 'utf8');
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', ...serviceNodeFlags(app), `dist/apps/${app}/main.cjs`]);
  });

  it('give the gateway, which answers clients while they wait, the smaller young generation', () => {
    expect(serviceNodeFlags('gateway')).toContain('--max-semi-space-size=4');
    expect(serviceNodeFlags('inventory')).toContain('--max-semi-space-size=16');
  });
});
