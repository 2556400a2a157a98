-- Products and their stock. Every unit ever put on sale is available,
-- reserved by a pending order, or sold: the CHECK keeps that true.
CREATE TABLE products (
  product_id    uuid PRIMARY KEY,
  sku           text NOT NULL UNIQUE,
  name          text NOT NULL,
  currency_code char(3) NOT NULL,
  price_units   bigint NOT NULL CHECK (price_units >= 0),
  price_nanos   integer NOT NULL CHECK (price_nanos BETWEEN 0 AND 999999999),
  available     bigint NOT NULL CHECK (available >= 0),
  reserved      bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  sold          bigint NOT NULL DEFAULT 0 CHECK (sold >= 0),
  received      bigint NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT stock_conserved CHECK (available + reserved + sold = received)
);

-- One row per accepted order: the idempotency record (order_id is the
-- client's key), the reserved lines, and where the reservation stands.
CREATE TABLE reservations (
  order_id        text PRIMARY KEY,
  fingerprint     text NOT NULL,
  status          text NOT NULL CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED')),
  customer_id     text NOT NULL,
  customer_email  text NOT NULL,
  payment_token   text NOT NULL DEFAULT '',
  lines           jsonb NOT NULL,
  currency_code   char(3) NOT NULL,
  total_units     bigint NOT NULL,
  total_nanos     integer NOT NULL,
  payment_id      text,
  failure_reason  text,
  failure_message text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL
);
CREATE INDEX reservations_expiring ON reservations (expires_at) WHERE status = 'RESERVED';

-- Transactional outbox: events written in the same transaction as the change
-- they announce, published by the relay in id order.
CREATE TABLE outbox (
  id         bigserial PRIMARY KEY,
  topic      text NOT NULL,
  key        text NOT NULL,
  payload    bytea NOT NULL,
  headers    jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Consumed events, so each takes effect once.
CREATE TABLE processed_events (
  event_id     text PRIMARY KEY,
  processed_at timestamptz NOT NULL DEFAULT now()
);
