import { status, type Metadata } from '@grpc/grpc-js';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { withCorrelation } from '@order-system/logger';
import { histogram, type MetricsRegistry } from '@order-system/metrics';
import { toWireError } from './status.js';

/**
 * What every RPC records, whatever the transport: its correlation context
 * (every log line of it names the id), a duration by status code, and, when
 * tracing is on (OTEL_ENABLED), a span. Spans are made here rather than by the
 * OpenTelemetry auto-instrumentations because those patch modules as they are
 * required, and the services run as esbuild bundles that require none.
 */

/** Rate, errors and latency of the RPCs a process serves, by transport. */
export const rpcServerDuration = (registry: MetricsRegistry) =>
  histogram(registry, {
    name: 'rpc_server_duration_seconds',
    help: 'Time to handle an RPC (a server stream: its whole life), by service, method, status code and transport.',
    labelNames: ['service', 'method', 'code', 'transport'],
  });

/** Rate, errors and latency of the RPCs a process makes. */
export const rpcClientDuration = (registry: MetricsRegistry) =>
  histogram(registry, {
    name: 'rpc_client_duration_seconds',
    help: 'Time until an RPC to another service answered (a server stream: ended), by service, method and status code.',
    labelNames: ['service', 'method', 'code'],
  });

/** The name of a gRPC status code as Prometheus labels show it: OK, INVALID_ARGUMENT, ... */
export const codeName = (code: number): string => status[code] ?? String(code);

/** "/pkg.Service/Method" → its service and method. */
export function rpcOf(path: string): { service: string; method: string } {
  const [, service = '', method = ''] = path.split('/');
  return { service, method };
}

const tracer = () => trace.getTracer('@order-system/grpc');

function startSpan(path: string, kind: SpanKind, parent: Context): Span {
  const { service, method } = rpcOf(path);
  return tracer().startSpan(
    `${service}/${method}`,
    { kind, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } },
    parent,
  );
}

function endSpan(span: Span, code: number) {
  span.setAttribute('rpc.grpc.status_code', code);
  if (code !== status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: codeName(code) });
  span.end();
}

export interface ServerCall {
  path: string;
  transport: string;
  correlationId: string;
  /** Whether the caller went away before the reply. */
  aborted(): boolean;
  /** A request header (gRPC metadata); traceparent continues the caller's trace. */
  header(name: string): string | undefined;
}

/** The code a handler's outcome gets on the wire: CANCELLED once the caller went away, whatever the handler did then. */
function outcomeCode(err: unknown, aborted: boolean): number {
  if (aborted) return status.CANCELLED;
  if (err === undefined) return status.OK;
  return toWireError(err).code;
}

/** Enters a served call: run() runs code in its contexts; finish() records how it ended. */
function enter(duration: ReturnType<typeof rpcServerDuration> | undefined, call: ServerCall) {
  const end = duration?.startTimer();
  const parent = propagation.extract(context.active(), call, { keys: () => [], get: (c, key) => c.header(key) });
  const span = startSpan(call.path, SpanKind.SERVER, parent);
  const spanContext = trace.setSpan(parent, span);
  return {
    run: <T>(fn: () => T): T => context.with(spanContext, () => withCorrelation(call.correlationId, fn)),
    finish(err: unknown) {
      const code = outcomeCode(err, call.aborted());
      end?.({ ...rpcOf(call.path), code: codeName(code), transport: call.transport });
      endSpan(span, code);
    },
  };
}

/** Runs a unary handler as a served call (see enter). */
export async function observeUnary<T>(
  duration: ReturnType<typeof rpcServerDuration> | undefined,
  call: ServerCall,
  handle: () => Promise<T>,
): Promise<T> {
  const served = enter(duration, call);
  try {
    const res = await served.run(handle);
    served.finish(undefined);
    return res;
  } catch (err) {
    served.finish(err ?? new Error('handler failed'));
    throw err;
  }
}

/**
 * The same for a server stream: each step of the handler's iterator runs in
 * the call's contexts; the stream is timed from start to end (CANCELLED when
 * the caller went away first).
 */
export async function* observeStream<T>(
  duration: ReturnType<typeof rpcServerDuration> | undefined,
  call: ServerCall,
  handle: () => AsyncIterable<T>,
): AsyncGenerator<T> {
  const served = enter(duration, call);
  let error: unknown;
  let done = false;
  try {
    const it = served.run(() => handle()[Symbol.asyncIterator]());
    try {
      for (;;) {
        const next = await served.run(() => it.next());
        if (next.done) break;
        yield next.value;
      }
      done = true;
    } finally {
      // Stopped early (cancelled, or the consumer broke off): close the handler's iterator too.
      if (!done) await served.run(async () => it.return?.()).catch(() => undefined);
    }
  } catch (err) {
    error = err ?? new Error('stream failed');
    throw err;
  } finally {
    served.finish(error);
  }
}

/** A call this process makes: the trace context goes out in its metadata; end() records how it ended. */
export function clientCall(duration: ReturnType<typeof rpcClientDuration> | undefined, path: string, metadata: Metadata) {
  const end = duration?.startTimer();
  const span = startSpan(path, SpanKind.CLIENT, context.active());
  propagation.inject(trace.setSpan(context.active(), span), metadata, { set: (md, key, value) => md.set(key, value) });
  return (code: number) => {
    end?.({ ...rpcOf(path), code: codeName(code) });
    endSpan(span, code);
  };
}
