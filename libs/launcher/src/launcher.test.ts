import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, systemProcesses } from './launcher.js';

describe('systemProcesses', () => {
  it('starts the gateway last, wired to the inventory and order-store of its own instance', async () => {
    let next = 40_000;
    const processes = await systemProcesses({
      ports: (_, app) => ({ grpc: next++, http: app === 'gateway' ? next++ : undefined, admin: next++ }),
      instances: 2,
      groupSuffix: '-run1',
      env: { LOG_LEVEL: 'warn' },
    });
    expect(processes.map((p) => p.name)).toEqual(['inventory', 'payment', 'order-store', 'gateway', 'inventory-2', 'payment-2', 'order-store-2', 'gateway-2']);
    const at = (name: string) => processes.find((p) => p.name === name)!;
    expect(at('gateway-2').env).toMatchObject({
      INVENTORY_ADDR: `127.0.0.1:${at('inventory-2').grpcPort}`,
      ORDER_STORE_ADDR: `127.0.0.1:${at('order-store-2').grpcPort}`,
      GRPC_PORT: String(at('gateway-2').grpcPort),
      LOG_LEVEL: 'warn',
    });
    expect(at('payment-2').env.KAFKA_GROUP_ID).toBe('payment-run1');
    expect(at('gateway').env.KAFKA_GROUP_ID).toBeUndefined();
  });

  it('uses the services’ own ports and consumer groups by default', async () => {
    const processes = await systemProcesses({ ports: (_, app) => DEFAULT_PORTS[app] });
    expect(processes.find((p) => p.app === 'gateway')!.env).toMatchObject({ GRPC_PORT: '50051', HTTP_PORT: '8080', ADMIN_PORT: '8081', INVENTORY_ADDR: '127.0.0.1:50052' });
    expect(processes.find((p) => p.app === 'payment')!.env).toMatchObject({ GRPC_PORT: '50053', ADMIN_PORT: '8083' });
    expect(processes.find((p) => p.app === 'payment')!.env.HTTP_PORT).toBeUndefined();
    expect(processes.every((p) => p.env.KAFKA_GROUP_ID === undefined)).toBe(true);
  });
});
