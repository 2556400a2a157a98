/**
 * Applies `fn` to each item: in order among items with the same key,
 * concurrently (up to `concurrency`) across keys. Resolves once every started
 * call has finished; if any failed, starts nothing more and rejects with the
 * first error after that, so nothing still runs when a caller retries.
 */
export async function inOrderPerKey<T>(
  items: T[],
  keyOf: (item: T) => string,
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const run = byKey.get(keyOf(item));
    if (run) run.push(item);
    else byKey.set(keyOf(item), [item]);
  }
  const runs = [...byKey.values()];
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    for (let run = runs.shift(); run && !failure; run = runs.shift()) {
      for (const item of run) {
        if (failure) return;
        try {
          await fn(item);
        } catch (err) {
          failure ??= { err };
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, runs.length) }, worker));
  if (failure) throw failure.err;
}
