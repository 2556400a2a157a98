-- reserve_order (003) also checks the order's lines against the catalog under
-- its locks, so inventory may price orders from a cached catalog: a line whose
-- product changed since (sku, name or price) answers ('stale', product_id) with
-- nothing changed, and inventory prices the order again from the database.
-- It also closes the window between reading prices and reserving, in which a
-- price change could slip past. Returns one row: ('reserved'), ('exists'),
-- ('stale', product_id) or ('short', product_id, requested, available).
CREATE OR REPLACE FUNCTION reserve_order(
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

  -- The lines were priced from a catalog read earlier (a cached copy, say): under
  -- the locks, each must still name the product as it is. Else 'stale', nothing changed.
  RETURN QUERY
    SELECT 'stale', l."productId", NULL::bigint, NULL::bigint
      FROM jsonb_to_recordset(p_lines) AS l("productId" uuid, sku text, name text, "unitPrice" jsonb)
      LEFT JOIN products p ON p.product_id = l."productId"
     WHERE p.product_id IS NULL OR p.sku <> l.sku OR p.name <> l.name
        OR p.currency_code <> l."unitPrice"->>'currencyCode'
        OR p.price_units <> (l."unitPrice"->>'units')::bigint
        OR p.price_nanos <> (l."unitPrice"->>'nanos')::integer
     LIMIT 1;
  IF FOUND THEN RETURN; END IF;

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
