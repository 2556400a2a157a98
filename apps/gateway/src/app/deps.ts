import type { ServiceClient } from '@order-system/grpc';
import { inventory, orderstore } from '@order-system/proto';

export type InventoryClient = ServiceClient<typeof inventory.v1.InventoryServiceService>;
export type OrderStoreClient = ServiceClient<typeof orderstore.v1.OrderStoreServiceService>;

export interface Deps {
  inventory: InventoryClient;
  orderStore: OrderStoreClient;
}
