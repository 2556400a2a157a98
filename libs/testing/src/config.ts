import { list, parseConfig, port, str } from '@order-system/config';

/** Where the test infrastructure is: the services' own variables, with the same local defaults. */
export function testConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    postgresHost: str('POSTGRES_HOST', 'localhost'),
    postgresPort: port('POSTGRES_PORT', 5432),
    postgresUser: str('POSTGRES_USER', 'postgres'),
    postgresPassword: str('POSTGRES_PASSWORD', 'postgres123'),
    mongodbUri: str('MONGODB_URI', 'mongodb://localhost:27017/?retryWrites=false'),
    kafkaBrokers: list('KAFKA_BROKERS', ['localhost:9092']),
    logLevel: str('TEST_LOG_LEVEL', 'silent'),
  });
}

export type TestConfig = ReturnType<typeof testConfig>;
