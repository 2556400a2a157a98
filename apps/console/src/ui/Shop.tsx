import type { Order, Product } from '@order-system/proto/web';
import { useEffect, useRef, useState } from 'preact/hooks';
import { allProducts, watchOrder, type Api } from '../api.js';
import { addToCart, loadCart, removeFromCart, saveCart, setQuantity, syncWithCatalog, MAX_QUANTITY, type CartLine } from '../cart.js';
import type { Problem } from '../errors.js';
import { exact, formatMoney, isTerminal, newOrderId, total } from '../format.js';
import type { Session } from '../session.js';
import { usePoll } from './hooks.js';
import { Alert, OrdersTable, StatusWithReason } from './widgets.js';

interface Props {
  api: Api;
  session: Session;
  report: (err: unknown) => Problem;
}

const PAYMENTS = [
  { token: 'tok_visa', label: 'Test card that approves (tok_visa)' },
  { token: 'tok_chargeDeclined', label: 'Test card that declines (tok_chargeDeclined)' },
];

/**
 * The shopper's view: the catalog with what is available, a cart, placing an
 * order, then following it live through WatchOrder; and the shopper's orders.
 */
export function Shop({ api, session, report }: Props) {
  const [products, setProducts] = useState<Product[]>();
  const [cart, setCart] = useState<CartLine[]>(() => loadCart(session.userId));
  const [email, setEmail] = useState(session.userId.includes('@') ? session.userId : `${session.userId}@example.com`);
  const [payment, setPayment] = useState(PAYMENTS[0]!.token);
  const [placing, setPlacing] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [tracked, setTracked] = useState<Order[]>([]);
  const [mine, setMine] = useState<Order[]>();
  const [lookup, setLookup] = useState('');
  const watches = useRef(new Map<string, AbortController>());
  // The order's idempotency key: the same until the cart changes or the order is placed,
  // so that retrying after UNAVAILABLE or a throttle cannot place it twice.
  const orderId = useRef(newOrderId());

  useEffect(() => saveCart(session.userId, cart), [cart]);
  useEffect(() => {
    orderId.current = newOrderId();
  }, [cart, payment, email]);
  useEffect(() => () => watches.current.forEach((w) => w.abort()), []);

  const fail = (err: unknown) => setProblem(report(err));
  const loadCatalog = async () => setProducts(await allProducts(api));
  const loadMine = async () => {
    const { orders } = await api.orders.listOrders({ pageSize: 20 });
    setMine(orders);
    // Orders still under way (placed before a reload, say) are followed live too.
    orders.filter((o) => !isTerminal(o)).slice(0, 3).forEach((o) => follow(o.orderId));
  };
  usePoll(async (alive) => {
    try {
      const fresh = await allProducts(api);
      if (alive()) setProducts(fresh);
    } catch (err) {
      if (alive()) fail(err);
    }
  }, 3000, [api]);
  useEffect(() => void loadMine().catch(fail), [api]);

  /** An order's new state, wherever it is shown. */
  const update = (o: Order) => {
    const put = (list: Order[]) => (list.some((x) => x.orderId === o.orderId) ? list.map((x) => (x.orderId === o.orderId ? o : x)) : [o, ...list]);
    setTracked((list) => put(list).slice(0, 5));
    if (o.customer?.userId === session.userId) setMine((list) => put(list ?? []));
  };

  const follow = (id: string) => {
    if (watches.current.has(id)) return;
    const ctl = new AbortController();
    watches.current.set(id, ctl);
    watchOrder(api, id, update, ctl.signal)
      .then(() => void loadCatalog().catch(fail))
      .catch((err) => ctl.signal.aborted || fail(err))
      .finally(() => watches.current.delete(id));
  };

  const place = async () => {
    setProblem(undefined);
    setPlacing(true);
    try {
      const { order } = await api.orders.createOrder({
        orderId: orderId.current,
        customer: { userId: session.userId, email: email.trim() },
        items: cart.map((l) => ({
          productId: l.productId,
          sku: l.sku,
          quantity: l.quantity,
          expectedUnitPrice: { currencyCode: l.price.currencyCode, units: BigInt(l.price.units), nanos: l.price.nanos },
        })),
        paymentToken: payment,
      });
      if (order) {
        update(order);
        setCart([]);
        if (!isTerminal(order)) follow(order.orderId);
      }
    } catch (err) {
      const p = report(err);
      if (p.catalogChanged) {
        try {
          const fresh = await allProducts(api);
          setProducts(fresh);
          const synced = syncWithCatalog(cart, fresh);
          setCart(synced.cart);
          p.detail = [p.detail, ...synced.changes.map((c) => `${c}.`)].join(' ');
        } catch {
          // The refusal stays the message; the catalog reloads on its next poll.
        }
      }
      setProblem(p);
    } finally {
      setPlacing(false);
    }
  };

  const track = (e: Event) => {
    e.preventDefault();
    const id = lookup.trim();
    if (!id) return;
    setProblem(undefined);
    api.orders
      .getOrder({ orderId: id })
      .then(({ order }) => {
        if (!order) return;
        update(order);
        if (!isTerminal(order)) follow(order.orderId);
      })
      .catch(fail);
  };

  const sum = total(cart);
  return (
    <div class="shop">
      {problem && <Alert problem={problem} onDismiss={() => setProblem(undefined)} />}
      <section class="catalog" aria-labelledby="catalog-title">
        <h2 id="catalog-title">Catalog</h2>
        {!products ? (
          <p aria-busy="true">Loading the catalog…</p>
        ) : (
          <ul class="products">
            {products.map((p) => (
              <ProductCard key={p.productId} product={p} onAdd={(n) => setCart((c) => addToCart(c, p, n))} />
            ))}
          </ul>
        )}
      </section>

      <section class="cart" aria-labelledby="cart-title">
        <h2 id="cart-title">Cart</h2>
        {cart.length === 0 ? (
          <p class="hint">Your cart is empty.</p>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void place();
            }}
          >
            <ul class="lines">
              {cart.map((l) => (
                <li key={l.productId} data-sku={l.sku}>
                  <span class="name">{l.name}</span>
                  <label class="sr-only" for={`cart-qty-${l.productId}`}>
                    Quantity of {l.name} in the cart
                  </label>
                  <input
                    id={`cart-qty-${l.productId}`}
                    type="number"
                    min={1}
                    max={MAX_QUANTITY}
                    value={l.quantity}
                    onInput={(e) => {
                      const n = e.currentTarget.valueAsNumber;
                      if (Number.isFinite(n)) setCart((c) => setQuantity(c, l.productId, n));
                    }}
                  />
                  <span class="money">{formatMoney(l.price)}</span>
                  <button type="button" class="link" onClick={() => setCart((c) => removeFromCart(c, l.productId))} aria-label={`Remove ${l.name}`}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
            <p class="total">
              Total <strong>{formatMoney(sum)}</strong>
            </p>
            <label for="email">E-mail for the receipt</label>
            <input id="email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required />
            <fieldset>
              <legend>Payment</legend>
              {PAYMENTS.map((p) => (
                <label class="check" key={p.token}>
                  <input type="radio" name="payment" value={p.token} checked={payment === p.token} onChange={() => setPayment(p.token)} /> {p.label}
                </label>
              ))}
            </fieldset>
            <button type="submit" disabled={placing}>
              {placing ? 'Placing…' : 'Place order'}
            </button>
          </form>
        )}
      </section>

      {tracked.length > 0 && (
        <section class="tracked" aria-labelledby="tracked-title">
          <h2 id="tracked-title">Your order{tracked.length > 1 ? 's' : ''}, live</h2>
          <ul aria-live="polite">
            {tracked.map((o) => (
              <li key={o.orderId} data-order={o.orderId} class="order">
                <code>{o.orderId}</code> <span class="money">{formatMoney(o.total)}</span> <StatusWithReason order={o} />
              </li>
            ))}
          </ul>
        </section>
      )}

      <section class="mine" aria-labelledby="mine-title">
        <h2 id="mine-title">My orders</h2>
        <form class="inline" onSubmit={track}>
          <label for="lookup">Order id</label>
          <input id="lookup" value={lookup} onInput={(e) => setLookup(e.currentTarget.value)} placeholder="WEB-…" />
          <button type="submit">Find</button>
        </form>
        {!mine ? (
          <p aria-busy="true">Loading your orders…</p>
        ) : mine.length === 0 ? (
          <p class="hint">No orders yet.</p>
        ) : (
          <OrdersTable orders={mine} />
        )}
      </section>
    </div>
  );
}

function ProductCard({ product: p, onAdd }: { product: Product; onAdd: (quantity: number) => void }) {
  const [quantity, setQty] = useState('1');
  const id = `qty-${p.productId}`;
  return (
    <li class="product" data-sku={p.sku}>
      <h3>{p.name}</h3>
      <p class="sku">{p.sku}</p>
      <p class="money">{formatMoney(exact(p.price))}</p>
      <p class="available">
        <span data-testid="available">{String(p.available)}</span> available
      </p>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          onAdd(Number(quantity) || 1);
          setQty('1');
        }}
      >
        <label class="sr-only" for={id}>
          Quantity of {p.name}
        </label>
        <input id={id} type="number" min={1} max={MAX_QUANTITY} value={quantity} onInput={(e) => setQty(e.currentTarget.value)} />
        <button type="submit" aria-label={`Add ${p.name} to the cart`}>
          Add
        </button>
      </form>
    </li>
  );
}
