import { MongoBulkWriteError, MongoNetworkError, MongoServerError, type BulkWriteResult } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isTransient } from '@order-system/errors';
import { asUnavailable, connectionLost } from './mongo.js';

const noResult = {} as BulkWriteResult;
const thrown = (err: unknown) => {
  try {
    asUnavailable(err);
  } catch (e) {
    return e;
  }
  throw new Error('asUnavailable returned');
};

describe('asUnavailable', () => {
  it('takes a lost connection for UNAVAILABLE, also inside a bulk write, so a consumer retries instead of dead-lettering', () => {
    const lost = new MongoNetworkError('connection 5 to 127.0.0.1:27017 closed');
    for (const err of [lost, new MongoBulkWriteError(lost, noResult)]) {
      expect(connectionLost(err)).toBe(true);
      expect(isTransient(thrown(err))).toBe(true);
    }
  });

  it('rethrows what the server refused as it is: a duplicate key in a bulk write, a bad query', () => {
    const duplicate = new MongoBulkWriteError({ message: 'E11000 duplicate key', code: 11000, writeErrors: [] }, noResult);
    const badQuery = new MongoServerError({ message: 'unknown operator: $nope', code: 2 });
    for (const err of [duplicate, badQuery, new TypeError('not mongo')]) {
      expect(connectionLost(err)).toBe(false);
      expect(thrown(err)).toBe(err);
    }
  });
});
