-- Accepting a batch of orders in one round trip and one commit (group commit).
-- The arrays hold one element per order, in batch order; each order's product
-- ids and quantities are read from its lines. First the product rows of every
-- order are locked, at once and in product_id order (as reserve_order and the
-- settle transaction do, so batches deadlock neither with them nor with each
-- other); then reserve_order (003, 004) decides each order in turn, on stock as
-- the orders before it left it, and sees an order_id taken earlier in the batch
-- as 'exists'. Its pg_notify calls fold into one at the commit. Returns one row
-- per order: its position in the batch (from 1) and reserve_order's row.
CREATE FUNCTION reserve_orders(
  p_order_ids text[], p_fingerprints text[], p_customer_ids text[], p_customer_emails text[], p_payment_tokens text[],
  p_lines jsonb[], p_currencies char(3)[], p_total_units bigint[], p_total_nanos integer[],
  p_created_at timestamptz[], p_expires_at timestamptz[],
  p_topic text, p_payloads bytea[], p_headers jsonb[]
) RETURNS TABLE (ordinal integer, outcome text, product_id uuid, requested bigint, available bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM products p
   WHERE p.product_id IN (SELECT (l->>'productId')::uuid FROM unnest(p_lines) AS o(lines), jsonb_array_elements(o.lines) AS l)
   ORDER BY p.product_id FOR UPDATE;

  FOR i IN 1 .. cardinality(p_order_ids) LOOP
    RETURN QUERY
      SELECT i, r.outcome, r.product_id, r.requested, r.available
        FROM reserve_order(
               p_order_ids[i], p_fingerprints[i], p_customer_ids[i], p_customer_emails[i], p_payment_tokens[i],
               p_lines[i], p_currencies[i], p_total_units[i], p_total_nanos[i], p_created_at[i], p_expires_at[i],
               ARRAY(SELECT (l->>'productId')::uuid FROM jsonb_array_elements(p_lines[i]) AS l),
               ARRAY(SELECT (l->>'quantity')::bigint FROM jsonb_array_elements(p_lines[i]) AS l),
               p_topic, p_payloads[i], p_headers[i]
             ) AS r;
  END LOOP;
END;
$$;
