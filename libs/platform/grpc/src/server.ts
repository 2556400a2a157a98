import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { withCorrelation, type Logger } from '@order-system/logger';
import type { MetricsRegistry } from '@order-system/metrics';
import { observeStream, observeUnary, rpcServerDuration, type ServerCall } from './observe.js';
import { authInterceptor, principalOf, type Authenticate } from './principal.js';
import { addReflection } from './reflection.js';
import { serverCredentials, type TlsMaterial } from './tls.js';
import { correlationIdFrom, NO_CHANNELZ, serviceName, type CallContext, type ServiceBinding } from './service.js';
import { toLoggedWireError } from './status.js';
import { drained } from './streams.js';
import { invalid } from '@order-system/errors';

export interface GrpcServerOptions {
  host: string;
  port: number;
  services: ServiceBinding[];
  /** FileDescriptorSet (base64) of every service served, for reflection. */
  descriptorSetBase64: string;
  log: Logger;
  maxMessageBytes?: number;
  /**
   * Streams one client connection may have open at once (HTTP/2
   * SETTINGS_MAX_CONCURRENT_STREAMS): more wait in the client, not here.
   */
  maxConcurrentStreams?: number;
  /** Times every call in rpc_server_duration_seconds (transport "grpc"). */
  metrics?: MetricsRegistry;
  /**
   * Proves who calls every method but health and reflection, before its
   * handler runs (a grpc-js server interceptor); handlers get the result as
   * ctx.principal. Without it every call is served, principal undefined.
   */
  authenticate?: Authenticate;
  /** Serve gRPC server reflection (default true). */
  reflection?: boolean;
  /** Mutual TLS: only clients with a certificate of the CA connect. Plaintext without it. */
  tls?: TlsMaterial;
}

export interface RunningGrpcServer {
  /** The bound port (useful with port 0). */
  port: number;
  setServing(serving: boolean): void;
  /**
   * Stops taking calls, lets calls in flight finish up to graceMs, then
   * cancels the rest. A bidirectional stream stops taking requests at once:
   * its handler sees them end, answers the ones it took, and ends the call.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Without a bound, an overloaded server takes every stream a client opens and
 * holds them all in memory (see docs/performance.md, Overload).
 */
const MAX_CONCURRENT_STREAMS = 1000;

/**
 * Keepalive enforcement: a client may ping at most every 10 s (more often,
 * and without calls, gets GOAWAY), and the server pings an idle connection
 * after 2 min to find dead peers.
 */
const KEEPALIVE_POLICY = {
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.keepalive_time_ms': 120_000,
  'grpc.keepalive_timeout_ms': 20_000,
} as const;

/** A grpc-js server with grpc.health.v1 and server reflection beside the given services. */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const maxBytes = opts.maxMessageBytes ?? 4 * 1024 * 1024;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
    'grpc.max_concurrent_streams': opts.maxConcurrentStreams ?? MAX_CONCURRENT_STREAMS,
    ...KEEPALIVE_POLICY,
    ...NO_CHANNELZ,
    interceptors: opts.authenticate ? [authInterceptor(opts.authenticate)] : [],
  });
  const names = opts.services.map((s) => serviceName(s.definition));
  const health = new HealthImplementation(Object.fromEntries(['', ...names].map((n) => [n, 'SERVING'])));
  health.addToServer(server);
  // Reflection lists what this server serves (not every service in the shared descriptor set).
  if (opts.reflection ?? true) addReflection(server, Buffer.from(opts.descriptorSetBase64, 'base64'), [...names, 'grpc.health.v1.Health']);
  const closing = new AbortController();
  for (const binding of opts.services) {
    server.addService(lenient(binding.definition), grpcImplementation(binding, opts.log, closing.signal, opts.metrics));
  }

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, serverCredentials(opts.tls), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );

  const setServing = (serving: boolean) => {
    for (const name of ['', ...names]) health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  };
  return {
    port,
    setServing,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        setServing(false);
        closing.abort();
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** A request whose bytes are not a valid message: answered INVALID_ARGUMENT, not grpc-js's INTERNAL. */
class Undecodable {
  constructor(readonly reason: string) {}
}

function lenient(definition: ServiceBinding['definition']): grpc.ServiceDefinition {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new Undecodable((err as Error).message);
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

function checkDecoded(request: unknown): void {
  if (request instanceof Undecodable) throw invalid(`request is not a valid protobuf message: ${request.reason}`);
}

/**
 * A bidirectional stream's requests as they come, until the caller ends its
 * side or the server starts closing. The requests that come after that are
 * never taken; the caller learns it when the call ends OK with them
 * unanswered. One that does not decode fails the call.
 */
async function* takenRequests(call: grpc.ServerDuplexStream<unknown, unknown>, closing: AbortSignal): AsyncIterable<unknown> {
  // An iterator that leaves the call whole when the requests end: the answers are still to be sent.
  const requests = call.iterator({ destroyOnReturn: false });
  let stop = () => {};
  const onClosing = () => stop();
  closing.addEventListener('abort', onClosing);
  try {
    while (!closing.aborted) {
      const next = await new Promise<IteratorResult<unknown>>((resolve, reject) => {
        stop = () => resolve({ done: true, value: undefined });
        requests.next().then(resolve, reject);
      });
      if (next.done) return;
      checkDecoded(next.value);
      yield next.value;
    }
  } finally {
    closing.removeEventListener('abort', onClosing);
  }
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * A served call's context: its correlation id, and a signal aborted when the
 * caller goes away before the reply. grpc-js also reports 'cancelled' when
 * the stream closes after the reply; `replied()` marks the call answered, so
 * that is not taken for the caller going away.
 */
class GrpcCallContext implements CallContext {
  readonly correlationId: string;
  readonly principal: unknown;
  private readonly controller = new AbortController();
  private answered = false;

  constructor(call: AnyCall) {
    this.correlationId = correlationIdFrom(call.metadata) ?? randomUUID();
    this.principal = principalOf(call.metadata);
    call.on('cancelled', () => {
      if (!this.answered) this.controller.abort();
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The caller went away before the reply. */
  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  replied(): void {
    this.answered = true;
  }
}

function served(path: string, call: AnyCall, ctx: GrpcCallContext): ServerCall {
  const header = (name: string) => {
    const value = call.metadata.get(name)[0];
    return typeof value === 'string' ? value : undefined;
  };
  return { path, transport: 'grpc', header, correlationId: ctx.correlationId, aborted: () => ctx.aborted };
}

function replyError(err: unknown, log: Logger, path: string): grpc.ServiceError {
  const wire = toLoggedWireError(err, log, { rpc: path });
  return Object.assign(new Error(wire.message), { code: wire.code, details: wire.message, metadata: new grpc.Metadata() });
}

/**
 * Adapts transport-neutral handlers to grpc-js call objects. Each call runs in
 * its correlation context and, with metrics, is timed by its status code.
 */
function grpcImplementation(
  binding: ServiceBinding,
  log: Logger,
  closing: AbortSignal,
  metrics?: MetricsRegistry,
): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  const duration = metrics && rpcServerDuration(metrics);
  for (const [name, method] of Object.entries(binding.definition)) {
    const handler = binding.handlers[name] as unknown as (req: unknown, ctx: CallContext) => unknown;
    if (method.requestStream && !method.responseStream) throw new Error(`${method.path}: client streams are not supported`);
    if (method.responseStream) {
      // A bidirectional stream's call is a duplex of requests, a server stream's holds its request.
      const requestOf = method.requestStream
        ? (call: grpc.ServerWritableStream<unknown, unknown>) => takenRequests(call as unknown as grpc.ServerDuplexStream<unknown, unknown>, closing)
        : (call: grpc.ServerWritableStream<unknown, unknown>) => (checkDecoded(call.request), call.request);
      impl[name] = async (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const ctx = new GrpcCallContext(call);
        try {
          const messages = observeStream(duration, served(method.path, call, ctx), () => handler(requestOf(call), ctx) as AsyncIterable<unknown>);
          for await (const message of messages) {
            if (ctx.aborted) break;
            if (!call.write(message)) await drained(call);
          }
          ctx.replied();
          call.end();
        } catch (err) {
          // A caller that went away breaks off a stream's requests: nobody to answer, nothing to log.
          if (ctx.aborted) return;
          ctx.replied();
          call.emit('error', withCorrelation(ctx.correlationId, () => replyError(err, log, method.path)));
        }
      };
    } else {
      impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const ctx = new GrpcCallContext(call);
        observeUnary(duration, served(method.path, call, ctx), async () => {
          checkDecoded(call.request);
          return handler(call.request, ctx) as Promise<unknown>;
        }).then(
          (res) => {
            ctx.replied();
            callback(null, res);
          },
          (err: unknown) => {
            ctx.replied();
            callback(withCorrelation(ctx.correlationId, () => replyError(err, log, method.path)));
          },
        );
      };
    }
  }
  return impl;
}
