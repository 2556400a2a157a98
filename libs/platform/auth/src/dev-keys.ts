import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

/**
 * The local stack's own token signer: an ES256 key pair generated once under
 * .infra/auth (never committed), its public half as the JWKS the gateway
 * verifies with. For development and tests only; a deployment takes its
 * JWKS from an identity provider (AUTH_JWKS_URL) or a mounted secret.
 */
export interface DevKeys {
  /** The public keys, for AUTH_JWKS_FILE. */
  jwksFile: string;
  /** The private key (JWK), readable by its owner only. */
  privateKeyFile: string;
}

/** The issuer and audience dev tokens carry: the gateway's defaults outside production. */
export const devTokenConfig = { issuer: 'order-system-dev', audience: 'order-system' } as const;

const ALG = 'ES256';

/** The dev key pair under dir, generated on first use. */
export async function ensureDevKeys(dir: string): Promise<DevKeys> {
  const keys = { jwksFile: path.join(dir, 'jwks.json'), privateKeyFile: path.join(dir, 'dev-signing-key.json') };
  if (existsSync(keys.jwksFile) && existsSync(keys.privateKeyFile)) return keys;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG };
  // Written whole, then renamed into place: a concurrent reader sees both files or neither.
  writeAtomically(keys.privateKeyFile, JSON.stringify(privateJwk), 0o600);
  writeAtomically(keys.jwksFile, JSON.stringify({ keys: [publicJwk] }, null, 2), 0o644);
  return keys;
}

export interface DevTokenClaims {
  sub: string;
  scopes?: string[];
  ttlSec?: number;
  issuer?: string;
  audience?: string;
}

/** A JWT signed with the dev key, as an identity provider would issue it. */
export async function signDevToken(privateKeyFile: string, { sub, scopes = [], ttlSec = 3600, issuer = devTokenConfig.issuer, audience = devTokenConfig.audience }: DevTokenClaims): Promise<string> {
  const jwk = JSON.parse(readFileSync(privateKeyFile, 'utf8')) as JWK;
  const key = await importJWK(jwk, ALG);
  const jwt = new SignJWT(scopes.length > 0 ? { scope: scopes.join(' ') } : {})
    .setProtectedHeader({ alg: ALG, kid: jwk.kid!, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlSec}s`);
  return jwt.sign(key);
}

function writeAtomically(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}
