export { KafkaClient, type KafkaClientName, type KafkaOptions, type OutgoingMessage, type Producer } from './client.js';
export { Consumer, type ConsumerOptions, type IncomingMessage } from './consumer.js';
export { decodeEvent } from './decode.js';
export { deadLetterTopic, topicNames, topicSpecs, type Topics, type TopicSpec } from './topics.js';
