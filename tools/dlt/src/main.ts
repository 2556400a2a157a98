/**
 * npm run dlt -- list                      dead letters of every topic, one line each
 * npm run dlt -- show <topic> <p>:<offset> one dead letter: headers and decoded payload
 * npm run dlt -- redrive [topic]           publish new dead letters back to their topic
 * (<topic> is the original topic, for example order-events.)
 */
import { KafkaClient, kafkaSecurity } from '@order-system/kafka';
import { createLogger } from '@order-system/logger';
import { dltConfig } from './config.js';
import { deadLetterTopics, describe, readAll, redrive } from './dlt.js';

const cfg = dltConfig();
const kafka = new KafkaClient({ brokers: cfg.kafkaBrokers, clientId: 'dlt-tool', log: createLogger({ service: 'dlt', level: 'warn' }), ...kafkaSecurity(cfg) });
const [command = 'list', ...args] = process.argv.slice(2);
const chosen = (topic?: string) => deadLetterTopics(cfg.kafkaTopicPrefix).filter((t) => !topic || t.topic === topic || t.dlt === topic);

switch (command) {
  case 'list': {
    for (const { dlt } of chosen(args[0])) {
      const messages = await readAll(kafka, dlt);
      console.log(`${dlt}: ${messages.length} message(s)`);
      for (const m of messages) {
        const h = m.headers;
        console.log(`  ${m.partition}:${m.offset}  key=${m.key}  from ${h['dlt-original-topic']}/${h['dlt-original-partition']}/${h['dlt-original-offset']}  group=${h['dlt-consumer-group']}  ${h['dlt-at']}  [${h['dlt-error-kind']}] ${h['dlt-error']}`);
      }
    }
    break;
  }
  case 'show': {
    const [topic, at] = args;
    const [partition, offset] = (at ?? '').split(':');
    const [known] = chosen(topic);
    if (!topic || !known || partition === undefined || offset === undefined) throw new Error(`usage: npm run dlt -- show <topic> <partition>:<offset> (topics: ${chosen().map((t) => t.topic).join(', ')})`);
    const message = (await readAll(kafka, known.dlt)).find((m) => String(m.partition) === partition && m.offset === offset);
    if (!message) throw new Error(`no message ${at} on ${known.dlt}`);
    console.log(JSON.stringify(describe(message, known), null, 2));
    break;
  }
  case 'redrive': {
    const topics = chosen(args[0]);
    if (topics.length === 0) throw new Error(`unknown topic ${args[0]}: use one of ${chosen().map((t) => t.topic).join(', ')}`);
    for (const { topic, dlt } of topics) {
      let n = 0;
      const count = await redrive(kafka, { topic, dlt }, () => {
        n++;
        if (n % 100 === 0) process.stdout.write(`\r${dlt}: ${n} redriven`);
      });
      console.log(`\r${dlt}: ${count} message(s) redriven`);
    }
    break;
  }
  default:
    throw new Error(`unknown command ${command}: use list, show or redrive`);
}
