// The rest of issue 13's tools through a real MCP client against the contract-checked fake:
// get_subscription, list_balance_transactions, list_disputes, get_account, add_invoice_item,
// send_invoice, void_invoice, create_coupon; with Stripe's failures on their paths.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { idempotencyKey } from '../src/stripe.js';
import { type FakeStripe, startFakeStripe } from './fake-stripe.js';

const KEY = 'sk_test_51More00000000000000000000';
let fake: FakeStripe;
let s: InProcess;
let customer: string;
const open = (env: Record<string, string> = {}, argv: string[] = []) =>
  connectInProcess(server, { argv, env: { STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: fake.url, STRIPE_MAX_AMOUNT: 'eur:300,usd:50', ...env } });
const posts = (op: string) => fake.api.calls(op).length;
const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

beforeAll(async () => {
  fake = await startFakeStripe();
  s = await open();
  customer = (await s.ok('create_customer', { email: 'books@client.example', name: 'Client Books' })).customer.id;
});
afterAll(async () => {
  await s.close();
  await fake.close();
});
afterEach(() => fake.api.assertNoViolations());

describe('tool list', () => {
  it('the new tools are listed with their toolsets and hints; --read-only keeps only the reads', async () => {
    const { tools } = await s.client.listTools();
    const by = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const name of ['get_subscription', 'list_balance_transactions', 'list_disputes', 'get_account']) expect(by[name]?.annotations?.readOnlyHint, name).toBe(true);
    for (const name of ['add_invoice_item', 'send_invoice', 'create_coupon']) expect(by[name]?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true });
    expect(by.void_invoice.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    const ro = await open({}, ['--read-only']);
    const names = (await ro.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['get_subscription', 'list_balance_transactions', 'list_disputes', 'get_account']));
    for (const w of ['add_invoice_item', 'send_invoice', 'void_invoice', 'create_coupon']) expect(names).not.toContain(w);
    await ro.close();
    const billingOnly = await open({}, ['--toolsets', 'billing']);
    const billing = (await billingOnly.client.listTools()).tools.map((t) => t.name);
    expect(billing).toEqual(expect.arrayContaining(['get_subscription', 'add_invoice_item', 'send_invoice', 'void_invoice', 'create_coupon']));
    expect(billing).not.toContain('get_account');
    await billingOnly.close();
  });
});

describe('reads', () => {
  it('get_subscription reads one subscription; an unknown one is not found', async () => {
    const price = fake.addPrice({ unit_amount: 1500, currency: 'eur', interval: 'month' });
    const { subscription } = await s.ok('create_subscription', { customer_id: customer, items: [{ price_id: price.id, quantity: 2 }] });
    const got = await s.ok('get_subscription', { subscription_id: subscription.id });
    expect(got.subscription).toMatchObject({ id: subscription.id, customer, status: 'incomplete', items: [{ price: price.id, quantity: 2, unitAmount: 1500, interval: 'month' }], livemode: false });
    expect(got.subscription.latestInvoice).toMatch(/^in_/);
    const missing = await s.call('get_subscription', { subscription_id: 'sub_nope' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/found no subscription sub_nope/);
    expect(textOf(await s.call('get_subscription', { subscription_id: 'sub_1/../charges' }))).toMatch(/subscription_id/);
  });

  it('list_balance_transactions: a charge (gross, fee, net) and its refund, filtered and paged', async () => {
    const pi = (await s.ok('create_payment_intent', { amount: 10_000, currency: 'eur', customer_id: customer, description: 'Order 88' })).paymentIntent;
    const charge = fake.pay(pi.id);
    await s.ok('refund_payment', { charge_id: charge.id, amount: 2500 });
    const all = await s.ok('list_balance_transactions', { limit: 2 });
    expect(all.livemode).toBe(false);
    expect(all.transactions).toMatchObject([
      { type: 'refund', amount: -2500, amountFormatted: '-25.00 EUR', net: -2500, currency: 'eur', status: 'pending' },
      { type: 'charge', amount: 10_000, fee: 320, net: 9680, netFormatted: '96.80 EUR', source: charge.id, description: 'Order 88' },
    ]);
    expect(all.transactions[0].source).toMatch(/^re_/);
    const charges = await s.ok('list_balance_transactions', { type: 'charge', source_id: charge.id, currency: 'EUR' });
    expect(charges.transactions).toHaveLength(1);
    expect(fake.api.calls('GetBalanceTransactions').at(-1)!.query).toMatchObject({ type: 'charge', source: charge.id, currency: 'eur' });
    const first = await s.ok('list_balance_transactions', { limit: 1 });
    expect(first.truncated).toBe(true);
    const second = await s.ok('list_balance_transactions', { limit: 1, cursor: first.nextCursor });
    expect(second.transactions[0].id).toBe(all.transactions[1].id);
    expect(fake.api.calls('GetBalanceTransactions').at(-1)!.query).toMatchObject({ starting_after: all.transactions[0].id });
    expect(textOf(await s.call('list_balance_transactions', { type: 'charge&payout=x' }))).toMatch(/type/);
  });

  it('list_disputes by charge and payment intent, with the evidence deadline', async () => {
    const pi = (await s.ok('create_payment_intent', { amount: 4200, currency: 'eur', customer_id: customer, idempotency_key: 'disputed' })).paymentIntent;
    const charge = fake.pay(pi.id);
    const d = fake.dispute(charge.id);
    const other = fake.dispute(fake.pay((await s.ok('create_payment_intent', { amount: 100, currency: 'eur', idempotency_key: 'other' })).paymentIntent.id).id, { status: 'won', reason: 'duplicate' });
    const mine = await s.ok('list_disputes', { charge_id: charge.id });
    expect(mine.disputes).toEqual([
      expect.objectContaining({
        id: d.id,
        amount: 4200,
        amountFormatted: '42.00 EUR',
        status: 'needs_response',
        reason: 'fraudulent',
        charge: charge.id,
        paymentIntent: pi.id,
        chargeRefundable: false,
        livemode: false,
      }),
    ]);
    expect(mine.disputes[0].evidenceDueBy).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(ids((await s.ok('list_disputes', { payment_intent_id: pi.id })).disputes)).toEqual([d.id]);
    const page = await s.ok('list_disputes', { limit: 1 });
    expect(ids(page.disputes)).toEqual([other.id]);
    expect(ids((await s.ok('list_disputes', { limit: 1, cursor: page.nextCursor })).disputes)).toEqual([d.id]);
    const txns = await s.ok('list_balance_transactions', { source_id: d.id });
    expect(txns.transactions[0]).toMatchObject({ type: 'adjustment', amount: -4200, fee: 1500, net: -5700 });
  });

  it('STRIPE_ACCOUNT and STRIPE_API_VERSION reach Stripe on every request; bad values stop the server', async () => {
    const c = await open({ STRIPE_ACCOUNT: 'acct_1Connected42', STRIPE_API_VERSION: '2024-06-20' });
    try {
      const before = fake.api.requests.requests.length;
      const r = await c.ok('get_account', {});
      expect(r).toMatchObject({ apiVersion: '2024-06-20', connectedAccount: 'acct_1Connected42' });
      await c.ok('list_customers', { limit: 1 });
      const sent = fake.api.requests.requests.slice(before);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      for (const q of sent) {
        expect(q.headers['stripe-account']).toBe('acct_1Connected42');
        expect(q.headers['stripe-version']).toBe('2024-06-20');
      }
    } finally {
      await c.close();
    }
    await expect(open({ STRIPE_ACCOUNT: 'acme' })).rejects.toThrow(/STRIPE_ACCOUNT must be a connected account id/);
    await expect(open({ STRIPE_API_VERSION: 'latest' })).rejects.toThrow(/STRIPE_API_VERSION must look like/);
  });

  it('get_account: masked email, cleaned name, what Stripe needs, the pinned API version', async () => {
    const r = await s.ok('get_account', {});
    expect(r).toMatchObject({
      livemode: false,
      apiVersion: expect.stringMatching(/^\d{4}-\d\d-\d\d/),
      account: {
        id: 'acct_TFake000001',
        email: 'o****@shop.example',
        businessName: 'Shop Example',
        country: 'FR',
        defaultCurrency: 'eur',
        chargesEnabled: true,
        payoutsEnabled: false,
        requirementsDue: ['external_account'],
      },
    });
    expect(fake.api.calls('GetAccount').at(-1)!.headers['stripe-version']).toBe(r.apiVersion);
    const shown = await open({ STRIPE_SHOW_PII: 'true' });
    expect((await shown.ok('get_account', {})).account.email).toBe('owner@shop.example');
    await shown.close();
  });
});

describe('invoice writes', () => {
  const draft = async (extra: Record<string, unknown> = {}) =>
    (await s.ok('create_invoice', { customer_id: customer, currency: 'eur', lines: [{ amount: 10_000, description: 'Retainer' }], ...extra })).invoice as { id: string; total: number };

  it('add_invoice_item adds a line once, capped per line and for the invoice total', async () => {
    const inv = await draft({ idempotency_key: 'add-1' });
    const args = { invoice_id: inv.id, amount: 2500, description: 'Travel', quantity: 2 };
    const a = await s.ok('add_invoice_item', args);
    expect(a).toMatchObject({
      replayed: false,
      livemode: false,
      item: { amount: 5000, amountFormatted: '50.00 EUR', description: 'Travel × 2' },
      invoice: { id: inv.id, total: 15_000, status: 'draft' },
    });
    expect(fake.api.calls('PostInvoiceitems').at(-1)!.headers['idempotency-key']).toBe(idempotencyKey('add_invoice_item', { ...args }));
    const b = await s.ok('add_invoice_item', args);
    expect(b).toMatchObject({ replayed: true, item: { id: a.item.id }, invoice: { total: 15_000 } });
    expect([...fake.store.invoiceitem.values()].filter((i) => i.invoice === inv.id)).toHaveLength(2);
    const again = await s.ok('add_invoice_item', { ...args, idempotency_key: 'second trip' });
    expect(again.invoice.total).toBe(20_000);

    const product = (await s.ok('create_product', { name: 'Workshop day' })).product;
    const day = (await s.ok('create_price', { product_id: product.id, unit_amount: 5000, currency: 'eur' })).price;
    const usd = (await s.ok('create_price', { product_id: product.id, unit_amount: 1000, currency: 'usd' })).price;
    const before = posts('PostInvoiceitems');
    expect(textOf(await s.call('add_invoice_item', { invoice_id: inv.id, price_id: day.id, quantity: 7 }))).toContain('An invoice line of 350.00 EUR is above');
    expect(textOf(await s.call('add_invoice_item', { invoice_id: inv.id, price_id: day.id, quantity: 3 }))).toMatch(
      /Invoice in_\w+ with this line of 350.00 EUR is above this server's cap of 300.00 EUR/,
    );
    expect(textOf(await s.call('add_invoice_item', { invoice_id: inv.id, price_id: usd.id }))).toMatch(/is in USD, the invoice in EUR/);
    expect(textOf(await s.call('add_invoice_item', { invoice_id: inv.id, amount: 100 }))).toMatch(/needs a description/);
    expect(textOf(await s.call('add_invoice_item', { invoice_id: inv.id, price_id: day.id, amount: 100, description: 'x' }))).toMatch(/give price_id, or amount/);
    expect(posts('PostInvoiceitems')).toBe(before);
    const byPrice = await s.ok('add_invoice_item', { invoice_id: inv.id, price_id: day.id });
    expect(byPrice.invoice.total).toBe(25_000);
    expect(fake.api.calls('PostInvoiceitems').at(-1)!.body).toMatchObject({ price: day.id, quantity: '1', customer, invoice: inv.id });

    // a repeat of the line that took the total to the cap replays it instead of refusing it
    const toCap = { invoice_id: inv.id, amount: 5000, description: 'Last hour' };
    expect((await s.ok('add_invoice_item', toCap)).invoice.total).toBe(30_000);
    expect(await s.ok('add_invoice_item', toCap)).toMatchObject({ replayed: true, invoice: { total: 30_000 } });
    expect(fake.api.calls('GetInvoiceitems').at(-1)!.query).toMatchObject({ invoice: inv.id });
    expect(textOf(await s.call('add_invoice_item', { ...toCap, idempotency_key: 'one more' }))).toMatch(/with this line of 350.00 EUR is above/);

    await s.ok('finalize_invoice', { invoice_id: inv.id });
    const closed = await s.call('add_invoice_item', { invoice_id: inv.id, amount: 100, description: 'late' });
    expect(textOf(closed)).toMatch(/is open: only draft invoices take new lines/);
    expect(posts('PostInvoiceitems')).toBe(before + 2);
  });

  it('add_invoice_item that times out is UNKNOWN, refused until confirmed, and the confirmed repeat replays', async () => {
    const inv = await draft({ idempotency_key: 'slow' });
    const slow = await open({ BIZMCP_TIMEOUT_MS_ADD_INVOICE_ITEM: '1500' });
    fake.delay('PostInvoiceitems', 2500);
    const args = { invoice_id: inv.id, amount: 700, description: 'Parking' };
    const r = await slow.call('add_invoice_item', args);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/UNKNOWN/);
    fake.delay('PostInvoiceitems', 0);
    await new Promise((done) => setTimeout(done, 1500));
    expect(textOf(await slow.call('add_invoice_item', args))).toMatch(/confirm_repeat/);
    const confirmed = await slow.ok('add_invoice_item', { ...args, confirm_repeat: true });
    expect(confirmed.replayed).toBe(true);
    expect([...fake.store.invoiceitem.values()].filter((i) => i.invoice === inv.id && i.amount === 700)).toHaveLength(1);
    await slow.close();
  });

  it('send_invoice emails an open invoice once; a new idempotency_key sends a reminder; drafts and auto-charged ones are refused', async () => {
    const inv = await draft({ idempotency_key: 'send-1' });
    expect(textOf(await s.call('send_invoice', { invoice_id: inv.id }))).toMatch(/is a draft.*finalize_invoice with send: true/s);
    await s.ok('finalize_invoice', { invoice_id: inv.id });
    const sent = await s.ok('send_invoice', { invoice_id: inv.id });
    expect(sent).toMatchObject({ sent: true, replayed: false, invoice: { id: inv.id, status: 'open' } });
    expect(await s.ok('send_invoice', { invoice_id: inv.id })).toMatchObject({ sent: false, replayed: true });
    expect(fake.store.invoice.get(inv.id)!.sent_count).toBe(1);
    expect(await s.ok('send_invoice', { invoice_id: inv.id, idempotency_key: 'reminder 1' })).toMatchObject({ sent: true });
    expect(fake.store.invoice.get(inv.id)!.sent_count).toBe(2);

    // finalize_invoice with send: true, then send_invoice: the same key, no second email
    const both = await draft({ idempotency_key: 'send-2' });
    await s.ok('finalize_invoice', { invoice_id: both.id, send: true });
    expect(await s.ok('send_invoice', { invoice_id: both.id })).toMatchObject({ sent: false, replayed: true });
    expect(fake.store.invoice.get(both.id)!.sent_count).toBe(1);

    const auto = fake.addInvoice({ customer, collection_method: 'charge_automatically' });
    expect(textOf(await s.call('send_invoice', { invoice_id: auto.id }))).toMatch(/charged automatically/);
    const paid = fake.addInvoice({ customer, collection_method: 'send_invoice', status: 'paid' });
    expect(textOf(await s.call('send_invoice', { invoice_id: paid.id }))).toMatch(/is paid: only open invoices are sent/);
  });

  it('send_invoice goes through STRIPE_ALLOWED_RECIPIENTS before anything is sent', async () => {
    const limited = await open({ STRIPE_ALLOWED_RECIPIENTS: '@client.example' });
    const outsider = fake.addInvoice({ customer, collection_method: 'send_invoice', customer_email: 'someone@elsewhere.example' });
    const before = posts('PostInvoicesInvoiceSend');
    const refused = await limited.call('send_invoice', { invoice_id: outsider.id });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/someone@elsewhere.example .*is not allowed by STRIPE_ALLOWED_RECIPIENTS; the invoice was not sent/);
    const noEmail = fake.addInvoice({ customer, collection_method: 'send_invoice', customer_email: null });
    expect(textOf(await limited.call('send_invoice', { invoice_id: noEmail.id }))).toMatch(/no customer email/);
    expect(posts('PostInvoicesInvoiceSend')).toBe(before);
    const allowed = fake.addInvoice({ customer, collection_method: 'send_invoice', customer_email: 'books@client.example' });
    expect(await limited.ok('send_invoice', { invoice_id: allowed.id })).toMatchObject({ sent: true, invoice: { customerEmail: 'b****@client.example' } });
    await limited.close();
  });

  it('void_invoice voids an open invoice once; drafts and paid invoices are refused', async () => {
    const open1 = fake.addInvoice({ customer, collection_method: 'send_invoice', total: 5000, amount_remaining: 5000 });
    const v = await s.ok('void_invoice', { invoice_id: open1.id });
    expect(v).toMatchObject({ replayed: false, livemode: false, invoice: { id: open1.id, status: 'void', amountRemaining: 0 } });
    expect(await s.ok('void_invoice', { invoice_id: open1.id })).toMatchObject({ replayed: true, invoice: { status: 'void' } });
    expect(fake.api.calls('PostInvoicesInvoiceVoid').filter((c) => c.path.includes(open1.id))).toHaveLength(1);
    const before = posts('PostInvoicesInvoiceVoid');
    const d = fake.addInvoice({ customer, status: 'draft' });
    expect(textOf(await s.call('void_invoice', { invoice_id: d.id }))).toMatch(/is a draft: it was never issued/);
    const paid = fake.addInvoice({ customer, status: 'paid' });
    expect(textOf(await s.call('void_invoice', { invoice_id: paid.id }))).toMatch(/paid and cannot be voided.*refund_payment/s);
    expect(textOf(await s.call('void_invoice', { invoice_id: 'in_missing' }))).toMatch(/found no invoice in_missing/);
    expect(posts('PostInvoicesInvoiceVoid')).toBe(before);
    expect(fake.store.invoice.get(d.id)!.status).toBe('draft');
  });
});

describe('create_coupon', () => {
  it('percent or amount off (capped), durations checked, a repeat returns the first coupon', async () => {
    const pct = await s.ok('create_coupon', { percent_off: 20, duration: 'repeating', duration_in_months: 3, name: 'Spring\u200b 20' });
    expect(pct).toMatchObject({ replayed: false, livemode: false, coupon: { percentOff: 20, duration: 'repeating', durationInMonths: 3, name: 'Spring 20', valid: true } });
    expect(await s.ok('create_coupon', { percent_off: 20, duration: 'repeating', duration_in_months: 3, name: 'Spring\u200b 20' })).toMatchObject({ replayed: true, coupon: { id: pct.coupon.id } });
    expect(fake.store.coupon.size).toBe(1);

    const before = posts('PostCoupons');
    expect(textOf(await s.call('create_coupon', { amount_off: 5001, currency: 'usd' }))).toContain("A coupon of 50.01 USD is above this server's cap of 50.00 USD");
    expect(textOf(await s.call('create_coupon', { amount_off: 100, currency: 'chf' }))).toMatch(/No amount cap is set for CHF/);
    expect(textOf(await s.call('create_coupon', { amount_off: 100 }))).toMatch(/amount_off needs currency/);
    expect(textOf(await s.call('create_coupon', { amount_off: 100, percent_off: 10, currency: 'eur' }))).toMatch(/exactly one of percent_off and amount_off/);
    expect(textOf(await s.call('create_coupon', { percent_off: 101 }))).toMatch(/percent_off/);
    expect(textOf(await s.call('create_coupon', { percent_off: 10, duration: 'repeating' }))).toMatch(/duration_in_months/);
    expect(textOf(await s.call('create_coupon', { percent_off: 10, duration_in_months: 2 }))).toMatch(/duration_in_months/);
    expect(textOf(await s.call('create_coupon', { percent_off: 10, redeem_by: '2001-01-01T00:00:00Z' }))).toMatch(/redeem_by must be in the future/);
    expect(posts('PostCoupons')).toBe(before);

    const amt = await s.ok('create_coupon', { amount_off: 500, currency: 'USD', duration: 'forever', max_redemptions: 10, redeem_by: '2099-01-01T00:00:00+01:00' });
    expect(amt.coupon).toMatchObject({ amountOff: 500, amountOffFormatted: '5.00 USD', currency: 'usd', duration: 'forever', maxRedemptions: 10, redeemBy: '2098-12-31T23:00:00.000Z' });
    expect(fake.api.calls('PostCoupons').at(-1)!.body).toMatchObject({ amount_off: '500', currency: 'usd', duration: 'forever', redeem_by: String(Date.parse('2099-01-01T00:00:00+01:00') / 1000) });
  });
});

describe('Stripe failures on these tools', () => {
  it('an invalid request names the parameter Stripe names', async () => {
    fake.failNext('PostCoupons', 400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'max_redemptions', message: 'Invalid integer: 0' });
    const r = await s.call('create_coupon', { percent_off: 5, idempotency_key: 'bad param' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/Invalid integer: 0/);
    expect(textOf(r)).toMatch(/max_redemptions/);
    expect(textOf(r)).toContain('req_failed');
  });

  it('an idempotency key reused with other arguments is a conflict that says what to do', async () => {
    fake.failNext('PostCoupons', 400, {
      type: 'idempotency_error',
      message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.',
    });
    const r = await s.call('create_coupon', { percent_off: 7, idempotency_key: 'reused' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/same parameters they were first used with/);
    expect(textOf(r)).toMatch(/conflict/i);
  });

  it('a 429 on a keyed write is retried with the same key and lands once', async () => {
    const inv = fake.addInvoice({ customer, collection_method: 'send_invoice' });
    fake.failNext('PostInvoicesInvoiceVoid', 429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' }, { 'retry-after': '0' });
    const before = posts('PostInvoicesInvoiceVoid');
    expect((await s.ok('void_invoice', { invoice_id: inv.id })).invoice.status).toBe('void');
    const calls = fake.api.calls('PostInvoicesInvoiceVoid').slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[0].headers['idempotency-key']).toBe(calls[1].headers['idempotency-key']);
  });

  it('a restricted key without Disputes read names the permission', async () => {
    fake.failNext('GetDisputes', 403, {
      type: 'invalid_request_error',
      message: "The provided key 'rk_test_***abc' does not have the required permissions for this endpoint. Having the 'rak_dispute_read' permission would allow this request to continue.",
    });
    expect(textOf(await s.call('list_disputes', {}))).toContain('rak_dispute_read');
  });
});
