import { bool, common, ConfigError, int, list, parseConfig, port, str, TLS_VARIABLES } from '@order-system/config';

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const production = env.NODE_ENV === 'production';
  const config = parseConfig(env, {
    ...common,
    /** Where the public listeners (gRPC, HTTP) bind; the admin port binds BIND_HOST. */
    publicBindHost: str('PUBLIC_BIND_HOST', '0.0.0.0'),
    grpcPort: port('GRPC_PORT', 50051),
    /** Connect, gRPC-Web and REST. */
    httpPort: port('HTTP_PORT', 8080),
    /** /metrics, /healthz, /readyz: not for the public. */
    adminPort: port('ADMIN_PORT', 8081),
    inventoryAddr: str('INVENTORY_ADDR', 'localhost:50052'),
    orderStoreAddr: str('ORDER_STORE_ADDR', 'localhost:50054'),
    rpcTimeoutMs: int('RPC_TIMEOUT_MS', 5000, 100, 60_000),
    maxBodyBytes: int('MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    /** CreateOrders being placed at once, over every transport; more are refused (UNAVAILABLE). */
    maxOrdersInFlight: int('MAX_ORDERS_IN_FLIGHT', 1000, 1, 1_000_000),

    /** Where the keys that sign tokens are: an identity provider's JWKS endpoint, or a file. */
    authJwksUrl: str('AUTH_JWKS_URL', ''),
    authJwksFile: str('AUTH_JWKS_FILE', ''),
    authIssuer: str('AUTH_ISSUER', production ? undefined : 'order-system-dev'),
    authAudience: str('AUTH_AUDIENCE', production ? undefined : 'order-system'),
    authClockSkewSec: int('AUTH_CLOCK_SKEW_S', 30, 0, 60),
    /** gRPC server reflection on the public port. */
    reflection: bool('GRPC_REFLECTION', true),

    /** Per caller (token sub): a steady rate of requests per second, and a burst above it. */
    rateLimitPerSec: int('RATE_LIMIT_PER_S', 20, 1, 100_000),
    rateLimitBurst: int('RATE_LIMIT_BURST', 40, 0, 100_000),
    /** The same for tokens with an admin scope. */
    adminRateLimitPerSec: int('ADMIN_RATE_LIMIT_PER_S', 500, 1, 100_000),
    adminRateLimitBurst: int('ADMIN_RATE_LIMIT_BURST', 1000, 0, 100_000),

    /** WatchOrder streams open at once, per caller and in all; how long one may stay open. */
    watchMaxPerCaller: int('WATCH_MAX_PER_CALLER', 10, 1, 10_000),
    watchMaxTotal: int('WATCH_MAX_TOTAL', 2000, 1, 1_000_000),
    watchMaxLifetimeMs: int('WATCH_MAX_LIFETIME_MS', 300_000, 1000, 86_400_000),

    /** The HTTP listener: connections open at once, and how long a client may take. */
    httpMaxConnections: int('HTTP_MAX_CONNECTIONS', 2000, 1, 1_000_000),
    httpHeadersTimeoutMs: int('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 120_000),
    httpRequestTimeoutMs: int('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    httpKeepAliveTimeoutMs: int('HTTP_KEEPALIVE_TIMEOUT_MS', 5000, 100, 600_000),
    maxHeaderBytes: int('MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
    /** The built web console (apps/console's dist), served under /console/; empty: not served. */
    consoleDir: str('CONSOLE_DIR', ''),
    /** The local stack's dev signing key: turns on POST /dev/token for the console's "sign in as". Refused in production. */
    devSignerKeyFile: str('AUTH_DEV_SIGNER_KEY_FILE', ''),
    /** Origins browsers may call from ("*" in a port matches any port). None by default in production. */
    corsOrigins: list('CORS_ORIGINS', production ? ['none'] : ['http://localhost:*', 'http://127.0.0.1:*']),
  }, { requiredInProduction: TLS_VARIABLES });
  const problems = [
    !config.authJwksUrl === !config.authJwksFile ? 'set exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE (where the keys that sign tokens are)' : '',
    production && config.devSignerKeyFile ? 'AUTH_DEV_SIGNER_KEY_FILE is for the local stack only: production must not sign its own tokens' : '',
  ].filter(Boolean);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, corsOrigins: config.corsOrigins.filter((o) => o !== 'none') };
}

export type Config = ReturnType<typeof loadConfig>;
