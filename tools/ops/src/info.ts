/** npm run info: where everything is. Passwords are not printed. */
import { topicNames, topicSpecs } from '@order-system/kafka';
import { APPS } from '@order-system/launcher';
import { opsConfig, ports } from './config.js';

const cfg = opsConfig();
const topics = topicSpecs(topicNames(cfg.kafkaTopicPrefix));

console.log(`Services (gRPC: the gateway plaintext h2c with bearer tokens, the others mutual TLS with the project CA in .infra/tls):`);
for (const app of APPS) console.log(`  ${app.padEnd(12)} localhost:${ports[app].grpc}  (metrics: http://localhost:${ports[app].http}/metrics)`);
console.log(`  gateway HTTP  http://localhost:${ports.gateway.http}  (Connect, gRPC-Web, REST /orders; a bearer token on every call)`);
console.log(`\nPostgreSQL (inventory):  postgresql://<role>@${cfg.postgresHost}:${cfg.postgresPort}/${cfg.postgresDb}  (roles and passwords: .infra/secrets/local.env)`);
console.log(`MongoDB protocol (order-store):  mongodb://localhost:${cfg.mongoPort}/${cfg.mongodbDb}?retryWrites=false`);
console.log(`Kafka:  ${cfg.kafkaBrokers.join(',')}  (SASL_SSL, SCRAM-SHA-512; a principal per service)`);
console.log(`Topics:`);
for (const t of topics) console.log(`  ${t.topic.padEnd(22)} ${t.partitions} partition${t.partitions > 1 ? 's' : ''}`);
