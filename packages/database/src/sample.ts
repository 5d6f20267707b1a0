// A small business schema for the demo and for trying the server on the embedded database
// (--sample-data): customers, orders, invoices, payments.
export const SAMPLE_SQL = `
CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text UNIQUE NOT NULL,
  country text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customers IS 'Companies we sell to';
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers(id),
  ordered_on date NOT NULL,
  status text NOT NULL CHECK (status IN ('open','shipped','cancelled')),
  total numeric(12,2) NOT NULL
);
CREATE INDEX orders_customer_idx ON orders(customer_id);
CREATE TABLE invoices (
  id serial PRIMARY KEY,
  order_id int NOT NULL REFERENCES orders(id),
  number text UNIQUE NOT NULL,
  issued_on date NOT NULL,
  due_on date NOT NULL,
  amount numeric(12,2) NOT NULL
);
CREATE TABLE payments (
  id serial PRIMARY KEY,
  invoice_id int NOT NULL REFERENCES invoices(id),
  paid_on date NOT NULL,
  amount numeric(12,2) NOT NULL,
  method text NOT NULL
);
INSERT INTO customers (name, email, country) VALUES
  ('Globex', 'billing@globex.example', 'US'), ('Initech', 'ap@initech.example', 'US'),
  ('Umbrella', 'finance@umbrella.example', 'GB'), ('Soylent', 'pay@soylent.example', 'FR'),
  ('Hooli', 'invoices@hooli.example', 'US');
INSERT INTO orders (customer_id, ordered_on, status, total)
  SELECT 1 + (g % 5), DATE '2026-01-01' + g * 3, (ARRAY['open','shipped','shipped','cancelled'])[1 + g % 4], round((100 + g * 37.5 % 900)::numeric, 2)
  FROM generate_series(1, 60) g;
INSERT INTO invoices (order_id, number, issued_on, due_on, amount)
  SELECT id, 'INV-' || lpad(id::text, 5, '0'), ordered_on + 1, ordered_on + 31, total FROM orders WHERE status <> 'cancelled';
INSERT INTO payments (invoice_id, paid_on, amount, method)
  SELECT id, issued_on + 10 + (id % 25), amount, (ARRAY['card','transfer','check'])[1 + id % 3] FROM invoices WHERE id % 4 <> 0;
ANALYZE;
`;
