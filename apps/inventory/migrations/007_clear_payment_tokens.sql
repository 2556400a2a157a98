-- A reservation's payment token is needed only until its payment result is
-- recorded: apply_settlements (006) now clears it in the same update that
-- records the result (or the expiry), and the tokens of reservations already
-- settled are cleared here. The fingerprint that replays an order was taken
-- from the request, so a replay still matches without the token.
UPDATE reservations SET payment_token = '' WHERE status <> 'RESERVED' AND payment_token <> '';

CREATE OR REPLACE FUNCTION apply_settlements(
  p_order_ids text[], p_statuses text[], p_payment_ids text[], p_failure_reasons text[], p_failure_messages text[],
  p_product_ids uuid[], p_reserved bigint[], p_sold bigint[], p_available bigint[],
  p_topic text, p_keys text[], p_payloads bytea[], p_headers jsonb[]
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reservations r SET status = s.status, payment_id = s.payment_id, failure_reason = s.failure_reason,
         failure_message = s.failure_message, payment_token = '', updated_at = now()
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
