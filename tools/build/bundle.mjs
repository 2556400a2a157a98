// Bundles the app in the current directory (src/main.ts) into one file,
// dist/apps/<app>/main.cjs: containers and `serve` need no node_modules, only
// dist/proto/health, the .proto file that grpc-health-check reads at run time
// from `${__dirname}/../../proto`.
import { build } from 'esbuild';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';

const appDir = process.cwd();
const app = path.basename(appDir);
const root = path.resolve(appDir, '../..');
const { name } = JSON.parse(await readFile(path.join(appDir, 'package.json'), 'utf8'));

await build({
  entryPoints: [path.join(appDir, 'src/main.ts')],
  outfile: path.join(root, 'dist/apps', app, 'main.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  loader: { '.sql': 'text' },
  // Optional native add-ons and cloud-auth plugins of pg and mongodb, never used here.
  external: [
    'pg-native',
    'kerberos',
    'snappy',
    'socks',
    'aws4',
    'mongodb-client-encryption',
    '@mongodb-js/zstd',
    '@aws-sdk/credential-providers',
    'gcp-metadata',
  ],
  banner: { js: `// ${name}: bundled by tools/build/bundle.mjs` },
});

await cp(path.join(root, 'node_modules/grpc-health-check/proto/health'), path.join(root, 'dist/proto/health'), {
  recursive: true,
});
