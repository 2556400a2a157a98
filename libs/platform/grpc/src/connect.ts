import { randomUUID } from 'node:crypto';
import { fromBinary, toBinary, type DescMessage, type DescMethod, type Registry } from '@bufbuild/protobuf';
import { createFileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { currentCorrelationId, withCorrelation, type Logger } from '@order-system/logger';
import type { MetricsRegistry } from '@order-system/metrics';
import { observeStream, observeUnary, rpcServerDuration, type ServerCall } from './observe.js';
import { principalKey } from './principal.js';
import { CORRELATION_HEADER, CORRELATION_ID, serviceName, type CallContext, type MethodDef, type ServiceBinding } from './service.js';

const acceptable = (id: string | null) => (id !== null && CORRELATION_ID.test(id) ? id : undefined);
import { toLoggedWireError } from './status.js';

/**
 * The bridge from Connect-ES (which needs protobuf-es descriptors) to our
 * ts-proto handlers: descriptors come from the descriptor set generated from
 * proto/, and messages cross as bytes (toBinary, then the ts-proto decoder), so
 * the .proto files stay the one source of truth and the handlers are shared
 * with the gRPC server.
 */
export function descriptorRegistry(descriptorSetBase64: string): Registry {
  const bytes = Buffer.from(descriptorSetBase64, 'base64');
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
}

/**
 * Routes for every method of `services`. With `metrics`, each call is timed
 * in rpc_server_duration_seconds (transport: connect, grpc-web or grpc).
 */
export function connectRoutes(registry: Registry, services: ServiceBinding[], log: Logger, metrics?: MetricsRegistry) {
  const duration = metrics && rpcServerDuration(metrics);
  return (router: ConnectRouter) => {
    for (const binding of services) {
      const typeName = serviceName(binding.definition);
      const desc = registry.getService(typeName);
      if (!desc) throw new Error(`service ${typeName} is not in the descriptor set`);
      const byPath = new Map(Object.entries(binding.definition).map(([name, def]) => [def.path, { name, def }]));
      for (const method of desc.methods) {
        const entry = byPath.get(`/${typeName}/${method.name}`);
        if (!entry) throw new Error(`no handler for ${typeName}/${method.name}`);
        const handler = binding.handlers[entry.name] as unknown as (req: unknown, ctx: CallContext) => unknown;
        router.rpc(method as DescMethod, bridge(method, entry.def as MethodDef, handler, log, duration) as never);
      }
    }
  };
}

function bridge(
  method: DescMethod,
  def: MethodDef,
  handler: (req: unknown, ctx: CallContext) => unknown,
  log: Logger,
  duration?: ReturnType<typeof rpcServerDuration>,
) {
  const decode = (msg: unknown) => def.requestDeserialize(Buffer.from(toBinary(method.input, msg as never)));
  const encode = (res: unknown) => fromBinary(method.output as DescMessage, def.responseSerialize(res));
  // The caller's id if acceptable, else the one the HTTP listener gave this request, else a new one.
  const context = (ctx: HandlerContext): CallContext => ({
    correlationId: acceptable(ctx.requestHeader.get(CORRELATION_HEADER)) ?? currentCorrelationId() ?? randomUUID(),
    signal: ctx.signal,
    principal: ctx.values.get(principalKey),
  });
  const call = (ctx: CallContext, hc: HandlerContext): ServerCall => ({
    path: def.path,
    transport: hc.protocolName,
    header: (name) => hc.requestHeader.get(name) ?? undefined,
    correlationId: ctx.correlationId,
    aborted: () => hc.signal.aborted,
  });
  const fail = (err: unknown): never => {
    const wire = toLoggedWireError(err, log, { rpc: `${method.parent.typeName}/${method.name}` });
    throw new ConnectError(wire.message, wire.code as number as Code);
  };

  if (method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming') {
    throw new Error(`${def.path}: streams of requests are served over gRPC only`);
  }
  if (method.methodKind === 'server_streaming') {
    return async function* (req: unknown, hc: HandlerContext) {
      const ctx = context(hc);
      try {
        const responses = observeStream(duration, call(ctx, hc), () => handler(decode(req), ctx) as AsyncIterable<unknown>);
        for await (const res of responses) yield encode(res);
      } catch (err) {
        withCorrelation(ctx.correlationId, () => fail(err));
      }
    };
  }
  return async (req: unknown, hc: HandlerContext) => {
    const ctx = context(hc);
    try {
      return encode(await observeUnary(duration, call(ctx, hc), async () => handler(decode(req), ctx) as Promise<unknown>));
    } catch (err) {
      return withCorrelation(ctx.correlationId, () => fail(err));
    }
  };
}
