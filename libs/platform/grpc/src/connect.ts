import { randomUUID } from 'node:crypto';
import { fromBinary, toBinary, type DescMessage, type DescMethod, type Registry } from '@bufbuild/protobuf';
import { createFileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import type { Logger } from 'pino';
import { CORRELATION_HEADER, serviceName, type CallContext, type MethodDef, type ServiceBinding } from './service.js';
import { toWireError } from './status.js';

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

export function connectRoutes(registry: Registry, services: ServiceBinding[], log: Logger) {
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
        router.rpc(method as DescMethod, bridge(method, entry.def as MethodDef, handler, log) as never);
      }
    }
  };
}

function bridge(method: DescMethod, def: MethodDef, handler: (req: unknown, ctx: CallContext) => unknown, log: Logger) {
  const decode = (msg: unknown) => def.requestDeserialize(Buffer.from(toBinary(method.input, msg as never)));
  const encode = (res: unknown) => fromBinary(method.output as DescMessage, def.responseSerialize(res));
  const context = (ctx: HandlerContext): CallContext => ({
    correlationId: ctx.requestHeader.get(CORRELATION_HEADER) ?? randomUUID(),
    signal: ctx.signal,
  });
  const fail = (err: unknown): never => {
    const wire = toWireError(err);
    if (wire.internal) log.error({ err, rpc: `${method.parent.typeName}/${method.name}` }, 'rpc failed');
    throw new ConnectError(wire.message, wire.code as number as Code);
  };

  if (method.methodKind === 'server_streaming') {
    return async function* (req: unknown, ctx: HandlerContext) {
      try {
        for await (const res of handler(decode(req), context(ctx)) as AsyncIterable<unknown>) yield encode(res);
      } catch (err) {
        fail(err);
      }
    };
  }
  return async (req: unknown, ctx: HandlerContext) => {
    try {
      return encode(await (handler(decode(req), context(ctx)) as Promise<unknown>));
    } catch (err) {
      return fail(err);
    }
  };
}
