import { int, mongodb, parseConfig, postgres } from '@order-system/config';

export function reconcileConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    ...postgres,
    ...mongodb,
    graceMs: int('RECONCILE_GRACE_MS', 10_000, 0),
  });
}
