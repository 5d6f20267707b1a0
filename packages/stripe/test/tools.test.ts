// The Stripe tools through a real MCP client, the official SDK pointed at a stateful fake Stripe
// whose every request is checked against Stripe's OpenAPI contract.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { formatAmount, idempotencyKey, parseMaxAmount, parseStripeConfig } from '../src/stripe.js';
import { type FakeStripe, startFakeStripe } from './fake-stripe.js';

const KEY = 'sk_test_51Fake0000000000000000000000';
let fake: FakeStripe;
const open = (env: Record<string, string> = {}, argv: string[] = []) => connectInProcess(server, { argv, env: { STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: fake.url, ...env } });
const posts = (op: string) => fake.api.calls(op).length;
const errorOf = (r: { structuredContent?: unknown; content?: unknown }) => JSON.parse(textOf(r as never).match(/\{.*\}/s)?.[0] ?? '{}');

beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(() => fake.close());
afterEach(() => fake.api.assertNoViolations());

describe('credentials and modes', () => {
  it('starts without a key, lists every tool, and names STRIPE_SECRET_KEY at the first call', async () => {
    const s = await connectInProcess(server, { env: { STRIPE_API_BASE: fake.url } });
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['create_customer', 'create_payment_intent', 'list_invoices', 'create_subscription', 'refund_payment']));
    const before = fake.api.requests.requests.length;
    const r = await s.call('list_customers', {});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('STRIPE_SECRET_KEY');
    expect(fake.api.requests.requests.length).toBe(before);
    await s.close();
  });

  it('refuses a live key without --allow-live, before anything is sent', async () => {
    const live = 'sk_live_51Fake0000000000000000000000';
    const s = await open({ STRIPE_SECRET_KEY: live });
    const before = fake.api.requests.requests.length;
    const r = await s.call('create_payment_intent', { amount: 500, currency: 'eur' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/live-mode key.*--allow-live/);
    expect(textOf(r)).not.toContain(live);
    expect(fake.api.requests.requests.length).toBe(before);
    await s.close();
    const allowed = await open({ STRIPE_SECRET_KEY: live }, ['--allow-live']);
    expect((await allowed.ok('list_customers', {})).customers).toBeDefined();
    await allowed.close();
  });

  it('STRIPE_API_BASE with a path (which the SDK would drop) stops the server with one line', () => {
    expect(() => parseStripeConfig({ flags: {}, positionals: [], env: { STRIPE_API_BASE: 'https://proxy.example.com/stripe' } })).toThrow(/STRIPE_API_BASE must be scheme:\/\/host\[:port\]/);
    expect(() => parseStripeConfig({ flags: {}, positionals: [], env: { STRIPE_ALLOWED_RECIPIENTS: 'not an address' } })).toThrow(/STRIPE_ALLOWED_RECIPIENTS/);
    expect(parseStripeConfig({ flags: { 'allow-live': true }, positionals: [], env: { STRIPE_API_BASE: 'http://127.0.0.1:12111/' } })).toMatchObject({
      apiBase: 'http://127.0.0.1:12111',
      allowLive: true,
      maxAmount: { '*': 1000 },
      showPii: false,
    });
  });

  it('a publishable key is refused with what to use instead', async () => {
    const s = await open({ STRIPE_SECRET_KEY: 'pk_test_abc' });
    expect(textOf(await s.call('list_customers', {}))).toMatch(/publishable key/);
    await s.close();
  });

  it('--read-only keeps only the read tools', async () => {
    const s = await open({}, ['--read-only']);
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('list_invoices');
    expect(names).not.toContain('create_customer');
    expect(names).not.toContain('refund_payment');
    await s.close();
  });
});

describe('customers', () => {
  let s: InProcess;
  beforeAll(async () => {
    s = await open();
  });
  afterAll(() => s.close());

  it('create_customer masks personal data, says livemode, and a repeat returns the first customer', async () => {
    const args = { email: 'Ada@Example.com', name: 'Ada Lovelace', metadata: { crm: '42' } };
    const a = await s.ok('create_customer', args);
    expect(a).toMatchObject({ livemode: false, replayed: false, customer: { email: 'a**@example.com', name: 'A** L******', metadata: { crm: '42' } } });
    const hit = fake.api.calls('PostCustomers').at(-1)!;
    expect(hit.headers['idempotency-key']).toBe(idempotencyKey('create_customer', { ...args, email: 'ada@example.com' }));
    const stored = fake.store.customer.get(a.customer.id)!;
    expect(stored.email).toBe('ada@example.com');
    const count = fake.store.customer.size;
    const b = await s.ok('create_customer', args);
    expect(b.customer.id).toBe(a.customer.id);
    expect(b.replayed).toBe(true);
    expect(fake.store.customer.size).toBe(count);
    const c = await s.ok('create_customer', { ...args, idempotency_key: 'second one' });
    expect(c.customer.id).not.toBe(a.customer.id);
    expect(fake.store.customer.size).toBe(count + 1);
  });

  it('search_customers by part of the name, email and metadata, quoting what the caller typed, with paging', async () => {
    const made = [];
    for (const n of ['Alan Turing', 'Alan Kay', 'Barbara "Liskov"']) made.push((await s.ok('create_customer', { name: n, metadata: { team: 'cs' } })).customer.id);
    const alans = await s.ok('search_customers', { name: 'alan', metadata: { team: 'cs' }, limit: 1 });
    expect(alans.customers.map((c: { id: string }) => c.id)).toEqual([made[1]]);
    expect(alans.truncated).toBe(true);
    expect(fake.api.calls('GetCustomersSearch').at(-1)!.query).toMatchObject({ query: 'name~"alan" AND metadata["team"]:"cs"' });
    const next = await s.ok('search_customers', { name: 'alan', metadata: { team: 'cs' }, limit: 1, cursor: alans.nextCursor });
    expect(next.customers.map((c: { id: string }) => c.id)).toEqual([made[0]]);
    expect(next.truncated).toBe(false);
    const quotedName = await s.ok('search_customers', { name: 'a "Liskov' });
    expect(quotedName.customers.map((c: { id: string }) => c.id)).toEqual([made[2]]);
    expect(textOf(await s.call('search_customers', {}))).toMatch(/at least one/);
  });

  it('STRIPE_SHOW_PII shows names and emails; list_customers finds by email, get_customer reads one', async () => {
    const shown = await open({ STRIPE_SHOW_PII: 'true' });
    const { customer } = await shown.ok('create_customer', { email: 'grace@example.com', name: 'Grace Hopper', phone: '+33 6 12 34 56 78' });
    expect(customer).toMatchObject({ email: 'grace@example.com', name: 'Grace Hopper', phone: '+33 6 12 34 56 78' });
    const found = await shown.ok('list_customers', { email: 'GRACE@example.com' });
    expect(found.customers.map((c: { id: string }) => c.id)).toEqual([customer.id]);
    await shown.close();
    const masked = await s.ok('get_customer', { customer_id: customer.id });
    expect(masked.customer).toMatchObject({ id: customer.id, email: 'g****@example.com', phone: '***78', livemode: false });
    const missing = await s.call('get_customer', { customer_id: 'cus_nope' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/found no customer cus_nope.*No such customer/);
  });
});

describe('payments', () => {
  let s: InProcess;
  let customer: string;
  beforeAll(async () => {
    s = await open({ STRIPE_MAX_AMOUNT: 'usd:500,jpy:100000,kwd:100,*:1000' });
    customer = (await s.ok('create_customer', { email: 'payer@example.com' })).customer.id;
  });
  afterAll(() => s.close());

  it('create_payment_intent: capped per currency, zero- and three-decimal currencies, no double charge', async () => {
    const tooMuch = await s.call('create_payment_intent', { amount: 50_001, currency: 'USD', customer_id: customer });
    expect(tooMuch.isError).toBe(true);
    expect(textOf(tooMuch)).toContain("500.01 USD is above this server's cap of 500.00 USD");
    const yen = await s.call('create_payment_intent', { amount: 100_001, currency: 'jpy' });
    expect(textOf(yen)).toContain("100001 JPY is above this server's cap of 100000 JPY");
    expect((await s.call('create_payment_intent', { amount: 1005, currency: 'kwd' })).isError).toBe(true);
    expect(posts('PostPaymentIntents')).toBe(0);

    const args = { amount: 100_000, currency: 'jpy', customer_id: customer, description: 'Order 17' };
    const first = await s.ok('create_payment_intent', args);
    expect(first).toMatchObject({ livemode: false, replayed: false, paymentIntent: { amount: 100_000, amountFormatted: '100000 JPY', currency: 'jpy', status: 'requires_payment_method', customer } });
    expect(first.paymentIntent.clientSecret).toMatch(/_secret_/);
    const again = await s.ok('create_payment_intent', { ...args, currency: 'JPY' });
    expect(again.paymentIntent.id).toBe(first.paymentIntent.id);
    expect(again.replayed).toBe(true);
    expect(fake.store.payment_intent.size).toBe(1);
    const body = fake.api.calls('PostPaymentIntents')[0].body;
    expect(body).toMatchObject({ amount: '100000', currency: 'jpy', automatic_payment_methods: { enabled: 'true' } });
  });

  it('a payment that times out is outcome unknown, refused until confirmed, and the confirmed repeat replays', async () => {
    const slow = await open({ BIZMCP_TIMEOUT_MS_CREATE_PAYMENT_INTENT: '1500' });
    fake.delay('PostPaymentIntents', 2500);
    const args = { amount: 2500, currency: 'eur', customer_id: customer };
    const r = await slow.call('create_payment_intent', args);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/UNKNOWN/);
    fake.delay('PostPaymentIntents', 0);
    await new Promise((done) => setTimeout(done, 1500));
    const repeat = await slow.call('create_payment_intent', args);
    expect(repeat.isError).toBe(true);
    expect(textOf(repeat)).toMatch(/confirm_repeat/);
    const confirmed = await slow.ok('create_payment_intent', { ...args, confirm_repeat: true });
    expect(confirmed.replayed).toBe(true);
    expect([...fake.store.payment_intent.values()].filter((p) => p.amount === 2500)).toHaveLength(1);
    await slow.close();
  });

  it('refund_payment: partial, never above what is refundable, and a repeat returns the first refund', async () => {
    const { paymentIntent } = await s.ok('create_payment_intent', { amount: 1000, currency: 'eur', customer_id: customer, idempotency_key: 'refund-test' });
    const unpaid = await s.call('refund_payment', { payment_intent_id: paymentIntent.id });
    expect(textOf(unpaid)).toMatch(/has not been paid/);
    const charge = fake.pay(paymentIntent.id);

    const part = await s.ok('refund_payment', { payment_intent_id: paymentIntent.id, amount: 400, reason: 'requested_by_customer' });
    expect(part).toMatchObject({
      refund: { amount: 400, amountFormatted: '4.00 EUR', charge: charge.id, reason: 'requested_by_customer' },
      remainingRefundable: 600,
      livemode: false,
      replayed: false,
    });
    const again = await s.ok('refund_payment', { payment_intent_id: paymentIntent.id, amount: 400, reason: 'requested_by_customer' });
    expect(again).toMatchObject({ refund: { id: part.refund.id }, replayed: true });
    expect(fake.store.refund.size).toBe(1);

    const posted = posts('PostRefunds');
    const over = await s.call('refund_payment', { payment_intent_id: paymentIntent.id, amount: 700 });
    expect(over.isError).toBe(true);
    expect(textOf(over)).toContain('only 6.00 EUR of charge');
    expect(posts('PostRefunds')).toBe(posted);

    const rest = await s.ok('refund_payment', { charge_id: charge.id });
    expect(rest).toMatchObject({ refund: { amount: 600 }, remainingRefundable: 0 });
    // the same "refund everything" again: nothing left, but it is the same call, so the same refund
    const restAgain = await s.ok('refund_payment', { charge_id: charge.id });
    expect(restAgain).toMatchObject({ refund: { id: rest.refund.id }, replayed: true });
    const other = await s.call('refund_payment', { charge_id: charge.id, idempotency_key: 'another' });
    expect(textOf(other)).toMatch(/nothing left to refund/);
    expect(fake.store.refund.size).toBe(2);

    const both = await s.call('refund_payment', { charge_id: charge.id, payment_intent_id: paymentIntent.id });
    expect(textOf(both)).toMatch(/exactly one/);

    const refunds = await s.ok('list_refunds', { charge_id: charge.id });
    expect(refunds.refunds.map((r: { amount: number }) => r.amount)).toEqual([600, 400]);
    const charges = await s.ok('list_charges', { payment_intent_id: paymentIntent.id });
    expect(charges.charges[0]).toMatchObject({ id: charge.id, amountRefunded: 1000, billingName: 'A** L******', billingEmail: 'a**@example.com' });
    const got = await s.ok('get_payment_intent', { payment_intent_id: paymentIntent.id });
    expect(got.paymentIntent).toMatchObject({ status: 'succeeded', amountReceived: 1000, latestCharge: charge.id });
    expect(got.paymentIntent.clientSecret).toBeUndefined();
    const mine = await s.ok('list_payment_intents', { customer_id: customer });
    expect(mine.paymentIntents.map((p: { id: string }) => p.id)).toContain(paymentIntent.id);
  });
});

describe('billing', () => {
  let s: InProcess;
  let customer: string;
  beforeAll(async () => {
    s = await open({ STRIPE_MAX_AMOUNT: 'eur:100' });
    customer = (await s.ok('create_customer', { email: 'sub@example.com' })).customer.id;
  });
  afterAll(() => s.close());

  it('create_subscription checks every item against the cap, and a repeat returns the first subscription', async () => {
    const monthly = fake.addPrice({ unit_amount: 2000, currency: 'eur', interval: 'month' });
    const big = fake.addPrice({ unit_amount: 6000, currency: 'eur', interval: 'month' });
    const tiered = fake.addPrice({ unit_amount: null, currency: 'eur', interval: 'month' });
    const once = fake.addPrice({ unit_amount: 500, currency: 'eur' });
    const usd = fake.addPrice({ unit_amount: 500, currency: 'usd', interval: 'month' });
    expect(textOf(await s.call('create_subscription', { customer_id: customer, items: [{ price_id: big.id, quantity: 2 }] }))).toContain('120.00 EUR is above');
    expect(textOf(await s.call('create_subscription', { customer_id: customer, items: [{ price_id: tiered.id }] }))).toMatch(/no fixed unit amount/);
    expect(textOf(await s.call('create_subscription', { customer_id: customer, items: [{ price_id: once.id }] }))).toMatch(/one-time price/);
    expect(textOf(await s.call('create_subscription', { customer_id: customer, items: [{ price_id: usd.id }] }))).toMatch(/No amount cap is set for USD/);
    expect(posts('PostSubscriptions')).toBe(0);

    const args = { customer_id: customer, items: [{ price_id: monthly.id, quantity: 3 }], metadata: { plan: 'team' } };
    const a = await s.ok('create_subscription', args);
    expect(a).toMatchObject({ livemode: false, replayed: false, subscription: { customer, status: 'incomplete', items: [{ price: monthly.id, quantity: 3, unitAmount: 2000, interval: 'month' }] } });
    const b = await s.ok('create_subscription', args);
    expect(b).toMatchObject({ replayed: true, subscription: { id: a.subscription.id } });
    expect(fake.store.subscription.size).toBe(1);
    expect(fake.api.calls('PostSubscriptions')[0].body).toMatchObject({ payment_behavior: 'default_incomplete', items: { 0: { price: monthly.id, quantity: '3' } } });

    const subs = await s.ok('list_subscriptions', { customer_id: customer });
    expect(subs.subscriptions.map((x: { id: string }) => x.id)).toEqual([a.subscription.id]);
    const invoices = await s.ok('list_invoices', { subscription_id: a.subscription.id });
    expect(invoices.invoices[0]).toMatchObject({ id: a.subscription.latestInvoice, status: 'open', total: 6000, totalFormatted: '60.00 EUR' });
    const prices = await s.ok('list_prices', { type: 'recurring', limit: 100 });
    expect(prices.prices.find((p: { id: string }) => p.id === monthly.id)).toMatchObject({ unitAmount: 2000, unitAmountFormatted: '20.00 EUR', interval: 'month' });
  });

  it('list_invoices pages with Stripe cursors both ways', async () => {
    const cust = (await s.ok('create_customer', { email: 'pages@example.com' })).customer.id;
    const made = Array.from({ length: 5 }, (_, i) => fake.addInvoice({ customer: cust, total: 100 * (i + 1), number: `N-${i + 1}` }).id).reverse();
    const p1 = await s.ok('list_invoices', { customer_id: cust, limit: 2 });
    expect(p1.invoices.map((i: { id: string }) => i.id)).toEqual(made.slice(0, 2));
    expect(p1).toMatchObject({ truncated: true });
    expect(p1.prevCursor).toBeUndefined();
    const p2 = await s.ok('list_invoices', { customer_id: cust, limit: 2, cursor: p1.nextCursor });
    expect(p2.invoices.map((i: { id: string }) => i.id)).toEqual(made.slice(2, 4));
    expect(fake.api.calls('GetInvoices').at(-1)!.query).toMatchObject({ starting_after: made[1], limit: '2' });
    const p3 = await s.ok('list_invoices', { customer_id: cust, limit: 2, cursor: p2.nextCursor });
    expect(p3.invoices.map((i: { id: string }) => i.id)).toEqual(made.slice(4));
    expect(p3.truncated).toBe(false);
    expect(p3.nextCursor).toBeUndefined();
    const back = await s.ok('list_invoices', { customer_id: cust, limit: 2, cursor: p3.prevCursor });
    expect(back.invoices.map((i: { id: string }) => i.id)).toEqual(made.slice(2, 4));
    expect(fake.api.calls('GetInvoices').at(-1)!.query).toMatchObject({ ending_before: made[4] });
    const bad = await s.call('list_invoices', { cursor: 'not-a-cursor' });
    expect(textOf(bad)).toMatch(/Invalid cursor/);
    const one = await s.ok('get_invoice', { invoice_id: made[0] });
    expect(one.invoice).toMatchObject({ id: made[0], total: 500, number: 'N-5', livemode: false });
  });
});

describe('more writes', () => {
  let s: InProcess;
  let customer: string;
  beforeAll(async () => {
    s = await open({ STRIPE_MAX_AMOUNT: 'eur:300,usd:50' });
    customer = (await s.ok('create_customer', { email: 'more@example.com', metadata: { a: '1', b: '2' } })).customer.id;
  });
  afterAll(() => s.close());

  it('update_customer changes only what is given and removes emptied metadata keys', async () => {
    const r = await s.ok('update_customer', { customer_id: customer, name: 'Mary Somerville', metadata: { a: '' } });
    expect(r.customer).toMatchObject({ id: customer, name: 'M*** S******', email: 'm***@example.com', metadata: { b: '2' } });
    expect(fake.store.customer.get(customer)!.name).toBe('Mary Somerville');
    expect(textOf(await s.call('update_customer', { customer_id: customer }))).toMatch(/Nothing to change/);
  });

  it('catalog: create_product, create_price (capped), list both, create_payment_link (capped per line)', async () => {
    const { product } = await s.ok('create_product', { name: 'Consulting hour' });
    const hidden = await s.ok('create_product', { name: 'Support\u200b\u202eplan', description: 'Ignore\u2066 this' });
    expect(hidden.product).toMatchObject({ name: 'Supportplan', description: 'Ignore this' });
    expect((await s.ok('create_product', { name: 'Consulting hour' })).product.id).toBe(product.id);
    expect(textOf(await s.call('create_price', { product_id: product.id, unit_amount: 30_001, currency: 'eur' }))).toContain('300.01 EUR is above');
    const { price } = await s.ok('create_price', { product_id: product.id, unit_amount: 12_000, currency: 'EUR' });
    expect(price).toMatchObject({ unitAmount: 12_000, unitAmountFormatted: '120.00 EUR', product: product.id, livemode: false });
    expect(price.interval).toBeUndefined();
    const monthly = (await s.ok('create_price', { product_id: product.id, unit_amount: 5000, currency: 'eur', interval: 'month', interval_count: 3 })).price;
    expect(monthly).toMatchObject({ interval: 'month', intervalCount: 3 });
    const products = await s.ok('list_products', { limit: 100 });
    expect(products.products.map((p: { id: string }) => p.id)).toContain(product.id);
    const prices = await s.ok('list_prices', { product_id: product.id });
    expect(prices.prices.map((p: { id: string }) => p.id)).toEqual([monthly.id, price.id]);

    expect(textOf(await s.call('create_payment_link', { items: [{ price_id: price.id, quantity: 3 }] }))).toContain('360.00 EUR is above');
    const link = await s.ok('create_payment_link', { items: [{ price_id: price.id, quantity: 2 }] });
    expect(link.paymentLink.url).toMatch(/^https:\/\/buy\.stripe\.com\//);
    expect((await s.ok('create_payment_link', { items: [{ price_id: price.id, quantity: 2 }] })).paymentLink.id).toBe(link.paymentLink.id);
    expect(fake.store.payment_link.size).toBe(1);
  });

  it('create_invoice drafts with lines under the cap; finalize_invoice finalizes once and sends', async () => {
    const product = (await s.ok('create_product', { name: 'Setup fee' })).product;
    const fee = (await s.ok('create_price', { product_id: product.id, unit_amount: 10_000, currency: 'eur' })).price;
    const over = await s.call('create_invoice', {
      customer_id: customer,
      currency: 'eur',
      lines: [
        { price_id: fee.id, quantity: 3 },
        { amount: 1, description: 'x' },
      ],
    });
    expect(textOf(over)).toContain('300.01 EUR is above');
    expect(textOf(await s.call('create_invoice', { customer_id: customer, currency: 'eur', lines: [{ amount: 100 }] }))).toMatch(/needs a description/);
    const args = { customer_id: customer, currency: 'eur', lines: [{ price_id: fee.id }, { amount: 2500, description: 'Travel', quantity: 2 }] };
    const draft = await s.ok('create_invoice', args);
    expect(draft).toMatchObject({ lines: 2, replayed: false, invoice: { status: 'draft', total: 15_000, customer } });
    const again = await s.ok('create_invoice', args);
    expect(again).toMatchObject({ replayed: true, invoice: { id: draft.invoice.id, total: 15_000 } });
    expect([...fake.store.invoiceitem.values()].filter((i) => i.invoice === draft.invoice.id)).toHaveLength(2);

    const fin = await s.ok('finalize_invoice', { invoice_id: draft.invoice.id, send: true });
    expect(fin).toMatchObject({ sent: true, invoice: { status: 'open', number: expect.stringMatching(/^FAKE-/) } });
    const twice = await s.ok('finalize_invoice', { invoice_id: draft.invoice.id });
    expect(twice).toMatchObject({ sent: false, invoice: { status: 'open', number: fin.invoice.number } });
    expect(fake.api.calls('PostInvoicesInvoiceFinalize')).toHaveLength(1);
  });

  it('STRIPE_ALLOWED_RECIPIENTS limits who Stripe emails: invoices sent and payment receipts', async () => {
    const limited = await open({ STRIPE_MAX_AMOUNT: 'eur:300', STRIPE_ALLOWED_RECIPIENTS: '@client.example' });
    const inv = fake.addInvoice({ customer, status: 'draft', customer_email: 'more@example.com', collection_method: 'send_invoice', total: 1000 });
    const refused = await limited.call('finalize_invoice', { invoice_id: inv.id, send: true });
    expect(textOf(refused)).toMatch(/more@example.com \(send\) is not allowed by STRIPE_ALLOWED_RECIPIENTS; the invoice was neither finalized nor sent/);
    expect(fake.store.invoice.get(inv.id)!.status).toBe('draft');
    const receipt = await limited.call('create_payment_intent', { amount: 100, currency: 'eur', receipt_email: 'someone@else.example' });
    expect(textOf(receipt)).toMatch(/not allowed by STRIPE_ALLOWED_RECIPIENTS; no payment was created/);
    const okInv = fake.addInvoice({ customer, status: 'draft', customer_email: 'ap@client.example', collection_method: 'send_invoice', total: 1000 });
    expect(await limited.ok('finalize_invoice', { invoice_id: okInv.id, send: true })).toMatchObject({ sent: true, invoice: { status: 'open' } });
    await limited.close();
  });

  it('cancel_subscription at period end, resume, then immediately; cancel_payment_intent; get_balance', async () => {
    const price = fake.addPrice({ unit_amount: 1000, currency: 'eur', interval: 'month' });
    const sub = (await s.ok('create_subscription', { customer_id: customer, items: [{ price_id: price.id }] })).subscription;
    expect((await s.ok('cancel_subscription', { subscription_id: sub.id })).subscription).toMatchObject({ cancelAtPeriodEnd: true, status: 'incomplete' });
    expect((await s.ok('cancel_subscription', { subscription_id: sub.id, resume: true })).subscription.cancelAtPeriodEnd).toBe(false);
    expect((await s.ok('cancel_subscription', { subscription_id: sub.id, immediately: true })).subscription.status).toBe('canceled');
    expect((await s.ok('cancel_subscription', { subscription_id: sub.id, immediately: true })).subscription.status).toBe('canceled');
    expect(fake.api.calls('DeleteSubscriptionsSubscriptionExposedId')).toHaveLength(1);
    expect(textOf(await s.call('cancel_subscription', { subscription_id: sub.id, resume: true }))).toMatch(/already ended/);

    const pi = (await s.ok('create_payment_intent', { amount: 4000, currency: 'eur', customer_id: customer })).paymentIntent;
    expect((await s.ok('cancel_payment_intent', { payment_intent_id: pi.id, reason: 'abandoned' })).paymentIntent.status).toBe('canceled');
    expect((await s.ok('cancel_payment_intent', { payment_intent_id: pi.id })).replayed).toBe(true);
    const paid = (await s.ok('create_payment_intent', { amount: 4000, currency: 'eur', customer_id: customer, idempotency_key: 'paid' })).paymentIntent;
    fake.pay(paid.id);
    expect(textOf(await s.call('cancel_payment_intent', { payment_intent_id: paid.id }))).toMatch(/refund_payment/);

    const balance = await s.ok('get_balance', {});
    expect(balance).toMatchObject({ livemode: false, available: [{ amount: 12_345, currency: 'eur', formatted: '123.45 EUR' }], pending: [{ formatted: '500 JPY' }] });
  });
});

describe('upstream errors', () => {
  let s: InProcess;
  beforeAll(async () => {
    s = await open();
  });
  afterAll(() => s.close());

  it('a rejected key names STRIPE_SECRET_KEY, keeps the request id and never shows the key', async () => {
    fake.failNext('GetCustomers', 401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${KEY}` });
    const r = await s.call('list_customers', {});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/rejected the credential in STRIPE_SECRET_KEY/);
    expect(textOf(r)).toContain('req_failed');
    expect(textOf(r)).not.toContain(KEY);
  });

  it('a restricted key without the permission names it', async () => {
    fake.failNext('GetInvoices', 403, {
      type: 'invalid_request_error',
      message: "The provided key 'rk_test_***abc' does not have the required permissions for this endpoint. Having the 'rak_invoice_read' permission would allow this request to continue.",
    });
    const r = await s.call('list_invoices', {});
    expect(textOf(r)).toContain('rak_invoice_read');
  });

  it('reads are retried after a 429 honouring Retry-After; a declined card is a clear failure', async () => {
    fake.failNext('GetCustomers', 429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' }, { 'retry-after': '0' });
    const before = fake.api.calls('GetCustomers').length;
    await s.ok('list_customers', { limit: 1 });
    expect(fake.api.calls('GetCustomers').length).toBe(before + 2);
    fake.failNext('PostPaymentIntents', 402, { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' });
    const cust = (await s.ok('create_customer', { email: 'declined@example.com' })).customer.id;
    const r = await s.call('create_payment_intent', { amount: 500, currency: 'eur', customer_id: cust, payment_method_id: 'pm_card_visa', confirm: true });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/insufficient funds/);
    expect(errorOf(r)).toBeDefined();
  });
});

describe('helpers', () => {
  it("formats amounts by the currency's decimals, and parses caps", () => {
    expect(formatAmount(1234, 'eur')).toBe('12.34 EUR');
    expect(formatAmount(500, 'jpy')).toBe('500 JPY');
    expect(formatAmount(1230, 'kwd')).toBe('1.230 KWD');
    expect(parseMaxAmount('250')).toEqual({ '*': 250 });
    expect(parseMaxAmount('USD:500, eur=40.5,*:10')).toEqual({ usd: 500, eur: 40.5, '*': 10 });
    expect(() => parseMaxAmount('lots')).toThrow(/STRIPE_MAX_AMOUNT/);
  });

  it('the idempotency key ignores confirm_repeat and follows idempotency_key', () => {
    const k = idempotencyKey('create_customer', { email: 'a@b.c' });
    expect(idempotencyKey('create_customer', { email: 'a@b.c', confirm_repeat: true })).toBe(k);
    expect(idempotencyKey('create_customer', { email: 'a@b.c', idempotency_key: 'x' })).not.toBe(k);
    expect(idempotencyKey('create_payment_intent', { email: 'a@b.c' })).not.toBe(k);
  });
});
