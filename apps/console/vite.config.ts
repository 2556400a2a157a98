import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/** The budget for the console's JavaScript, gzipped: the build prints it and fails above it. */
const JS_BUDGET_BYTES = 250 * 1024;

function jsBudget(limit: number): Plugin {
  return {
    name: 'js-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let gzipped = 0;
      for (const file of Object.values(bundle)) if (file.type === 'chunk') gzipped += gzipSync(file.code, { level: 9 }).length;
      const line = `console JS: ${(gzipped / 1024).toFixed(1)} KiB gzipped (budget ${limit / 1024} KiB)`;
      if (gzipped > limit) this.error(`${line}: over budget`);
      console.log(line);
    },
  };
}

/**
 * Built into dist/console and served by the gateway under /console/, so the
 * console calls the API on its own origin. `npm run dev -w apps/console`
 * serves it with hot reload and proxies the API to a gateway on :8080.
 */
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  plugins: [jsBudget(JS_BUDGET_BYTES)],
  server: {
    proxy: { '^/(orders|catalog)\\.v1\\.|^/dev/token': 'http://localhost:8080' },
  },
});
