/** npm run status: the infrastructure's table, then each service's gRPC health. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { checkHealth } from '@order-system/grpc';
import { inheritedEnv, opsConfig, services } from './config.js';

const root = path.resolve(import.meta.dirname, '../../..');
const cfg = opsConfig();

spawnSync('bash', ['tools/infra/status.sh'], { cwd: root, stdio: 'inherit', env: inheritedEnv() });
console.log('\nSERVICE      PORT    HEALTH');
let down = 0;
for (const svc of services(cfg)) {
  const health = await checkHealth(`localhost:${svc.grpcPort}`, 1000);
  if (health !== 'SERVING') down++;
  console.log(`${svc.name.padEnd(12)} ${String(svc.grpcPort).padEnd(7)} ${health}`);
}
const ready = await fetch(`http://localhost:${cfg.gatewayHttpPort}/readyz`).then(
  (r) => `${r.status}`,
  () => 'DOWN',
);
console.log(`gateway http ${String(cfg.gatewayHttpPort).padEnd(7)} /readyz ${ready}`);
process.exitCode = down > 0 ? 1 : 0;
