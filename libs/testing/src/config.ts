import { readFileSync } from 'node:fs';
import { list, mongodb, parseConfig, port, str } from '@order-system/config';
import { kafkaPrincipal, localSecrets, tlsFiles } from '@order-system/local-stack';

/**
 * Where the test infrastructure is and how to get in: the services' own
 * variables with the same local defaults, and the local stack's generated
 * credentials (.infra/secrets) for whatever the environment does not say.
 */
export function testConfig(env: Record<string, string | undefined> = process.env) {
  const secrets = localSecrets();
  const config = parseConfig(env, {
    postgresHost: str('POSTGRES_HOST', 'localhost'),
    postgresPort: port('POSTGRES_PORT', 5432),
    /** The cluster's superuser: creates and drops the tests' databases, and reads them whole. */
    postgresUser: str('POSTGRES_SUPERUSER', 'postgres'),
    postgresPassword: str('POSTGRES_SUPERUSER_PASSWORD', secrets.POSTGRES_SUPERUSER_PASSWORD),
    migrationUser: str('POSTGRES_MIGRATION_USER', secrets.POSTGRES_MIGRATION_USER),
    migrationPassword: str('POSTGRES_MIGRATION_PASSWORD', secrets.POSTGRES_MIGRATION_PASSWORD),
    runtimeUser: str('POSTGRES_RUNTIME_USER', secrets.POSTGRES_RUNTIME_USER),
    runtimePassword: str('POSTGRES_RUNTIME_PASSWORD', secrets.POSTGRES_RUNTIME_PASSWORD),
    ...mongodb,
    kafkaBrokers: list('KAFKA_BROKERS', ['localhost:9092']),
    logLevel: str('TEST_LOG_LEVEL', 'silent'),
  });
  return {
    ...config,
    /** A Kafka client's options as `principal` (admin: the super user that sets topics and ACLs up). */
    kafka: (principal: Parameters<typeof kafkaPrincipal>[0] = 'admin') => ({
      brokers: config.kafkaBrokers,
      sasl: kafkaPrincipal(principal),
      ca: readFileSync(tlsFiles('kafka').ca, 'utf8'),
    }),
  };
}

export type TestConfig = ReturnType<typeof testConfig>;
