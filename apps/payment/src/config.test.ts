import { expectRefusedInProduction } from '@order-system/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('payment config', () => {
  it('binds its listeners to loopback unless told otherwise', () => {
    expect(loadConfig({}).bindHost).toBe('127.0.0.1');
  });

  it('refuses to start in production without its credentials and TLS material, naming each', () => {
    expectRefusedInProduction(loadConfig, ['TLS_CA_FILE', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'KAFKA_USERNAME', 'KAFKA_PASSWORD']);
  });
});
