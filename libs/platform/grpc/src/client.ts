import * as grpc from '@grpc/grpc-js';
import { currentCorrelationId } from '@order-system/logger';
import type { MetricsRegistry } from '@order-system/metrics';
import { clientCall, rpcClientDuration } from './observe.js';
import { CORRELATION_HEADER, NO_CHANNELZ, serviceName, type MethodDef, type ServiceDef } from './service.js';
import { fromServiceError } from './status.js';
import { clientCredentials, type TlsMaterial } from './tls.js';
import { drained } from './streams.js';

export interface CallOptions {
  /** Defaults to the current one (withCorrelation), if any. */
  correlationId?: string;
  /** Per-call deadline; defaults to the client's. */
  timeoutMs?: number;
  /** Cancels the call when aborted (a handler passes its ctx.signal on). */
  signal?: AbortSignal;
  /** Metadata of this call (authorization, say), over the client's own. */
  headers?: Record<string, string>;
}

type Req<M> = M extends { requestSerialize(value: infer R): Buffer } ? R : never;
type Res<M> = M extends { responseDeserialize(bytes: Buffer): infer R } ? R : never;

/**
 * A promise per unary RPC, an async iterable per server stream, and for a
 * bidirectional stream an async iterable of responses from one of requests;
 * errors are AppErrors.
 */
export type ServiceClient<D extends ServiceDef> = {
  [K in keyof D]: D[K]['requestStream'] extends true
    ? (requests: AsyncIterable<Req<D[K]>> | Iterable<Req<D[K]>>, opts?: CallOptions) => AsyncIterable<Res<D[K]>>
    : D[K]['responseStream'] extends true
      ? (req: Req<D[K]>, opts?: CallOptions) => AsyncIterable<Res<D[K]>>
      : (req: Req<D[K]>, opts?: CallOptions) => Promise<Res<D[K]>>;
} & { close(): void };

export interface ClientOptions {
  defaultTimeoutMs?: number;
  /** Metadata every call carries. */
  headers?: Record<string, string>;
  /** Mutual TLS: this process's certificate, and the CA the server's must be signed by. */
  tls?: TlsMaterial;
  /** With tls: the name the server's certificate must carry (the service it is meant to be). */
  serverName?: string;
  /** Times every call in rpc_client_duration_seconds. */
  metrics?: MetricsRegistry;
}

/** A client for `definition` at `address` (host:port): mutual TLS with `tls`, else plaintext. */
export function createServiceClient<D extends ServiceDef>(
  definition: D,
  address: string,
  { defaultTimeoutMs = 5000, metrics, headers = {}, tls, serverName = '' }: ClientOptions = {},
): ServiceClient<D> {
  const target = serviceName(definition);
  if (tls && !serverName) throw new Error(`a TLS client of ${address} needs the serverName its certificate must carry`);
  const { credentials, options } = clientCredentials(tls, serverName);
  const client = new grpc.Client(address, credentials, {
    ...options,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.enable_retries': 1,
    ...NO_CHANNELZ,
  });
  const out: Record<string, unknown> = { close: () => client.close() };
  const duration = metrics && rpcClientDuration(metrics);

  for (const [name, def] of Object.entries(definition) as [string, MethodDef][]) {
    const metadataOf = (opts: CallOptions) => {
      const md = new grpc.Metadata();
      for (const [name, value] of Object.entries({ ...headers, ...opts.headers })) md.set(name, value);
      const correlationId = opts.correlationId ?? currentCorrelationId();
      if (correlationId) md.set(CORRELATION_HEADER, correlationId);
      return md;
    };

    if (def.requestStream) {
      out[name] = (requests: AsyncIterable<unknown> | Iterable<unknown>, opts: CallOptions = {}) => {
        const metadata = metadataOf(opts);
        const end = clientCall(duration, def.path, metadata);
        const call = client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, metadata, {});
        opts.signal?.addEventListener('abort', () => call.cancel(), { once: true });
        void sendAll(requests, call);
        return mapStreamErrors(call, target, end, () => call.cancel());
      };
    } else if (def.responseStream) {
      out[name] = (req: unknown, opts: CallOptions = {}) => {
        const metadata = metadataOf(opts);
        const end = clientCall(duration, def.path, metadata);
        const call = client.makeServerStreamRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          req,
          metadata,
          {},
        );
        opts.signal?.addEventListener('abort', () => call.cancel(), { once: true });
        return mapStreamErrors(call, target, end, () => call.cancel());
      };
    } else {
      out[name] = (req: unknown, opts: CallOptions = {}) =>
        new Promise((resolve, reject) => {
          const metadata = metadataOf(opts);
          const end = clientCall(duration, def.path, metadata);
          const deadline = Date.now() + (opts.timeoutMs ?? defaultTimeoutMs);
          const call = withoutStackTraces(() =>
            client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, metadata, { deadline }, (err, res) => {
              end(err ? err.code : grpc.status.OK);
              if (err) reject(fromServiceError(err, target));
              else resolve(res);
            }),
          );
          opts.signal?.addEventListener('abort', () => call.cancel(), { once: true });
        });
    }
  }
  return out as ServiceClient<D>;
}

/**
 * grpc-js records the caller's stack for every unary call (a `new Error()`),
 * to append to an error status; we map statuses to AppErrors and never show
 * it, so it is not captured.
 */
function withoutStackTraces<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Writes a stream's requests as they come, then half-closes it; a failing source cancels the call. */
async function sendAll(requests: AsyncIterable<unknown> | Iterable<unknown>, call: grpc.ClientDuplexStream<unknown, unknown>) {
  try {
    for await (const request of requests) {
      if (call.destroyed) return;
      if (!call.write(request)) await drained(call);
    }
    call.end();
  } catch {
    call.cancel();
  }
}

/** A call's answers, its errors as AppErrors; a consumer that breaks off cancels the call. */
async function* mapStreamErrors<T>(
  stream: AsyncIterable<T>,
  target: string,
  end: (code: grpc.status) => void,
  cancel: () => void,
): AsyncIterable<T> {
  let code = grpc.status.CANCELLED; // unless it ends or fails: the caller broke off
  try {
    yield* stream;
    code = grpc.status.OK;
  } catch (err) {
    const serviceError = 'code' in (err as object) ? (err as grpc.ServiceError) : undefined;
    code = serviceError?.code ?? grpc.status.UNKNOWN;
    throw serviceError ? fromServiceError(serviceError, target) : err;
  } finally {
    if (code === grpc.status.CANCELLED) cancel();
    end(code);
  }
}
