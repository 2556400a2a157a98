// Orchestration: acquire tools, render, validate, check. Returns every result; prints nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkComposeContract } from './compose.mjs';
import { APPS } from './contract.mjs';
import { checkDockerfile } from './dockerfile.mjs';
import { checkK8sPolicy } from './k8s-policy.mjs';
import { findKustomizations, parseManifests, renderKustomization } from './render.mjs';
import { ensureGoHelper, ensureKustomize, runGoHelper } from './tools.mjs';

/**
 * @typedef {{ area: string, target: string, check: string, subject: string, ok: boolean, detail?: string }} Result
 * @param {{ repoRoot: string }} options
 * @returns {Promise<{ results: Result[], timings: Record<string, number>, tools: Record<string, string> }>}
 */
export async function runAll({ repoRoot }) {
  const results = [];
  const timings = {};
  const tools = {};
  const add = (area, target, check, list) => {
    for (const r of list) results.push({ area, target, check: r.check ?? check, subject: r.subject, ok: r.ok, detail: r.detail });
  };
  const timed = async (label, fn) => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[label] = Math.round(performance.now() - t0);
    }
  };

  // 1. tools (cached per machine; first run builds them from the Go module proxy)
  let kustomize = null;
  let helper = null;
  await timed('tools', async () => {
    try {
      kustomize = ensureKustomize();
      tools.kustomize = kustomize.label + (kustomize.installed ? ' [installed now]' : '');
      add('tools', '-', 'kustomize', [{ subject: kustomize.label, ok: true }]);
    } catch (e) {
      add('tools', '-', 'kustomize', [{ subject: 'kustomize', ok: false, detail: e.message }]);
    }
    try {
      const h = ensureGoHelper();
      helper = h.path;
      tools['deploy-check-go'] = h.path + (h.installed ? ' [built now]' : '');
      add('tools', '-', 'deploy-check-go', [{ subject: h.path, ok: true }]);
    } catch (e) {
      add('tools', '-', 'deploy-check-go', [{ subject: 'deploy-check-go', ok: false, detail: e.message }]);
    }
  });

  // 2. Kubernetes: render, policy (schema, validation and admission: server-check.mjs)
  await timed('k8s', async () => {
    const targets = findKustomizations(repoRoot);
    if (!targets.length) add('render', '-', 'kustomize build', [{ subject: 'k8s/', ok: false, detail: 'no kustomization found under k8s/base or k8s/overlays/*' }]);
    if (!kustomize) return;
    const kindCluster = join(repoRoot, 'k8s', 'kind-cluster.yaml');
    const kindClusterYaml = existsSync(kindCluster) ? readFileSync(kindCluster, 'utf8') : null;
    for (const t of targets) {
      const r = renderKustomization(kustomize, t.dir, repoRoot);
      add('render', t.name, 'kustomize build', [{ subject: relative(repoRoot, t.dir), ok: r.ok, detail: r.ok ? `${r.objects.length} objects` : r.error }]);
      if (!r.ok) continue;
      if (helper) {
        try {
          add('k8s-policy', t.name, null, checkK8sPolicy(helper, r.objects, t, kindClusterYaml));
        } catch (e) {
          add('k8s-policy', t.name, 'opa', [{ subject: t.name, ok: false, detail: e.message }]);
        }
      }
      add('render', t.name, 'kubectl kustomize parity', [kubectlParity(t.dir, r.objects, repoRoot)]);
    }
  });

  // 3. docker-compose.yml
  await timed('compose', async () => {
    const file = join(repoRoot, 'docker-compose.yml');
    if (!existsSync(file)) {
      add('compose', 'docker-compose.yml', 'present', [{ subject: 'docker-compose.yml', ok: false, detail: 'missing' }]);
      return;
    }
    const rawText = readFileSync(file, 'utf8');
    if (!helper) return;
    let project = null;
    try {
      project = JSON.parse(runGoHelper(helper, ['compose', file]));
      add('compose', 'docker-compose.yml', 'compose-go load', [{ subject: 'docker-compose.yml', ok: true, detail: `${Object.keys(project.services ?? {}).length} services` }]);
    } catch (e) {
      add('compose', 'docker-compose.yml', 'compose-go load', [{ subject: 'docker-compose.yml', ok: false, detail: e.message }]);
    }
    if (project) add('compose', 'docker-compose.yml', 'compose-contract', checkComposeContract(rawText, project));
  });

  // 4. Dockerfiles
  await timed('dockerfiles', async () => {
    for (const app of APPS) {
      const file = join(repoRoot, 'apps', app, 'Dockerfile');
      if (!existsSync(file)) {
        add('dockerfile', `apps/${app}`, 'present', [{ subject: `apps/${app}/Dockerfile`, ok: false, detail: 'missing' }]);
        continue;
      }
      add('dockerfile', `apps/${app}`, null, checkDockerfile(readFileSync(file, 'utf8'), app));
    }
    const ignore = join(repoRoot, '.dockerignore');
    const patterns = existsSync(ignore) ? readFileSync(ignore, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
    const missing = ['node_modules', 'dist', '.infra', '.nx', '.git'].filter((p) => !patterns.some((x) => x.replace(/^\*\*\//, '').replace(/^\//, '').replace(/\/$/, '') === p));
    add('dockerfile', '.dockerignore', 'ignores generated paths', [{ subject: '.dockerignore', ok: missing.length === 0, detail: missing.length ? `does not ignore ${missing.join(', ')}` : 'node_modules, dist, .infra, .nx, .git' }]);
  });

  return { results, timings, tools };
}

/**
 * Newcomers apply with `kubectl apply -k`, whose built-in kustomize is older than v5.8.2.
 * When kubectl is on PATH, both renderings must be the same set of objects.
 */
function kubectlParity(dir, objects, repoRoot) {
  const subject = relative(repoRoot, dir);
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { subject, ok: true, detail: 'skipped: kubectl not on PATH' };
  if (r.status !== 0) return { subject, ok: false, detail: `kubectl kustomize failed: ${(r.stderr || '').trim()}` };
  const canon = (list) => list.map((o) => JSON.stringify(sortKeys(o))).sort();
  const a = canon(objects);
  const b = canon(parseManifests(r.stdout, subject));
  const onlyOurs = a.filter((x) => !b.includes(x));
  const onlyKubectl = b.filter((x) => !a.includes(x));
  if (!onlyOurs.length && !onlyKubectl.length) return { subject, ok: true, detail: 'identical' };
  const names = (xs) => xs.map((x) => { const o = JSON.parse(x); return `${o.kind}/${o.metadata?.name}`; }).join(', ');
  return { subject, ok: false, detail: `kubectl kustomize renders differently: ${names(onlyOurs)} | ${names(onlyKubectl)}` };
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}
