import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { Code, ConnectError, createContextKey, type Interceptor } from '@connectrpc/connect';
import { toWireError } from './status.js';

/** What a server's authenticate hook sees of a call, whatever the transport. */
export interface IncomingCall {
  /** "/pkg.Service/Method" */
  path: string;
  /** A request header (gRPC metadata), lower-case name. */
  header(name: string): string | undefined;
  /** The verified client certificate, on a connection with mutual TLS. */
  peerCertificate?: PeerCertificate | undefined;
}

/**
 * Proves who is calling: resolves with the principal handlers get as
 * ctx.principal, or rejects with an AppError (unauthenticated,
 * permission_denied, resource_exhausted...) that the call fails with.
 */
export type Authenticate = (call: IncomingCall) => Promise<unknown>;

/** Services every caller may use: health checks and reflection. */
export const OPEN_SERVICES = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];

const isOpen = (path: string) => OPEN_SERVICES.includes(path.split('/')[1] ?? '');

/** Each authenticated call's principal, by the metadata object its handler receives. */
const principals = new WeakMap<grpc.Metadata, unknown>();

/** The principal authInterceptor proved for a call with this metadata. */
export const principalOf = (metadata: grpc.Metadata): unknown => principals.get(metadata);

/**
 * A grpc-js server interceptor that runs authenticate on every call but the
 * open services' before its handler starts; a call it refuses ends with the
 * refusal's status (and `retry-after` when the error gives one) and never
 * reaches a handler.
 */
export function authInterceptor(authenticate: Authenticate): grpc.ServerInterceptor {
  return (method, call) => {
    if (isOpen(method.path)) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, proceed) {
            const header = (name: string) => {
              const value = metadata.get(name)[0];
              return typeof value === 'string' ? value : undefined;
            };
            const peerCertificate = call.getAuthContext().sslPeerCertificate;
            authenticate({ path: method.path, header, peerCertificate }).then(
              (principal) => {
                principals.set(metadata, principal);
                proceed(metadata);
              },
              (err: unknown) => {
                const wire = toWireError(err);
                const trailers = new grpc.Metadata();
                if (wire.retryAfterSec !== undefined) trailers.set('retry-after', String(wire.retryAfterSec));
                call.sendStatus({ code: wire.code, details: wire.message, metadata: trailers });
              },
            );
          },
        });
      },
    });
  };
}

/** Where the Connect interceptor leaves the principal for the bridge. */
export const principalKey = createContextKey<unknown>(undefined, { description: 'principal' });

/** The same for Connect and gRPC-Web: authenticate before the handler, its refusal as the call's error. */
export function connectAuthInterceptor(authenticate: Authenticate): Interceptor {
  return (next) => async (req) => {
    const path = `/${req.service.typeName}/${req.method.name}`;
    let principal: unknown;
    try {
      principal = await authenticate({ path, header: (name) => req.header.get(name) ?? undefined });
    } catch (err) {
      const wire = toWireError(err);
      const headers = new Headers();
      if (wire.retryAfterSec !== undefined) headers.set('retry-after', String(wire.retryAfterSec));
      if (wire.code === grpc.status.UNAUTHENTICATED) headers.set('www-authenticate', 'Bearer');
      throw new ConnectError(wire.message, wire.code as number as Code, headers);
    }
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}
