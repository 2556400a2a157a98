/**
 * Grants the Kafka ACLs of the system's topics (libs/platform/kafka's
 * systemAcls), as the admin principal of the local stack. Idempotent; run by
 * tools/infra/up.sh once Kafka and the topics are up.
 */
import { KafkaClient, systemAcls, topicNames } from '@order-system/kafka';
import { kafkaPrincipal, tlsFiles } from '@order-system/local-stack';
import { createLogger } from '@order-system/logger';
import { readFileSync } from 'node:fs';
import { opsConfig } from './config.js';

const cfg = opsConfig();
const kafka = new KafkaClient({
  brokers: cfg.kafkaBrokers,
  clientId: 'kafka-acls',
  log: createLogger({ service: 'kafka-acls', level: 'warn' }),
  sasl: kafkaPrincipal('admin'),
  ca: readFileSync(tlsFiles('kafka').ca, 'utf8'),
});
const grants = systemAcls(topicNames(cfg.kafkaTopicPrefix));
await kafka.ensureAcls(grants);
console.log(`kafka: ${grants.length} grants for ${[...new Set(grants.map((g) => g.principal))].join(', ')}`);
