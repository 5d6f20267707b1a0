// Money in and out: payment intents (capped, idempotent) and refunds (never above what is
// refundable). Both carry core's outcome-unknown guard on top of Stripe's idempotency keys.
import { z } from 'zod';
import { annotations, assertAllowed, ToolError } from '@bizmcp/core';
import {
  accountOut,
  accountSchema,
  balanceTransactionOut,
  balanceTransactionSchema,
  chargeOut,
  chargeSchema,
  disputeOut,
  disputeSchema,
  metadataInput,
  paymentIntentOut,
  paymentIntentSchema,
  refundOut,
  refundSchema,
  writeInput,
  writeMeta,
} from '../format.js';
import { listInput, listOutput, listParams, pageOf } from '../paging.js';
import { checkAmount, formatAmount, idempotencyKey, isLiveKey, piiView, type StripeObject } from '../stripe.js';
import { tool } from '../state.js';
import { customerId } from './customers.js';

export const currency = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z]{3}$/, 'a three-letter ISO currency code')
  .describe('Three-letter ISO currency code, e.g. eur, usd, jpy.');
export const amount = z.number().int().positive().max(99_999_999).describe('Amount in the smallest currency unit: cents for EUR/USD (1250 = 12.50), whole yen for JPY (zero-decimal currencies).');
const paymentIntentId = z.string().regex(/^pi_[A-Za-z0-9]+$/, 'a payment intent id starts with pi_');
const chargeId = z.string().regex(/^(ch|py)_[A-Za-z0-9]+$/, 'a charge id starts with ch_ (or py_)');
export const confirmRepeat = {
  confirm_repeat: z.boolean().default(false).describe('Only after a call ended with an UNKNOWN outcome and you checked that it did not take effect: true to send it again.'),
};

export const createPaymentIntent = tool({
  name: 'create_payment_intent',
  toolset: 'payments',
  title: 'Create a payment intent',
  description:
    "Start collecting a payment: creates a PaymentIntent for an amount (smallest unit: cents, or yen for zero-decimal currencies) up to this server's cap per currency (STRIPE_MAX_AMOUNT). Without payment_method_id nothing is charged: the payer completes it with the returned clientSecret (Stripe.js, a payment page). With payment_method_id and confirm: true a saved card of the customer is charged at once (off-session). Repeating the same call returns the first payment intent (idempotency key from the arguments), so an agent cannot charge twice; after an UNKNOWN outcome the same call is refused until checked.",
  input: z.object({
    amount,
    currency,
    customer_id: customerId.optional(),
    description: z.string().trim().max(1000).optional().describe('Shown to the customer on receipts and in the Dashboard.'),
    receipt_email: z.string().trim().toLowerCase().pipe(z.email()).optional().describe('Where Stripe sends the receipt once paid.'),
    payment_method_types: z
      .array(z.string().regex(/^[a-z_]+$/))
      .min(1)
      .max(10)
      .optional()
      .describe('e.g. ["card"]; omit to let Stripe offer the methods enabled in the Dashboard.'),
    payment_method_id: z
      .string()
      .regex(/^(pm|card|src)_[A-Za-z0-9_]+$/)
      .optional()
      .describe('A saved payment method of the customer (pm_…), to charge with confirm: true.'),
    confirm: z.boolean().default(false).describe('With payment_method_id: confirm now, charging the saved payment method off-session.'),
    metadata: metadataInput,
    ...writeInput,
    ...confirmRepeat,
  }),
  output: z.object({ paymentIntent: paymentIntentSchema, ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    if (args.confirm && !args.payment_method_id)
      throw new ToolError('confirm: true needs payment_method_id (a saved payment method to charge).', { code: 'invalid_argument', details: { field: 'confirm' } });
    if (args.payment_method_id && !args.customer_id)
      throw new ToolError('payment_method_id needs customer_id (the customer the payment method is saved on).', { code: 'invalid_argument', details: { field: 'customer_id' } });
    checkAmount(config, args.amount, args.currency, 'A payment');
    if (args.receipt_email && config.recipients) assertAllowed(config.recipients, args.receipt_email, { field: 'receipt_email', outcome: 'no payment was created' });
    const params: Record<string, unknown> = {
      amount: args.amount,
      currency: args.currency,
      ...(args.customer_id ? { customer: args.customer_id } : {}),
      ...(args.description ? { description: args.description } : {}),
      ...(args.receipt_email ? { receipt_email: args.receipt_email } : {}),
      ...(args.metadata ? { metadata: args.metadata } : {}),
      // Confirming off-session without a redirect: cards only, unless the caller names the methods.
      ...(args.payment_method_types ? { payment_method_types: args.payment_method_types } : args.confirm ? { payment_method_types: ['card'] } : { automatic_payment_methods: { enabled: true } }),
      ...(args.payment_method_id ? { payment_method: args.payment_method_id } : {}),
      ...(args.confirm ? { confirm: true, off_session: true } : {}),
    };
    const r = await api.call(ctx, (s, o) => s.paymentIntents.create(params as never, o), { write: true, idempotencyKey: idempotencyKey('create_payment_intent', args) });
    return { paymentIntent: paymentIntentOut(r.value, { secret: true }), livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

/** The charge a refund would draw on, and how much of it can still be refunded. */
async function refundable(ctx: Parameters<typeof createPaymentIntent.run>[1], args: { payment_intent_id?: string; charge_id?: string }): Promise<{ charge: StripeObject; left: number }> {
  const { api } = ctx.state;
  let chargeIdOf = args.charge_id;
  if (args.payment_intent_id) {
    const id = args.payment_intent_id;
    const pi = (await api.call(ctx, (s, o) => s.paymentIntents.retrieve(id, {}, o), { resource: { kind: 'payment intent', id } })).value;
    const latest = pi.latest_charge ?? (pi as StripeObject).charges?.data?.[0];
    chargeIdOf = typeof latest === 'string' ? latest : latest?.id;
    if (!chargeIdOf || pi.status !== 'succeeded') {
      throw new ToolError(`Payment intent ${id} has not been paid (status ${pi.status}): there is nothing to refund.`, {
        code: 'conflict',
        hint: 'To stop an unpaid payment, cancel it instead.',
        details: { status: pi.status },
      });
    }
  }
  const id = chargeIdOf!;
  const charge = (await api.call(ctx, (s, o) => s.charges.retrieve(id, {}, o), { resource: { kind: 'charge', id } })).value as StripeObject;
  const captured = typeof charge.amount_captured === 'number' ? charge.amount_captured : charge.captured === false ? 0 : charge.amount;
  return { charge, left: Math.max(0, captured - (charge.amount_refunded ?? 0)) };
}

export const refundPayment = tool({
  name: 'refund_payment',
  toolset: 'payments',
  title: 'Refund a payment',
  description:
    'Refund a paid payment, fully or in part, by payment intent (pi_…) or charge (ch_…). Omit amount to refund everything still refundable; an amount above what remains refundable (after earlier refunds) is refused before anything is sent, and so is one above STRIPE_MAX_AMOUNT. Repeating the same call returns the first refund instead of refunding twice; after an UNKNOWN outcome the same call is refused until checked. Returns the refund and what remains refundable.',
  input: z
    .object({
      payment_intent_id: paymentIntentId.optional().describe('The paid payment intent (pi_…); or give charge_id.'),
      charge_id: chargeId.optional().describe('The charge (ch_…); or give payment_intent_id.'),
      amount: amount.optional().describe('Amount to refund in the smallest currency unit; omit for all that remains refundable.'),
      reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
      metadata: metadataInput,
      ...writeInput,
      ...confirmRepeat,
    })
    .refine((a) => Boolean(a.payment_intent_id) !== Boolean(a.charge_id), { message: 'give exactly one of payment_intent_id and charge_id', path: ['payment_intent_id'] }),
  output: z.object({ refund: refundSchema, remainingRefundable: z.number().describe('Still refundable after this refund, smallest unit.'), ...writeMeta }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const key = idempotencyKey('refund_payment', args);
    const { charge, left } = await refundable(ctx, args);
    const cur: string = charge.currency;
    const want = args.amount ?? left;
    if (want === 0 || want > left) {
      // The same call made earlier (its refund carries our key): give that refund back.
      const earlier = (await api.call(ctx, (s, o) => s.refunds.list({ charge: charge.id, limit: 100 }, o))).value.data.find((r) => r.metadata?.bizmcp_key === key);
      if (earlier) return { refund: refundOut(earlier), remainingRefundable: left, livemode: charge.livemode === true, replayed: true };
      if (left === 0)
        throw new ToolError(`Charge ${charge.id} has nothing left to refund (${formatAmount(charge.amount_refunded ?? 0, cur)} already refunded).`, { code: 'conflict', details: { refundable: 0 } });
      throw new ToolError(`Cannot refund ${formatAmount(want, cur)}: only ${formatAmount(left, cur)} of charge ${charge.id} remains refundable.`, {
        code: 'invalid_argument',
        hint: `Refund at most ${left} (or omit amount for all of it).`,
        details: { field: 'amount', refundable: left },
      });
    }
    checkAmount(config, want, cur, 'A refund');
    const params = {
      ...(args.payment_intent_id ? { payment_intent: args.payment_intent_id } : { charge: charge.id as string }),
      amount: want,
      ...(args.reason ? { reason: args.reason } : {}),
      metadata: { ...(args.metadata ?? {}), bizmcp_key: key },
    };
    const r = await api.call(ctx, (s, o) => s.refunds.create(params, o), { write: true, idempotencyKey: key });
    const after = r.replayed ? left : left - want;
    return { refund: refundOut(r.value), remainingRefundable: Math.max(0, after), livemode: charge.livemode === true, replayed: r.replayed };
  },
});

export const listPaymentIntents = tool({
  name: 'list_payment_intents',
  toolset: 'payments',
  title: 'List payment intents',
  description:
    'Payment intents, newest first, of one customer or the whole account: amount, currency, status (succeeded, requires_payment_method, …) and latest charge. Pages with cursor (nextCursor). Use it to check whether a payment was made before creating another.',
  input: z.object({ customer_id: customerId.optional(), ...listInput('payment intents') }),
  output: z.object({ paymentIntents: z.array(paymentIntentSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const r = await ctx.state.api.call(ctx, (s, o) => s.paymentIntents.list({ ...params, ...(args.customer_id ? { customer: args.customer_id } : {}) }, o));
    return { paymentIntents: r.value.data.map((p) => paymentIntentOut(p)), ...pageOf(r.value, params) };
  },
});

export const getPaymentIntent = tool({
  name: 'get_payment_intent',
  toolset: 'payments',
  title: 'Get a payment intent',
  description: 'One payment intent by id (pi_…): amount, amount received, status, customer and latest charge. The client secret is not returned.',
  input: z.object({ payment_intent_id: paymentIntentId }),
  output: z.object({ paymentIntent: paymentIntentSchema }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const r = await ctx.state.api.call(ctx, (s, o) => s.paymentIntents.retrieve(args.payment_intent_id, {}, o), { resource: { kind: 'payment intent', id: args.payment_intent_id } });
    return { paymentIntent: paymentIntentOut(r.value) };
  },
});

export const listCharges = tool({
  name: 'list_charges',
  toolset: 'payments',
  title: 'List charges',
  description:
    'Charges (payment attempts), newest first, of a customer, of a payment intent or of the account: amount, amount refunded, status, card brand and last 4 digits, failure message; the billing name and email are masked unless the server shows personal data. Pages with cursor.',
  input: z.object({ customer_id: customerId.optional(), payment_intent_id: paymentIntentId.optional(), ...listInput('charges') }),
  output: z.object({ charges: z.array(chargeSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const filter = { ...(args.customer_id ? { customer: args.customer_id } : {}), ...(args.payment_intent_id ? { payment_intent: args.payment_intent_id } : {}) };
    const r = await ctx.state.api.call(ctx, (s, o) => s.charges.list({ ...params, ...filter }, o));
    const pii = piiView(ctx.state.config.showPii);
    return { charges: r.value.data.map((c) => chargeOut(c, pii)), ...pageOf(r.value, params) };
  },
});

export const listRefunds = tool({
  name: 'list_refunds',
  toolset: 'payments',
  title: 'List refunds',
  description: 'Refunds, newest first, of a charge, of a payment intent or of the account: amount, status, reason. Pages with cursor. Check it before refunding again.',
  input: z.object({ charge_id: chargeId.optional(), payment_intent_id: paymentIntentId.optional(), ...listInput('refunds') }),
  output: z.object({ refunds: z.array(refundSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const filter = { ...(args.charge_id ? { charge: args.charge_id } : {}), ...(args.payment_intent_id ? { payment_intent: args.payment_intent_id } : {}) };
    const r = await ctx.state.api.call(ctx, (s, o) => s.refunds.list({ ...params, ...filter }, o));
    return { refunds: r.value.data.map(refundOut), ...pageOf(r.value, params) };
  },
});

export const cancelPaymentIntent = tool({
  name: 'cancel_payment_intent',
  toolset: 'payments',
  title: 'Cancel a payment intent',
  description:
    'Cancel a payment intent that has not been paid (pi_…), so that it can no longer be paid. A paid one cannot be cancelled: refund it with refund_payment. Cancelling one already canceled returns it unchanged.',
  input: z.object({ payment_intent_id: paymentIntentId, reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']).optional() }),
  output: z.object({ paymentIntent: paymentIntentSchema, ...writeMeta }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const id = args.payment_intent_id;
    const current = (await api.call(ctx, (s, o) => s.paymentIntents.retrieve(id, {}, o), { resource: { kind: 'payment intent', id } })).value;
    if (current.status === 'canceled') return { paymentIntent: paymentIntentOut(current), livemode: current.livemode === true, replayed: true };
    if (current.status === 'succeeded') throw new ToolError(`Payment intent ${id} is paid and cannot be cancelled.`, { code: 'conflict', hint: 'Refund it with refund_payment instead.' });
    const params = args.reason ? { cancellation_reason: args.reason } : {};
    const r = await api.call(ctx, (s, o) => s.paymentIntents.cancel(id, params, o), {
      write: true,
      idempotencyKey: idempotencyKey('cancel_payment_intent', args),
      resource: { kind: 'payment intent', id },
    });
    return { paymentIntent: paymentIntentOut(r.value), livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const getBalance = tool({
  name: 'get_balance',
  toolset: 'payments',
  title: 'Get the account balance',
  description: 'The Stripe account balance by currency: available (can be paid out) and pending (not yet settled), in the smallest unit with a formatted copy.',
  input: z.object({}),
  output: z.object({
    available: z.array(z.object({ amount: z.number(), currency: z.string(), formatted: z.string() })),
    pending: z.array(z.object({ amount: z.number(), currency: z.string(), formatted: z.string() })),
    livemode: z.boolean(),
  }),
  annotations: annotations.read({ openWorld: true }),
  run: async (_args, ctx) => {
    const b = (await ctx.state.api.call(ctx, (s, o) => s.balance.retrieve({}, o))).value;
    const rows = (list: { amount: number; currency: string }[] | undefined) => (list ?? []).map((x) => ({ amount: x.amount, currency: x.currency, formatted: formatAmount(x.amount, x.currency) }));
    return { available: rows(b.available), pending: rows(b.pending), livemode: b.livemode === true };
  },
});

export const listBalanceTransactions = tool({
  name: 'list_balance_transactions',
  toolset: 'payments',
  title: 'List balance transactions',
  description:
    'Movements of the account balance, newest first: charges, refunds, Stripe fees, payouts, disputes and adjustments, each with gross amount, fee and net (smallest unit, negative for money out), status (pending or available) and the object that caused it (source: ch_…, re_…, po_…). Filter by type, by payout (what a payout was made of), by source or by currency. Pages with cursor.',
  input: z.object({
    type: z
      .string()
      .regex(/^[a-z_]{3,40}$/, 'a transaction type such as charge, refund, payout, stripe_fee, adjustment')
      .optional()
      .describe('Only this type: charge, refund, payout, stripe_fee, adjustment, dispute, payment, …'),
    payout_id: z
      .string()
      .regex(/^po_[A-Za-z0-9]+$/, 'a payout id starts with po_')
      .optional()
      .describe('Only the transactions settled by this payout (po_…).'),
    source_id: z
      .string()
      .regex(/^[a-z]{2,5}_[A-Za-z0-9]+$/, 'an object id such as ch_… or re_…')
      .optional()
      .describe('Only the transactions of this object (ch_…, re_…, …).'),
    currency: currency.optional(),
    ...listInput('balance transactions'),
  }),
  output: z.object({ transactions: z.array(balanceTransactionSchema), ...listOutput, livemode: z.boolean() }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const filter = {
      ...(args.type ? { type: args.type } : {}),
      ...(args.payout_id ? { payout: args.payout_id } : {}),
      ...(args.source_id ? { source: args.source_id } : {}),
      ...(args.currency ? { currency: args.currency } : {}),
    };
    const r = await ctx.state.api.call(ctx, (s, o) => s.balanceTransactions.list({ ...params, ...filter }, o));
    // Balance transactions carry no livemode of their own: the key's mode is theirs.
    return { transactions: r.value.data.map(balanceTransactionOut), ...pageOf(r.value, params), livemode: liveKey(ctx.state.config.secretKey) };
  },
});

export const listDisputes = tool({
  name: 'list_disputes',
  toolset: 'payments',
  title: 'List disputes',
  description:
    'Disputes (chargebacks and inquiries), newest first, of a charge, of a payment intent or of the account: amount, status (needs_response, under_review, won, lost, …), reason and the deadline for evidence. Evidence is submitted in the Dashboard. Pages with cursor.',
  input: z.object({ charge_id: chargeId.optional(), payment_intent_id: paymentIntentId.optional(), ...listInput('disputes') }),
  output: z.object({ disputes: z.array(disputeSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const filter = { ...(args.charge_id ? { charge: args.charge_id } : {}), ...(args.payment_intent_id ? { payment_intent: args.payment_intent_id } : {}) };
    const r = await ctx.state.api.call(ctx, (s, o) => s.disputes.list({ ...params, ...filter }, o));
    return { disputes: r.value.data.map(disputeOut), ...pageOf(r.value, params) };
  },
});

const liveKey = (key: string | undefined) => Boolean(key && isLiveKey(key));

export const getAccount = tool({
  name: 'get_account',
  toolset: 'payments',
  title: 'Get the Stripe account',
  description:
    "The Stripe account this server's key belongs to: id, business name, country, default currency, whether charges and payouts are enabled, what Stripe still needs (requirementsDue), and the API version the server pins. The account email is masked unless the server shows personal data.",
  input: z.object({}),
  output: z.object({
    account: accountSchema,
    apiVersion: z.string().describe("The Stripe API version this server's requests use (STRIPE_API_VERSION, or the SDK's pinned one)."),
    connectedAccount: z.string().optional().describe('STRIPE_ACCOUNT: the connected account the server acts on, when set.'),
    livemode: z.boolean(),
  }),
  annotations: annotations.read({ openWorld: true }),
  run: async (_args, ctx) => {
    let apiVersion = '';
    const r = await ctx.state.api.call(ctx, (s, o) => {
      apiVersion = String(s.getApiField('version') ?? '');
      return s.accounts.retrieveCurrent({}, o);
    });
    const connected = ctx.state.config.account;
    return { account: accountOut(r.value, piiView(ctx.state.config.showPii)), apiVersion, ...(connected ? { connectedAccount: connected } : {}), livemode: liveKey(ctx.state.config.secretKey) };
  },
});

export const paymentTools = [
  createPaymentIntent,
  refundPayment,
  cancelPaymentIntent,
  listPaymentIntents,
  getPaymentIntent,
  listCharges,
  listRefunds,
  getBalance,
  listBalanceTransactions,
  listDisputes,
  getAccount,
];
