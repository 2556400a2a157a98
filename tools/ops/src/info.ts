/** npm run info: where everything is. Passwords are not printed. */
import { topicNames, topicSpecs } from '@order-system/kafka';
import { opsConfig, services } from './config.js';

const cfg = opsConfig();
const topics = topicSpecs(topicNames(cfg.kafkaTopicPrefix));

console.log(`Services (gRPC, plaintext h2c; health + reflection on each):`);
for (const svc of services(cfg)) console.log(`  ${svc.name.padEnd(12)} localhost:${svc.grpcPort}`);
console.log(`  gateway HTTP  http://localhost:${cfg.gatewayHttpPort}  (Connect, gRPC-Web, REST /orders, /healthz, /readyz)`);
console.log(`\nPostgreSQL (inventory):  postgresql://${cfg.postgresUser}:<POSTGRES_PASSWORD>@${cfg.postgresHost}:${cfg.postgresPort}/${cfg.postgresDb}`);
console.log(`MongoDB protocol (order-store):  mongodb://localhost:${cfg.mongoPort}/${cfg.mongodbDb}?retryWrites=false`);
console.log(`Kafka:  ${cfg.kafkaBrokers.join(',')}`);
console.log(`Topics:`);
for (const t of topics) console.log(`  ${t.topic.padEnd(22)} ${t.partitions} partition${t.partitions > 1 ? 's' : ''}`);
