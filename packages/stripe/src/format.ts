// How Stripe objects are shown: output schemas (camelCase) and the mappers from Stripe's JSON.
// Amounts stay in the smallest unit (as Stripe counts them) with a formatted copy beside them;
// personal data is masked unless STRIPE_SHOW_PII; text typed by people goes through cleanText.
import { z } from 'zod';
import { cleanText } from '@bizmcp/core';
import { formatAmount, type Pii, type StripeObject } from './stripe.js';

const text = (v: unknown) => (typeof v === 'string' && v ? cleanText(v) : undefined);
const idOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as StripeObject).id === 'string' ? (v as StripeObject).id : undefined);
const iso = (v: unknown) => (typeof v === 'number' ? new Date(v * 1000).toISOString() : undefined);
const int = (v: unknown) => (typeof v === 'number' ? v : undefined);

const metadata = z.record(z.string(), z.string()).optional();
const cleanMeta = (m: unknown) => {
  if (!m || typeof m !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) out[cleanText(k)] = cleanText(String(v));
  return Object.keys(out).length ? out : undefined;
};

/** Fields every written result carries. */
export const writeMeta = {
  livemode: z.boolean().describe('true when this happened in live mode (real money).'),
  replayed: z.boolean().describe('true when Stripe returned the stored result of an identical earlier call (same arguments and idempotency_key) instead of doing it again.'),
};

const money = (amount: unknown, currency: unknown) => (typeof amount === 'number' && typeof currency === 'string' ? formatAmount(amount, currency) : undefined);

export const customerSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  address: z.string().optional(),
  description: z.string().optional(),
  created: z.string().optional(),
  balance: z.number().optional().describe('Customer balance in the smallest unit (negative: credit).'),
  currency: z.string().optional(),
  delinquent: z.boolean().optional(),
  metadata,
  livemode: z.boolean(),
});

export function customerOut(c: StripeObject, pii: Pii): z.infer<typeof customerSchema> {
  return {
    id: c.id,
    name: pii.name(text(c.name)),
    email: pii.email(c.email),
    phone: pii.phone(c.phone),
    address: pii.address(c.address),
    description: text(c.description),
    created: iso(c.created),
    balance: int(c.balance),
    currency: c.currency ?? undefined,
    delinquent: typeof c.delinquent === 'boolean' ? c.delinquent : undefined,
    metadata: cleanMeta(c.metadata),
    livemode: c.livemode === true,
  };
}

export const paymentIntentSchema = z.object({
  id: z.string(),
  amount: z.number().describe('In the smallest unit of the currency.'),
  amountFormatted: z.string().optional(),
  amountReceived: z.number().optional(),
  currency: z.string(),
  status: z.string().describe('requires_payment_method, requires_confirmation, requires_action, processing, requires_capture, canceled or succeeded.'),
  customer: z.string().optional(),
  description: z.string().optional(),
  clientSecret: z.string().optional().describe("For the payer's browser or app (Stripe.js) to confirm the payment; never a server credential."),
  latestCharge: z.string().optional(),
  created: z.string().optional(),
  metadata,
  livemode: z.boolean(),
});

export function paymentIntentOut(p: StripeObject, opts: { secret?: boolean } = {}): z.infer<typeof paymentIntentSchema> {
  const latest = idOf(p.latest_charge) ?? idOf(p.charges?.data?.[0]);
  return {
    id: p.id,
    amount: p.amount,
    amountFormatted: money(p.amount, p.currency),
    amountReceived: int(p.amount_received),
    currency: p.currency,
    status: p.status,
    customer: idOf(p.customer),
    description: text(p.description),
    clientSecret: opts.secret && typeof p.client_secret === 'string' ? p.client_secret : undefined,
    latestCharge: latest,
    created: iso(p.created),
    metadata: cleanMeta(p.metadata),
    livemode: p.livemode === true,
  };
}

export const invoiceSchema = z.object({
  id: z.string(),
  number: z.string().optional(),
  status: z.string().optional().describe('draft, open, paid, uncollectible or void.'),
  customer: z.string().optional(),
  customerEmail: z.string().optional(),
  subscription: z.string().optional(),
  currency: z.string(),
  total: z.number().optional(),
  amountDue: z.number().optional(),
  amountPaid: z.number().optional(),
  amountRemaining: z.number().optional(),
  totalFormatted: z.string().optional(),
  created: z.string().optional(),
  dueDate: z.string().optional(),
  hostedInvoiceUrl: z.string().optional(),
  livemode: z.boolean(),
});

export function invoiceOut(i: StripeObject, pii: Pii): z.infer<typeof invoiceSchema> {
  return {
    id: i.id,
    number: i.number ?? undefined,
    status: i.status ?? undefined,
    customer: idOf(i.customer),
    customerEmail: pii.email(i.customer_email),
    subscription: idOf(i.subscription) ?? idOf(i.parent?.subscription_details?.subscription),
    currency: i.currency,
    total: int(i.total),
    amountDue: int(i.amount_due),
    amountPaid: int(i.amount_paid),
    amountRemaining: int(i.amount_remaining),
    totalFormatted: money(i.total, i.currency),
    created: iso(i.created),
    dueDate: iso(i.due_date),
    hostedInvoiceUrl: i.hosted_invoice_url ?? undefined,
    livemode: i.livemode === true,
  };
}

export const subscriptionSchema = z.object({
  id: z.string(),
  status: z.string().describe('incomplete, incomplete_expired, trialing, active, past_due, canceled, unpaid or paused.'),
  customer: z.string().optional(),
  items: z.array(
    z.object({
      id: z.string().optional(),
      price: z.string().optional(),
      product: z.string().optional(),
      quantity: z.number().optional(),
      unitAmount: z.number().optional(),
      currency: z.string().optional(),
      interval: z.string().optional(),
    }),
  ),
  currentPeriodEnd: z.string().optional(),
  trialEnd: z.string().optional(),
  cancelAtPeriodEnd: z.boolean().optional(),
  canceledAt: z.string().optional(),
  latestInvoice: z.string().optional(),
  created: z.string().optional(),
  metadata,
  livemode: z.boolean(),
});

export function subscriptionOut(s: StripeObject): z.infer<typeof subscriptionSchema> {
  const items: StripeObject[] = Array.isArray(s.items?.data) ? s.items.data : [];
  return {
    id: s.id,
    status: s.status,
    customer: idOf(s.customer),
    items: items.map((it) => ({
      id: it.id,
      price: idOf(it.price),
      product: idOf(it.price?.product),
      quantity: int(it.quantity),
      unitAmount: int(it.price?.unit_amount),
      currency: it.price?.currency,
      interval: it.price?.recurring?.interval,
    })),
    currentPeriodEnd: iso(s.current_period_end ?? items[0]?.current_period_end),
    trialEnd: iso(s.trial_end),
    cancelAtPeriodEnd: typeof s.cancel_at_period_end === 'boolean' ? s.cancel_at_period_end : undefined,
    canceledAt: iso(s.canceled_at),
    latestInvoice: idOf(s.latest_invoice),
    created: iso(s.created),
    metadata: cleanMeta(s.metadata),
    livemode: s.livemode === true,
  };
}

export const refundSchema = z.object({
  id: z.string(),
  amount: z.number(),
  amountFormatted: z.string().optional(),
  currency: z.string(),
  status: z.string().optional().describe('pending, requires_action, succeeded, failed or canceled.'),
  charge: z.string().optional(),
  paymentIntent: z.string().optional(),
  reason: z.string().optional(),
  created: z.string().optional(),
  livemode: z.boolean().optional(),
});

export function refundOut(r: StripeObject): z.infer<typeof refundSchema> {
  return {
    id: r.id,
    amount: r.amount,
    amountFormatted: money(r.amount, r.currency),
    currency: r.currency,
    status: r.status ?? undefined,
    charge: idOf(r.charge),
    paymentIntent: idOf(r.payment_intent),
    reason: r.reason ?? undefined,
    created: iso(r.created),
  };
}

export const chargeSchema = z.object({
  id: z.string(),
  amount: z.number(),
  amountFormatted: z.string().optional(),
  amountRefunded: z.number().optional(),
  currency: z.string(),
  status: z.string().optional(),
  paid: z.boolean().optional(),
  refunded: z.boolean().optional(),
  customer: z.string().optional(),
  paymentIntent: z.string().optional(),
  description: z.string().optional(),
  billingName: z.string().optional(),
  billingEmail: z.string().optional(),
  cardBrand: z.string().optional(),
  cardLast4: z.string().optional(),
  failureMessage: z.string().optional(),
  created: z.string().optional(),
  livemode: z.boolean(),
});

export function chargeOut(c: StripeObject, pii: Pii): z.infer<typeof chargeSchema> {
  const card = c.payment_method_details?.card;
  return {
    id: c.id,
    amount: c.amount,
    amountFormatted: money(c.amount, c.currency),
    amountRefunded: int(c.amount_refunded),
    currency: c.currency,
    status: c.status ?? undefined,
    paid: typeof c.paid === 'boolean' ? c.paid : undefined,
    refunded: typeof c.refunded === 'boolean' ? c.refunded : undefined,
    customer: idOf(c.customer),
    paymentIntent: idOf(c.payment_intent),
    description: text(c.description),
    billingName: pii.name(text(c.billing_details?.name)),
    billingEmail: pii.email(c.billing_details?.email),
    cardBrand: card?.brand ?? undefined,
    cardLast4: card?.last4 ?? undefined,
    failureMessage: text(c.failure_message),
    created: iso(c.created),
    livemode: c.livemode === true,
  };
}

/** Metadata argument: Stripe's limits (50 keys, keys ≤ 40 characters, values ≤ 500). */
export const metadataInput = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
  .optional()
  .describe('Your own key-value pairs stored on the object (at most 50; keys up to 40 characters, values up to 500). Never put card numbers or secrets here.');

/** The arguments every money-moving or creating write takes. */
export const writeInput = {
  idempotency_key: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Leave empty to make a repeat of the same call (same arguments) return the first result instead of acting twice (for 24 hours). Pass a new value only when you really want a second, identical operation.',
    ),
};

export const balanceTransactionSchema = z.object({
  id: z.string(),
  type: z.string().describe('charge, refund, payout, stripe_fee, adjustment, dispute, …'),
  reportingCategory: z.string().optional(),
  amount: z.number().describe('Gross, in the smallest unit (negative: money out).'),
  fee: z.number().optional(),
  net: z.number().optional(),
  currency: z.string(),
  amountFormatted: z.string().optional(),
  netFormatted: z.string().optional(),
  status: z.string().optional().describe('available or pending.'),
  source: z.string().optional().describe('The object that moved the money (ch_…, re_…, po_…).'),
  description: z.string().optional(),
  availableOn: z.string().optional(),
  created: z.string().optional(),
});

export function balanceTransactionOut(t: StripeObject): z.infer<typeof balanceTransactionSchema> {
  return {
    id: t.id,
    type: t.type,
    reportingCategory: t.reporting_category ?? undefined,
    amount: t.amount,
    fee: int(t.fee),
    net: int(t.net),
    currency: t.currency,
    amountFormatted: money(t.amount, t.currency),
    netFormatted: money(t.net, t.currency),
    status: t.status ?? undefined,
    source: idOf(t.source),
    description: text(t.description),
    availableOn: iso(t.available_on),
    created: iso(t.created),
  };
}

export const disputeSchema = z.object({
  id: z.string(),
  amount: z.number(),
  amountFormatted: z.string().optional(),
  currency: z.string(),
  status: z.string().describe('warning_needs_response, warning_under_review, warning_closed, needs_response, under_review, won or lost.'),
  reason: z.string().optional().describe('fraudulent, duplicate, product_not_received, general, …'),
  charge: z.string().optional(),
  paymentIntent: z.string().optional(),
  evidenceDueBy: z.string().optional().describe('Last moment to submit evidence (in the Dashboard).'),
  chargeRefundable: z.boolean().optional(),
  created: z.string().optional(),
  livemode: z.boolean(),
});

export function disputeOut(d: StripeObject): z.infer<typeof disputeSchema> {
  return {
    id: d.id,
    amount: d.amount,
    amountFormatted: money(d.amount, d.currency),
    currency: d.currency,
    status: d.status,
    reason: d.reason ?? undefined,
    charge: idOf(d.charge),
    paymentIntent: idOf(d.payment_intent),
    evidenceDueBy: iso(d.evidence_details?.due_by),
    chargeRefundable: typeof d.is_charge_refundable === 'boolean' ? d.is_charge_refundable : undefined,
    created: iso(d.created),
    livemode: d.livemode === true,
  };
}

export const couponSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  percentOff: z.number().optional(),
  amountOff: z.number().optional().describe('In the smallest unit of currency.'),
  amountOffFormatted: z.string().optional(),
  currency: z.string().optional(),
  duration: z.string().describe('once, repeating (for durationInMonths) or forever.'),
  durationInMonths: z.number().optional(),
  maxRedemptions: z.number().optional(),
  timesRedeemed: z.number().optional(),
  redeemBy: z.string().optional(),
  valid: z.boolean().optional(),
  livemode: z.boolean(),
});

export function couponOut(c: StripeObject): z.infer<typeof couponSchema> {
  return {
    id: c.id,
    name: text(c.name),
    percentOff: typeof c.percent_off === 'number' ? c.percent_off : undefined,
    amountOff: int(c.amount_off),
    amountOffFormatted: money(c.amount_off, c.currency),
    currency: c.currency ?? undefined,
    duration: c.duration,
    durationInMonths: c.duration === 'repeating' ? int(c.duration_in_months) : undefined,
    maxRedemptions: int(c.max_redemptions),
    timesRedeemed: int(c.times_redeemed),
    redeemBy: iso(c.redeem_by),
    valid: typeof c.valid === 'boolean' ? c.valid : undefined,
    livemode: c.livemode === true,
  };
}

export const accountSchema = z.object({
  id: z.string(),
  businessName: z.string().optional(),
  email: z.string().optional(),
  country: z.string().optional(),
  defaultCurrency: z.string().optional(),
  type: z.string().optional().describe('standard, express or custom (Connect).'),
  chargesEnabled: z.boolean().optional(),
  payoutsEnabled: z.boolean().optional(),
  detailsSubmitted: z.boolean().optional(),
  requirementsDue: z.array(z.string()).optional().describe('Information Stripe needs now (currently_due) before charges or payouts are restricted.'),
});

export function accountOut(a: StripeObject, pii: Pii): z.infer<typeof accountSchema> {
  const due: unknown = a.requirements?.currently_due;
  return {
    id: a.id,
    businessName: text(a.settings?.dashboard?.display_name) ?? text(a.business_profile?.name),
    email: pii.email(a.email),
    country: a.country ?? undefined,
    defaultCurrency: a.default_currency ?? undefined,
    type: a.type ?? undefined,
    chargesEnabled: typeof a.charges_enabled === 'boolean' ? a.charges_enabled : undefined,
    payoutsEnabled: typeof a.payouts_enabled === 'boolean' ? a.payouts_enabled : undefined,
    detailsSubmitted: typeof a.details_submitted === 'boolean' ? a.details_submitted : undefined,
    requirementsDue: Array.isArray(due) ? due.filter((x): x is string => typeof x === 'string').slice(0, 50) : undefined,
  };
}
