/** The topics of the system. Every record is keyed by order_id. */
export const Topics = {
  orderEvents: 'order-events',
  paymentEvents: 'payment-events',
} as const;

export interface TopicSpec {
  topic: string;
  partitions: number;
}

export const deadLetterTopic = (topic: string) => `${topic}.dlt`;

/** Every topic with its partition count, dead-letter topics included. */
export const allTopics: TopicSpec[] = Object.values(Topics).flatMap((topic) => [
  { topic, partitions: 3 },
  { topic: deadLetterTopic(topic), partitions: 1 },
]);
