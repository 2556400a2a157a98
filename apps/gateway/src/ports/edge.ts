import { CATALOG_ADMIN, ORDERS_ADMIN, type Caller, type TokenVerifier } from '@order-system/auth';
import { RateLimited } from '@order-system/errors';
import type { Authenticate, IncomingCall } from '@order-system/grpc';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimits {
  perSec: number;
  burst: number;
  adminPerSec: number;
  adminBurst: number;
}

/** How long the burst allowance takes to refill. */
const BURST_WINDOW_SEC = 10;

/**
 * What every public call goes through before a handler sees it, on every
 * transport: the token verified (one verifier), then the caller's rate
 * limit: a steady rate per second with a burst allowance above it
 * (rate-limiter-flexible's bursty limiter), per token `sub`, higher for
 * admin tokens. Refused calls cost the services behind the gateway nothing.
 */
export function edge(verifier: TokenVerifier, limits: RateLimits): { authenticate: Authenticate; authenticateHeader(authorization: string | undefined): Promise<Caller> } {
  const limiter = (perSec: number, burst: number, keyPrefix: string) =>
    new BurstyRateLimiter(
      new RateLimiterMemory({ keyPrefix, points: perSec, duration: 1 }),
      new RateLimiterMemory({ keyPrefix: `${keyPrefix}-burst`, points: Math.max(burst, 1), duration: BURST_WINDOW_SEC }),
    );
  const customers = limiter(limits.perSec, limits.burst, 'customer');
  const admins = limiter(limits.adminPerSec, limits.adminBurst, 'admin');

  const authenticateHeader = async (authorization: string | undefined): Promise<Caller> => {
    const caller = await verifier.verify(authorization);
    const admin = caller.scopes.has(ORDERS_ADMIN) || caller.scopes.has(CATALOG_ADMIN);
    try {
      await (admin ? admins : customers).consume(caller.customerId);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const retryAfterSec = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new RateLimited(`too many requests from ${caller.customerId}; retry after ${retryAfterSec} s`, retryAfterSec);
    }
    return caller;
  };
  return { authenticate: (call: IncomingCall) => authenticateHeader(call.header('authorization')), authenticateHeader };
}
