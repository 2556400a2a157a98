import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    // The first run on a machine builds kustomize and the Go helper (minutes).
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
