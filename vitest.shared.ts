import { defineConfig } from 'vitest/config';

/** Shared by every project's vitest.config.ts: SQL files import as text, as in the bundle. */
export default defineConfig({
  plugins: [
    {
      name: 'sql-as-text',
      transform(code, id) {
        return id.endsWith('.sql') ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
      },
    },
  ],
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
