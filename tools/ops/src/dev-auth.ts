import path from 'node:path';
import { ensureDevKeys, type DevKeys } from '@order-system/auth';

/** Where the local stack keeps its dev token-signing keys (generated on first use, never committed). */
export const devAuthDir = (root: string) => path.join(root, '.infra/auth');

/** The local stack's dev keys, generated on first use. */
export const devKeys = (root: string): Promise<DevKeys> => ensureDevKeys(devAuthDir(root));

/**
 * The local gateway's own settings: it verifies tokens signed by the dev key, serves the console
 * from dist/console and, for this local stack only, signs tokens for the console's "sign in as".
 */
export const localGatewayEnv = (root: string, keys: DevKeys) => ({
  AUTH_JWKS_FILE: keys.jwksFile,
  CONSOLE_DIR: path.join(root, 'dist/console'),
  AUTH_DEV_SIGNER_KEY_FILE: keys.privateKeyFile,
});
