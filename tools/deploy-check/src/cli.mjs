#!/usr/bin/env node
// Offline validation of the deployment files: k8s/ (every kustomization), docker-compose.yml,
// apps/*/Dockerfile. Exit 0 when everything passes, 1 listing every failure, 2 on a crash.
//   node tools/deploy-check/src/cli.mjs [--repo DIR] [--verbose]
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatReport } from './report.mjs';
import { runAll } from './run.mjs';

const args = process.argv.slice(2);
const repoIdx = args.indexOf('--repo');
const repoRoot = repoIdx >= 0 ? resolve(args[repoIdx + 1]) : resolve(fileURLToPath(import.meta.url), '../../../..');
const verbose = args.includes('--verbose');

try {
  const t0 = performance.now();
  const report = await runAll({ repoRoot });
  console.log(formatReport(report));
  if (verbose) {
    for (const r of report.results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} [${r.area} ${r.target} ${r.check}] ${r.subject}${r.detail ? `: ${r.detail}` : ''}`);
  }
  console.log(`deploy-check finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(report.results.some((r) => !r.ok) ? 1 : 0);
} catch (e) {
  console.error('deploy-check crashed:', e);
  process.exit(2);
}
