#!/usr/bin/env node
// The rendered manifests checked by a real, throwaway kube-apiserver (see kube-server.mjs):
// schema and unknown fields, validation, defaulting, admission (PodSecurity "restricted").
// Exit 0 when the server accepts everything without a warning, 1 printing its words when it
// refuses or warns, 2 when the check itself cannot run.
//   node tools/k8s-server-check/src/server-check.mjs [<kustomize dir>] [--verbose]
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureKubeBinaries, startKubeServer } from './kube-server.mjs';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const SSA = ['apply', '--server-side', '--field-manager=k8s-server-check', '--warnings-as-errors', '-f', '-'];

/**
 * Each workload's pod template as the bare Pod its controller would create. There are no
 * controllers here, and PodSecurity refuses only Pods (for workloads it merely warns).
 */
export function podsOfTemplates(objects) {
  const pods = [];
  for (const o of objects) {
    const template = o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template : o.spec?.template;
    if (!template?.spec || o.kind === 'PodTemplate') continue;
    const spec = structuredClone(template.spec);
    // The StatefulSet controller adds a volume per claim template, named after it.
    for (const claim of o.spec?.volumeClaimTemplates ?? []) {
      spec.volumes = [...(spec.volumes ?? []), { name: claim.metadata.name, persistentVolumeClaim: { claimName: `${claim.metadata.name}-${o.metadata.name}-0` } }];
    }
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...template.metadata,
        name: `${o.kind.toLowerCase()}-${o.metadata.name}`,
        ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      },
      spec,
    });
  }
  return pods;
}

/** Namespaces and ServiceAccounts exist for real first: a dry run creates neither, and Pod admission needs both. */
function prerequisites(objects) {
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  // No controller manager: nothing creates a namespace's `default` ServiceAccount.
  const defaults = ['default', ...namespaces.map((n) => n.metadata.name)].map((ns) => ({
    apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns },
  }));
  return [...namespaces, ...defaults, ...objects.filter((o) => o.kind === 'ServiceAccount')];
}

const toYaml = (objects) => objects.map((o) => stringify(o)).join('---\n');

/**
 * @returns {{ ok: boolean, output: string }} output: what kubectl printed (the server's words on failure)
 */
export function checkWithServer(server, dir, { verbose = false } = {}) {
  const rendered = server.kubectl(['kustomize', dir]);
  if (rendered.status !== 0) return { ok: false, output: `kubectl kustomize ${dir} failed:\n${rendered.stderr.trim()}` };
  const objects = parseAllDocuments(rendered.stdout).map((d) => d.toJS()).filter((o) => o != null);
  const pods = podsOfTemplates(objects);
  const steps = [
    ['create the Namespaces and ServiceAccounts', [], prerequisites(objects)],
    [`server dry run of ${objects.length} objects and ${pods.length} pod templates`, ['--dry-run=server'], [...objects, ...pods]],
  ];
  const out = [];
  for (const [what, flags, list] of steps) {
    const r = server.kubectl([...SSA, ...flags], toYaml(list));
    const words = [r.stderr.trim(), verbose ? r.stdout.trim() : ''].filter(Boolean).join('\n');
    if (r.status !== 0 || r.stderr.trim()) return { ok: false, output: [...out, `${what}: the API server refused`, words].join('\n') };
    out.push(`${what}: accepted${words ? `\n${words}` : ''}`);
  }
  return { ok: true, output: out.join('\n') };
}

async function main() {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  // `npm run` starts in the repository root; a relative directory means the caller's.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const dir = resolve(cwd, args.find((a) => !a.startsWith('--')) ?? resolve(repoRoot, 'k8s/overlays/kind'));
  const label = relative(cwd, dir) || '.';
  const say = (msg) => console.error(`k8s:server-check: ${msg}`);
  let server;
  try {
    const bins = await ensureKubeBinaries(repoRoot, say);
    server = await startKubeServer(bins);
    const t0 = performance.now();
    const { ok, output } = checkWithServer(server, dir, { verbose });
    const took = `kube-apiserver ${bins.version} started in ${server.startSeconds.toFixed(1)} s, checks took ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    console.log(`${output}\n${ok ? 'PASS' : 'FAIL'} ${label} (${took})`);
    process.exitCode = ok ? 0 : 1;
  } catch (e) {
    say(`could not run: ${e.message}`);
    process.exitCode = 2;
  } finally {
    await server?.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
