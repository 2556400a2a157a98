/**
 * `nx run <app>:serve`: one built service in the foreground, started as
 * `npm start` and the bench start it (serviceCommand: serviceNodeFlags, and
 * SCHED_BATCH off the request path). Signals are passed on; the exit code is
 * the service's.
 *
 *   tsx tools/ops/src/serve.ts <gateway|inventory|payment|order-store>
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { serviceBundle, serviceCommand } from '@order-system/config/launch';
import { opsConfig, services } from './config.js';

const root = path.resolve(import.meta.dirname, '../../..');

const cfg = opsConfig();
const apps: string[] = services(cfg).map((s) => s.name);
const app = process.argv[2] ?? '';
if (!apps.includes(app)) {
  console.error(`serve: name one of ${apps.join(', ')} (got "${app}")`);
  process.exit(2);
}
const bundle = serviceBundle(root, app);
if (!existsSync(bundle)) {
  console.error(`serve: ${path.relative(root, bundle)} is missing; build it first (npx nx run ${app}:build)`);
  process.exit(1);
}

const { command, args } = serviceCommand(app, bundle, cfg.backgroundSched);
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
