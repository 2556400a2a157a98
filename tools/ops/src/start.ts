/**
 * npm start: the infrastructure up if needed, the four services built, then
 * run in the foreground with a start-up summary; their JSON logs go to
 * .infra/logs/<service>.log. Ctrl-C stops the services (not the infrastructure).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceBundle, serviceCommand } from '@order-system/config/launch';
import { checkHealth } from '@order-system/grpc';
import { inheritedEnv, opsConfig, services } from './config.js';

const root = path.resolve(import.meta.dirname, '../../..');
const cfg = opsConfig();
const logDir = path.join(root, '.infra/logs');

function step(title: string, command: string, args: string[]) {
  console.log(`\n▶ ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: inheritedEnv() });
  if (result.status !== 0) {
    console.error(`✗ ${title} failed`);
    process.exit(result.status ?? 1);
  }
}

step('infrastructure', 'bash', ['tools/infra/up.sh']);
step('build', 'npx', ['nx', 'run-many', '-t', 'build', '--projects=gateway,inventory,payment,order-store', '--output-style=static']);

mkdirSync(logDir, { recursive: true });
const children = new Map<string, ChildProcess>();
let stopping = false;

for (const svc of services(cfg)) {
  const log = createWriteStream(path.join(logDir, `${svc.name}.log`), { flags: 'a' });
  const { command, args } = serviceCommand(svc.name, serviceBundle(root, svc.name), cfg.backgroundSched);
  const child = spawn(command, args, {
    cwd: root,
    env: { ...inheritedEnv(), ...svc.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`✗ ${svc.name} exited (${signal ?? `code ${code}`}); see .infra/logs/${svc.name}.log`);
    void stop(1);
  });
  children.set(svc.name, child);
}

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping services…');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  console.log('services stopped; the infrastructure keeps running (npm run infra:down stops it).');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const deadline = Date.now() + cfg.startTimeoutMs;
const status = new Map<string, string>();
for (const svc of services(cfg)) {
  while (!stopping) {
    const health = await checkHealth(`localhost:${svc.grpcPort}`, 500);
    status.set(svc.name, health);
    if (health === 'SERVING') break;
    if (Date.now() > deadline) {
      console.error(`✗ ${svc.name} did not become healthy; see .infra/logs/${svc.name}.log`);
      await stop(1);
    }
    await sleep(250);
  }
}

if (stopping) await new Promise(() => {}); // stop() exits the process

console.log('\n  service       port    health    logs');
for (const svc of services(cfg)) {
  console.log(`  ${svc.name.padEnd(12)}  ${String(svc.grpcPort).padEnd(6)}  ${(status.get(svc.name) ?? '?').padEnd(8)}  .infra/logs/${svc.name}.log`);
}
console.log(`\n  gRPC        localhost:${cfg.gatewayGrpcPort}   (grpcurl -plaintext localhost:${cfg.gatewayGrpcPort} list)`);
console.log(`  Connect/REST http://localhost:${cfg.gatewayHttpPort}   (curl localhost:${cfg.gatewayHttpPort}/orders)`);
console.log('\nall services up. Ctrl-C stops them.');
