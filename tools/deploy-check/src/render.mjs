// Render every kustomization (k8s/base and each k8s/overlays/*) and parse the documents.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** @returns {{ name: string, dir: string, dev: boolean }[]} base first, then overlays */
export function findKustomizations(repoRoot) {
  const out = [];
  const base = join(repoRoot, 'k8s', 'base');
  if (existsSync(join(base, 'kustomization.yaml'))) out.push({ name: 'base', dir: base });
  const overlays = join(repoRoot, 'k8s', 'overlays');
  if (existsSync(overlays)) {
    for (const d of readdirSync(overlays, { withFileTypes: true })) {
      if (d.isDirectory() && existsSync(join(overlays, d.name, 'kustomization.yaml'))) {
        out.push({ name: `overlays/${d.name}`, dir: join(overlays, d.name), overlay: d.name });
      }
    }
  }
  return out;
}

/** Parse a multi-document YAML stream into plain objects (throws on YAML errors). */
export function parseManifests(text, source = 'manifest') {
  const objects = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS();
    if (value == null) continue;
    objects.push(value);
  }
  return objects;
}

/** @returns {{ ok: true, yaml: string, objects: object[] } | { ok: false, error: string }} */
export function renderKustomization(kustomize, dir, repoRoot) {
  const r = spawnSync(kustomize.cmd, [...kustomize.args, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { ok: false, error: r.error.message };
  if (r.status !== 0) return { ok: false, error: `${relative(repoRoot, dir)}: ${(r.stderr || '').trim()}` };
  try {
    return { ok: true, yaml: r.stdout, objects: parseManifests(r.stdout, relative(repoRoot, dir)) };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}
