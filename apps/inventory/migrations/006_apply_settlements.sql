-- Applying a batch of settlements in one round trip, so the product rows stay
-- locked only for this call and the commit behind it, not for a round trip per
-- statement: concurrent reserve_order calls queue behind those locks. What to
-- apply is decided by the caller, under its locks on the reservations:
--   * each reservation's final state (one element per order);
--   * the products' summed stock moves (one element per product; the products
--     are locked at once, in product_id order, as reserve_order does);
--   * one outbox row per settlement, inserted in the order given, so the relay
--     publishes them in that order; pg_notify wakes it at the commit.
CREATE FUNCTION apply_settlements(
  p_order_ids text[], p_statuses text[], p_payment_ids text[], p_failure_reasons text[], p_failure_messages text[],
  p_product_ids uuid[], p_reserved bigint[], p_sold bigint[], p_available bigint[],
  p_topic text, p_keys text[], p_payloads bytea[], p_headers jsonb[]
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reservations r SET status = s.status, payment_id = s.payment_id, failure_reason = s.failure_reason,
         failure_message = s.failure_message, updated_at = now()
    FROM unnest(p_order_ids, p_statuses, p_payment_ids, p_failure_reasons, p_failure_messages)
         AS s(order_id, status, payment_id, failure_reason, failure_message)
   WHERE r.order_id = s.order_id;

  PERFORM 1 FROM products p WHERE p.product_id = ANY (p_product_ids) ORDER BY p.product_id FOR UPDATE;
  UPDATE products p SET reserved = p.reserved + m.reserved, sold = p.sold + m.sold,
         available = p.available + m.available, updated_at = now()
    FROM unnest(p_product_ids, p_reserved, p_sold, p_available) AS m(product_id, reserved, sold, available)
   WHERE p.product_id = m.product_id;

  INSERT INTO outbox (topic, key, payload, headers)
  SELECT p_topic, e.key, e.payload, e.headers
    FROM unnest(p_keys, p_payloads, p_headers) WITH ORDINALITY AS e(key, payload, headers, n)
   ORDER BY e.n;
  PERFORM pg_notify('outbox', '');
END;
$$;
