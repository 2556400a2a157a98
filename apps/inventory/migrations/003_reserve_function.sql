-- Accepting an order in one round trip: the reservation, its stock and its
-- OrderPlaced outbox row, atomically. Product rows are locked in product_id
-- order (no deadlocks between multi-line orders) before anything is decided.
-- Returns one row: ('reserved'), ('exists') when the order_id is taken, or
-- ('short', product_id, requested, available) with nothing changed.
CREATE FUNCTION reserve_order(
  p_order_id text, p_fingerprint text, p_customer_id text, p_customer_email text, p_payment_token text,
  p_lines jsonb, p_currency char(3), p_total_units bigint, p_total_nanos integer,
  p_created_at timestamptz, p_expires_at timestamptz,
  p_product_ids uuid[], p_quantities bigint[],
  p_topic text, p_payload bytea, p_headers jsonb
) RETURNS TABLE (outcome text, product_id uuid, requested bigint, available bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM products p WHERE p.product_id = ANY (p_product_ids) ORDER BY p.product_id FOR UPDATE;

  -- Under the locks, a concurrent duplicate has committed: replay it rather than judge the stock.
  IF EXISTS (SELECT 1 FROM reservations r WHERE r.order_id = p_order_id) THEN
    RETURN QUERY SELECT 'exists', NULL::uuid, NULL::bigint, NULL::bigint;
    RETURN;
  END IF;

  RETURN QUERY
    SELECT 'short', p.product_id, w.qty, p.available
      FROM products p JOIN unnest(p_product_ids, p_quantities) AS w(id, qty) ON p.product_id = w.id
     WHERE p.available < w.qty
     ORDER BY p.product_id
     LIMIT 1;
  IF FOUND THEN RETURN; END IF;

  INSERT INTO reservations (order_id, fingerprint, status, customer_id, customer_email, payment_token, lines,
                            currency_code, total_units, total_nanos, created_at, updated_at, expires_at)
  VALUES (p_order_id, p_fingerprint, 'RESERVED', p_customer_id, p_customer_email, p_payment_token, p_lines,
          p_currency, p_total_units, p_total_nanos, p_created_at, p_created_at, p_expires_at)
  ON CONFLICT (order_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'exists', NULL::uuid, NULL::bigint, NULL::bigint;
    RETURN;
  END IF;

  UPDATE products p SET available = p.available - w.qty, reserved = p.reserved + w.qty, updated_at = now()
    FROM unnest(p_product_ids, p_quantities) AS w(id, qty)
   WHERE p.product_id = w.id;

  INSERT INTO outbox (topic, key, payload, headers) VALUES (p_topic, p_order_id, p_payload, p_headers);
  PERFORM pg_notify('outbox', '');
  RETURN QUERY SELECT 'reserved', NULL::uuid, NULL::bigint, NULL::bigint;
END;
$$;
