// docker-compose.yml beyond what compose-go's loader (`deploy-check-go compose`: the Compose
// Specification schema, interpolation, consistency, depends_on cycles) proves: pinned images,
// secrets taken from the environment, and each app's environment (app-env.mjs).
import { parse } from 'yaml';
import { envProblems } from './app-env.mjs';
import { imageProblem } from './dockerfile.mjs';

const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;
const URI_WITH_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i;

/**
 * @param {string} rawText docker-compose.yml as written
 * @param {object} project compose-go's normalised project (empty environment)
 * @param {ReturnType<typeof import('./app-env.mjs').appConfigs>} configs
 * @returns {{ subject: string, ok: boolean, detail?: string }[]} one row per service
 */
export function checkCompose(rawText, project, configs) {
  const raw = parse(rawText, { merge: true }) ?? {};
  return Object.entries(project.services ?? {}).map(([name, svc]) => {
    const problems = svc.image ? [imageProblem(svc.image)].filter(Boolean) : [];
    const written = raw.services?.[name]?.environment ?? {};
    const env = Array.isArray(written) ? Object.fromEntries(written.map((e) => e.split(/=(.*)/s))) : written;
    for (const [k, v] of Object.entries(env)) {
      if (v != null && (SECRET_NAME.test(k) || URI_WITH_CREDENTIALS.test(v)) && !String(v).includes('${')) problems.push(`${k} is written inline: take it from the environment, as \${VAR:-default}`);
    }
    // An app's service, or a one-shot running its image (inventory-migrate).
    const cfg = configs[name] ?? configs[/^order-system\/([\w-]+):/.exec(svc.image ?? '')?.[1]];
    if (cfg) {
      const published = (svc.ports ?? []).map((p) => ['published port', p.target]);
      problems.push(...envProblems(cfg, svc.environment ?? {}, published, seconds(svc.stop_grace_period ?? '10s')));
      const admin = Number(svc.environment?.ADMIN_PORT ?? cfg.defaults.ADMIN_PORT);
      if (published.some(([, p]) => Number(p) === admin)) problems.push(`publishes the admin port ${admin} (metrics, probes): keep it inside`);
    }
    return { subject: name, ok: problems.length === 0, detail: problems.join('; ') || undefined };
  });
}

/** A compose duration ("1m30s"), or nanoseconds as compose-go prints it. */
function seconds(d) {
  if (typeof d === 'number') return d / 1e9;
  let total = 0;
  for (const m of String(d).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
  return total;
}
