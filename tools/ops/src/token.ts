/**
 * npm run -s token -- --sub <user_id> [--admin] [--ttl <seconds>]
 * Prints one JWT, signed with the local stack's dev key (.infra/auth), and
 * nothing else: `--admin` adds the orders:admin and catalog:admin scopes.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CATALOG_ADMIN, ORDERS_ADMIN, signDevToken } from '@order-system/auth';
import { devKeys } from './dev-auth.js';

const root = path.resolve(import.meta.dirname, '../../..');
const usage = 'usage: npm run -s token -- --sub <user_id> [--admin] [--ttl <seconds>]';

let values;
try {
  ({ values } = parseArgs({ options: { sub: { type: 'string' }, admin: { type: 'boolean', default: false }, ttl: { type: 'string', default: '3600' } } }));
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const ttlSec = Number(values.ttl);
if (!values.sub || values.sub.length > 128 || !Number.isInteger(ttlSec) || ttlSec < 1 || ttlSec > 30 * 86_400) {
  console.error(`--sub (1-128 characters) is required, and --ttl is a whole number of seconds up to 30 days\n${usage}`);
  process.exit(2);
}
const keys = await devKeys(root);
console.log(await signDevToken(keys.privateKeyFile, { sub: values.sub, scopes: values.admin ? [ORDERS_ADMIN, CATALOG_ADMIN] : [], ttlSec }));
