import { list, mongodb, parseConfig, postgres, str } from '@order-system/config';

/** Where the test infrastructure is: the services' own variables, with the same local defaults. */
export function testConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    ...postgres,
    ...mongodb,
    kafkaBrokers: list('KAFKA_BROKERS', ['localhost:9092']),
    logLevel: str('TEST_LOG_LEVEL', 'silent'),
  });
}

export type TestConfig = ReturnType<typeof testConfig>;
