-- The default catalog of an empty database, with the original example product.
INSERT INTO products (product_id, sku, name, currency_code, price_units, price_nanos, available, received) VALUES
  ('65d7f44c-5620-48e4-ac6d-f615de1c67d8', 'LAPTOP001', 'Laptop',              'USD', 1299, 990000000, 100, 100),
  ('0f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b', 'PHONE001',  'Smartphone',          'USD',  799, 990000000, 200, 200),
  ('1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', 'HEADPH001', 'Wireless Headphones', 'USD',  199, 990000000, 300, 300),
  ('2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', 'MOUSE001',  'Ergonomic Mouse',     'USD',   49, 990000000, 500, 500),
  ('3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f', 'KEYB001',   'Mechanical Keyboard', 'USD',  129, 500000000, 250, 250),
  ('4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f8a', 'MONITOR01', '27-inch Monitor',     'USD',  349,         0, 120, 120)
ON CONFLICT DO NOTHING;
