import type { Metadata } from '@grpc/grpc-js';

/** One RPC of a ts-proto `outputServices=grpc-js` service definition. */
export interface MethodDef<Req = unknown, Res = unknown> {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: Req): Buffer;
  requestDeserialize(bytes: Buffer): Req;
  responseSerialize(value: Res): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any method's types
export type ServiceDef = Record<string, MethodDef<any, any>>;

/** What every handler gets besides its request, whatever the transport. */
export interface CallContext {
  correlationId: string;
  /** Aborted when the caller goes away before the reply. */
  signal: AbortSignal;
  /** Who is calling, as the server's authenticate hook proved it; undefined on a server without one. */
  principal: unknown;
}

type Req<M> = M extends { requestDeserialize(bytes: Buffer): infer R } ? R : never;
type Res<M> = M extends { responseDeserialize(bytes: Buffer): infer R } ? R : never;

/**
 * Transport-neutral handlers: a promise per unary RPC, an async iterable per
 * server stream, and for a bidirectional stream an async iterable of
 * responses from one of requests. Client streams are not supported.
 */
export type ServiceHandlers<D extends ServiceDef> = {
  [K in keyof D]: D[K]['requestStream'] extends true
    ? (requests: AsyncIterable<Req<D[K]>>, ctx: CallContext) => AsyncIterable<Res<D[K]>>
    : D[K]['responseStream'] extends true
      ? (req: Req<D[K]>, ctx: CallContext) => AsyncIterable<Res<D[K]>>
      : (req: Req<D[K]>, ctx: CallContext) => Promise<Res<D[K]>>;
};

export interface ServiceBinding<D extends ServiceDef = ServiceDef> {
  definition: D;
  handlers: ServiceHandlers<D>;
}

/** Pairs a definition with its handlers, checking the handler types. */
export function bindService<D extends ServiceDef>(definition: D, handlers: ServiceHandlers<D>): ServiceBinding {
  return { definition, handlers } as unknown as ServiceBinding;
}

export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * grpc-js keeps channelz statistics by default (per call: closures, counters
 * and timestamps). Nothing here serves channelz, so it is off.
 */
export const NO_CHANNELZ = { 'grpc.enable_channelz': 0 } as const;

/** A correlation id a caller may choose: printable, short, safe in logs and headers. */
export const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's correlation id, if it gave an acceptable one (else the server makes one up). */
export function correlationIdFrom(metadata: Metadata): string | undefined {
  const value = metadata.get(CORRELATION_HEADER)[0];
  return typeof value === 'string' && CORRELATION_ID.test(value) ? value : undefined;
}

/** The fully-qualified service name, from a method path "/pkg.Service/Method". */
export function serviceName(definition: ServiceDef): string {
  const first = Object.values(definition)[0];
  if (!first) throw new Error('service definition has no methods');
  return first.path.split('/')[1] ?? '';
}
