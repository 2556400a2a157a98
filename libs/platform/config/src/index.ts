/**
 * A typed environment schema. Each field reads one variable with a default;
 * parseConfig reports every missing or invalid key at once.
 */
type Env = Record<string, string | undefined>;
type Field<T> = (env: Env) => { value?: T; error?: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Parsed<T> = { value: T } | { error: string };
const ok = <T>(value: T): Parsed<T> => ({ value });
const bad = <T>(error: string): Parsed<T> => ({ error });

function field<T>(name: string, fallback: T | undefined, parse: (raw: string) => Parsed<T>): Field<T> {
  return (env) => {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      return fallback === undefined ? { error: `${name} is required` } : { value: fallback };
    }
    const parsed = parse(raw);
    return 'error' in parsed ? { error: `${name}=${JSON.stringify(raw)}: ${parsed.error}` } : parsed;
  };
}

export const str = (name: string, fallback?: string): Field<string> => field(name, fallback, ok);

export const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): Field<number> =>
  field(name, fallback, (raw) => {
    const n = Number(raw);
    return Number.isInteger(n) && n >= min && n <= max ? ok(n) : bad(`expected an integer in [${min}, ${max}]`);
  });

export const port = (name: string, fallback: number): Field<number> => int(name, fallback, 0, 65535);

export const num = (name: string, fallback: number, min: number, max: number): Field<number> =>
  field(name, fallback, (raw) => {
    const n = Number(raw);
    return Number.isFinite(n) && n >= min && n <= max ? ok(n) : bad(`expected a number in [${min}, ${max}]`);
  });

export const list = (name: string, fallback: string[]): Field<string[]> =>
  field(name, fallback, (raw) => {
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    return items.length > 0 ? ok(items) : bad('expected a comma-separated list');
  });

export const bool = (name: string, fallback: boolean): Field<boolean> =>
  field(name, fallback, (raw) => {
    const value = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(value)) return ok(true);
    if (['false', '0', 'no', 'off'].includes(value)) return ok(false);
    return bad('expected true or false');
  });

export const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): Field<T> =>
  field(name, fallback, (raw) =>
    (allowed as readonly string[]).includes(raw) ? ok(raw as T) : bad(`expected one of ${allowed.join(', ')}`),
  );

type Schema = Record<string, Field<unknown>>;
export type ConfigOf<S extends Schema> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/**
 * Every field of the schema from env, or a ConfigError listing every missing
 * or invalid one. With NODE_ENV=production, each of `requiredInProduction`
 * (credentials, TLS material: what a developer's machine may do without)
 * must be set too.
 */
export function parseConfig<S extends Schema>(env: Env, schema: S, { requiredInProduction = [] }: { requiredInProduction?: string[] } = {}): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] =
    env.NODE_ENV === 'production' ? requiredInProduction.filter((name) => !env[name]).map((name) => `${name} is required in production (NODE_ENV=production)`) : [];
  for (const [key, read] of Object.entries(schema)) {
    const { value, error } = read(env);
    if (error) problems.push(error);
    else out[key] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Variables every service reads. */
export const common = {
  logLevel: oneOf('LOG_LEVEL', 'info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  /** Where the service's own listeners bind: loopback unless a deployment says otherwise. */
  bindHost: str('BIND_HOST', '127.0.0.1'),
  /**
   * Mutual TLS between the services: the project CA, and this service's
   * certificate and key (PEM files). Without them the service speaks
   * plaintext, which production refuses (TLS_VARIABLES).
   */
  tlsCaFile: str('TLS_CA_FILE', ''),
  tlsCertFile: str('TLS_CERT_FILE', ''),
  tlsKeyFile: str('TLS_KEY_FILE', ''),
  shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 8000, 100, 60_000),
  /** OpenTelemetry tracing; the SDK reads its own OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT...). */
  otelEnabled: bool('OTEL_ENABLED', false),
};

/** Where PostgreSQL is (inventory's database), and the role inventory runs as: no default credentials. */
export const postgres = {
  postgresHost: str('POSTGRES_HOST', 'localhost'),
  postgresPort: port('POSTGRES_PORT', 5432),
  postgresUser: str('POSTGRES_USER'),
  postgresPassword: str('POSTGRES_PASSWORD'),
  postgresDb: str('POSTGRES_DB', 'ecommerce_inventory'),
};

/** Where the MongoDB-protocol store is (order-store's database). */
export const mongodb = {
  mongodbUri: str('MONGODB_URI', 'mongodb://localhost:27017/?retryWrites=false'),
  mongodbDb: str('MONGODB_DB', 'ecommerce_orders'),
};

/** Variables of every service that uses Kafka. */
export const kafka = {
  kafkaBrokers: list('KAFKA_BROKERS', ['localhost:9092']),
  /** The service's SASL/SCRAM principal; with a CA file the connection is SASL_SSL. Empty: anonymous plaintext (refused in production). */
  kafkaUsername: str('KAFKA_USERNAME', ''),
  kafkaPassword: str('KAFKA_PASSWORD', ''),
  /** Prefixes every topic name: isolates test runs sharing a broker. */
  kafkaTopicPrefix: str('KAFKA_TOPIC_PREFIX', ''),
  /**
   * How long a consumer's fetch may wait for messages to gather: fewer fetches
   * and larger batches, at up to that much latency per hop (see docs/performance.md).
   */
  kafkaBatchWaitMs: int('KAFKA_BATCH_WAIT_MS', 25, 0, 5000),
};

/** The variables of mutual TLS, required in production. */
export const TLS_VARIABLES = ['TLS_CA_FILE', 'TLS_CERT_FILE', 'TLS_KEY_FILE'];
/** The variables of an authenticated Kafka connection, required in production. */
export const KAFKA_CREDENTIALS = ['KAFKA_USERNAME', 'KAFKA_PASSWORD'];
