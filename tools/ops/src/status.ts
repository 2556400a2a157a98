/** npm run status: the infrastructure's table, then each service's gRPC health. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { checkHealth } from '@order-system/grpc';
import { APPS } from '@order-system/launcher';
import { ports } from './config.js';

const root = path.resolve(import.meta.dirname, '../../..');

spawnSync('bash', ['tools/infra/status.sh'], { cwd: root, stdio: 'inherit' });
console.log('\nSERVICE      PORT    HEALTH');
let down = 0;
for (const app of APPS) {
  const health = await checkHealth(`localhost:${ports[app].grpc}`, 1000);
  if (health !== 'SERVING') down++;
  console.log(`${app.padEnd(12)} ${String(ports[app].grpc).padEnd(7)} ${health}`);
}
const ready = await fetch(`http://localhost:${ports.gateway.admin}/readyz`).then(
  (r) => `${r.status}`,
  () => 'DOWN',
);
console.log(`gateway admin ${String(ports.gateway.admin).padEnd(6)} /readyz ${ready}`);
process.exitCode = down > 0 ? 1 : 0;
