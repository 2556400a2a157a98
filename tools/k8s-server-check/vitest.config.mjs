import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    // Each case starts its own kube-apiserver (seconds, more on a busy machine); the first run on a
    // machine builds it in the beforeAll hook (minutes; the hook allows 30).
    testTimeout: 600_000,
  },
});
