import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    // The first run on a machine builds kustomize and the Go helper (minutes), and
    // server-check.test.mjs kube-apiserver, kubectl and etcd (its hook allows 30 min).
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
