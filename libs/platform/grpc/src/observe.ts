import { status } from '@grpc/grpc-js';
import { withCorrelation } from '@order-system/logger';
import { histogram, type Histogram, type MetricsRegistry } from '@order-system/metrics';
import { toWireError } from './status.js';

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

export interface ServerCall {
  path: string;
  transport: string;
  correlationId: string;
  signal: AbortSignal;
}

type Timer = (labels: { code: string }) => void;

function startTimer(duration: Histogram<'service' | 'method' | 'code' | 'transport'> | undefined, call: ServerCall): Timer {
  const end = duration?.startTimer();
  return ({ code }) => end?.({ ...rpcOf(call.path), code, transport: call.transport });
}

/** The code a handler's outcome gets on the wire. */
function outcomeCode(err: unknown, signal: AbortSignal): string {
  if (err === undefined) return codeName(signal.aborted ? status.CANCELLED : status.OK);
  return codeName(toWireError(err).code);
}

/**
 * Runs a unary handler in the call's correlation context (every log line of
 * it carries the id) and times it by the status code it ends with.
 */
export async function observeUnary<T>(
  duration: ReturnType<typeof rpcServerDuration> | undefined,
  call: ServerCall,
  handle: () => Promise<T>,
): Promise<T> {
  const end = startTimer(duration, call);
  try {
    const res = await withCorrelation(call.correlationId, handle);
    end({ code: codeName(status.OK) });
    return res;
  } catch (err) {
    end({ code: outcomeCode(err, call.signal) });
    throw err;
  }
}

/**
 * The same for a server stream: each step of the handler's iterator runs in
 * the call's correlation context; the stream is timed from start to end
 * (CANCELLED when the caller went away first).
 */
export async function* observeStream<T>(
  duration: ReturnType<typeof rpcServerDuration> | undefined,
  call: ServerCall,
  handle: () => AsyncIterable<T>,
): AsyncGenerator<T> {
  const end = startTimer(duration, call);
  let error: unknown;
  let done = false;
  const it = withCorrelation(call.correlationId, () => handle()[Symbol.asyncIterator]());
  try {
    for (;;) {
      const next = await withCorrelation(call.correlationId, () => it.next());
      if (next.done) break;
      yield next.value;
    }
    done = true;
  } catch (err) {
    error = err ?? new Error('stream failed');
    throw err;
  } finally {
    // Stopped early (cancelled, or the consumer broke off): close the handler's iterator too.
    if (!done && error === undefined) await withCorrelation(call.correlationId, async () => it.return?.());
    end({ code: outcomeCode(error, call.signal) });
  }
}
