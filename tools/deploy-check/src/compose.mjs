// docker-compose.yml checks beyond what compose-go's loader (`deploy-check-go compose`: the
// Compose Specification schema, interpolation, consistency, depends_on cycles) already proves:
// images, ports, credentials, env contract, depends_on conditions, healthchecks.
import { parse } from 'yaml';
import { APPS, COMPOSE, SERVICES, TOPICS, envKeys } from './contract.mjs';
import { imageProblem } from './dockerfile.mjs';

const asList = (v) => (Array.isArray(v) ? v : [v]);
const published = (svc) => (svc.ports ?? []).map((p) => Number(p.published));

/**
 * @param {string} rawText docker-compose.yml as written
 * @param {object} project compose-go's normalised project (empty environment)
 * @returns {{ check: string, subject: string, ok: boolean, detail?: string }[]}
 */
export function checkComposeContract(rawText, project) {
  const results = [];
  const push = (subject, ok, detail) => results.push({ check: 'compose-contract', subject, ok, detail });
  const raw = parse(rawText, { merge: true }) ?? {};
  const s = project.services ?? {};

  push('no version key', !('version' in raw), 'version' in raw ? 'the Compose Specification has no `version:`; remove it' : undefined);

  // infrastructure: pinned images, published ports, healthchecks, named volumes
  for (const [svc, want] of Object.entries(COMPOSE.infra)) {
    const x = s[svc];
    if (!x) { push(svc, false, 'service missing'); continue; }
    const problems = [];
    const imgProblem = imageProblem(x.image);
    if (imgProblem) problems.push(imgProblem);
    else if (!want.image.test(x.image)) problems.push(`image ${x.image} does not match ${want.image}`);
    if (!published(x).includes(want.port)) problems.push(`port ${want.port} not published`);
    const hc = x.healthcheck;
    if (!hc || hc.disable || !hc.test?.length || hc.test[0] === 'NONE') problems.push('no healthcheck');
    const named = (x.volumes ?? []).filter((v) => v.type === 'volume' && project.volumes?.[v.source]);
    if (!named.length) problems.push('no named volume for its data');
    push(svc, problems.length === 0, problems.join('; ') || `${x.image}, :${want.port}, healthcheck, volume`);
  }

  // kafka: two listeners, internal for the network and external for the host
  const k = s.kafka?.environment ?? {};
  const adv = k.KAFKA_ADVERTISED_LISTENERS ?? '';
  const kafkaOk = /\/\/kafka:29092/.test(adv) && /\/\/localhost:9092/.test(adv) && /broker/.test(k.KAFKA_PROCESS_ROLES ?? '') && /controller/.test(k.KAFKA_PROCESS_ROLES ?? '');
  push('kafka KRaft listeners', kafkaOk, kafkaOk ? adv : `KRaft broker+controller advertising kafka:29092 and localhost:9092 expected, got roles=${k.KAFKA_PROCESS_ROLES} advertised=${adv}`);

  // kafka-init: one-shot, idempotent, the contracted topics
  const init = s['kafka-init'];
  if (!init) push('kafka-init', false, 'service missing');
  else {
    const script = [...asList(init.entrypoint ?? []), ...asList(init.command ?? [])].join('\n');
    const problems = topicProblems(topicsIn(script));
    if (!/--if-not-exists/.test(script)) problems.push('topic creation is not idempotent (--if-not-exists)');
    if (init.restart && !['no', '"no"'].includes(init.restart)) problems.push(`restart: ${init.restart} (one-shot job must not restart)`);
    push('kafka-init', problems.length === 0, problems.join('; ') || 'creates 4 topics idempotently');
  }

  // credentials: the same values on both sides, and never hard-required from the environment
  const pg = s.postgres?.environment ?? {};
  const inv = s.inventory?.environment ?? {};
  const c = COMPOSE.credentials;
  const pgProblems = [];
  if (pg.POSTGRES_USER !== c.postgres.user || pg.POSTGRES_PASSWORD !== c.postgres.password || pg.POSTGRES_DB !== c.postgres.db) {
    pgProblems.push(`postgres defaults ${pg.POSTGRES_USER}/${pg.POSTGRES_PASSWORD ? '***' : '(none)'}/${pg.POSTGRES_DB} differ from the contract`);
  }
  for (const key of ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']) {
    if (inv[key] !== pg[key]) pgProblems.push(`inventory ${key} does not match the postgres service`);
  }
  push('postgres credentials', pgProblems.length === 0, pgProblems.join('; ') || undefined);

  const mg = s.mongo?.environment ?? {};
  const mgProblems = [];
  if (mg.MONGO_INITDB_ROOT_USERNAME !== c.mongo.user || mg.MONGO_INITDB_ROOT_PASSWORD !== c.mongo.password) {
    mgProblems.push('mongo root credentials differ from the contract defaults');
  }
  try {
    const u = new URL(s['order-store']?.environment?.MONGODB_URI ?? '');
    if (decodeURIComponent(u.username) !== mg.MONGO_INITDB_ROOT_USERNAME || decodeURIComponent(u.password) !== mg.MONGO_INITDB_ROOT_PASSWORD) {
      mgProblems.push('order-store MONGODB_URI credentials do not match the mongo service');
    }
    if (u.hostname !== 'mongo' || u.searchParams.get('authSource') !== 'admin') mgProblems.push('MONGODB_URI must target mongo with authSource=admin');
  } catch {
    mgProblems.push('order-store MONGODB_URI is not a URL');
  }
  push('mongo credentials', mgProblems.length === 0, mgProblems.join('; ') || undefined);

  const rawServices = raw.services ?? {};
  for (const [svc, keys] of Object.entries(COMPOSE.interpolated)) {
    const env = rawServices[svc]?.environment ?? {};
    const envMap = Array.isArray(env) ? Object.fromEntries(env.map((e) => e.split(/=(.*)/s).slice(0, 2))) : env;
    const bad = keys.filter((kk) => !/\$\{[A-Z0-9_]+:-[^}]*\}/.test(String(envMap[kk] ?? '')));
    push(`${svc} secrets interpolated`, bad.length === 0, bad.length ? `${bad.join(', ')} must be written as \${VAR:-default}` : undefined);
  }

  // the four services: build, env contract, ports, depends_on
  for (const app of APPS) {
    const x = s[app];
    if (!x) { push(app, false, 'service missing'); continue; }
    const problems = [];
    if (x.build?.dockerfile !== `apps/${app}/Dockerfile`) problems.push(`build.dockerfile is ${x.build?.dockerfile}, want apps/${app}/Dockerfile`);
    if (!['.', './'].includes(x.build?.context)) problems.push(`build.context is ${x.build?.context}, want the repo root (.)`);
    if (x.image && imageProblem(x.image)) problems.push(imageProblem(x.image));
    const env = x.environment ?? {};
    const missing = envKeys(app).filter((kk) => env[kk] == null);
    if (missing.length) problems.push(`missing env ${missing.join(', ')}`);
    if (!SERVICES[app].kafka && env.KAFKA_BROKERS != null) problems.push(`${app} does not use Kafka: drop KAFKA_BROKERS`);
    const expected = { ...COMPOSE.env.common, ...(SERVICES[app].kafka ? COMPOSE.env.kafka : {}), ...COMPOSE.env[app], GRPC_PORT: String(SERVICES[app].grpcPort), HTTP_PORT: String(SERVICES[app].httpPort) };
    for (const [kk, v] of Object.entries(expected)) if (env[kk] != null && env[kk] !== v) problems.push(`${kk}=${kk.includes('PASSWORD') || kk.includes('URI') ? '***' : env[kk]} (contract: ${kk.includes('PASSWORD') ? '***' : v})`);
    for (const port of [SERVICES[app].grpcPort, SERVICES[app].httpPort]) {
      const p = (x.ports ?? []).find((pp) => Number(pp.target) === port);
      if (!p) problems.push(`port ${port} not published`);
      else if (Number(p.published) !== port) problems.push(`port ${port} published as ${p.published}`);
    }
    const grace = parseDuration(x.stop_grace_period ?? '10s');
    if (grace * 1000 <= Number(env.SHUTDOWN_TIMEOUT_MS ?? 8000)) problems.push(`stop_grace_period ${x.stop_grace_period ?? '10s (default)'} is not longer than SHUTDOWN_TIMEOUT_MS`);
    push(app, problems.length === 0, problems.join('; ') || `env, ports ${SERVICES[app].grpcPort}/${SERVICES[app].httpPort}, build apps/${app}/Dockerfile`);
  }

  for (const [svc, deps] of Object.entries(COMPOSE.dependsOn)) {
    const got = s[svc]?.depends_on ?? {};
    const problems = [];
    for (const [dep, cond] of Object.entries(deps)) {
      const allowed = asList(cond);
      if (!got[dep]) problems.push(`does not depend on ${dep}`);
      else if (!allowed.includes(got[dep].condition)) problems.push(`${dep}: condition ${got[dep].condition}, want ${allowed.join(' or ')}`);
      if (got[dep]?.condition === 'service_healthy') {
        const hc = s[dep]?.healthcheck;
        if (!hc || hc.disable || !hc.test?.length) problems.push(`${dep} is awaited as healthy but has no healthcheck`);
      }
    }
    push(`depends_on ${svc}`, problems.length === 0, problems.join('; ') || Object.entries(got).map(([d, v]) => `${d}:${v.condition}`).join(', '));
  }
  return results;
}

function parseDuration(d) {
  if (typeof d === 'number') return d / 1e9; // compose-go emits nanoseconds
  let total = 0;
  for (const m of String(d).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
  return total;
}

/** Extract `--topic NAME --partitions N` pairs from a script. */
function topicsIn(script) {
  const found = {};
  for (const m of script.matchAll(/--topic[= ]+["']?([\w.-]+)["']?\s+--partitions[= ]+(\d+)/g)) found[m[1]] = Number(m[2]);
  return found;
}

function topicProblems(found) {
  const problems = [];
  for (const [t, p] of Object.entries(TOPICS)) {
    if (!(t in found)) problems.push(`topic ${t} not created`);
    else if (found[t] !== p) problems.push(`topic ${t} has ${found[t]} partitions (contract: ${p})`);
  }
  for (const t of Object.keys(found)) if (!(t in TOPICS)) problems.push(`unexpected topic ${t}`);
  return problems;
}
