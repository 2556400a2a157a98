// Orchestration: acquire tools, render, validate, check. Returns every result; prints nothing.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { appConfigs, checkK8sEnv } from './app-env.mjs';
import { checkCompose } from './compose.mjs';
import { checkDockerfile, checkDockerignore } from './dockerfile.mjs';
import { checkK8sPolicy } from './k8s-policy.mjs';
import { findKustomizations, renderKustomization } from './render.mjs';
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
  const configs = appConfigs(repoRoot);
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

  // 2. Kubernetes: render, policy, the apps' environment (schema, validation and admission:
  //    tools/k8s-server-check)
  await timed('k8s', async () => {
    const targets = findKustomizations(repoRoot);
    if (!targets.length) add('render', '-', 'kustomize build', [{ subject: 'k8s/', ok: false, detail: 'no kustomization found under k8s/base or k8s/overlays/*' }]);
    if (!kustomize) return;
    for (const t of targets) {
      const r = renderKustomization(kustomize, t.dir, repoRoot);
      add('render', t.name, 'kustomize build', [{ subject: relative(repoRoot, t.dir), ok: r.ok, detail: r.ok ? `${r.objects.length} objects` : r.error }]);
      if (!r.ok) continue;
      if (helper) {
        try {
          add('k8s-policy', t.name, null, checkK8sPolicy(helper, r.objects, t));
        } catch (e) {
          add('k8s-policy', t.name, 'opa', [{ subject: t.name, ok: false, detail: e.message }]);
        }
      }
      add('k8s-env', t.name, 'app-env', checkK8sEnv(r.objects, configs));
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
    if (project) add('compose', 'docker-compose.yml', 'services', checkCompose(rawText, project, configs));
  });

  // 4. Dockerfiles
  await timed('dockerfiles', async () => {
    for (const app of Object.keys(configs)) {
      const file = join(repoRoot, 'apps', app, 'Dockerfile');
      if (!existsSync(file)) {
        add('dockerfile', `apps/${app}`, 'present', [{ subject: `apps/${app}/Dockerfile`, ok: false, detail: 'missing' }]);
        continue;
      }
      add('dockerfile', `apps/${app}`, null, checkDockerfile(readFileSync(file, 'utf8'), app));
    }
    const ignore = join(repoRoot, '.dockerignore');
    add('dockerfile', '.dockerignore', null, [checkDockerignore(existsSync(ignore) ? readFileSync(ignore, 'utf8') : '')]);
  });

  return { results, timings, tools };
}
