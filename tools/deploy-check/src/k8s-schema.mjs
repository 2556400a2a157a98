// Schema validation of rendered objects, two independent ways, both offline:
//  1. kubernetes-models (npm): the Kubernetes OpenAPI schema compiled to ajv validators:
//     types, required fields, enums/formats.
//  2. deploy-check-go k8s-strict: strict decoding into the k8s.io/api Go types: unknown or
//     duplicate fields (e.g. a misspelt readOnlyRootFileSystem), malformed quantities.
import { runGoHelper } from './tools.mjs';

const modelCache = new Map();

async function loadModel(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!modelCache.has(key)) {
    let model = null;
    if (/^[a-z0-9.]+(\/v[0-9a-z]+)?$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]+$/.test(kind)) {
      try {
        const specifier = `kubernetes-models/${apiVersion}/${kind}`;
        const mod = await import(/* @vite-ignore */ specifier);
        model = mod[kind] ?? null;
      } catch {
        model = null;
      }
    }
    modelCache.set(key, model);
  }
  return modelCache.get(key);
}

export function describe(obj) {
  return `${obj?.kind ?? '?'}/${obj?.metadata?.name ?? '?'}`;
}

/**
 * kustomize folds long base64 values in Secret data over several lines; the API server's
 * decoder (Go's base64) skips the newlines, the schema's "byte" format does not.
 */
function forSchema(obj) {
  if (obj.kind !== 'Secret' || !obj.data) return obj;
  const data = Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/[\r\n]/g, '') : v]));
  return { ...obj, data };
}

/** @returns {Promise<{subject: string, ok: boolean, detail?: string}[]>} */
export async function validateWithModels(objects) {
  const results = [];
  for (const obj of objects) {
    const subject = describe(obj);
    const Model = await loadModel(obj.apiVersion ?? '', obj.kind ?? '');
    if (!Model) {
      results.push({ subject, ok: false, detail: `no schema for ${obj.apiVersion} ${obj.kind} in kubernetes-models` });
      continue;
    }
    try {
      new Model(forSchema(obj)).validate();
      results.push({ subject, ok: true });
    } catch (e) {
      results.push({ subject, ok: false, detail: e.message });
    }
  }
  return results;
}

/** @returns {{subject: string, ok: boolean, detail?: string}[]} */
export function validateStrict(helper, yamlText) {
  const out = JSON.parse(runGoHelper(helper, ['k8s-strict'], yamlText));
  return out.map((r) => ({
    subject: `${r.kind}/${r.name}`,
    ok: r.errors.length === 0,
    detail: r.errors.join('; ') || undefined,
  }));
}
