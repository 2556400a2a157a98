/** The local stack's one setting of its own: INFRA_DIR, where tools/infra keeps its data (empty: its default). */
export function localStackConfig(env: NodeJS.ProcessEnv = process.env) {
  return { infraDir: env.INFRA_DIR ?? '' };
}
