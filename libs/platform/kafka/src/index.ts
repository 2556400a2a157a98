export { KafkaClient, kafkaSecurity, type KafkaOptions, type OutgoingMessage, type Producer } from './client.js';
export type { Consumer, ConsumerOptions, IncomingMessage } from './consumer.js';
export { decodeEvent } from './decode.js';
export { deadLetterTopic, topicNames, topicSpecs, type Topics, type TopicSpec } from './topics.js';
export { PRINCIPALS, systemAcls, type Grant } from './acls.js';
