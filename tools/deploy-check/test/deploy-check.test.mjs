// Runs the real checks against the repository (they must all pass), then proves each checker
// can fail: deliberately bad manifests, Dockerfile and compose file must be flagged.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appConfigs, checkK8sEnv } from '../src/app-env.mjs';
import { checkCompose } from '../src/compose.mjs';
import { checkDockerfile, checkDockerignore } from '../src/dockerfile.mjs';
import { POLICY_DIR, checkK8sPolicy } from '../src/k8s-policy.mjs';
import { parseManifests } from '../src/render.mjs';
import { runAll } from '../src/run.mjs';
import { ensureGoHelper, runGoHelper } from '../src/tools.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// DEPLOY_CHECK_REPO: run from a scratch copy of this package against a checkout elsewhere.
const repoRoot = process.env.DEPLOY_CHECK_REPO ?? resolve(here, '../../..');
const fixture = (f) => readFileSync(join(here, 'fixtures', f), 'utf8');
const failed = (results, check) => results.filter((r) => !r.ok && (!check || r.check === check));
const configs = appConfigs(repoRoot);

describe('the repository', () => {
  // The first run on a machine builds kustomize and the Go helper from the Go module proxy.
  it('passes every deployment check', async () => {
    const { results } = await runAll({ repoRoot });
    const failures = results.filter((r) => !r.ok).map((r) => `[${r.area} ${r.target} ${r.check}] ${r.subject}: ${r.detail}`);
    expect(failures).toEqual([]);
    const areas = new Set(results.map((r) => r.area));
    for (const a of ['render', 'k8s-policy', 'k8s-env', 'compose', 'dockerfile']) expect(areas).toContain(a);
    expect(results.filter((r) => r.area === 'render').map((r) => r.target)).toEqual(expect.arrayContaining(['base', 'overlays/kind']));
  });
});

describe('the Rego policies', () => {
  // Bad inputs that together trip every deny rule of ../policy/*.rego.
  const runs = () => {
    const { path } = ensureGoHelper();
    return [
      checkK8sPolicy(path, parseManifests(fixture('bad-manifests.yaml')), { name: 'overlays/prod', overlay: 'prod' }),
      checkK8sPolicy(path, parseManifests(fixture('bad-kind-overlay.yaml')), { name: 'overlays/kind', overlay: 'kind' }),
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
    ['resources', /StatefulSet\/postgres:postgres: missing requests\.cpu, requests\.memory, limits\.cpu, limits\.memory/],
    ['hardening', /Deployment\/gateway:gateway: readOnlyRootFilesystem is not true/],
    ['hardening', /StatefulSet\/postgres: automountServiceAccountToken is not false/],
    ['hardening', /Namespace\/order-system: does not enforce the restricted Pod Security Standard/],
    ['image_tags', /"postgres" has no tag[^]*order-system\/gateway:latest" uses :latest|order-system\/gateway:latest" uses :latest[^]*"postgres" has no tag/],
    ['inline_secrets', /POSTGRES_PASSWORD has an inline value/],
    ['inline_secrets', /MONGODB_URI holds a URI with credentials/],
    ['inline_secrets', /ConfigMap\/gateway-config: secret-looking key in a ConfigMap: API_KEY/],
    ['inline_secrets', /Secret\/postgres-credentials: overlays\/prod renders a Secret; only the kind overlay may/],
    ['inline_secrets', /Secret\/postgres-credentials: lacks the label order-system\.dev\/dev-only=true/],
    ['pdb', /gateway: no PodDisruptionBudget selects the gateway pods/],
    ['pdb', /PodDisruptionBudget\/gateway: minAvailable 2 >= replicas 2/],
    ['references', /Deployment\/inventory: inventory env POSTGRES_PASSWORD: Secret other-secret is not rendered/],
    ['references', /Deployment\/gateway: gateway env FLAG: ConfigMap gateway-config has no key FLAG/],
    ['references', /Deployment\/gateway: ServiceAccount gateway is not rendered/],
    ['services', /Service\/inventory: selector .* matches no pod template/],
    ['services', /Service\/gateway: targetPort metrics not exposed by Deployment\/gateway/],
    ['services', /Service\/gateway: port admin is the admin port of Deployment\/gateway/],
    ['network_policy', /default deny: no NetworkPolicy selects all pods/],
    ['network_policy', /Deployment\/gateway: no NetworkPolicy selects its pods but those for all pods/],
    ['network_policy', /NetworkPolicy\/inventory-open: opens ingress from anywhere to Deployment\/inventory/],
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
    for (const c of ['pinned-base-images', 'non-root-user', 'node-pid-1', 'node-env-production', 'runtime-only-bundle', 'runtime-proto-files']) {
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
  it('flags a .dockerignore that lets generated paths into the context', () => {
    expect(checkDockerignore('node_modules\n/dist/\n').detail).toBe('does not ignore .infra, .nx, .git');
  });
});

describe("the apps' environment", () => {
  it("reads the names from each app's config.ts and the config groups it spreads in", () => {
    for (const name of ['GRPC_PORT', 'KAFKA_BROKERS', 'POSTGRES_PASSWORD', 'LOG_LEVEL']) expect(configs.inventory.reads).toContain(name);
    expect(configs.gateway.reads).toContain('NODE_ENV');
    expect(configs.gateway.reads).not.toContain('KAFKA_BROKERS');
    expect(configs.inventory.listens).not.toContain('POSTGRES_PORT');
    expect(configs.inventory.defaults.SHUTDOWN_TIMEOUT_MS).toBe(8000);
  });
  it('takes what production requires from requiredInProduction and the fields without a production default', () => {
    expect(configs.inventory.required).toEqual(['TLS_CA_FILE', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'KAFKA_USERNAME', 'KAFKA_PASSWORD', 'POSTGRES_USER', 'POSTGRES_PASSWORD']);
    expect(configs.gateway.required).toEqual(['TLS_CA_FILE', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'AUTH_ISSUER', 'AUTH_AUDIENCE']);
  });
  it('flags unread and missing variables, ports nobody listens on, probes off the admin port and a shutdown that outlasts the grace period', () => {
    const d = failed(checkK8sEnv(parseManifests(fixture('bad-kind-overlay.yaml')), configs)).map((r) => `${r.subject}: ${r.detail}`).join('\n');
    expect(d).toMatch(/Deployment\/gateway: sets API_KEY, KAFKA_BROKERS, FLAG, which apps\/gateway\/src\/config.ts does not read/);
    expect(d).toMatch(/Deployment\/gateway: does not set TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE, AUTH_ISSUER, AUTH_AUDIENCE, which production requires/);
    expect(d).toMatch(/Deployment\/gateway: container port 50052 is not one it listens on \(GRPC_PORT=50051, HTTP_PORT=8080, /);
    expect(d).toMatch(/Deployment\/gateway: prometheus.io\/port 9090 is not one it listens on/);
    expect(d).toMatch(/Deployment\/gateway: SHUTDOWN_TIMEOUT_MS=8000 does not fit in the 5 s between SIGTERM and SIGKILL/);
    expect(d).toMatch(/Deployment\/gateway: readinessProbe is not an HTTP GET on the admin port \(ADMIN_PORT=8081\)/);
    expect(d).toMatch(/Deployment\/gateway: livenessProbe is not an HTTP GET on the admin port/);
    expect(d).toMatch(/Deployment\/inventory: migrate \(init\): sets BAR, which apps\/inventory\/src\/config.ts does not read/);
    expect(d).not.toMatch(/inventory: (sets|does not set) .*POSTGRES_PASSWORD/);
  });
});

describe('the compose checker', () => {
  /** compose-go's project of `text`, loaded from a temp docker-compose.yml. */
  const load = (text) => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-check-'));
    try {
      writeFileSync(join(dir, 'docker-compose.yml'), text);
      return JSON.parse(runGoHelper(ensureGoHelper().path, ['compose', join(dir, 'docker-compose.yml')]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  it('lets compose-go reject what breaks the Compose Specification', () => {
    expect(() => load(fixture('bad-compose.yml'))).toThrow(/services\.inventory\.restart_policy/);
  });
  it('flags what breaks the rules in a loadable compose file', () => {
    const text = fixture('bad-compose.yml').replace('    restart_policy: always\n', '');
    const d = failed(checkCompose(text, load(text), configs)).map((r) => `${r.subject}: ${r.detail}`).join('\n');
    expect(d).toMatch(/postgres: image "postgres:latest" uses :latest; POSTGRES_PASSWORD is written inline/);
    expect(d).toMatch(/inventory: sets FOO, which apps\/inventory\/src\/config.ts does not read/);
    expect(d).toMatch(/inventory: .*published port 50099 is not one it listens on/);
    expect(d).toMatch(/inventory: .*SHUTDOWN_TIMEOUT_MS=8000 does not fit in the 5 s/);
    expect(d).toMatch(/inventory: .*does not set TLS_CA_FILE, .*POSTGRES_USER, which production requires/);
    expect(d).toMatch(/inventory: .*publishes the admin port 8082/);
    expect(d).toMatch(/inventory-migrate: sets BAZ, which apps\/inventory\/src\/config.ts does not read/);
    expect(d).not.toMatch(/inventory: .*POSTGRES_PASSWORD/);
  });
});
