/**
 * npm start: the infrastructure up if needed, the four services built, then
 * run in the foreground with a start-up summary; their JSON logs go to
 * .infra/logs/<service>.log. Ctrl-C stops the services (not the infrastructure).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { APPS, DEFAULT_PORTS, Launcher, systemProcesses } from '@order-system/launcher';
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
step('build', 'npx', ['nx', 'run-many', '-t', 'build', `--projects=${APPS.join(',')}`, '--output-style=static']);

const launcher = new Launcher(await systemProcesses({ ports: (_, app) => DEFAULT_PORTS[app] }), {
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

console.log('\n  service       gRPC    HTTP    logs');
for (const p of launcher.processes) {
  console.log(`  ${p.name.padEnd(12)}  ${String(p.grpcPort).padEnd(6)}  ${String(p.httpPort).padEnd(6)}  .infra/logs/${p.name}.log`);
}
const { grpc, http } = DEFAULT_PORTS.gateway;
console.log(`\n  gRPC          localhost:${grpc}   (npx buf curl --protocol grpc --http2-prior-knowledge --list-services http://localhost:${grpc})`);
console.log(`  Connect/REST  http://localhost:${http}   (curl localhost:${http}/orders)`);
console.log('\nall services up. Ctrl-C stops them.');
