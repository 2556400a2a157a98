import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { permissionDenied } from '@order-system/errors';
import type { Authenticate } from './principal.js';

/** Mutual TLS material: the project CA, and this process's certificate and key (PEM). */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** The material from its files, or undefined when none is configured (plaintext: development only). */
export function tlsFromFiles({ caFile, certFile, keyFile }: { caFile: string; certFile: string; keyFile: string }): TlsMaterial | undefined {
  if (!caFile && !certFile && !keyFile) return undefined;
  const missing = Object.entries({ TLS_CA_FILE: caFile, TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile }).filter(([, f]) => !f);
  if (missing.length > 0) throw new Error(`mutual TLS needs all three files; ${missing.map(([k]) => k).join(', ')} not set`);
  return { ca: readFileSync(caFile), cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** Server credentials that demand a client certificate signed by the CA; plaintext without material. */
export function serverCredentials(tls: TlsMaterial | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

/**
 * Client credentials presenting this process's certificate, and the channel
 * options that make the server prove it is `serverName` (its certificate's
 * name), whatever address it is reached at.
 */
export function clientCredentials(tls: TlsMaterial | undefined, serverName: string) {
  if (!tls) return { credentials: grpc.credentials.createInsecure(), options: {} };
  return {
    credentials: grpc.credentials.createSsl(tls.ca, tls.key, tls.cert),
    options: { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName },
  };
}

/**
 * Authorizes a call by its caller's certificate: the name in it (its CN, the
 * service name) must be one `allowed` lists for the method ("/pkg.Service/Method",
 * or "/pkg.Service/*" for all of a service's). The principal is that name.
 * Without TLS there is no certificate to go by, and every call is let through
 * as "unverified": development only (production refuses to start without TLS).
 */
export function authorizeByCertificate(allowed: Record<string, readonly string[]>): Authenticate {
  return async ({ path, peerCertificate }) => {
    if (!peerCertificate) return 'unverified';
    const name = [peerCertificate.subject?.CN].flat()[0] ?? '';
    const service = path.slice(0, path.lastIndexOf('/'));
    const callers = allowed[path] ?? allowed[`${service}/*`] ?? [];
    if (!callers.includes(name)) throw permissionDenied(`${name || 'this caller'} may not call ${path}`);
    return name;
  };
}
