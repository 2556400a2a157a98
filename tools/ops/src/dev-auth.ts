import path from 'node:path';
import { ensureDevKeys, type DevKeys } from '@order-system/auth';

/** Where the local stack keeps its dev token-signing keys (generated on first use, never committed). */
export const devAuthDir = (root: string) => path.join(root, '.infra/auth');

/** The local stack's dev keys, generated on first use. */
export const devKeys = (root: string): Promise<DevKeys> => ensureDevKeys(devAuthDir(root));
