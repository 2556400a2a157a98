import { deadLetterTopic, type Topics } from './topics.js';

/** What a principal may do: on a topic (exactly this name) or on consumer groups (names starting with a prefix). */
export interface Grant {
  principal: string;
  resource: 'topic' | 'group';
  name: string;
  operations: ('read' | 'write' | 'describe' | 'delete')[];
}

/** The Kafka principals of the system: one per service, and the operator's dead-letter tool. */
export const PRINCIPALS = ['inventory', 'payment', 'order-store', 'dlt'] as const;

/**
 * Who may do what on the system's topics: only a topic's writer writes it
 * (inventory's outbox relay writes order-events, payment writes
 * payment-events), each consumer group reads only its own topics and writes
 * only their dead letters, and the dead-letter tool (an operator) reads dead
 * letters and publishes them back. Consumer groups are granted by prefix
 * (a service's group, or a test run's `<service>-<run>`). Anything not
 * granted is refused: the broker allows nothing by default.
 */
export function systemAcls(topics: Topics): Grant[] {
  const { orderEvents, paymentEvents } = topics;
  const consumes = (principal: string, topic: string): Grant[] => [
    { principal, resource: 'topic', name: topic, operations: ['read', 'describe'] },
    { principal, resource: 'topic', name: deadLetterTopic(topic), operations: ['write', 'describe'] },
    { principal, resource: 'group', name: principal, operations: ['read'] },
  ];
  const writes = (principal: string, topic: string): Grant => ({ principal, resource: 'topic', name: topic, operations: ['write', 'describe'] });
  return [
    writes('inventory', orderEvents),
    ...consumes('inventory', paymentEvents),
    writes('payment', paymentEvents),
    ...consumes('payment', orderEvents),
    ...consumes('order-store', orderEvents),
    ...[orderEvents, paymentEvents].flatMap((topic): Grant[] => [
      { principal: 'dlt', resource: 'topic', name: deadLetterTopic(topic), operations: ['read', 'describe'] },
      writes('dlt', topic),
    ]),
    { principal: 'dlt', resource: 'group', name: 'dlt-', operations: ['read', 'delete'] },
  ];
}
