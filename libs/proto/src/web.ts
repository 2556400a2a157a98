// The public API's contracts for the browser: protobuf-es schemas and service
// descriptors (generated into gen-es by tools/codegen/generate.sh), for
// @connectrpc/connect-web. A separate entry point, so that a browser bundle never
// imports the ts-proto and grpc-js code of index.ts.
export * from './gen-es/orders/v1/orders_pb.js';
export * from './gen-es/catalog/v1/catalog_pb.js';
export * from './gen-es/common/v1/common_pb.js';
