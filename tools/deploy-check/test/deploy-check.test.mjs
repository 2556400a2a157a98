// Runs the real checks against the repository (they must all pass), then proves each checker
// can fail: deliberately bad manifests, Dockerfile and compose file must be flagged.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkComposeContract } from '../src/compose.mjs';
import { checkDockerfile } from '../src/dockerfile.mjs';
import { checkK8sPolicy } from '../src/k8s-policy.mjs';
import { parseManifests } from '../src/render.mjs';
import { runAll } from '../src/run.mjs';
import { ensureGoHelper, runGoHelper } from '../src/tools.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// DEPLOY_CHECK_REPO: run from a scratch copy of this package against a checkout elsewhere.
const repoRoot = process.env.DEPLOY_CHECK_REPO ?? resolve(here, '../../..');
const fixture = (f) => readFileSync(join(here, 'fixtures', f), 'utf8');
const failed = (results, check) => results.filter((r) => !r.ok && (!check || r.check === check));

describe('the repository', () => {
  // The first run on a machine builds kustomize and the Go helper from the Go module proxy.
  it('passes every deployment check', async () => {
    const { results } = await runAll({ repoRoot });
    const failures = results.filter((r) => !r.ok).map((r) => `[${r.area} ${r.target} ${r.check}] ${r.subject}: ${r.detail}`);
    expect(failures).toEqual([]);
    const areas = new Set(results.map((r) => r.area));
    for (const a of ['render', 'k8s-policy', 'compose', 'dockerfile']) expect(areas).toContain(a);
    expect(results.filter((r) => r.area === 'render').map((r) => r.target)).toEqual(expect.arrayContaining(['base', 'overlays/kind']));
  });
});

describe('the policy checker', () => {
  const objects = parseManifests(fixture('bad-manifests.yaml'));
  const results = checkK8sPolicy(objects, { name: 'overlays/prod', overlay: 'prod' });
  const details = (check) => failed(results, check).map((r) => `${r.subject}: ${r.detail}`).join('\n');

  it('flags missing and non-gRPC probes', () => {
    expect(details('probes')).toMatch(/Deployment\/gateway:gateway: missing readinessProbe, livenessProbe/);
    expect(details('probes')).toMatch(/StatefulSet\/postgres:postgres: missing livenessProbe/);
  });
  it('flags missing resources', () => {
    expect(details('resources')).toMatch(/gateway.*requests\.cpu, requests\.memory, limits\.cpu, limits\.memory/);
  });
  it('flags an unsafe securityContext', () => {
    const d = details('security-context');
    for (const p of ['runAsNonRoot is not true', 'runAsUser is 0', 'readOnlyRootFilesystem is not true', 'allowPrivilegeEscalation is not false', 'privileged', 'capabilities.drop lacks ALL', 'seccompProfile']) {
      expect(d).toContain(p);
    }
  });
  it('flags :latest and untagged images', () => {
    expect(details('image-tags')).toMatch(/order-system\/gateway:latest" uses :latest/);
    expect(details('image-tags')).toMatch(/"postgres" has no tag/);
  });
  it('flags inline secret values', () => {
    expect(details('inline-secrets')).toMatch(/POSTGRES_PASSWORD has an inline value/);
    expect(details('inline-secrets')).toMatch(/MONGODB_URI holds a URI with credentials/);
  });
  it('flags a missing gateway PodDisruptionBudget', () => {
    expect(details('pdb')).toMatch(/no PodDisruptionBudget selects the gateway pods/);
  });
  it('flags a Secret rendered by a non-dev overlay', () => {
    expect(details('secrets')).toMatch(/Secret\/postgres-credentials: overlays\/prod is not a dev overlay/);
  });
  it('flags a Service whose selector matches nothing, and missing app Deployments', () => {
    expect(details('services')).toMatch(/Service\/inventory: selector .* matches no pod template/);
    expect(details('app-contract')).toMatch(/renders no Deployment for inventory/);
    expect(details('app-contract')).toMatch(/Deployment\/gateway: missing env/);
    expect(details('app-contract')).toMatch(/pod annotation prometheus\.io\/scrape=\(none\) \(want true\)/);
  });
});

describe('the Dockerfile checker', () => {
  const results = checkDockerfile(fixture('bad.Dockerfile'), 'gateway', 'bad.Dockerfile');
  const bad = new Set(failed(results).map((r) => r.check));
  it('flags a single-stage, root, npm-started, :latest image', () => {
    for (const c of ['multi-stage', 'pinned-base-images', 'non-root-user', 'node-pid-1', 'node-env-production', 'expose-ports', 'runtime-only-bundle', 'runtime-proto-files']) {
      expect(bad).toContain(c);
    }
    expect(failed(results, 'node-pid-1')[0].detail).toMatch(/shell form/);
  });
  it('flags an exec-form npm start', () => {
    const r = checkDockerfile('FROM node:22.20.0-bookworm-slim AS b\nFROM node:22.20.0-bookworm-slim\nUSER node\nENTRYPOINT ["npm", "start"]\n', 'gateway');
    expect(failed(r, 'node-pid-1')[0].detail).toMatch(/starts with npm .*not node/);
  });
  it('takes node flags before the bundle, and names the script it would run instead', () => {
    const image = (entry) => `FROM node:22.20.0-bookworm-slim AS b\nFROM node:22.20.0-bookworm-slim\nUSER node\nENTRYPOINT ${JSON.stringify(entry)}\n`;
    const flags = ['node', '--max-old-space-size=128', '--single-threaded-gc'];
    expect(failed(checkDockerfile(image([...flags, 'dist/apps/gateway/main.cjs']), 'gateway'), 'node-pid-1')).toEqual([]);
    expect(failed(checkDockerfile(image([...flags, 'dist/apps/payment/main.cjs']), 'gateway'), 'node-pid-1')[0].detail).toMatch(/runs dist\/apps\/payment\/main.cjs/);
  });
});

describe('the compose checker', () => {
  it('lets compose-go reject what breaks the Compose Specification', () => {
    const { path } = ensureGoHelper();
    const dir = mkdtempSync(join(tmpdir(), 'deploy-check-'));
    writeFileSync(join(dir, 'docker-compose.yml'), fixture('bad-compose.yml'));
    try {
      expect(() => runGoHelper(path, ['compose', join(dir, 'docker-compose.yml')])).toThrow(/services\.inventory\.restart_policy/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('flags contract violations in a loadable compose file', () => {
    const { path } = ensureGoHelper();
    const text = fixture('bad-compose.yml').replace('    restart_policy: always\n', '');
    const dir = mkdtempSync(join(tmpdir(), 'deploy-check-'));
    const tmp = join(dir, 'docker-compose.yml');
    writeFileSync(tmp, text);
    try {
      const project = JSON.parse(runGoHelper(path, ['compose', tmp]));
      const d = failed(checkComposeContract(text, project)).map((r) => `${r.subject}: ${r.detail}`).join('\n');
      expect(d).toMatch(/no version key/);
      expect(d).toMatch(/postgres: .*uses :latest/);
      expect(d).toMatch(/postgres secrets interpolated: POSTGRES_PASSWORD must be written as \$\{VAR:-default\}/);
      expect(d).toMatch(/depends_on inventory: postgres: condition service_started, want service_healthy/);
      expect(d).toMatch(/kafka-init: service missing/);
      expect(d).toMatch(/gateway: service missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
