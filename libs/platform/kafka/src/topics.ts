/** The topics of the system. Every record is keyed by order_id. */
export interface Topics {
  /** Order lifecycle, from inventory's outbox: OrderPlaced, OrderConfirmed, OrderFailed. */
  orderEvents: string;
  /** Payment results, from payment: PaymentProcessed. */
  paymentEvents: string;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
}

/** The topic names, with an optional prefix (KAFKA_TOPIC_PREFIX) that isolates test runs. */
export function topicNames(prefix = ''): Topics {
  return { orderEvents: `${prefix}order-events`, paymentEvents: `${prefix}payment-events` };
}

export const deadLetterTopic = (topic: string) => `${topic}.dlt`;

/** Every topic with its partition count, dead-letter topics included. */
export function topicSpecs(topics: Topics): TopicSpec[] {
  return Object.values(topics).flatMap((topic) => [
    { topic, partitions: 3 },
    { topic: deadLetterTopic(topic), partitions: 1 },
  ]);
}
