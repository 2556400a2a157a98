/**
 * npm start: the infrastructure up if needed, the four services and the web
 * console built, then the services run in the foreground with a start-up
 * summary; their JSON logs go to .infra/logs/<service>.log. The gateway serves
 * the console under /console/, with the dev signer on for its "sign in as".
 * Ctrl-C stops the services (not the infrastructure).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { signDevToken } from '@order-system/auth';
import { APPS, DEFAULT_PORTS, Launcher, systemProcesses, type App } from '@order-system/launcher';
import { serviceEnv } from '@order-system/local-stack';
import { devKeys, localGatewayEnv } from './dev-auth.js';
import { opsConfig } from './config.js';

const root = path.resolve(import.meta.dirname, '../../..');
const cfg = opsConfig();

function step(title: string, command: string, args: string[]) {
  console.log(`\n▶ ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`✗ ${title} failed`);
    process.exit(result.status ?? 1);
  }
}

step('infrastructure', 'bash', ['tools/infra/up.sh']);
step('build', 'npx', ['nx', 'run-many', '-t', 'build', `--projects=${[...APPS, 'console'].join(',')}`, '--output-style=static']);

console.log('\n▶ dev token keys');
const keys = await devKeys(root);
console.log(`  ${path.relative(root, keys.jwksFile)} (npm run -s token -- --sub <user_id> signs tokens for this stack)`);

// Each service with its own credentials and certificate, generated under .infra by tools/infra; the
// gateway also serves the console and, for this local stack only, signs tokens for its "sign in as".
const gatewayEnv = localGatewayEnv(root, keys);
const appEnv = (app: App) => ({ ...serviceEnv(app), ...(app === 'gateway' ? gatewayEnv : {}) });
const launcher = new Launcher(await systemProcesses({ ports: (_, app) => DEFAULT_PORTS[app], appEnv }), {
  root,
  logDir: path.join(root, '.infra/logs'),
  sched: cfg.backgroundSched,
  startTimeoutMs: cfg.startTimeoutMs,
});

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping services…');
  await launcher.stopAll();
  console.log('services stopped; the infrastructure keeps running (npm run infra:down stops it).');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
launcher.onUnexpectedExit((name, how) => {
  console.error(`✗ ${name} exited (${how}); see .infra/logs/${name}.log`);
  void stop(1);
});

console.log('\n▶ services');
try {
  await launcher.startAll();
} catch (err) {
  console.error(`✗ ${(err as Error).message}`);
  await stop(1);
}

console.log('\n  service       gRPC    admin (metrics, probes)          logs');
for (const p of launcher.processes) {
  console.log(`  ${p.name.padEnd(12)}  ${String(p.grpcPort).padEnd(6)}  http://localhost:${p.adminPort}/metrics   .infra/logs/${p.name}.log`);
}
const { grpc, http } = DEFAULT_PORTS.gateway;
const token = await signDevToken(keys.privateKeyFile, { sub: 'user_001', ttlSec: 12 * 3600 });
console.log(`\n  gRPC          localhost:${grpc}`);
console.log(`  Connect/REST  http://localhost:${http}`);
console.log(`  web console   http://localhost:${http}/console/  ("sign in as" any user id; tick operator for the operations view)`);
console.log('\n  try it (a token for user_001, valid 12 h; npm run -s token -- --sub <user_id> [--admin] makes others):');
console.log(`  TOKEN=${token}`);
console.log(`  curl -s localhost:${http}/orders -H "authorization: Bearer $TOKEN"`);
console.log(`  npx buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer $TOKEN" http://localhost:${grpc}/orders.v1.OrderService/ListOrders`);
console.log('\nall services up. Ctrl-C stops them.');
