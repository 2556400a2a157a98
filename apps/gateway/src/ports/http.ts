import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Registry } from '@bufbuild/protobuf';
import { cors as connectCors } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Caller } from '@order-system/auth';
import { connectAuthInterceptor, connectRoutes, CORRELATION_HEADER, CORRELATION_ID, type Authenticate, type ServiceBinding } from '@order-system/grpc';
import { withCorrelation, type Logger } from '@order-system/logger';
import type { MetricsRegistry } from '@order-system/metrics';
import cors from 'cors';
import type { Admission } from '../app/admission.js';
import type { Deps } from '../app/deps.js';
import { consoleFiles, devSigner } from './console.js';
import { restRoutes } from './rest.js';

export interface HttpOptions {
  registry: Registry;
  services: ServiceBinding[];
  deps: Deps;
  log: Logger;
  /** Connect calls are timed in it. */
  metrics: MetricsRegistry;
  /** The edge's check of every call: token, then rate limit. */
  authenticate: Authenticate;
  authenticateHeader(authorization: string | undefined): Promise<Caller>;
  /** The limit on CreateOrders in flight, shared with the gRPC listener. */
  admission: Admission;
  maxBodyBytes: number;
  rpcTimeoutMs: number;
  limits: HttpLimits;
  /** Origins browsers may call from; "*" in one matches any port. */
  corsOrigins: string[];
  /** The web console's files, served under /console/ (optional). */
  consoleDir?: string;
  /** The local stack's dev signing key, for POST /dev/token (optional; never in production). */
  devSignerKeyFile?: string;
}

export interface HttpLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderBytes: number;
}

/**
 * The public HTTP/1.1 listener: Connect (JSON and binary) and gRPC-Web for
 * the public services, the original REST routes, and the web console. Every call needs a
 * bearer token (the Connect interceptor, the REST routes: the same check).
 * Each request is handled in the correlation context of its x-correlation-id
 * if that is acceptable, else of one made up. Slow and oversized clients are
 * cut off by the listener's own limits.
 */
export function createHttpServer(opts: HttpOptions): http.Server {
  const connect = connectNodeAdapter({
    routes: connectRoutes(opts.registry, opts.services, opts.log, opts.metrics),
    readMaxBytes: opts.maxBodyBytes,
    interceptors: [connectAuthInterceptor(opts.authenticate)],
  });
  const rest = restRoutes(opts.deps, opts.registry, opts);
  const consolePage = consoleFiles(opts.consoleDir);
  const signer = devSigner(opts.devSignerKeyFile);
  const allowCors = cors({
    origin: (origin, allow) => allow(null, origin !== undefined && opts.corsOrigins.some((pattern) => originMatches(pattern, origin))),
    methods: [...connectCors.allowedMethods, 'OPTIONS'],
    allowedHeaders: [...connectCors.allowedHeaders, 'Authorization', 'X-Correlation-Id'],
    exposedHeaders: [...connectCors.exposedHeaders, 'Retry-After', 'WWW-Authenticate', 'X-Correlation-Id'],
    maxAge: 7200,
    credentials: false,
  });

  const server = http.createServer({
    maxHeaderSize: opts.limits.maxHeaderBytes,
    // How often Node looks for requests past their headers or request timeout.
    connectionsCheckingInterval: Math.min(1000, opts.limits.headersTimeoutMs),
  }, (req, res) => {
    const given = req.headers[CORRELATION_HEADER];
    const correlationId = typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    res.setHeader(CORRELATION_HEADER, correlationId);
    allowCors(req, res, () => withCorrelation(correlationId, () => handle(req, res, correlationId)));
  });
  server.headersTimeout = opts.limits.headersTimeoutMs;
  server.requestTimeout = opts.limits.requestTimeoutMs;
  server.keepAliveTimeout = opts.limits.keepAliveTimeoutMs;
  server.maxConnections = opts.limits.maxConnections;
  return server;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, correlationId: string) {
    const url = new URL(req.url ?? '/', 'http://gateway');
    try {
      if (await rest(req, res, url, correlationId)) return;
      if (consolePage(req, res, url) || (await signer(req, res, url))) return;
      connect(req, res);
    } catch (err) {
      opts.log.error({ err, path: url.pathname }, 'http request failed');
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'internal', message: 'internal error' }));
    }
  }
}

/** "http://localhost:*" matches http://localhost on any port; other patterns match exactly. */
export function originMatches(pattern: string, origin: string): boolean {
  if (!pattern.endsWith(':*')) return pattern === origin;
  const base = pattern.slice(0, -2);
  return origin === base || (origin.startsWith(`${base}:`) && /^\d{1,5}$/.test(origin.slice(base.length + 1)));
}
