import { once, type EventEmitter } from 'node:events';

/**
 * Resolves when a stream that refused a write can take more, or has closed
 * (a call whose other end went away never drains). The listener of the event
 * that did not come goes too: a long-lived call would otherwise gather a pair
 * for every wait.
 */
export async function drained(stream: EventEmitter & { destroyed: boolean }): Promise<void> {
  if (stream.destroyed) return;
  const done = new AbortController();
  try {
    await Promise.race([once(stream, 'drain', { signal: done.signal }), once(stream, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}
