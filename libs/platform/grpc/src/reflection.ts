import * as grpc from '@grpc/grpc-js';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { grpc as grpcProto } from '@order-system/proto';

type Request = grpcProto.reflection.v1.ServerReflectionRequest;
type Response = grpcProto.reflection.v1.ServerReflectionResponse;
const { ServerReflectionService } = grpcProto.reflection.v1;

/** Serialized FileDescriptorProtos by file name, and the file of every fully-qualified symbol. */
interface DescriptorIndex {
  files: Map<string, { bytes: Buffer; deps: string[] }>;
  symbols: Map<string, string>;
}

function indexDescriptorSet(set: Uint8Array): DescriptorIndex {
  const index: DescriptorIndex = { files: new Map(), symbols: new Map() };
  for (const file of fromBinary(FileDescriptorSetSchema, set).file) addFile(file, index);
  return index;
}

function addFile(file: FileDescriptorProto, { files, symbols }: DescriptorIndex) {
  files.set(file.name, { bytes: Buffer.from(toBinary(FileDescriptorProtoSchema, file)), deps: file.dependency });
  const prefix = file.package ? `${file.package}.` : '';
  const addMessages = (messages: DescriptorProto[], scope: string) => {
    for (const m of messages) {
      symbols.set(`${scope}${m.name}`, file.name);
      for (const e of m.enumType) symbols.set(`${scope}${m.name}.${e.name}`, file.name);
      addMessages(m.nestedType, `${scope}${m.name}.`);
    }
  };
  addMessages(file.messageType, prefix);
  for (const e of file.enumType) symbols.set(`${prefix}${e.name}`, file.name);
  for (const s of file.service) {
    symbols.set(`${prefix}${s.name}`, file.name);
    for (const m of s.method) symbols.set(`${prefix}${s.name}.${m.name}`, file.name);
  }
}

/** The file and everything it imports, transitively, each once. */
function withImports(index: DescriptorIndex, name: string | undefined): Buffer[] | undefined {
  if (name === undefined || !index.files.has(name)) return undefined;
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n) || !index.files.has(n)) return;
    seen.add(n);
    for (const d of index.files.get(n)!.deps) visit(d);
  };
  visit(name);
  return [...seen].map((n) => index.files.get(n)!.bytes);
}

function answer(index: DescriptorIndex, services: string[], req: Request): Response {
  const base: Response = { validHost: req.host, originalRequest: req };
  const files = (name: string | undefined, what: string): Response => {
    const protos = withImports(index, name);
    return protos
      ? { ...base, fileDescriptorResponse: { fileDescriptorProto: protos } }
      : { ...base, errorResponse: { errorCode: grpc.status.NOT_FOUND, errorMessage: `${what} not found` } };
  };
  if (req.listServices !== undefined) return { ...base, listServicesResponse: { service: services.map((name) => ({ name })) } };
  if (req.fileByFilename !== undefined) return files(req.fileByFilename, `file ${req.fileByFilename}`);
  if (req.fileContainingSymbol !== undefined) {
    const symbol = req.fileContainingSymbol.replace(/^\./, '');
    return files(index.symbols.get(symbol), `symbol ${symbol}`);
  }
  if (req.allExtensionNumbersOfType !== undefined && index.symbols.has(req.allExtensionNumbersOfType)) {
    return { ...base, allExtensionNumbersResponse: { baseTypeName: req.allExtensionNumbersOfType, extensionNumber: [] } };
  }
  return files(undefined, 'extension');
}

/**
 * gRPC server reflection, v1 and v1alpha (same messages, older path), answered
 * from the exact FileDescriptorProtos `buf build` produced, imports included.
 * (@grpc/reflection rebuilds descriptors through protobufjs and drops the
 * imports, so buf curl and grpcurl cannot resolve types across files.)
 */
export function addReflection(server: grpc.Server, descriptorSet: Uint8Array, services: string[]): void {
  const index = indexDescriptorSet(descriptorSet);
  const method = ServerReflectionService.serverReflectionInfo;
  const handler = (call: grpc.ServerDuplexStream<Request, Response>) => {
    call.on('data', (req: Request) => call.write(answer(index, services, req)));
    call.on('end', () => call.end());
    call.on('error', () => call.end());
  };
  for (const version of ['v1', 'v1alpha']) {
    const path = method.path.replace('.v1.', `.${version}.`);
    server.addService({ serverReflectionInfo: { ...method, path } } as grpc.ServiceDefinition, { serverReflectionInfo: handler });
  }
}
