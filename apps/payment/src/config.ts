import { common, KAFKA_CREDENTIALS, TLS_VARIABLES, kafka, num, parseConfig, port, str } from '@order-system/config';

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, {
    ...common,
    ...kafka,
    grpcPort: port('GRPC_PORT', 50053),
    /** /metrics, /healthz, /readyz. */
    adminPort: port('ADMIN_PORT', 8083),
    paymentFailureRate: num('PAYMENT_FAILURE_RATE', 0.2, 0, 1),
    kafkaGroupId: str('KAFKA_GROUP_ID', 'payment'),
  }, { requiredInProduction: [...TLS_VARIABLES, ...KAFKA_CREDENTIALS] });
}

export type Config = ReturnType<typeof loadConfig>;
