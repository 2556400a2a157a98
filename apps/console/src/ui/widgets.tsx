import type { Order } from '@order-system/proto/web';
import type { Problem } from '../errors.js';
import { failureText, formatMoney, formatTime, orderTime, statusName } from '../format.js';

/** An error or a notice, read out by screen readers when it appears. */
export function Alert({ problem, onDismiss }: { problem: Problem; onDismiss?: () => void }) {
  return (
    <div class="alert" role="alert">
      <strong>{problem.title}</strong> <span>{problem.detail}</span>
      {onDismiss && (
        <button type="button" class="link" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}

export function Status({ order }: { order: Order }) {
  const name = statusName(order.status);
  return <span class={`status ${name.toLowerCase()}`}>{name}</span>;
}

/** An order's status with its failure reason, if any. */
export function StatusWithReason({ order }: { order: Order }) {
  const reason = failureText(order);
  return (
    <>
      <Status order={order} />
      {reason && <span class="reason"> {reason}</span>}
    </>
  );
}

/** Orders as a table, newest first; the operator's shows whose they are. */
export function OrdersTable({ orders, withCustomer = false }: { orders: Order[]; withCustomer?: boolean }) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Order</th>
            {withCustomer && <th scope="col">Customer</th>}
            <th scope="col">Placed</th>
            <th scope="col">Items</th>
            <th scope="col">Total</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((o) => (
            <tr key={o.orderId} data-order={o.orderId}>
              <td>
                <code>{o.orderId}</code>
              </td>
              {withCustomer && <td>{o.customer?.userId}</td>}
              <td>{formatTime(orderTime(o))}</td>
              <td>{o.items.map((i) => `${i.quantity} × ${i.sku}`).join(', ')}</td>
              <td class="money">{formatMoney(o.total)}</td>
              <td>
                <StatusWithReason order={o} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
