export {
  bindService,
  CORRELATION_HEADER,
  CORRELATION_ID,
  serviceName,
  type CallContext,
  type ServiceBinding,
  type ServiceDef,
} from './service.js';
export { startGrpcServer, type RunningGrpcServer, type GrpcServerOptions } from './server.js';
export { createServiceClient, type ServiceClient, type CallOptions } from './client.js';
export { checkHealth, healthChecker } from './health.js';
export { connectRoutes, descriptorRegistry } from './connect.js';
export { toWireError, toLoggedWireError, fromServiceError, fromStatus, isUnimplemented } from './status.js';
export { connectAuthInterceptor, OPEN_SERVICES, type Authenticate, type IncomingCall } from './principal.js';
export { authorizeByCertificate, tlsFromFiles, type TlsMaterial } from './tls.js';
