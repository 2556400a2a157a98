import * as grpc from '@grpc/grpc-js';
import { CORRELATION_HEADER, serviceName, type MethodDef, type ServiceDef } from './service.js';
import { fromServiceError } from './status.js';

export interface CallOptions {
  correlationId?: string;
  /** Per-call deadline; defaults to the client's. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

type Req<M> = M extends { requestSerialize(value: infer R): Buffer } ? R : never;
type Res<M> = M extends { responseDeserialize(bytes: Buffer): infer R } ? R : never;

/** A promise per unary RPC, an async iterable per server stream; errors are AppErrors. */
export type ServiceClient<D extends ServiceDef> = {
  [K in keyof D]: D[K]['responseStream'] extends true
    ? (req: Req<D[K]>, opts?: CallOptions) => AsyncIterable<Res<D[K]>>
    : (req: Req<D[K]>, opts?: CallOptions) => Promise<Res<D[K]>>;
} & { close(): void };

export interface ClientOptions {
  defaultTimeoutMs?: number;
}

/** A client for `definition` at `address` (host:port), plaintext. */
export function createServiceClient<D extends ServiceDef>(
  definition: D,
  address: string,
  { defaultTimeoutMs = 5000 }: ClientOptions = {},
): ServiceClient<D> {
  const target = serviceName(definition);
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.enable_retries': 1,
  });
  const out: Record<string, unknown> = { close: () => client.close() };

  for (const [name, def] of Object.entries(definition) as [string, MethodDef][]) {
    const metadataOf = (opts: CallOptions) => {
      const md = new grpc.Metadata();
      if (opts.correlationId) md.set(CORRELATION_HEADER, opts.correlationId);
      return md;
    };
    if (def.responseStream) {
      out[name] = (req: unknown, opts: CallOptions = {}) => {
        const call = client.makeServerStreamRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          req,
          metadataOf(opts),
          {},
        );
        opts.signal?.addEventListener('abort', () => call.cancel(), { once: true });
        return mapStreamErrors(call, target);
      };
    } else {
      out[name] = (req: unknown, opts: CallOptions = {}) =>
        new Promise((resolve, reject) => {
          const deadline = Date.now() + (opts.timeoutMs ?? defaultTimeoutMs);
          const call = client.makeUnaryRequest(
            def.path,
            def.requestSerialize,
            def.responseDeserialize,
            req,
            metadataOf(opts),
            { deadline },
            (err, res) => (err ? reject(fromServiceError(err, target)) : resolve(res)),
          );
          opts.signal?.addEventListener('abort', () => call.cancel(), { once: true });
        });
    }
  }
  return out as ServiceClient<D>;
}

async function* mapStreamErrors<T>(stream: AsyncIterable<T>, target: string): AsyncIterable<T> {
  try {
    yield* stream;
  } catch (err) {
    throw 'code' in (err as object) ? fromServiceError(err as grpc.ServiceError, target) : err;
  }
}
