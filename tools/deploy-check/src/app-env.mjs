// Each app's environment as k8s/ and docker-compose.yml set it, against what the app reads. The
// names come from its own apps/<app>/src/config.ts and the groups of libs/platform/config it
// spreads in (`...kafka`), so the check follows the code and has nothing to keep in step.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// str('NAME', ...), port('NAME', 50051), ... and env.NAME: the variables a config reads.
const READS = /\b(?:str|int|port|bool|num|list|oneOf)\(\s*'([A-Z][A-Z0-9_]*)'|\benv\.([A-Z][A-Z0-9_]*)/g;
const NUMERIC_DEFAULTS = /\b(?:int|port|num)\(\s*'([A-Z][A-Z0-9_]*)',\s*([\d_.]+)/g;
const LISTENS = /\bport\(\s*'([A-Z][A-Z0-9_]*)'/g;
const QUOTED = /'([A-Z][A-Z0-9_]*)'/g;
// What production (NODE_ENV=production, as the images set it) refuses to start without: the
// names and lists of `requiredInProduction`, and fields without a default there.
const REQUIRED = /requiredInProduction:\s*(\[[^\]]*\]|\w+)/;
const PRODUCTION_ONLY = /\bstr\(\s*'([A-Z][A-Z0-9_]*)',\s*production \? undefined/g;

/** @returns {Record<string, { file: string, reads: Set<string>, defaults: Record<string, number>, listens: string[], required: string[] }>} by app */
export function appConfigs(repoRoot) {
  const lib = readFileSync(join(repoRoot, 'libs/platform/config/src/index.ts'), 'utf8');
  const groups = Object.fromEntries([...lib.matchAll(/^export const (\w+) = \{\n([^]*?)^\};/gm)].map((m) => [m[1], m[2]]));
  const lists = Object.fromEntries([...lib.matchAll(/^export const (\w+) = (\[[^\]]*\])/gm)].map((m) => [m[1], m[2]]));
  const configs = {};
  for (const app of readdirSync(join(repoRoot, 'apps'))) {
    const file = `apps/${app}/src/config.ts`;
    if (!existsSync(join(repoRoot, file))) continue;
    const own = readFileSync(join(repoRoot, file), 'utf8');
    const all = [own, ...[...own.matchAll(/\.\.\.(\w+)/g)].map((m) => groups[m[1]] ?? '')].join('\n');
    const required = (REQUIRED.exec(own)?.[1] ?? '').replace(/\b[A-Z]\w*\b(?!')/g, (name) => lists[name] ?? name);
    configs[app] = {
      file,
      reads: new Set([...all.matchAll(READS)].map((m) => m[1] ?? m[2])),
      defaults: Object.fromEntries([...all.matchAll(NUMERIC_DEFAULTS)].map((m) => [m[1], Number(m[2].replaceAll('_', ''))])),
      // The ports it listens on: the port() fields of its own config (POSTGRES_PORT is the database's).
      listens: [...own.matchAll(LISTENS)].map((m) => m[1]),
      required: [...required.matchAll(QUOTED), ...own.matchAll(PRODUCTION_ONLY)].map((m) => m[1]),
    };
  }
  return configs;
}

/**
 * What is wrong with one app's environment as a runtime sets it.
 * @param {ReturnType<typeof appConfigs>[string]} cfg
 * @param {Record<string, string | null>} env the variables set (null: a value not known here, as from a Secret)
 * @param {[string, number][]} ports [what, port] where the runtime expects the app: container ports, published ports, annotations
 * @param {number} graceSeconds how long the runtime waits between SIGTERM and SIGKILL
 * @returns {string[]}
 */
export function envProblems(cfg, env, ports, graceSeconds) {
  const problems = [];
  // The OpenTelemetry SDK reads its own OTEL_* variables (libs/platform/config).
  const unread = Object.keys(env).filter((k) => !cfg.reads.has(k) && !k.startsWith('OTEL_'));
  if (unread.length) problems.push(`sets ${unread.join(', ')}, which ${cfg.file} does not read`);
  const missing = cfg.required.filter((k) => !(k in env));
  if (missing.length) problems.push(`does not set ${missing.join(', ')}, which production requires (${cfg.file})`);
  const listening = Object.fromEntries(cfg.listens.map((v) => [v, Number(env[v] ?? cfg.defaults[v])]));
  for (const [what, port] of ports) {
    if (!Object.values(listening).includes(Number(port))) {
      problems.push(`${what} ${port} is not one it listens on (${Object.entries(listening).map(([v, p]) => `${v}=${p}`).join(', ')})`);
    }
  }
  const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? cfg.defaults.SHUTDOWN_TIMEOUT_MS);
  if (!(shutdownMs / 1000 < graceSeconds)) problems.push(`SHUTDOWN_TIMEOUT_MS=${shutdownMs} does not fit in the ${graceSeconds} s between SIGTERM and SIGKILL`);
  return problems;
}

/** One row per Deployment of an app: its main container's environment, ports, probes and shutdown budget, and the environment of init containers running its image. */
export function checkK8sEnv(objects, configs) {
  const values = (kind, name) => {
    const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
    return { ...o?.data, ...o?.stringData };
  };
  const envOf = (c) => {
    const env = {};
    for (const ef of c.envFrom ?? []) {
      if (ef.configMapRef) Object.assign(env, values('ConfigMap', ef.configMapRef.name));
      if (ef.secretRef) for (const k of Object.keys(values('Secret', ef.secretRef.name))) env[k] = null;
    }
    for (const e of c.env ?? []) env[e.name] = e.value ?? null;
    return env;
  };
  return objects.filter((o) => o.kind === 'Deployment').flatMap((d) => {
    const pod = d.spec?.template ?? {};
    const app = pod.metadata?.labels?.['app.kubernetes.io/name'] ?? d.metadata.name;
    if (!configs[app]) return [];
    const c = pod.spec.containers.find((x) => x.name === app) ?? pod.spec.containers[0];
    const env = envOf(c);
    const ports = (c.ports ?? []).map((p) => ['container port', p.containerPort]);
    const scraped = pod.metadata?.annotations?.['prometheus.io/port'];
    if (scraped) ports.push(['prometheus.io/port', Number(scraped)]);
    const grace = (pod.spec.terminationGracePeriodSeconds ?? 30) - (c.lifecycle?.preStop?.sleep?.seconds ?? 0);
    const subject = `Deployment/${d.metadata.name}`;
    const problems = envProblems(configs[app], env, ports, grace);
    // The kubelet has no client certificate: probes go to the admin port, over HTTP.
    const admin = Number(env.ADMIN_PORT ?? configs[app].defaults.ADMIN_PORT);
    const portOf = (p) => (typeof p === 'number' ? p : c.ports?.find((x) => x.name === p)?.containerPort);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'].filter((p) => c[p])) {
      if (portOf(c[probe].httpGet?.port) !== admin) problems.push(`${probe} is not an HTTP GET on the admin port (ADMIN_PORT=${admin})`);
    }
    for (const x of (pod.spec.initContainers ?? []).filter((i) => i.image === c.image)) {
      problems.push(...envProblems(configs[app], envOf(x), [], Infinity).map((p) => `${x.name} (init): ${p}`));
    }
    return problems.length ? problems.map((detail) => ({ subject, ok: false, detail })) : [{ subject, ok: true }];
  });
}
