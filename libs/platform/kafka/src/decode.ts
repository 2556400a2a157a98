import { invalid } from '@order-system/errors';
import type { IncomingMessage } from './consumer.js';

interface EventCodec<T> {
  decode(bytes: Uint8Array): T;
}

/**
 * Decodes a message's protobuf envelope. Garbage, truncated bytes or an
 * envelope without its ids is invalid: the consumer dead-letters it at once.
 */
export function decodeEvent<T extends { eventId: string; orderId: string }>(
  codec: EventCodec<T>,
  message: IncomingMessage,
): T {
  let event: T;
  try {
    event = codec.decode(message.value ?? Buffer.alloc(0));
  } catch (err) {
    throw invalid(`undecodable event on ${message.topic}: ${(err as Error).message}`);
  }
  if (!event.eventId || !event.orderId) throw invalid(`event on ${message.topic} without event_id or order_id`);
  return event;
}
