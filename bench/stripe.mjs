// bizmcp-stripe: start-up (the SDK is not loaded until the first call), idle RSS, and the cost per
// call of list_customers through the MCP server against the same call made directly with the
// `stripe` SDK, both against one local Stripe-shaped HTTP server; then identical
// create_payment_intent calls, which must create one payment intent and replay it. The local
// server is the demo's Stripe stand-in (packages/stripe/demo.mjs).
// Also: start-up to the initialize answer against core's echo server in the same run (spawned in
// alternation, so both see the same machine load), and the size of tools/list for the default
// toolsets in tokens, approximated as characters / 4 of the JSON the server sends (no tokenizer:
// a model's own count differs by some 10 to 20 %), total and per tool.
// No peer: @stripe/mcp (npm) is a proxy to Stripe's hosted MCP endpoint, which a local bench
// cannot reach, and @stripe/agent-toolkit is a library without a stdio server of its own.
import { join } from 'node:path';
import { startLocalStripe } from '../packages/stripe/demo.mjs';
import { envSize, fmt, lower, median, RawServer, reportRatios, sized, startup, table } from './lib/harness.mjs';

const root = join(import.meta.dirname, '..');
const { default: Stripe } = await import(join(root, 'packages/stripe/node_modules/stripe/esm/stripe.esm.node.js'));
const N = envSize('BENCH_CALLS', 1000, 300);

const local = await startLocalStripe();
const port = local.port;
const env = {
  STRIPE_SECRET_KEY: 'sk_test_bench0000000000000000',
  STRIPE_API_BASE: `http://127.0.0.1:${port}`,
  LOG_LEVEL: 'warn',
  BIZMCP_RATE_LIMIT: '1000000/60',
  BIZMCP_RATE_LIMIT_CREATE_PAYMENT_INTENT: '1000000/60',
};
const bin = join(root, 'packages/stripe/dist/index.js');

const BOOT_RUNS = sized(7, 3);
const boot = await startup(() => new RawServer(process.execPath, [bin], env), BOOT_RUNS);

// Start-up against core's echo server: alternated, median of ROUNDS each.
const echoBin = join(root, 'packages/core/dist/echo-server.js');
const ROUNDS = envSize('BENCH_STARTUP_ROUNDS', 9, 7);
const echoMs = [];
const stripeMs = [];
for (let i = 0; i < ROUNDS; i++) {
  for (const [make, into] of [
    [() => new RawServer(process.execPath, [echoBin], { LOG_LEVEL: 'warn' }), echoMs],
    [() => new RawServer(process.execPath, [bin], env), stripeMs],
  ]) {
    const srv = make();
    into.push(await srv.start());
    await srv.stop();
  }
}
const echoBoot = median(echoMs);
const stripeBoot = median(stripeMs);

// tools/list with the default toolsets: characters / 4 as the token estimate.
const tokens = (v) => Math.round(JSON.stringify(v).length / 4);
const lister = new RawServer(process.execPath, [bin], env);
await lister.start();
const listed = await lister.request('tools/list', {});
await lister.stop();
const perTool = listed.tools.map((t) => ({ tool: t.name, tokens: tokens(t) })).sort((a, b) => b.tokens - a.tokens);
const listTokens = tokens(listed);

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
await direct(sized(200, 100));
await viaMcp(sized(200, 100));
const rssAfterSdk = s.rssMb();
const d = [];
const m = [];
for (let round = 0; round < 3; round++) {
  d.push(await direct(N));
  m.push(await viaMcp(N));
}
const REPEATS = sized(200, 50);
const t0 = performance.now();
let replayed = 0;
for (let i = 0; i < REPEATS; i++) {
  const r = await s.call('create_payment_intent', { amount: 1999, currency: 'eur' });
  if (r.isError) throw new Error(JSON.stringify(r.content));
  if (r.structuredContent.replayed) replayed++;
}
const repeatMs = (performance.now() - t0) / REPEATS;
await s.stop();
await local.close();

const dm = median(d);
const mm = median(m);
console.log(`\nStripe server (${new Date().toISOString().slice(0, 10)}, ${process.version}, ${N} sequential list calls x 3 rounds, median)\n`);
console.log(
  table(
    [
      { what: `start-up, spawn → initialize answered (median of ${BOOT_RUNS})`, value: `${fmt(boot.ms)} ms` },
      { what: 'idle RSS after start (SDK not loaded)', value: `${fmt(boot.rssMb)} MB` },
      { what: 'RSS after the first calls (SDK loaded)', value: `${fmt(rssAfterSdk)} MB` },
      { what: 'customers.list with the stripe SDK, direct', value: `${fmt(dm, 3)} ms/call` },
      { what: 'list_customers through bizmcp-stripe (stdio JSON-RPC)', value: `${fmt(mm, 3)} ms/call` },
      { what: `${REPEATS} identical create_payment_intent calls`, value: `${local.state.created} created, ${replayed} replayed, ${fmt(repeatMs, 3)} ms/call` },
    ],
    ['what', 'value'],
  ),
);
console.log(`\nadded per call by the MCP server: ${(mm - dm).toFixed(3)} ms (${(mm / dm).toFixed(2)}x the direct SDK call)`);

console.log(`\nStart-up to the initialize answer, alternated with core's echo server (median of ${ROUNDS} each)\n`);
console.log(
  table(
    [
      { server: 'core echo server (packages/core/dist/echo-server.js)', 'start-up': `${fmt(echoBoot)} ms` },
      { server: 'bizmcp-stripe', 'start-up': `${fmt(stripeBoot)} ms` },
    ],
    ['server', 'start-up'],
  ),
);
console.log(`\nbizmcp-stripe / echo: ${(stripeBoot / echoBoot).toFixed(2)}x (target: at most 1.2x)`);

console.log(`\ntools/list, default toolsets: ${listed.tools.length} tools, ${JSON.stringify(listed).length} characters, about ${listTokens} tokens (characters / 4, an estimate)\n`);
console.log(table(perTool, ['tool', 'tokens']));
reportRatios({
  'list_customers per-call time, bizmcp / direct stripe SDK': lower(mm / dm),
  'start-up, bizmcp-stripe / core echo': lower(stripeBoot / echoBoot),
});
