import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { clientCredentials, type TlsMaterial } from './tls.js';

const HealthClient = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

/** grpc.health.v1 Check of `service` ('' for the whole server) at address: SERVING, or why not. */
export function checkHealth(address: string, timeoutMs = 1000, service = '', tls?: { material: TlsMaterial; serverName: string }): Promise<string> {
  const { credentials, options } = clientCredentials(tls?.material, tls?.serverName ?? '');
  const client = new HealthClient(address, credentials, options);
  const check = client.check!.bind(client);
  return new Promise<string>((resolve) => {
    check({ service }, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: { status: string }) => {
      client.close();
      resolve(err ? `DOWN (${grpc.status[err.code] ?? err.code})` : res.status);
    });
  });
}

/**
 * A health check of one server over one long-lived channel, for a readiness
 * probe asked again and again: its answer is reused for cacheMs.
 */
export function healthChecker(address: string, { timeoutMs = 1000, cacheMs = 1000, tls, serverName = '' }: { timeoutMs?: number; cacheMs?: number; tls?: TlsMaterial; serverName?: string } = {}) {
  const { credentials, options } = clientCredentials(tls, serverName);
  const client = new HealthClient(address, credentials, options);
  const check = client.check!.bind(client);
  let last: { at: number; status: Promise<string> } | undefined;
  return {
    check(): Promise<string> {
      if (last && Date.now() - last.at < cacheMs) return last.status;
      const status = new Promise<string>((resolve) => {
        check({ service: '' }, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: { status: string }) =>
          resolve(err ? `DOWN (${grpc.status[err.code] ?? err.code})` : res.status),
        );
      });
      last = { at: Date.now(), status };
      return status;
    },
    close: () => client.close(),
  };
}
