/**
 * Who is signed in: a bearer token (a JWT) and what its claims say. The
 * console reads the claims only to choose what to show; the gateway verifies
 * the token on every call and is the only judge of what it allows.
 */
export interface Session {
  token: string;
  /** The token's `sub`: the customer the gateway acts for. */
  userId: string;
  scopes: ReadonlySet<string>;
  /** When the token expires (ms since the epoch), if it says. */
  expiresAt?: number;
}

export const ORDERS_ADMIN = 'orders:admin';
export const CATALOG_ADMIN = 'catalog:admin';

/** The session a pasted token stands for, or why it cannot be one. */
export function sessionFromToken(raw: string, now = Date.now()): Session | { problem: string } {
  const token = raw.trim().replace(/^bearer\s+/i, '');
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return { problem: 'That is not a JWT (three base64url parts separated by dots).' };
  let claims: { sub?: unknown; scope?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(base64UrlDecode(parts[1]!)) as typeof claims;
  } catch {
    return { problem: 'The token’s claims are not readable JSON.' };
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') return { problem: 'The token names no user (no "sub" claim).' };
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  if (expiresAt !== undefined && expiresAt <= now) return { problem: 'The token has expired: get a new one.' };
  const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []);
  return { token, userId: claims.sub, scopes, expiresAt };
}

export const isOperator = (s: Session) => s.scopes.has(ORDERS_ADMIN) || s.scopes.has(CATALOG_ADMIN);

function base64UrlDecode(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}

/** The token survives a reload of this tab, not the tab itself (sessionStorage). */
const KEY = 'order-console.token';
export const storedToken = () => sessionStorage.getItem(KEY) ?? '';
export const storeToken = (token: string) => (token ? sessionStorage.setItem(KEY, token) : sessionStorage.removeItem(KEY));

/**
 * The local stack's dev signer (POST /dev/token on the gateway; 404 when it is
 * off, as on any real deployment). It has no read-only endpoint, so the
 * console asks it for a token no one uses: signing is free and stateless.
 */
export async function devSignerAvailable(): Promise<boolean> {
  try {
    return (await requestDevToken('console-probe', false)) !== undefined;
  } catch {
    return false;
  }
}

/** A token from the dev signer, or undefined when the signer is off. */
export async function requestDevToken(userId: string, admin: boolean): Promise<string | undefined> {
  const res = await fetch(new URL('/dev/token', location.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: userId, admin }),
  });
  if (res.status === 404) return undefined;
  const body = (await res.json()) as { token?: string; message?: string };
  if (!res.ok || !body.token) throw new Error(body.message ?? `the dev signer answered ${res.status}`);
  return body.token;
}
