// Attempts to move more money than allowed, to move it twice, or to reach other endpoints, each
// followed by a state oracle: what the fake Stripe holds, and which writes reached it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { type FakeStripe, startFakeStripe } from './fake-stripe.js';

const KEY = 'sk_test_51Attack00000000000000000000';
let fake: FakeStripe;
let s: InProcess;
let customer: string;
let paidIntent: string;
let charge: string;
let monthly: string;

const snapshot = () => ({
  sizes: Object.fromEntries(Object.entries(fake.store).map(([k, m]) => [k, m.size])),
  refunded: fake.store.charge.get(charge)?.amount_refunded,
  writes: fake.api.requests.requests.filter((r) => r.method !== 'GET').length,
});

beforeAll(async () => {
  fake = await startFakeStripe();
  s = await connectInProcess(server, { env: { STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: fake.url, STRIPE_MAX_AMOUNT: 'eur:100' } });
  customer = (await s.ok('create_customer', { email: 'target@example.com' })).customer.id;
  paidIntent = (await s.ok('create_payment_intent', { amount: 5000, currency: 'eur', customer_id: customer })).paymentIntent.id;
  charge = fake.pay(paidIntent).id;
  monthly = fake.addPrice({ unit_amount: 4000, currency: 'eur', interval: 'month' }).id;
});
afterAll(async () => {
  await s.close();
  await fake.close();
});
afterEach(() => fake.api.assertNoViolations());

type Attempt = [what: string, tool: string, args: () => Record<string, unknown>, expected: RegExp];

const attempts: Attempt[] = [
  ['amount above the cap', 'create_payment_intent', () => ({ amount: 10_001, currency: 'eur' }), /above this server's cap/],
  ['the cap dodged by upper case', 'create_payment_intent', () => ({ amount: 10_001, currency: 'EUR' }), /above this server's cap/],
  ['a currency without a cap', 'create_payment_intent', () => ({ amount: 100, currency: 'usd' }), /No amount cap is set for USD/],
  ['a negative amount', 'create_payment_intent', () => ({ amount: -500, currency: 'eur' }), /amount/],
  ['a fractional amount', 'create_payment_intent', () => ({ amount: 10.5, currency: 'eur' }), /amount/],
  ['an amount as text', 'create_payment_intent', () => ({ amount: '100', currency: 'eur' }), /amount/],
  ["an amount past Stripe's maximum", 'create_payment_intent', () => ({ amount: 1e12, currency: 'eur' }), /amount/],
  ['a currency that smuggles a parameter', 'create_payment_intent', () => ({ amount: 100, currency: 'eur&amount=999999' }), /currency/],
  ['a payment method type that smuggles a parameter', 'create_payment_intent', () => ({ amount: 100, currency: 'eur', payment_method_types: ['card&confirm=true'] }), /payment_method_types/],
  ['confirm without a payment method', 'create_payment_intent', () => ({ amount: 100, currency: 'eur', confirm: true }), /needs payment_method_id/],
  ['a customer id that climbs the path', 'get_customer', () => ({ customer_id: 'cus_1/../../v1/charges' }), /customer_id/],
  ['a payment intent id with a query', 'get_payment_intent', () => ({ payment_intent_id: 'pi_1?expand[]=customer' }), /payment_intent_id/],
  ['a refund above what remains', 'refund_payment', () => ({ charge_id: charge, amount: 5001 }), /only 50.00 EUR .* remains refundable/],
  ['a refund naming two payments', 'refund_payment', () => ({ charge_id: charge, payment_intent_id: paidIntent, amount: 1 }), /exactly one/],
  [
    'a refund of an unpaid intent',
    'refund_payment',
    () => ({ payment_intent_id: [...fake.store.payment_intent.values()].find((p) => p.status !== 'succeeded')?.id ?? 'pi_none' }),
    /not been paid|found no payment intent/,
  ],
  ['a subscription over the cap by quantity', 'create_subscription', () => ({ customer_id: customer, items: [{ price_id: monthly, quantity: 3 }] }), /above this server's cap/],
  ['a price over the cap', 'create_price', () => ({ product_id: 'prod_x', unit_amount: 10_001, currency: 'eur' }), /above this server's cap/],
  [
    'an invoice whose lines add up over the cap',
    'create_invoice',
    () => ({
      customer_id: customer,
      currency: 'eur',
      lines: [
        { amount: 6000, description: 'a' },
        { amount: 4001, description: 'b' },
      ],
    }),
    /above this server's cap/,
  ],
  ['a coupon over the cap', 'create_coupon', () => ({ amount_off: 10_001, currency: 'eur' }), /above this server's cap/],
  ['a coupon over the cap by upper case', 'create_coupon', () => ({ amount_off: 10_001, currency: 'EUR', duration: 'forever' }), /above this server's cap/],
  ['an invoice line over the cap', 'add_invoice_item', () => ({ invoice_id: 'in_x', amount: 10_001, description: 'x' }), /above this server's cap|found no invoice/],
  ['an invoice id that climbs the path', 'void_invoice', () => ({ invoice_id: 'in_1/../../v1/refunds' }), /invoice_id/],
  ['an invoice id with a query', 'send_invoice', () => ({ invoice_id: 'in_1?expand[]=customer' }), /invoice_id/],
  ['a transaction type that smuggles a parameter', 'list_balance_transactions', () => ({ type: 'charge&limit=100' }), /type/],
  ["metadata past Stripe's limits", 'create_customer', () => ({ metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }), /metadata/],
  ['an oversized idempotency key', 'create_customer', () => ({ email: 'x@example.com', idempotency_key: 'k'.repeat(201) }), /idempotency_key/],
];

describe('attacks on money and endpoints, with a state oracle', () => {
  for (const [what, tool, args, expected] of attempts) {
    it(`${what} (${tool}) is refused and changes nothing`, async () => {
      const before = snapshot();
      const r = await s.call(tool, args());
      expect(r.isError, textOf(r)).toBe(true);
      expect(textOf(r)).toMatch(expected);
      expect(snapshot()).toEqual(before);
    });
  }

  it('a key passed as an argument is never used: every request carries the configured key', async () => {
    const r = await s.call('list_customers', { api_key: 'sk_live_stolen0000000000', limit: 1 });
    if (!r.isError) expect(r.structuredContent).toBeDefined();
    for (const req of fake.api.requests.requests) expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('two identical payments sent at once create one payment intent', async () => {
    fake.delay('PostPaymentIntents', 300);
    const args = { amount: 7777, currency: 'eur', customer_id: customer };
    const [a, b] = await Promise.all([s.call('create_payment_intent', args), s.call('create_payment_intent', args)]);
    fake.delay('PostPaymentIntents', 0);
    const outcomes = [a, b].map((r) => (r.isError ? textOf(r) : 'ok'));
    expect(outcomes).toContain('ok');
    expect(outcomes.find((o) => o !== 'ok')).toMatch(/still running/);
    const again = await s.ok('create_payment_intent', args);
    expect(again.replayed).toBe(true);
    expect([...fake.store.payment_intent.values()].filter((p) => p.amount === 7777)).toHaveLength(1);
  });

  it('a refund repeated many times refunds once', async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await s.ok('refund_payment', { charge_id: charge, amount: 1000 }));
    expect(new Set(results.map((r) => r.refund.id)).size).toBe(1);
    expect(fake.store.charge.get(charge)!.amount_refunded).toBe(1000);
  });
});
