// bizmcp-stripe: start-up (the SDK is not loaded until the first call), idle RSS, and the cost per
// call of list_customers through the MCP server against the same call made directly with the
// `stripe` SDK, both against one local Stripe-shaped HTTP server; then identical
// create_payment_intent calls, which must create one payment intent and replay it.
// No peer: @stripe/mcp (npm) is a proxy to Stripe's hosted MCP endpoint, which a local bench
// cannot reach, and @stripe/agent-toolkit is a library without a stdio server of its own.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fmt, median, RawServer, startup, table } from './lib/harness.mjs';

const root = join(import.meta.dirname, '..');
const { default: Stripe } = await import(join(root, 'packages/stripe/node_modules/stripe/esm/stripe.esm.node.js'));
const N = Number(process.env.BENCH_CALLS ?? 1000);

const customers = Array.from({ length: 10 }, (_, i) => ({
  id: `cus_B${i}`,
  object: 'customer',
  email: `user${i}@example.com`,
  name: `User ${i}`,
  created: 1_700_000_000 + i,
  livemode: false,
  balance: 0,
  metadata: {},
}));
const keys = new Map();
let created = 0;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('request-id', 'req_bench');
    if (req.method === 'GET' && req.url.startsWith('/v1/customers')) return res.end(JSON.stringify({ object: 'list', has_more: true, url: '/v1/customers', data: customers }));
    if (req.method === 'POST' && req.url === '/v1/payment_intents') {
      const key = req.headers['idempotency-key'];
      if (key && keys.has(key)) {
        res.setHeader('idempotent-replayed', 'true');
        return res.end(keys.get(key));
      }
      const p = new URLSearchParams(body);
      const out = JSON.stringify({
        id: `pi_B${++created}`,
        object: 'payment_intent',
        amount: Number(p.get('amount')),
        currency: p.get('currency'),
        status: 'requires_payment_method',
        client_secret: 'pi_secret',
        livemode: false,
        created: 1_700_000_000,
        metadata: {},
      });
      if (key) keys.set(key, out);
      return res.end(out);
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: `no route ${req.method} ${req.url}` } }));
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const env = {
  STRIPE_SECRET_KEY: 'sk_test_bench0000000000000000',
  STRIPE_API_BASE: `http://127.0.0.1:${port}`,
  LOG_LEVEL: 'warn',
  BIZMCP_RATE_LIMIT: '1000000/60',
  BIZMCP_RATE_LIMIT_CREATE_PAYMENT_INTENT: '1000000/60',
};
const bin = join(root, 'packages/stripe/dist/index.js');

const boot = await startup(() => new RawServer(process.execPath, [bin], env));

const sdk = new Stripe(env.STRIPE_SECRET_KEY, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
async function direct(n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await sdk.customers.list({ limit: 10 });
  return (performance.now() - t0) / n;
}
const s = new RawServer(process.execPath, [bin], env);
await s.start();
async function viaMcp(n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await s.call('list_customers', { limit: 10 });
    if (r.isError) throw new Error(JSON.stringify(r.content));
  }
  return (performance.now() - t0) / n;
}
await direct(200);
await viaMcp(200);
const rssAfterSdk = s.rssMb();
const d = [];
const m = [];
for (let round = 0; round < 3; round++) {
  d.push(await direct(N));
  m.push(await viaMcp(N));
}
const REPEATS = 200;
const t0 = performance.now();
let replayed = 0;
for (let i = 0; i < REPEATS; i++) {
  const r = await s.call('create_payment_intent', { amount: 1999, currency: 'eur' });
  if (r.isError) throw new Error(JSON.stringify(r.content));
  if (r.structuredContent.replayed) replayed++;
}
const repeatMs = (performance.now() - t0) / REPEATS;
await s.stop();
server.close();

const dm = median(d);
const mm = median(m);
console.log(`\nStripe server (${new Date().toISOString().slice(0, 10)}, ${process.version}, ${N} sequential list calls x 3 rounds, median)\n`);
console.log(
  table(
    [
      { what: 'start-up, spawn → initialize answered (median of 7)', value: `${fmt(boot.ms)} ms` },
      { what: 'idle RSS after start (SDK not loaded)', value: `${fmt(boot.rssMb)} MB` },
      { what: 'RSS after the first calls (SDK loaded)', value: `${fmt(rssAfterSdk)} MB` },
      { what: 'customers.list with the stripe SDK, direct', value: `${fmt(dm, 3)} ms/call` },
      { what: 'list_customers through bizmcp-stripe (stdio JSON-RPC)', value: `${fmt(mm, 3)} ms/call` },
      { what: `${REPEATS} identical create_payment_intent calls`, value: `${created} created, ${replayed} replayed, ${fmt(repeatMs, 3)} ms/call` },
    ],
    ['what', 'value'],
  ),
);
console.log(`\nadded per call by the MCP server: ${(mm - dm).toFixed(3)} ms (${(mm / dm).toFixed(2)}x the direct SDK call)`);
