// A stateful local Stripe for the tests: core's startFakeApi checks every request against Stripe's
// OpenAPI contract (test/fixtures/spec3.2022-04-12.json); the handlers here keep customers,
// payment intents, charges, refunds, prices, subscriptions, invoices, coupons, disputes and balance
// transactions (one per charge and per refund) in memory, answer with the
// shapes of Stripe's fixtures (fixtures3.json), page like Stripe (limit, starting_after,
// ending_before, has_more), and implement Idempotency-Key: the same key with the same parameters
// replays the first answer (header Idempotent-Replayed: true), with other parameters it is refused.
//
// Where the old contract and the current API differ, the current API wins: objects carry current
// fields (latest_charge on payment intents, items' current_period_end), as the fixtures do.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeApi, type FakeHandler, type FakeRequest, startFakeApi } from '@bizmcp/core/testing';

const dir = join(import.meta.dirname, 'fixtures');
export const CONTRACT = join(dir, 'spec3.2022-04-12.json');
const FIXTURES = JSON.parse(readFileSync(join(dir, 'fixtures3.json'), 'utf8')).resources as Record<string, Obj>;

type Obj = Record<string, any>;
const clone = <T>(v: T): T => structuredClone(v);

export interface FakeStripe {
  api: FakeApi;
  url: string;
  /** Objects by kind (customer, payment_intent, …), in creation order. */
  store: Record<string, Map<string, Obj>>;
  /** Marks a payment intent paid: creates its charge. */
  pay(paymentIntentId: string): Obj;
  /** Adds a price (and its product). */
  addPrice(p: { unit_amount: number | null; currency: string; interval?: 'month' | 'year' }): Obj;
  addInvoice(i: Partial<Obj>): Obj;
  /** Opens a dispute on a charge. */
  dispute(chargeId: string, fields?: Partial<Obj>): Obj;
  /** The account GET /v1/account answers with. */
  account: Obj;
  /** Makes the next request of an operation fail with this status and Stripe error. */
  failNext(operation: string, status: number, error: Obj, headers?: Record<string, string>): void;
  /** Delays the answers of an operation (ms). */
  delay(operation: string, ms: number): void;
  close(): Promise<void>;
}

export async function startFakeStripe(): Promise<FakeStripe> {
  let seq = 0;
  let clock = 1_700_000_000;
  const kinds = ['customer', 'payment_intent', 'charge', 'refund', 'price', 'product', 'subscription', 'invoice', 'invoiceitem', 'payment_link', 'coupon', 'dispute', 'balance_transaction'];
  const store: Record<string, Map<string, Obj>> = Object.fromEntries(kinds.map((k) => [k, new Map()]));
  const prefix: Record<string, string> = {
    customer: 'cus',
    payment_intent: 'pi',
    charge: 'ch',
    refund: 're',
    price: 'price',
    product: 'prod',
    subscription: 'sub',
    invoice: 'in',
    invoiceitem: 'ii',
    payment_link: 'plink',
    coupon: 'co',
    dispute: 'dp',
    balance_transaction: 'txn',
  };
  const make = (kind: string, fields: Obj): Obj => {
    const id = `${prefix[kind]}_T${String(++seq).padStart(6, '0')}`;
    const o = { ...clone(FIXTURES[kind]), id, created: clock++, livemode: false, metadata: {}, ...fields };
    store[kind].set(id, o);
    return o;
  };
  const failures = new Map<string, { status: number; error: Obj; headers?: Record<string, string> }>();
  const delays = new Map<string, number>();
  const idem = new Map<string, { params: string; status: number; body: Obj }>();

  const err = (status: number, error: Obj) => ({ status, body: { error }, headers: { 'content-type': 'application/json', 'request-id': `req_${++seq}` } });
  const notFound = (kind: string, id: string) => err(404, { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: `No such ${kind}: '${id}'` });
  const ok = (body: Obj, status = 200) => ({ status, body, headers: { 'content-type': 'application/json', 'request-id': `req_${++seq}` } });

  /** Stripe's list: newest first, with the cursor parameters and has_more. */
  const list = (kind: string, q: Obj, keep: (o: Obj) => boolean = () => true) => {
    const all = [...store[kind].values()].filter(keep).reverse();
    const limit = Math.min(100, Number(q.limit ?? 10));
    let data: Obj[];
    let more: boolean;
    if (q.starting_after) {
      const at = all.findIndex((o) => o.id === q.starting_after);
      if (at < 0) return notFound(kind, String(q.starting_after));
      data = all.slice(at + 1, at + 1 + limit);
      more = at + 1 + limit < all.length;
    } else if (q.ending_before) {
      const at = all.findIndex((o) => o.id === q.ending_before);
      if (at < 0) return notFound(kind, String(q.ending_before));
      data = all.slice(Math.max(0, at - limit), at);
      more = at - limit > 0;
    } else {
      data = all.slice(0, limit);
      more = all.length > limit;
    }
    return ok({ object: 'list', url: `/v1/${kind}s`, has_more: more, data });
  };
  const get = (kind: string, id: string) => {
    const o = store[kind].get(id);
    return o ? ok(o) : notFound(kind, id);
  };
  const int = (v: unknown) => (v === undefined ? undefined : Number(v));

  const routes: Record<string, FakeHandler> = {
    PostCustomers: (r) =>
      ok(make('customer', { email: r.body.email ?? null, name: r.body.name ?? null, phone: r.body.phone ?? null, description: r.body.description ?? null, metadata: r.body.metadata ?? {} })),
    GetCustomers: (r) => list('customer', r.query, (c) => !r.query.email || c.email === r.query.email),
    GetCustomersCustomer: (r) => get('customer', r.params.customer),
    // Stripe's search language, the part the server writes: clauses joined by AND, field~"part"
    // (substring, case-insensitive), field:"exact", metadata["key"]:"value"; page is an offset here.
    GetCustomersSearch: (r) => {
      const clauses = String(r.query.query)
        .split(' AND ')
        .map((c) => /^(name|email|phone|metadata\["(.+?)"\])([~:])"((?:[^"\\]|\\.)*)"$/.exec(c));
      if (clauses.some((c) => !c)) return err(400, { type: 'invalid_request_error', param: 'query', message: `Invalid search query: ${r.query.query}` });
      const unq = (v: string) => v.replace(/\\(.)/g, '$1');
      const all = [...store.customer.values()].reverse().filter((c) =>
        clauses.every((m) => {
          const [, field, metaKey, op, raw] = m!;
          const have = metaKey ? c.metadata?.[unq(metaKey)] : c[field];
          const want = unq(raw);
          return typeof have === 'string' && (op === '~' ? have.toLowerCase().includes(want.toLowerCase()) : have === want);
        }),
      );
      const from = Number(r.query.page ?? 0);
      const limit = Number(r.query.limit ?? 10);
      const data = all.slice(from, from + limit);
      const more = from + limit < all.length;
      return ok({ object: 'search_result', url: '/v1/customers/search', has_more: more, next_page: more ? String(from + limit) : null, data });
    },
    PostPaymentIntents: (r) => {
      const b = r.body;
      if (b.customer && !store.customer.has(b.customer)) return notFound('customer', b.customer);
      const pi = make('payment_intent', {
        amount: int(b.amount),
        currency: b.currency,
        customer: b.customer ?? null,
        description: b.description ?? null,
        metadata: b.metadata ?? {},
        status: 'requires_payment_method',
        amount_received: 0,
        latest_charge: null,
        last_payment_error: null,
        canceled_at: null,
        payment_method: b.payment_method ?? null,
      });
      pi.client_secret = `${pi.id}_secret_fake`;
      if (String(b.confirm) === 'true') payIntent(pi);
      return ok(pi);
    },
    GetPaymentIntents: (r) => list('payment_intent', r.query, (p) => !r.query.customer || p.customer === r.query.customer),
    GetPaymentIntentsIntent: (r) => get('payment_intent', r.params.intent),
    GetCharges: (r) => list('charge', r.query, (c) => (!r.query.customer || c.customer === r.query.customer) && (!r.query.payment_intent || c.payment_intent === r.query.payment_intent)),
    GetChargesCharge: (r) => get('charge', r.params.charge),
    PostRefunds: (r) => {
      const b = r.body;
      let charge: Obj | undefined;
      if (b.payment_intent) {
        const pi = store.payment_intent.get(b.payment_intent);
        if (!pi) return notFound('payment_intent', b.payment_intent);
        charge = pi.latest_charge ? store.charge.get(pi.latest_charge) : undefined;
        if (!charge) return err(400, { type: 'invalid_request_error', code: 'charge_not_refundable', message: 'This PaymentIntent does not have a successful charge to refund.' });
      } else {
        charge = store.charge.get(b.charge);
        if (!charge) return notFound('charge', b.charge);
      }
      const left = charge.amount_captured - charge.amount_refunded;
      const amount = int(b.amount) ?? left;
      if (amount > left)
        return err(400, {
          type: 'invalid_request_error',
          code: 'charge_already_refunded',
          param: 'amount',
          message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
        });
      charge.amount_refunded += amount;
      charge.refunded = charge.amount_refunded === charge.amount_captured;
      const refund = make('refund', {
        amount,
        currency: charge.currency,
        charge: charge.id,
        payment_intent: charge.payment_intent,
        reason: b.reason ?? null,
        metadata: b.metadata ?? {},
        status: 'succeeded',
      });
      txn('refund', -amount, 0, charge.currency, refund.id, 'REFUND FOR CHARGE');
      return ok(refund);
    },
    GetRefunds: (r) => list('refund', r.query, (x) => (!r.query.charge || x.charge === r.query.charge) && (!r.query.payment_intent || x.payment_intent === r.query.payment_intent)),
    GetPricesPrice: (r) => get('price', r.params.price),
    GetPrices: (r) =>
      list(
        'price',
        r.query,
        (p) => (r.query.active === undefined || String(p.active) === String(r.query.active)) && (!r.query.product || p.product === r.query.product) && (!r.query.type || p.type === r.query.type),
      ),
    PostSubscriptions: (r) => {
      const b = r.body;
      if (!store.customer.has(b.customer)) return notFound('customer', b.customer);
      const items: Obj[] = [];
      for (const it of Object.values(b.items as Record<string, Obj>)) {
        const price = store.price.get(it.price);
        if (!price) return notFound('price', it.price);
        items.push({ ...clone(FIXTURES.subscription_item), id: `si_T${++seq}`, price: clone(price), quantity: int(it.quantity) ?? 1, current_period_end: clock + 30 * 86400 });
      }
      const trial = int(b.trial_period_days);
      const sub = make('subscription', {
        customer: b.customer,
        status: trial ? 'trialing' : 'incomplete',
        items: { object: 'list', data: items, has_more: false, url: '/v1/subscription_items' },
        trial_end: trial ? clock + trial * 86400 : null,
        cancel_at_period_end: false,
        canceled_at: null,
        cancel_at: null,
        metadata: b.metadata ?? {},
      });
      const inv = make('invoice', {
        customer: b.customer,
        subscription: sub.id,
        status: trial ? 'paid' : 'open',
        currency: items[0].price.currency,
        total: trial ? 0 : items.reduce((n, i) => n + i.price.unit_amount * i.quantity, 0),
      });
      sub.latest_invoice = inv.id;
      return ok(sub);
    },
    GetSubscriptions: (r) =>
      list(
        'subscription',
        r.query,
        (s) => (!r.query.customer || s.customer === r.query.customer) && (r.query.status === 'all' ? true : r.query.status ? s.status === r.query.status : s.status !== 'canceled'),
      ),
    GetInvoices: (r) =>
      list(
        'invoice',
        r.query,
        (i) => (!r.query.customer || i.customer === r.query.customer) && (!r.query.subscription || i.subscription === r.query.subscription) && (!r.query.status || i.status === r.query.status),
      ),
    GetInvoicesInvoice: (r) => get('invoice', r.params.invoice),
    PostCustomersCustomer: (r) => {
      const c = store.customer.get(r.params.customer);
      if (!c) return notFound('customer', r.params.customer);
      const { metadata, ...fields } = r.body as Obj;
      Object.assign(c, fields);
      for (const [k, v] of Object.entries((metadata ?? {}) as Obj)) {
        if (v === '') delete c.metadata[k];
        else c.metadata[k] = v;
      }
      return ok(c);
    },
    PostPaymentIntentsIntentCancel: (r) => {
      const pi = store.payment_intent.get(r.params.intent);
      if (!pi) return notFound('payment_intent', r.params.intent);
      if (pi.status === 'succeeded')
        return err(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: 'You cannot cancel this PaymentIntent because it has a status of succeeded.' });
      Object.assign(pi, { status: 'canceled', canceled_at: clock, cancellation_reason: r.body?.cancellation_reason ?? null });
      return ok(pi);
    },
    GetBalance: () =>
      ok({
        ...clone(FIXTURES.balance),
        livemode: false,
        available: [{ amount: 123_45, currency: 'eur', source_types: { card: 123_45 } }],
        pending: [{ amount: 500, currency: 'jpy', source_types: { card: 500 } }],
      }),
    GetProducts: (r) => list('product', r.query, (p) => r.query.active === undefined || String(p.active) === String(r.query.active)),
    PostProducts: (r) => ok(make('product', { name: r.body.name, description: r.body.description ?? null, active: true, default_price: null, metadata: r.body.metadata ?? {} })),
    PostPrices: (r) => {
      const b = r.body;
      if (!store.product.has(b.product)) return notFound('product', b.product);
      const rec = b.recurring ? { ...clone(FIXTURES.price.recurring), interval: b.recurring.interval, interval_count: int(b.recurring.interval_count) ?? 1 } : null;
      return ok(
        make('price', {
          product: b.product,
          unit_amount: int(b.unit_amount),
          currency: b.currency,
          active: true,
          type: rec ? 'recurring' : 'one_time',
          recurring: rec,
          nickname: b.nickname ?? null,
          billing_scheme: 'per_unit',
          metadata: b.metadata ?? {},
        }),
      );
    },
    PostPaymentLinks: (r) => {
      for (const l of Object.values(r.body.line_items as Record<string, Obj>)) if (!store.price.has(l.price)) return notFound('price', l.price);
      const link = make('payment_link', { active: true, metadata: r.body.metadata ?? {} });
      link.url = `https://buy.stripe.com/test_${link.id}`;
      return ok(link);
    },
    PostInvoices: (r) => {
      const b = r.body;
      if (!store.customer.has(b.customer)) return notFound('customer', b.customer);
      return ok(
        make('invoice', {
          customer: b.customer,
          subscription: null,
          status: 'draft',
          number: null,
          currency: 'eur',
          total: 0,
          amount_due: 0,
          amount_paid: 0,
          amount_remaining: 0,
          collection_method: b.collection_method ?? 'charge_automatically',
          description: b.description ?? null,
          metadata: b.metadata ?? {},
        }),
      );
    },
    PostInvoiceitems: (r) => {
      const b = r.body;
      const inv = store.invoice.get(b.invoice);
      if (!inv) return notFound('invoice', b.invoice);
      if (inv.status !== 'draft') return err(400, { type: 'invalid_request_error', message: 'You can only add invoice items to draft invoices.' });
      let amount = int(b.amount);
      let currency = b.currency;
      if (b.price) {
        const price = store.price.get(b.price);
        if (!price) return notFound('price', b.price);
        amount = price.unit_amount * (int(b.quantity) ?? 1);
        currency = price.currency;
      }
      inv.currency = currency;
      for (const f of ['total', 'amount_due', 'amount_remaining']) inv[f] += amount!;
      return ok(make('invoiceitem', { invoice: inv.id, customer: b.customer, amount, currency, description: b.description ?? null, metadata: b.metadata ?? {} }));
    },
    GetInvoiceitems: (r) => list('invoiceitem', r.query, (i) => (!r.query.invoice || i.invoice === r.query.invoice) && (!r.query.customer || i.customer === r.query.customer)),
    PostInvoicesInvoiceFinalize: (r) => {
      const inv = store.invoice.get(r.params.invoice);
      if (!inv) return notFound('invoice', r.params.invoice);
      if (inv.status !== 'draft') return err(400, { type: 'invalid_request_error', message: "This invoice is already finalized, you can't re-finalize a non-draft invoice." });
      Object.assign(inv, { status: 'open', number: `FAKE-${String(++seq).padStart(4, '0')}`, hosted_invoice_url: `https://invoice.stripe.com/i/${inv.id}` });
      return ok(inv);
    },
    PostInvoicesInvoiceSend: (r) => {
      const inv = store.invoice.get(r.params.invoice);
      if (!inv) return notFound('invoice', r.params.invoice);
      inv.sent_count = (inv.sent_count ?? 0) + 1;
      return ok(inv);
    },
    PostInvoicesInvoiceVoid: (r) => {
      const inv = store.invoice.get(r.params.invoice);
      if (!inv) return notFound('invoice', r.params.invoice);
      if (inv.status !== 'open' && inv.status !== 'uncollectible')
        return err(400, { type: 'invalid_request_error', code: 'invoice_not_editable', message: `You can only void an open or uncollectible invoice; this one is ${inv.status}.` });
      Object.assign(inv, { status: 'void', amount_remaining: 0 });
      return ok(inv);
    },
    PostCoupons: (r) => {
      const b = r.body;
      if ((b.percent_off === undefined) === (b.amount_off === undefined))
        return err(400, { type: 'invalid_request_error', param: 'percent_off', message: 'Exactly one of percent_off or amount_off is required.' });
      if (b.amount_off !== undefined && !b.currency) return err(400, { type: 'invalid_request_error', param: 'currency', message: 'You must pass currency when passing amount_off.' });
      return ok(
        make('coupon', {
          percent_off: b.percent_off === undefined ? null : Number(b.percent_off),
          amount_off: int(b.amount_off) ?? null,
          currency: b.currency ?? null,
          duration: b.duration ?? 'once',
          duration_in_months: int(b.duration_in_months) ?? null,
          name: b.name ?? null,
          max_redemptions: int(b.max_redemptions) ?? null,
          redeem_by: int(b.redeem_by) ?? null,
          times_redeemed: 0,
          valid: true,
          metadata: b.metadata ?? {},
        }),
      );
    },
    GetBalanceTransactions: (r) =>
      list(
        'balance_transaction',
        r.query,
        (t) =>
          (!r.query.type || t.type === r.query.type) &&
          (!r.query.source || t.source === r.query.source) &&
          (!r.query.currency || t.currency === r.query.currency) &&
          (!r.query.payout || t.payout === r.query.payout),
      ),
    GetDisputes: (r) => list('dispute', r.query, (d) => (!r.query.charge || d.charge === r.query.charge) && (!r.query.payment_intent || d.payment_intent === r.query.payment_intent)),
    GetAccount: () => ok(account),
    GetSubscriptionsSubscriptionExposedId: (r) => get('subscription', r.params.subscription_exposed_id),
    PostSubscriptionsSubscriptionExposedId: (r) => {
      const sub = store.subscription.get(r.params.subscription_exposed_id);
      if (!sub) return notFound('subscription', r.params.subscription_exposed_id);
      if (r.body.cancel_at_period_end !== undefined) sub.cancel_at_period_end = String(r.body.cancel_at_period_end) === 'true';
      return ok(sub);
    },
    DeleteSubscriptionsSubscriptionExposedId: (r) => {
      const sub = store.subscription.get(r.params.subscription_exposed_id);
      if (!sub) return notFound('subscription', r.params.subscription_exposed_id);
      Object.assign(sub, { status: 'canceled', canceled_at: clock });
      return ok(sub);
    },
  };

  const payIntent = (pi: Obj) => {
    const charge = make('charge', {
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      captured: true,
      paid: true,
      refunded: false,
      status: 'succeeded',
      currency: pi.currency,
      customer: pi.customer,
      payment_intent: pi.id,
      billing_details: { ...clone(FIXTURES.charge.billing_details), name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    Object.assign(pi, { status: 'succeeded', amount_received: pi.amount, latest_charge: charge.id });
    // Stripe's fee on the charge: 2.9 % + 30 of the smallest unit (the figure only has to be there).
    const fee = Math.round(pi.amount * 0.029) + 30;
    charge.balance_transaction = txn('charge', pi.amount, fee, pi.currency, charge.id, pi.description ?? 'Payment').id;
    return charge;
  };

  /** A balance transaction: gross amount, fee, net, pending until settled. */
  const txn = (type: string, amount: number, fee: number, currency: string, source: string, description: string) => {
    const t = make('balance_transaction', {
      type,
      reporting_category: type,
      amount,
      fee,
      net: amount - fee,
      currency,
      source,
      description,
      status: 'pending',
      available_on: clock + 2 * 86400,
      fee_details: fee ? [{ amount: fee, currency, type: 'stripe_fee', description: 'Stripe processing fees', application: null }] : [],
    });
    delete t.livemode;
    delete t.metadata;
    return t;
  };

  const account: Obj = {
    ...clone(FIXTURES.account),
    id: 'acct_TFake000001',
    email: 'owner@shop.example',
    country: 'FR',
    default_currency: 'eur',
    charges_enabled: true,
    payouts_enabled: false,
    details_submitted: true,
    settings: { ...clone(FIXTURES.account.settings), dashboard: { display_name: 'Shop\u200b Example', timezone: 'Europe/Paris' } },
    requirements: { ...clone(FIXTURES.account.requirements), currently_due: ['external_account'] },
  };

  // Every handler behind the same wrapper: injected failures, delays and idempotency keys.
  const wrapped: Record<string, FakeHandler> = {};
  for (const [op, h] of Object.entries(routes)) {
    wrapped[op] = async (r: FakeRequest, res) => {
      const wait = delays.get(op);
      if (wait) await new Promise((done) => setTimeout(done, wait));
      const fail = failures.get(op);
      if (fail) {
        failures.delete(op);
        return { ...err(fail.status, fail.error), headers: { 'content-type': 'application/json', 'request-id': 'req_failed', ...(fail.headers ?? {}) } };
      }
      const key = r.headers['idempotency-key'];
      if (r.method === 'POST' && typeof key === 'string') {
        const params = r.rawBody.toString('utf8');
        const seen = idem.get(key);
        if (seen) {
          if (seen.params !== params)
            return err(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            });
          return { status: seen.status, body: seen.body, headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true', 'idempotency-key': key, 'request-id': `req_${++seq}` } };
        }
        const out = (await h(r, res)) as { status?: number; body?: Obj };
        if ((out.status ?? 200) < 500) idem.set(key, { params, status: out.status ?? 200, body: clone(out.body as Obj) });
        return out;
      }
      return h(r, res);
    };
  }

  const api = await startFakeApi({ contract: CONTRACT, routes: wrapped });
  return {
    api,
    url: api.url,
    store,
    pay(id) {
      const pi = store.payment_intent.get(id);
      if (!pi) throw new Error(`no payment intent ${id}`);
      return payIntent(pi);
    },
    addPrice(p) {
      const product = make('product', { name: 'Pro plan', active: true });
      return make('price', {
        unit_amount: p.unit_amount,
        currency: p.currency,
        product: product.id,
        active: true,
        type: p.interval ? 'recurring' : 'one_time',
        recurring: p.interval ? { ...clone(FIXTURES.price.recurring), interval: p.interval } : null,
        billing_scheme: p.unit_amount === null ? 'tiered' : 'per_unit',
      });
    },
    addInvoice: (i) => make('invoice', { status: 'open', currency: 'eur', total: 1000, customer: null, subscription: null, ...i }),
    dispute(chargeId, fields = {}) {
      const charge = store.charge.get(chargeId);
      if (!charge) throw new Error(`no charge ${chargeId}`);
      const d = make('dispute', {
        amount: charge.amount,
        currency: charge.currency,
        charge: charge.id,
        payment_intent: charge.payment_intent,
        status: 'needs_response',
        reason: 'fraudulent',
        is_charge_refundable: false,
        evidence_details: { ...clone(FIXTURES.dispute.evidence_details), due_by: clock + 7 * 86400 },
        ...fields,
      });
      charge.disputed = true;
      txn('adjustment', -charge.amount, 1500, charge.currency, d.id, `Chargeback withdrawal for ${charge.id}`);
      return d;
    },
    account,
    failNext(operation, status, error, headers) {
      failures.set(operation, { status, error, headers });
    },
    delay(operation, ms) {
      delays.set(operation, ms);
    },
    close: () => api.close(),
  };
}
