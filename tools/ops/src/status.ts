/** npm run status: the infrastructure's table, then each service's readiness on its admin port. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { APPS } from '@order-system/launcher';
import { ports } from './config.js';

const root = path.resolve(import.meta.dirname, '../../..');

spawnSync('bash', ['tools/infra/status.sh'], { cwd: root, stdio: 'inherit' });
console.log('\nSERVICE      gRPC    ADMIN   /readyz');
let down = 0;
for (const app of APPS) {
  const res = await fetch(`http://localhost:${ports[app].admin}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
    async (r) => `${r.status} ${JSON.stringify(((await r.json()) as { checks?: unknown }).checks ?? '')}`,
    () => 'DOWN',
  );
  if (!res.startsWith('200')) down++;
  console.log(`${app.padEnd(12)} ${String(ports[app].grpc).padEnd(7)} ${String(ports[app].admin).padEnd(7)} ${res}`);
}
process.exitCode = down > 0 ? 1 : 0;
