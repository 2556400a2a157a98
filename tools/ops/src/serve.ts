/**
 * `nx run <app>:serve`: one built service in the foreground, run as the
 * launcher runs it (node flags, scheduling). Signals are passed on; the exit
 * code is the service's.
 *
 *   tsx tools/ops/src/serve.ts <gateway|inventory|payment|order-store>
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { APPS, serviceBundle, serviceCommand, type App } from '@order-system/launcher';
import { opsConfig } from './config.js';
import { serviceEnv } from '@order-system/local-stack';
import { devKeys, localGatewayEnv } from './dev-auth.js';

const root = path.resolve(import.meta.dirname, '../../..');
const app = process.argv[2] as App;
if (!APPS.includes(app)) {
  console.error(`serve: name one of ${APPS.join(', ')} (got "${app}")`);
  process.exit(2);
}
const bundle = serviceBundle(root, app);
if (!existsSync(bundle)) {
  console.error(`serve: ${path.relative(root, bundle)} is missing; build it first (npx nx run ${app}:build)`);
  process.exit(1);
}

// The service's credentials and certificate from the local stack, unless the environment gives them.
// The gateway runs as under npm start (dev-key tokens, the console, the dev signer) unless told where
// else its keys are.
const env = { ...serviceEnv(app), ...process.env };
if (app === 'gateway' && !env.AUTH_JWKS_FILE && !env.AUTH_JWKS_URL) Object.assign(env, localGatewayEnv(root, await devKeys(root)), process.env);
const { command, args } = serviceCommand(app, bundle, { sched: opsConfig().backgroundSched });
const child = spawn(command, args, { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
