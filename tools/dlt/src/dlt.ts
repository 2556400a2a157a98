import { randomUUID } from 'node:crypto';
import { deadLetterTopic, topicNames, type IncomingMessage, type KafkaClient } from '@order-system/kafka';
import { redacted } from '@order-system/logger';
import { events } from '@order-system/proto';

/** The system's dead-letter topics and the topics they hold messages of: the only ones the tool reads or writes. */
export function deadLetterTopics(prefix: string): DeadLetterTopic[] {
  return Object.values(topicNames(prefix)).map((topic) => ({ topic, dlt: deadLetterTopic(topic) }));
}

/** Every message on a dead-letter topic, read with a one-off group. */
export async function readAll(kafka: KafkaClient, dlt: string): Promise<IncomingMessage[]> {
  const out: IncomingMessage[] = [];
  await kafka.drain(dlt, `dlt-read-${randomUUID()}`, async (m) => void out.push(m), { temporary: true });
  return out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/**
 * A dead letter as an operator reads it: its key, headers and payload (as
 * JSON when it decodes as an event of its dead-letter topic's topic, else as
 * hex), with payment tokens, credentials and e-mails redacted.
 */
export function describe(m: IncomingMessage, { topic }: DeadLetterTopic): unknown {
  const codec = topic.endsWith('payment-events') ? events.v1.PaymentEvent : events.v1.OrderEvent;
  let payload: unknown;
  try {
    payload = codec.toJSON(codec.decode(m.value ?? Buffer.alloc(0)) as never);
  } catch {
    payload = { undecodable: true, hex: (m.value ?? Buffer.alloc(0)).toString('hex').slice(0, 2000) };
  }
  return redacted({ key: m.key, headers: m.headers, payload });
}

export interface DeadLetterTopic {
  /** The system's topic the dead letters came from, and go back to. */
  topic: string;
  dlt: string;
}

/**
 * Publishes the dead letters not redriven before back to the topic they came
 * from: the one their dead-letter topic belongs to (one of the system's, see
 * deadLetterTopics), never a topic named by a message's header. Unchanged but
 * for dlt-* headers; the group `dlt-redrive` remembers how far it got, so a
 * second redrive sends only new ones. Consumers are idempotent, so a message
 * redriven twice takes effect once.
 */
export async function redrive(kafka: KafkaClient, { topic, dlt }: DeadLetterTopic, onEach: (m: IncomingMessage) => void = () => {}) {
  const producer = await kafka.producer();
  try {
    return await kafka.drain(dlt, `dlt-redrive`, async (m) => {
      const headers = Object.fromEntries(Object.entries(m.headers).filter(([k]) => !k.startsWith('dlt-')));
      await producer.send(topic, [
        { key: m.key ?? '', value: m.value ?? Buffer.alloc(0), headers: { ...headers, 'dlt-redriven-from': `${dlt}/${m.partition}/${m.offset}` } },
      ]);
      onEach(m);
    });
  } finally {
    await producer.close();
  }
}
