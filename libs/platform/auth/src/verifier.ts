import { readFileSync } from 'node:fs';
import { AppError, unavailable } from '@order-system/errors';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';

/** Who is calling, as a verified token says: handlers and use cases get this, never a token. */
export interface Caller {
  /** The token's `sub`: the customer's user_id. */
  customerId: string;
  /** The token's space-separated `scope` claim. */
  scopes: ReadonlySet<string>;
}

/** Reads and lists orders across customers. */
export const ORDERS_ADMIN = 'orders:admin';
/** Manages the catalog (UpsertProduct). */
export const CATALOG_ADMIN = 'catalog:admin';

export interface VerifierOptions {
  /** A JWKS endpoint (an identity provider's); fetched and refreshed as keys rotate. */
  jwksUrl?: string;
  /** A JWKS file, read once. */
  jwksFile?: string;
  issuer: string;
  audience: string;
  /** Allowed clock skew for exp and nbf, at most 60 s. */
  clockToleranceSec?: number;
  /** Verified tokens kept until they expire, so that a token is checked once, not on every call. */
  cacheSize?: number;
}

/** Asymmetric algorithms only: never `none`, never an HMAC secret guessed from a public key. */
export const ALGORITHMS = ['ES256', 'RS256', 'EdDSA'];

/**
 * The one token verifier, behind the gRPC interceptor, the Connect
 * interceptor and the REST routes alike. Bearer JWTs only, signed by a key of
 * the JWKS with an asymmetric algorithm, from the configured issuer for the
 * configured audience, within their exp and nbf.
 */
export class TokenVerifier {
  private readonly keys: Parameters<typeof jwtVerify>[1];
  private readonly cache = new Map<string, { caller: Caller; until: number }>();
  /** Tokens being verified now: concurrent calls with one token share its verification. */
  private readonly verifying = new Map<string, Promise<Caller>>();
  private readonly cacheSize: number;
  private readonly toleranceSec: number;

  constructor(private readonly opts: VerifierOptions) {
    if (!opts.jwksUrl === !opts.jwksFile) throw new Error('give exactly one of jwksUrl and jwksFile');
    this.keys = opts.jwksUrl
      ? createRemoteJWKSet(new URL(opts.jwksUrl))
      : createLocalJWKSet(JSON.parse(readFileSync(opts.jwksFile!, 'utf8')) as Parameters<typeof createLocalJWKSet>[0]);
    this.toleranceSec = Math.min(opts.clockToleranceSec ?? 30, 60);
    this.cacheSize = opts.cacheSize ?? 10_000;
  }

  /** The caller an `Authorization` header proves, or UNAUTHENTICATED saying why not. */
  async verify(authorization: string | undefined): Promise<Caller> {
    const token = /^Bearer +(\S{1,8192})$/i.exec(authorization ?? '')?.[1];
    if (!token) throw unauthenticated(authorization ? 'the Authorization header is not "Bearer <token>"' : 'a bearer token is required');
    const cached = this.cache.get(token);
    if (cached && Date.now() < cached.until) return cached.caller;
    if (cached) this.cache.delete(token);
    let verifying = this.verifying.get(token);
    if (!verifying) {
      verifying = this.verifyNow(token).finally(() => this.verifying.delete(token));
      this.verifying.set(token, verifying);
    }
    return verifying;
  }

  private async verifyNow(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ALGORITHMS,
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        clockTolerance: this.toleranceSec,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        throw unavailable('the keys that sign tokens could not be fetched; try again', err);
      }
      throw unauthenticated(`the token is not valid: ${reason(err)}`, err);
    }
    if (!payload.sub || payload.sub.length > 128) throw unauthenticated('the token is not valid: its sub is not a user id');
    const caller = { customerId: payload.sub, scopes: new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []) };
    // A token within nbf's skew now is within it for the rest of its life; it leaves the cache at exp.
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, { caller, until: (payload.exp! + this.toleranceSec) * 1000 });
    return caller;
  }
}

export const unauthenticated = (message: string, cause?: unknown) => new AppError('unauthenticated', message, { cause });

/** What went wrong, in words that give nothing away beyond what the caller sent. */
function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'it has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `its ${err.claim} claim is not accepted`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not accepted';
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) return 'its signature does not verify';
  return 'it is malformed';
}
