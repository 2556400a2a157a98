import { describe, expect, it } from 'vitest';
import { bool, ConfigError, int, list, num, parseConfig, port, str } from './index.js';

const schema = {
  host: str('HOST', 'localhost'),
  secret: str('SECRET'),
  port: port('PORT', 50051),
  rate: num('RATE', 0.2, 0, 1),
  brokers: list('BROKERS', ['a:1']),
  ttl: int('TTL', 5, 1),
  tracing: bool('TRACING', false),
};

describe('parseConfig', () => {
  it('applies defaults and parses values', () => {
    const cfg = parseConfig({ SECRET: 's', PORT: '1234', BROKERS: 'x:1, y:2' }, schema);
    expect(cfg).toEqual({ host: 'localhost', secret: 's', port: 1234, rate: 0.2, brokers: ['x:1', 'y:2'], ttl: 5, tracing: false });
    expect(parseConfig({ SECRET: 's', TRACING: 'true' }, schema).tracing).toBe(true);
    expect(parseConfig({ SECRET: 's', TRACING: '0' }, schema).tracing).toBe(false);
  });

  it('reports every problem at once', () => {
    try {
      parseConfig({ PORT: '70000', RATE: 'lots', TTL: '0', TRACING: 'maybe' }, schema);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'SECRET is required',
        'PORT="70000": expected an integer in [0, 65535]',
        'RATE="lots": expected a number in [0, 1]',
        'TTL="0": expected an integer in [1, 9007199254740991]',
        'TRACING="maybe": expected true or false',
      ]);
    }
  });
});

describe('requiredInProduction', () => {
  it('names every missing credential and TLS file in production, with the other problems, and asks nothing elsewhere', () => {
    const requiredInProduction = ['TLS_CA_FILE', 'TLS_CERT_FILE', 'KAFKA_PASSWORD'];
    const schema = { secret: str('SECRET') };
    expect(() => parseConfig({ SECRET: 's' }, schema, { requiredInProduction })).not.toThrow();
    try {
      parseConfig({ NODE_ENV: 'production', TLS_CA_FILE: '/ca.crt', KAFKA_PASSWORD: '' }, schema, { requiredInProduction });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'TLS_CERT_FILE is required in production (NODE_ENV=production)',
        'KAFKA_PASSWORD is required in production (NODE_ENV=production)',
        'SECRET is required',
      ]);
    }
  });
});
