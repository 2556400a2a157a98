import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { OrderStatus, type Order, type Product } from '@order-system/proto/web';
import { useState } from 'preact/hooks';
import { allProducts, type Api } from '../api.js';
import { perMinute, type MinuteCount } from '../chart.js';
import type { Problem } from '../errors.js';
import { exact, formatMoney, formatTime } from '../format.js';
import { CATALOG_ADMIN, ORDERS_ADMIN, type Session } from '../session.js';
import { Chart } from './Chart.js';
import { usePoll } from './hooks.js';
import { Alert, OrdersTable } from './widgets.js';

interface Props {
  api: Api;
  session: Session;
  report: (err: unknown) => Problem;
}

/**
 * The operator's view: every customer's orders (orders:admin), the stock with
 * restocking (catalog:admin), and confirmed and failed orders per minute. The
 * public API has no stream of all orders, so these refresh by polling; a
 * single order is followed with WatchOrder in the shop.
 */
export function Operator({ api, session, report }: Props) {
  const orders = session.scopes.has(ORDERS_ADMIN);
  return (
    <div class="ops">
      {orders ? <OrdersPanel api={api} report={report} /> : <p class="hint">Orders across customers need the orders:admin scope.</p>}
      <StockPanel api={api} report={report} canRestock={session.scopes.has(CATALOG_ADMIN)} />
      {orders && <ChartPanel api={api} report={report} />}
    </div>
  );
}

type Panel = Omit<Props, 'session'>;

const STATUSES = [
  { value: OrderStatus.UNSPECIFIED, label: 'Any status' },
  { value: OrderStatus.PENDING, label: 'PENDING' },
  { value: OrderStatus.CONFIRMED, label: 'CONFIRMED' },
  { value: OrderStatus.FAILED, label: 'FAILED' },
];

function OrdersPanel({ api, report }: Panel) {
  const [status, setStatus] = useState(OrderStatus.UNSPECIFIED);
  const [customer, setCustomer] = useState('');
  const [orders, setOrders] = useState<Order[]>();
  const [asOf, setAsOf] = useState<Date>();
  const [problem, setProblem] = useState<Problem>();

  usePoll(async (alive) => {
    try {
      const page = await api.orders.listOrders({ pageSize: 50, status, customerUserId: customer.trim() });
      if (!alive()) return;
      setOrders(page.orders);
      setAsOf(new Date());
      setProblem(undefined);
    } catch (err) {
      if (alive()) setProblem(report(err));
    }
  }, 2000, [api, status, customer]);

  return (
    <section class="orders" aria-labelledby="orders-title">
      <h2 id="orders-title">Orders</h2>
      {problem && <Alert problem={problem} />}
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label for="filter-status">Status</label>
        <select id="filter-status" value={status} onChange={(e) => setStatus(Number(e.currentTarget.value) as OrderStatus)}>
          {STATUSES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <label for="filter-customer">Customer</label>
        <input id="filter-customer" value={customer} onInput={(e) => setCustomer(e.currentTarget.value)} placeholder="any user id" />
        <span class="hint" aria-live="off">
          {asOf ? `newest 50, updated ${formatTime(asOf)}` : 'loading…'}
        </span>
      </form>
      {orders && orders.length === 0 && <p class="hint">No orders match.</p>}
      {orders && orders.length > 0 && <OrdersTable orders={orders} withCustomer />}
    </section>
  );
}

const CHART_MINUTES = 10;
/** The chart counts at most this many of the newest orders (5 pages). */
const CHART_MAX_ORDERS = 500;

function ChartPanel({ api, report }: Panel) {
  const [counts, setCounts] = useState<MinuteCount[]>();
  const [capped, setCapped] = useState(false);

  usePoll(async (alive) => {
    try {
      const since = timestampFromMs(Date.now() - CHART_MINUTES * 60_000);
      const seen: Order[] = [];
      let pageToken = '';
      do {
        const page = await api.orders.listOrders({ pageSize: 100, pageToken });
        seen.push(...page.orders);
        pageToken = page.nextPageToken;
        // Newest first: once a page reaches back past the window, the rest is older.
        const oldest = page.orders.at(-1)?.createdAt;
        if (!oldest || oldest.seconds < since.seconds) break;
      } while (pageToken && seen.length < CHART_MAX_ORDERS);
      if (!alive()) return;
      setCapped(pageToken !== '' && seen.length >= CHART_MAX_ORDERS);
      setCounts(perMinute(seen, CHART_MINUTES, Date.now()));
    } catch (err) {
      if (alive()) report(err);
    }
  }, 5000, [api]);

  return (
    <section class="chart" aria-labelledby="chart-title">
      <h2 id="chart-title">Confirmed and failed per minute</h2>
      {counts ? <Chart counts={counts} /> : <p aria-busy="true">Loading…</p>}
      {capped && <p class="hint">Counted from the newest {CHART_MAX_ORDERS} orders only.</p>}
    </section>
  );
}

function StockPanel({ api, report, canRestock }: Panel & { canRestock: boolean }) {
  const [products, setProducts] = useState<Product[]>();
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState('');

  const load = async () => setProducts(await allProducts(api));
  usePoll(async (alive) => {
    try {
      const fresh = await allProducts(api);
      if (alive()) setProducts(fresh);
    } catch (err) {
      if (alive()) setProblem(report(err));
    }
  }, 5000, [api]);

  const restock = async (p: Product, stock: number) => {
    setProblem(undefined);
    setDone('');
    try {
      const { product } = await api.catalog.upsertProduct({ productId: p.productId, sku: p.sku, name: p.name, price: p.price, stock: BigInt(stock) });
      setDone(`${p.sku}: ${String(product?.available ?? stock)} available now.`);
      await load();
    } catch (err) {
      setProblem(report(err));
    }
  };

  return (
    <section class="stock" aria-labelledby="stock-title">
      <h2 id="stock-title">Stock</h2>
      {problem && <Alert problem={problem} />}
      <p class="hint" role="status">
        {done}
      </p>
      {!products ? (
        <p aria-busy="true">Loading…</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Product</th>
                <th scope="col">Price</th>
                <th scope="col">Available</th>
                {canRestock && <th scope="col">Set stock to</th>}
              </tr>
            </thead>
            <tbody>
              {products.map((p) => (
                <tr key={p.productId} data-sku={p.sku}>
                  <td>{p.sku}</td>
                  <td>{p.name}</td>
                  <td class="money">{formatMoney(exact(p.price))}</td>
                  <td class="num" data-testid="available">
                    {String(p.available)}
                  </td>
                  {canRestock && (
                    <td>
                      <RestockForm product={p} onRestock={(n) => restock(p, n)} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** UpsertProduct sets the stock on sale (not an increment); the product's other fields are sent unchanged. */
function RestockForm({ product: p, onRestock }: { product: Product; onRestock: (stock: number) => Promise<void> }) {
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const id = `stock-${p.productId}`;
  return (
    <form
      class="inline"
      onSubmit={async (e) => {
        e.preventDefault();
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0) return;
        setBusy(true);
        await onRestock(n);
        setBusy(false);
        setValue('');
      }}
    >
      <label class="sr-only" for={id}>
        New stock of {p.sku}
      </label>
      <input id={id} type="number" min={0} step={1} value={value} placeholder={String(p.available)} onInput={(e) => setValue(e.currentTarget.value)} required />
      <button type="submit" disabled={busy} aria-label={`Set the stock of ${p.sku}`}>
        Set
      </button>
    </form>
  );
}
