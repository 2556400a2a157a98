// Runs the real checks against the repository (they must all pass), then proves each checker
// can fail: deliberately bad manifests, Dockerfile and compose file must be flagged.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkComposeContract } from '../src/compose.mjs';
import { checkDockerfile } from '../src/dockerfile.mjs';
import { POLICY_DIR, checkK8sPolicy } from '../src/k8s-policy.mjs';
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

describe('the Rego policies', () => {
  // Bad inputs that together trip every deny rule of ../policy/*.rego.
  const kindCluster = 'nodes: [{role: control-plane, extraPortMappings: [{containerPort: 30051, hostPort: 30051}]}]\n';
  const base = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: x, env: [{name: S, valueFrom: {secretKeyRef: {name: mystery, key: k}}}]}]}}}\n';
  const runs = () => {
    const { path } = ensureGoHelper();
    return [
      checkK8sPolicy(path, parseManifests(fixture('bad-manifests.yaml')), { name: 'overlays/prod', overlay: 'prod' }),
      checkK8sPolicy(path, parseManifests(fixture('bad-kind-overlay.yaml')), { name: 'overlays/kind', overlay: 'kind' }, kindCluster),
      checkK8sPolicy(path, [], { name: 'overlays/kind', overlay: 'kind' }, null),
      checkK8sPolicy(path, parseManifests(base), { name: 'base' }),
    ].flat();
  };
  let results;
  const details = (check) => {
    results ??= runs();
    return failed(results, check).map((r) => `${r.subject}: ${r.detail}`).join('\n');
  };

  // [check, what one deny rule of policy/<check>.rego says]: one row per rule, in file order.
  const rules = [
    ['probes', /Deployment\/gateway:gateway: missing readinessProbe, livenessProbe/],
    ['probes', /Deployment\/gateway:gateway: readinessProbe must be grpc probes on port 50051/],
    ['resources', /StatefulSet\/postgres:postgres: missing requests\.cpu, requests\.memory, limits\.cpu, limits\.memory/],
    ['hardening', /Deployment\/gateway:gateway: readOnlyRootFilesystem is not true/],
    ['hardening', /StatefulSet\/postgres: automountServiceAccountToken is not false/],
    ['hardening', /Namespace\/order-system: does not enforce the restricted Pod Security Standard/],
    ['image_tags', /"postgres" has no tag[^]*order-system\/gateway:latest" uses :latest|order-system\/gateway:latest" uses :latest[^]*"postgres" has no tag/],
    ['inline_secrets', /POSTGRES_PASSWORD has an inline value/],
    ['inline_secrets', /MONGODB_URI holds a URI with credentials/],
    ['inline_secrets', /ConfigMap\/gateway-config: secret-looking key in a ConfigMap: API_KEY/],
    ['pdb', /gateway: no PodDisruptionBudget selects the gateway pods/],
    ['pdb', /PodDisruptionBudget\/gateway: minAvailable 2 >= replicas 2/],
    ['secrets', /Secret\/postgres-credentials: overlays\/prod is not a dev overlay/],
    ['secrets', /Secret\/postgres-credentials: dev Secret lacks label order-system\.dev\/dev-only=true/],
    ['references', /Deployment\/x: x env S: Secret mystery is not one the contract names/],
    ['references', /Deployment\/inventory: inventory env POSTGRES_PASSWORD: Secret other-secret is not rendered/],
    ['references', /Deployment\/gateway: gateway env FLAG: ConfigMap gateway-config has no key FLAG/],
    ['references', /Deployment\/gateway: ServiceAccount gateway is not rendered/],
    ['services', /Service\/inventory: selector .* matches no pod template/],
    ['services', /Service\/gateway: targetPort metrics not exposed by Deployment\/gateway/],
    ['services', /Service\/postgres-headless: headless Service is not the serviceName of StatefulSet\/postgres/],
    ['labels', /Service\/inventory: missing app\.kubernetes\.io\/name, app\.kubernetes\.io\/part-of/],
    ['app_contract', /Deployment\/gateway: missing env LOG_LEVEL/],
    ['app_contract', /Deployment\/gateway: LOG_LEVEL=debug \(contract: info\)/],
    ['app_contract', /Deployment\/inventory: POSTGRES_PASSWORD must come from secretKeyRef postgres-credentials\/password/],
    ['app_contract', /Deployment\/gateway: gateway does not use Kafka/],
    ['app_contract', /Deployment\/gateway: container port grpc=50052 \(contract: 50051\)/],
    ['app_contract', /Deployment\/inventory: no container port 8082/],
    ['app_contract', /Deployment\/gateway: pod annotation prometheus\.io\/scrape=\(none\) \(want true\)/],
    ['app_contract', /Deployment\/gateway: terminationGracePeriodSeconds=5 \(want 15\)/],
    ['app_contract', /Deployment\/gateway: preStop 0s \+ SHUTDOWN_TIMEOUT 8s does not fit in the 5s grace period/],
    ['app_contract', /Deployment\/gateway: image order-system\/gateway:latest is not order-system\/gateway:<semver>/],
    ['app_contract', /Deployment\/inventory: pod template lacks label app\.kubernetes\.io\/part-of/],
    ['app_contract', /Deployment\/gateway: no dedicated ServiceAccount/],
    ['app_contract', /inventory: overlays\/prod renders no Deployment for inventory/],
    ['network_policy', /default deny ingress: no policy selects all pods/],
    ['network_policy', /DNS egress: egress is denied by default but no policy allows port 53/],
    ['network_policy', /NetworkPolicy\/inventory-open: opens ingress from anywhere to Deployment\/inventory/],
    ['network_policy', /gateway -> inventory:50052: no egress rule/],
    ['kind', /StatefulSet\/kafka: missing, or without volumeClaimTemplates/],
    ['kind', /topics Job: no Job creating the Kafka topics/],
    ['kind', /Job\/kafka-topics: topic creation is not idempotent[^]*Job\/kafka-topics: topic order-events has 1 partitions \(contract: 3\)/],
    ['kind', /Service\/gateway: want NodePort grpc=30051 http=30080, got \{\}/],
    ['kind', /Deployment\/gateway: imagePullPolicy \(default\) \(kind load docker-image needs IfNotPresent\)/],
    ['kind', /the kind overlay renders no Namespace/],
    ['kind', /k8s\/kind-cluster\.yaml: missing/],
    ['kind', /k8s\/kind-cluster\.yaml: no extraPortMappings for NodePort 30080/],
  ];

  it('has one row above for every deny rule', () => {
    for (const file of readdirSync(POLICY_DIR).filter((f) => f.endsWith('.rego') && f !== 'lib.rego')) {
      const check = file.replace(/\.rego$/, '');
      const denies = readFileSync(join(POLICY_DIR, file), 'utf8').match(/^deny contains /gm)?.length ?? 0;
      expect(rules.filter(([c]) => c === check).length, `${file} has ${denies} deny rules`).toBe(denies);
    }
  });
  it.each(rules)('%s fires: %s', (check, said) => {
    expect(details(check)).toMatch(said);
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
