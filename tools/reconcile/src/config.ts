import { int, mongodb, parseConfig, postgres } from '@order-system/config';
import { toolEnv } from '@order-system/local-stack';

/** PostgreSQL (read access is enough) and MongoDB: the local stack's, unless the environment says otherwise. */
export function reconcileConfig(env: NodeJS.ProcessEnv = toolEnv('reconcile', process.env)) {
  return parseConfig(env, {
    ...postgres,
    ...mongodb,
    graceMs: int('RECONCILE_GRACE_MS', 10_000, 0),
  });
}
