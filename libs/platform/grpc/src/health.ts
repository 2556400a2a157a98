import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

/** grpc.health.v1 Check of `service` ('' for the whole server) at address: SERVING, or why not. */
export function checkHealth(address: string, timeoutMs = 1000, service = ''): Promise<string> {
  const client = new HealthClient(address, grpc.credentials.createInsecure());
  const check = client.check!.bind(client);
  return new Promise<string>((resolve) => {
    check({ service }, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: { status: string }) => {
      client.close();
      resolve(err ? `DOWN (${grpc.status[err.code] ?? err.code})` : res.status);
    });
  });
}
