// Demo plan: a small local stand-in for Stripe (customers, payment intents with idempotency keys,
// the balance), started inside the demo; the benchmark (bench/stripe.mjs) uses it too. The real
// tests use a contract-checked fake instead (test/fake-stripe.ts).
import { createServer } from 'node:http';

/** Starts the stand-in on 127.0.0.1; `created` counts the payment intents really created. */
export async function startLocalStripe() {
  const customers = Array.from({ length: 10 }, (_, i) => ({
    id: `cus_D${i}`,
    object: 'customer',
    email: `user${i}@example.com`,
    name: `User ${i}`,
    created: 1_700_000_000 + i,
    livemode: false,
    balance: 0,
    metadata: {},
  }));
  const keys = new Map();
  const state = { created: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const send = (json, headers = {}) => {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_local', ...headers });
        res.end(typeof json === 'string' ? json : JSON.stringify(json));
      };
      const key = req.headers['idempotency-key'];
      if (req.method === 'POST' && key && keys.has(key)) return send(keys.get(key), { 'idempotent-replayed': 'true' });
      const p = new URLSearchParams(body);
      const remember = (obj) => {
        const out = JSON.stringify(obj);
        if (key) keys.set(key, out);
        return send(out);
      };
      if (req.method === 'GET' && req.url.startsWith('/v1/customers')) {
        const limit = Number(new URL(req.url, 'http://x').searchParams.get('limit') ?? 10);
        return send({ object: 'list', has_more: customers.length > limit, url: '/v1/customers', data: customers.slice(0, limit) });
      }
      if (req.method === 'POST' && req.url === '/v1/customers') {
        const c = { id: `cus_N${customers.length}`, object: 'customer', email: p.get('email'), name: p.get('name'), created: 1_700_000_100, livemode: false, balance: 0, metadata: {} };
        customers.unshift(c);
        return remember(c);
      }
      if (req.method === 'POST' && req.url === '/v1/payment_intents') {
        state.created++;
        return remember({
          id: `pi_D${state.created}`,
          object: 'payment_intent',
          amount: Number(p.get('amount')),
          currency: p.get('currency'),
          customer: p.get('customer'),
          status: 'requires_payment_method',
          client_secret: `pi_D${state.created}_secret_local`,
          livemode: false,
          created: 1_700_000_200,
          metadata: {},
        });
      }
      if (req.method === 'GET' && req.url.startsWith('/v1/balance'))
        return send({ object: 'balance', livemode: false, available: [{ amount: 250_000, currency: 'eur' }], pending: [{ amount: 12_000, currency: 'eur' }] });
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.url})` } }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return { state, port, url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

export default {
  async prepare() {
    const stripe = await startLocalStripe();
    const pay = { amount: 4900, currency: 'eur', customer_id: 'cus_N10', description: 'Annual plan' };
    return {
      note: `against a local Stripe stand-in at ${stripe.url}, test key`,
      env: { STRIPE_SECRET_KEY: 'sk_test_demo000000000000000000', STRIPE_API_BASE: stripe.url, STRIPE_MAX_AMOUNT: 'eur:500,*:100' },
      calls: [
        { name: 'create_customer', arguments: { email: 'ada@example.com', name: 'Ada Lovelace' } },
        { name: 'create_payment_intent', arguments: pay },
        { name: 'create_payment_intent', arguments: pay },
        { name: 'create_payment_intent', arguments: { amount: 90_000, currency: 'eur' }, expectError: true },
        { name: 'list_customers', arguments: { limit: 3 } },
        { name: 'get_balance' },
      ],
      cleanup: () => stripe.close(),
    };
  },
};
