// Billing: invoices, subscriptions and the prices they are made of.
import { z } from 'zod';
import { annotations, assertAllowed, cleanText, ToolError } from '@bizmcp/core';
import { couponOut, couponSchema, invoiceOut, invoiceSchema, metadataInput, subscriptionOut, subscriptionSchema, writeInput, writeMeta } from '../format.js';
import { listInput, listOutput, listParams, pageOf } from '../paging.js';
import { checkAmount, formatAmount, idempotencyKey, minorPerMajor, piiView, type StripeObject } from '../stripe.js';
import { type StripeConfig, tool } from '../state.js';
import { customerId } from './customers.js';
import { amount, confirmRepeat, currency } from './payments.js';

const subscriptionId = z.string().regex(/^sub_[A-Za-z0-9]+$/, 'a subscription id starts with sub_');
const invoiceId = z.string().regex(/^in_[A-Za-z0-9]+$/, 'an invoice id starts with in_');
export const priceId = z
  .string()
  .regex(/^(price|plan)_[A-Za-z0-9]+$/, 'a price id starts with price_')
  .describe('Price id (price_…)');

export const listInvoices = tool({
  name: 'list_invoices',
  toolset: 'billing',
  title: 'List invoices',
  description:
    'Invoices of a customer, of a subscription or of the account, newest first, optionally by status (draft, open, paid, uncollectible, void): number, status, total, amount due and paid, due date and the hosted invoice link. Pages with cursor (nextCursor).',
  input: z.object({
    customer_id: customerId.optional(),
    subscription_id: subscriptionId.optional(),
    status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).optional(),
    ...listInput('invoices'),
  }),
  output: z.object({ invoices: z.array(invoiceSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const filter = {
      ...(args.customer_id ? { customer: args.customer_id } : {}),
      ...(args.subscription_id ? { subscription: args.subscription_id } : {}),
      ...(args.status ? { status: args.status } : {}),
    };
    const r = await ctx.state.api.call(ctx, (s, o) => s.invoices.list({ ...params, ...filter }, o));
    const pii = piiView(ctx.state.config.showPii);
    return { invoices: r.value.data.map((i) => invoiceOut(i, pii)), ...pageOf(r.value as { data: { id: string }[]; has_more: boolean }, params) };
  },
});

export const getInvoice = tool({
  name: 'get_invoice',
  toolset: 'billing',
  title: 'Get an invoice',
  description: 'One invoice by id (in_…): number, status, customer, subscription, total, amount due, paid and remaining, due date and hosted link.',
  input: z.object({ invoice_id: z.string().regex(/^in_[A-Za-z0-9]+$/, 'an invoice id starts with in_') }),
  output: z.object({ invoice: invoiceSchema }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const r = await ctx.state.api.call(ctx, (s, o) => s.invoices.retrieve(args.invoice_id, {}, o), { resource: { kind: 'invoice', id: args.invoice_id } });
    return { invoice: invoiceOut(r.value, piiView(ctx.state.config.showPii)) };
  },
});

export const listSubscriptions = tool({
  name: 'list_subscriptions',
  toolset: 'billing',
  title: 'List subscriptions',
  description:
    'Subscriptions of a customer or of the account, newest first, by status (default: all but canceled): items with price, quantity and unit amount, current period end, trial end, cancellation. Pages with cursor.',
  input: z.object({
    customer_id: customerId.optional(),
    price_id: priceId.optional(),
    status: z.enum(['active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'trialing', 'all']).optional(),
    ...listInput('subscriptions'),
  }),
  output: z.object({ subscriptions: z.array(subscriptionSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const filter = { ...(args.customer_id ? { customer: args.customer_id } : {}), ...(args.price_id ? { price: args.price_id } : {}), ...(args.status ? { status: args.status } : {}) };
    const r = await ctx.state.api.call(ctx, (s, o) => s.subscriptions.list({ ...params, ...filter }, o));
    return { subscriptions: r.value.data.map(subscriptionOut), ...pageOf(r.value, params) };
  },
});

export const getSubscription = tool({
  name: 'get_subscription',
  toolset: 'billing',
  title: 'Get a subscription',
  description:
    'One subscription by id (sub_…): status, customer, items with price, quantity and unit amount, current period end, trial end, whether it cancels at the period end, and its latest invoice (see get_invoice).',
  input: z.object({ subscription_id: subscriptionId }),
  output: z.object({ subscription: subscriptionSchema }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const r = await ctx.state.api.call(ctx, (s, o) => s.subscriptions.retrieve(args.subscription_id, {}, o), { resource: { kind: 'subscription', id: args.subscription_id } });
    return { subscription: subscriptionOut(r.value) };
  },
});

export const createSubscription = tool({
  name: 'create_subscription',
  toolset: 'billing',
  title: 'Create a subscription',
  description:
    "Subscribe a customer to one or more recurring prices (price_…, see list_prices). Each item's amount per period (unit amount × quantity) must be within STRIPE_MAX_AMOUNT; prices without a fixed unit amount are refused. By default the first invoice waits for the customer to pay (status incomplete, with the invoice to pay); with the customer's default payment method set, payment_behavior allow_incomplete charges it at once. Repeating the same call returns the first subscription (idempotency key from the arguments); after an UNKNOWN outcome the same call is refused until checked.",
  input: z.object({
    customer_id: customerId,
    items: z
      .array(z.object({ price_id: priceId, quantity: z.number().int().min(1).max(10_000).default(1) }))
      .min(1)
      .max(20),
    trial_period_days: z.number().int().min(1).max(730).optional().describe('Free days before the first charge.'),
    payment_behavior: z.enum(['default_incomplete', 'allow_incomplete', 'error_if_incomplete']).default('default_incomplete'),
    metadata: metadataInput,
    ...writeInput,
    ...confirmRepeat,
  }),
  output: z.object({ subscription: subscriptionSchema, ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    for (const item of args.items) {
      const price = (await api.call(ctx, (s, o) => s.prices.retrieve(item.price_id, {}, o), { resource: { kind: 'price', id: item.price_id } })).value as StripeObject;
      if (typeof price.unit_amount !== 'number') {
        throw new ToolError(`Price ${item.price_id} has no fixed unit amount (tiered or metered), so its cost cannot be checked against STRIPE_MAX_AMOUNT.`, {
          code: 'access_denied',
          hint: 'Create the subscription in the Dashboard, or use a price with a unit amount.',
        });
      }
      if (!price.recurring) throw new ToolError(`Price ${item.price_id} is a one-time price; a subscription needs recurring prices.`, { code: 'invalid_argument', details: { field: 'items' } });
      checkAmount(config, price.unit_amount * item.quantity, price.currency, `Subscription item ${item.price_id}`);
    }
    const params = {
      customer: args.customer_id,
      items: args.items.map((i) => ({ price: i.price_id, quantity: i.quantity })),
      payment_behavior: args.payment_behavior,
      ...(args.trial_period_days ? { trial_period_days: args.trial_period_days } : {}),
      ...(args.metadata ? { metadata: args.metadata } : {}),
    };
    const r = await api.call(ctx, (s, o) => s.subscriptions.create(params, o), { write: true, idempotencyKey: idempotencyKey('create_subscription', args) });
    return { subscription: subscriptionOut(r.value), livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const cancelSubscription = tool({
  name: 'cancel_subscription',
  toolset: 'billing',
  title: 'Cancel a subscription',
  description:
    'Cancel a subscription (sub_…). By default it ends at the end of the current paid period (nothing more is charged, access lasts until then; undo with resume: true). With immediately: true it ends now, with no refund of the period already paid. Calling it again changes nothing.',
  input: z.object({
    subscription_id: subscriptionId,
    immediately: z.boolean().default(false).describe('End now instead of at the end of the current period.'),
    resume: z.boolean().default(false).describe('Undo a cancellation scheduled for the period end (not possible once ended).'),
  }),
  output: z.object({ subscription: subscriptionSchema, livemode: z.boolean() }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const id = args.subscription_id;
    const resource = { kind: 'subscription', id };
    if (args.immediately && args.resume) throw new ToolError('immediately and resume cannot both be true.', { code: 'invalid_argument', details: { field: 'resume' } });
    const current = (await api.call(ctx, (s, o) => s.subscriptions.retrieve(id, {}, o), { resource })).value;
    if (current.status === 'canceled' || current.status === 'incomplete_expired') {
      if (args.resume) throw new ToolError(`Subscription ${id} has already ended (${current.status}): it cannot be resumed.`, { code: 'conflict' });
      return { subscription: subscriptionOut(current), livemode: current.livemode === true };
    }
    // Both calls set a state (no key needed: repeating them changes nothing).
    const r = args.immediately
      ? await api.call(ctx, (s, o) => s.subscriptions.cancel(id, {}, o), { resource })
      : await api.call(ctx, (s, o) => s.subscriptions.update(id, { cancel_at_period_end: !args.resume }, o), { resource });
    return { subscription: subscriptionOut(r.value), livemode: r.value.livemode === true };
  },
});

const lineFields = {
  price_id: priceId.optional().describe('A one-time price (price_…); or give amount and description.'),
  amount: amount.optional().describe('Amount of a free-form line in the smallest unit (with description); not with price_id.'),
  description: z.string().trim().min(1).max(500).optional(),
  quantity: z.number().int().min(1).max(10_000).default(1),
};
type Line = { price_id?: string; amount?: number; description?: string; quantity: number };
const oneOf = (l: Line) => Boolean(l.price_id) !== (l.amount !== undefined);
const described = (l: Line) => l.amount === undefined || Boolean(l.description);
const invoiceLine = z.object(lineFields).refine(oneOf, { message: 'give price_id, or amount with description' }).refine(described, { message: 'a line with amount needs a description' });

/** What a line costs (prices read from Stripe: fixed unit amount, the invoice's currency). */
async function lineTotal(ctx: Parameters<typeof getSubscription.run>[1], line: Line, currency: string): Promise<number> {
  if (!line.price_id) return (line.amount ?? 0) * line.quantity;
  const id = line.price_id;
  const price = (await ctx.state.api.call(ctx, (s, o) => s.prices.retrieve(id, {}, o), { resource: { kind: 'price', id } })).value as StripeObject;
  if (typeof price.unit_amount !== 'number') throw new ToolError(`Price ${id} has no fixed unit amount, so the invoice total cannot be checked against STRIPE_MAX_AMOUNT.`, { code: 'access_denied' });
  if (price.currency !== currency)
    throw new ToolError(`Price ${id} is in ${String(price.currency).toUpperCase()}, the invoice in ${currency.toUpperCase()}.`, { code: 'invalid_argument', details: { field: 'lines' } });
  return price.unit_amount * line.quantity;
}

/** An invoice as Stripe has it now, and the resource a 404 names. */
async function readInvoice(ctx: Parameters<typeof getSubscription.run>[1], id: string): Promise<{ inv: StripeObject; resource: { kind: string; id: string } }> {
  const resource = { kind: 'invoice', id };
  const inv = (await ctx.state.api.call(ctx, (s, o) => s.invoices.retrieve(id, {}, o), { resource })).value as StripeObject;
  return { inv, resource };
}

/** The cap of a currency in its smallest unit (Infinity when none: checkAmount then refuses). */
const lineCap = (config: StripeConfig, cur: string) => {
  const major = config.maxAmount[cur] ?? config.maxAmount['*'];
  return major === undefined ? Number.POSITIVE_INFINITY : Math.round(major * minorPerMajor(cur));
};

/** The invoice item parameters of a line. */
const itemParams = (customer: string, invoice: string, currency: string, line: Line) => ({
  customer,
  invoice,
  ...(line.price_id
    ? { price: line.price_id, quantity: line.quantity }
    : { amount: (line.amount ?? 0) * line.quantity, currency, description: line.quantity > 1 ? `${line.description} × ${line.quantity}` : line.description }),
  ...(line.price_id && line.description ? { description: line.description } : {}),
});

export const createInvoice = tool({
  name: 'create_invoice',
  toolset: 'billing',
  title: 'Create a draft invoice',
  description:
    'Create a DRAFT invoice for a customer with its lines (prices, or free amounts with descriptions), in one currency. The total must be within STRIPE_MAX_AMOUNT. A draft is not sent nor charged: review it, then finalize_invoice (and send). Repeating the same call returns the first invoice and lines.',
  input: z.object({
    customer_id: customerId,
    currency,
    lines: z.array(invoiceLine).min(1).max(50),
    collection_method: z
      .enum(['send_invoice', 'charge_automatically'])
      .default('send_invoice')
      .describe('send_invoice: the customer pays the emailed/hosted invoice; charge_automatically: the default payment method is charged at finalization.'),
    days_until_due: z.number().int().min(1).max(365).default(30).describe('With send_invoice: days the customer has to pay.'),
    description: z.string().trim().max(1500).optional().describe('Memo shown on the invoice.'),
    metadata: metadataInput,
    ...writeInput,
    ...confirmRepeat,
  }),
  output: z.object({ invoice: invoiceSchema, lines: z.number(), ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const key = idempotencyKey('create_invoice', args);
    let total = 0;
    for (const line of args.lines) total += await lineTotal(ctx, line, args.currency);
    checkAmount(config, total, args.currency, 'An invoice');
    const params = {
      customer: args.customer_id,
      // No currency here: the 2020-08-27 contract the tests check has none; the lines set it.
      collection_method: args.collection_method,
      ...(args.collection_method === 'send_invoice' ? { days_until_due: args.days_until_due } : {}),
      auto_advance: false,
      pending_invoice_items_behavior: 'exclude' as const,
      ...(args.description ? { description: args.description } : {}),
      ...(args.metadata ? { metadata: args.metadata } : {}),
    };
    const inv = await api.call(ctx, (s, o) => s.invoices.create(params as never, o), { write: true, idempotencyKey: key });
    const invoiceId = inv.value.id as string;
    // Each line has its own key derived from the invoice's: a repeat replays lines too.
    for (const [i, line] of args.lines.entries()) {
      const item = itemParams(args.customer_id, invoiceId, args.currency, line);
      await api.call(ctx, (s, o) => s.invoiceItems.create(item as never, o), { write: true, idempotencyKey: `${key}-line${i}` });
    }
    const fresh = (await api.call(ctx, (s, o) => s.invoices.retrieve(invoiceId, {}, o), { resource: { kind: 'invoice', id: invoiceId } })).value;
    return { invoice: invoiceOut(fresh, piiView(config.showPii)), lines: args.lines.length, livemode: fresh.livemode === true, replayed: inv.replayed };
  },
});

export const finalizeInvoice = tool({
  name: 'finalize_invoice',
  toolset: 'billing',
  title: 'Finalize (and send) an invoice',
  description:
    "Finalize a draft invoice (in_…): it gets its number and can no longer be edited; with collection_method charge_automatically Stripe then charges the customer's default payment method, with send_invoice it waits for payment. send: true also emails it to the customer. The total must be within STRIPE_MAX_AMOUNT. An invoice already finalized is returned as it is (and sent only if send is true).",
  input: z.object({
    invoice_id: z.string().regex(/^in_[A-Za-z0-9]+$/, 'an invoice id starts with in_'),
    send: z.boolean().default(false).describe('Email the invoice to the customer (send_invoice invoices only).'),
  }),
  output: z.object({ invoice: invoiceSchema, sent: z.boolean(), livemode: z.boolean() }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const id = args.invoice_id;
    const resource = { kind: 'invoice', id };
    let inv = (await api.call(ctx, (s, o) => s.invoices.retrieve(id, {}, o), { resource })).value as StripeObject;
    // Who the invoice would be emailed to is checked before anything changes.
    if (args.send && config.recipients) {
      if (!inv.customer_email) throw new ToolError(`Invoice ${id} has no customer email to check against STRIPE_ALLOWED_RECIPIENTS; nothing was done.`, { code: 'access_denied' });
      assertAllowed(config.recipients, String(inv.customer_email), { field: 'send', outcome: 'the invoice was neither finalized nor sent' });
    }
    if (inv.status === 'draft') {
      checkAmount(config, inv.total ?? inv.amount_due ?? 0, inv.currency, 'An invoice');
      inv = (
        await api.call(ctx, (s, o) => s.invoices.finalizeInvoice(id, { auto_advance: false }, o), { write: true, idempotencyKey: idempotencyKey('finalize_invoice', { invoice_id: id }), resource })
      ).value;
    }
    let sent = false;
    if (args.send) {
      if (inv.collection_method !== 'send_invoice') throw new ToolError(`Invoice ${id} is charged automatically: there is nothing to send.`, { code: 'invalid_argument', details: { field: 'send' } });
      if (inv.status !== 'open') throw new ToolError(`Invoice ${id} is ${inv.status}: only open invoices are sent.`, { code: 'conflict' });
      inv = (await api.call(ctx, (s, o) => s.invoices.sendInvoice(id, {}, o), { write: true, idempotencyKey: idempotencyKey('send_invoice', { invoice_id: id }), resource })).value;
      sent = true;
    }
    return { invoice: invoiceOut(inv, piiView(config.showPii)), sent, livemode: inv.livemode === true };
  },
});

export const addInvoiceItem = tool({
  name: 'add_invoice_item',
  toolset: 'billing',
  title: 'Add a line to a draft invoice',
  description:
    "Add one line to a DRAFT invoice (in_…, see create_invoice): a one-time price (price_…) with a quantity, or a free amount (smallest unit) with a description, in the invoice's currency. The line, and the invoice total with it, must be within STRIPE_MAX_AMOUNT. Finalized invoices cannot change. Repeating the same call returns the first line instead of adding it twice (idempotency key from the arguments); after an UNKNOWN outcome the same call is refused until checked.",
  input: z
    .object({ invoice_id: invoiceId, ...lineFields, ...writeInput, ...confirmRepeat })
    .refine(oneOf, { message: 'give price_id, or amount with description', path: ['price_id'] })
    .refine(described, { message: 'a line with amount needs a description', path: ['description'] }),
  output: z.object({
    invoice: invoiceSchema,
    item: z.object({ id: z.string(), amount: z.number().optional(), amountFormatted: z.string().optional(), description: z.string().optional() }),
    ...writeMeta,
  }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 30, durationSec: 60 },
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const id = args.invoice_id;
    const { inv, resource } = await readInvoice(ctx, id);
    if (inv.status !== 'draft')
      throw new ToolError(`Invoice ${id} is ${inv.status}: only draft invoices take new lines.`, {
        code: 'conflict',
        hint: 'Create a new draft with create_invoice.',
        details: { status: inv.status },
      });
    const cur: string = inv.currency;
    const customer = typeof inv.customer === 'string' ? inv.customer : inv.customer?.id;
    const key = idempotencyKey('add_invoice_item', args);
    const line = await lineTotal(ctx, args, cur);
    checkAmount(config, line, cur, 'An invoice line');
    let earlier: StripeObject | undefined;
    if ((inv.total ?? 0) + line > lineCap(config, cur)) {
      // The same call made earlier is already in the total: give its line back rather than refuse.
      earlier = (await api.call(ctx, (s, o) => s.invoiceItems.list({ invoice: id, limit: 100 }, o))).value.data.find((i) => i.metadata?.bizmcp_key === key);
      if (!earlier) checkAmount(config, (inv.total ?? 0) + line, cur, `Invoice ${id} with this line`);
    }
    const r = earlier
      ? { value: earlier, replayed: true }
      : await api.call(ctx, (s, o) => s.invoiceItems.create({ ...itemParams(customer, id, cur, args), metadata: { bizmcp_key: key } } as never, o), { write: true, idempotencyKey: key });
    const item = r.value as StripeObject;
    const fresh = (await api.call(ctx, (s, o) => s.invoices.retrieve(id, {}, o), { resource })).value;
    return {
      invoice: invoiceOut(fresh, piiView(config.showPii)),
      item: {
        id: item.id,
        amount: typeof item.amount === 'number' ? item.amount : undefined,
        amountFormatted: typeof item.amount === 'number' ? formatAmount(item.amount, item.currency ?? cur) : undefined,
        description: typeof item.description === 'string' ? cleanText(item.description) : undefined,
      },
      livemode: fresh.livemode === true,
      replayed: r.replayed,
    };
  },
});

export const sendInvoice = tool({
  name: 'send_invoice',
  toolset: 'billing',
  title: 'Email an invoice',
  description:
    "Email an open invoice (in_…, collection method send_invoice) to its customer, with the link to pay it; drafts are finalized first with finalize_invoice. The customer's address must be allowed by STRIPE_ALLOWED_RECIPIENTS when that is set. Repeating the call (or calling it after finalize_invoice with send: true) does not email again: pass a new idempotency_key to send a reminder. After an UNKNOWN outcome the same call is refused until checked.",
  input: z.object({ invoice_id: invoiceId, ...writeInput, ...confirmRepeat }),
  output: z.object({ invoice: invoiceSchema, sent: z.boolean().describe('false when this repeated an earlier send (nothing emailed now).'), ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const id = args.invoice_id;
    const { inv, resource } = await readInvoice(ctx, id);
    if (config.recipients) {
      if (!inv.customer_email) throw new ToolError(`Invoice ${id} has no customer email to check against STRIPE_ALLOWED_RECIPIENTS; nothing was sent.`, { code: 'access_denied' });
      assertAllowed(config.recipients, String(inv.customer_email), { field: 'invoice_id', outcome: 'the invoice was not sent' });
    }
    if (inv.collection_method !== 'send_invoice')
      throw new ToolError(`Invoice ${id} is charged automatically: there is nothing to send.`, { code: 'invalid_argument', details: { field: 'invoice_id' } });
    if (inv.status === 'draft') throw new ToolError(`Invoice ${id} is a draft.`, { code: 'conflict', hint: 'Finalize it first: finalize_invoice with send: true finalizes and sends it.' });
    if (inv.status !== 'open') throw new ToolError(`Invoice ${id} is ${inv.status}: only open invoices are sent.`, { code: 'conflict', details: { status: inv.status } });
    // The same key as finalize_invoice's send: sending after it replays instead of emailing twice.
    const r = await api.call(ctx, (s, o) => s.invoices.sendInvoice(id, {}, o), { write: true, idempotencyKey: idempotencyKey('send_invoice', args), resource });
    return { invoice: invoiceOut(r.value, piiView(config.showPii)), sent: !r.replayed, livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const voidInvoice = tool({
  name: 'void_invoice',
  toolset: 'billing',
  title: 'Void an invoice',
  description:
    'Void a finalized invoice (in_…, open or uncollectible) that should not be paid: it stays on record with status void, its number is kept, and it can no longer be paid. This cannot be undone. A draft cannot be voided (it was never issued; leave it or delete it in the Dashboard); a paid invoice cannot either (refund its payment with refund_payment). Voiding one already void returns it unchanged.',
  input: z.object({ invoice_id: invoiceId }),
  output: z.object({ invoice: invoiceSchema, ...writeMeta }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const id = args.invoice_id;
    const pii = piiView(config.showPii);
    const { inv, resource } = await readInvoice(ctx, id);
    if (inv.status === 'void') return { invoice: invoiceOut(inv, pii), livemode: inv.livemode === true, replayed: true };
    if (inv.status === 'draft')
      throw new ToolError(`Invoice ${id} is a draft: it was never issued, so there is nothing to void.`, { code: 'conflict', hint: 'Leave the draft, or delete it in the Dashboard.' });
    if (inv.status === 'paid') throw new ToolError(`Invoice ${id} is paid and cannot be voided.`, { code: 'conflict', hint: 'Refund its payment with refund_payment instead.' });
    const r = await api.call(ctx, (s, o) => s.invoices.voidInvoice(id, {}, o), { write: true, idempotencyKey: idempotencyKey('void_invoice', args), resource });
    return { invoice: invoiceOut(r.value, pii), livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const createCoupon = tool({
  name: 'create_coupon',
  toolset: 'billing',
  title: 'Create a coupon',
  description:
    'Create a discount for subscriptions and invoices: percent_off (e.g. 20 for 20 %) or amount_off (smallest unit) with its currency, the amount within STRIPE_MAX_AMOUNT. duration: once (the first invoice), repeating (for duration_in_months) or forever. Optionally a name shown to customers, a maximum number of redemptions and a last redemption date. Coupons cannot be edited afterwards except their name. Repeating the same call returns the first coupon.',
  input: z
    .object({
      percent_off: z.number().gt(0).max(100).optional().describe('Percentage taken off (0 < p ≤ 100); or give amount_off.'),
      amount_off: amount.optional().describe('Amount taken off in the smallest unit of currency; or give percent_off.'),
      currency: currency.optional().describe('With amount_off: its currency.'),
      duration: z.enum(['once', 'repeating', 'forever']).default('once'),
      duration_in_months: z.number().int().min(1).max(36).optional().describe('With duration repeating: for how many months.'),
      name: z.string().trim().min(1).max(40).optional().describe('Shown to customers on invoices and receipts.'),
      max_redemptions: z.number().int().min(1).max(1_000_000).optional(),
      redeem_by: z.iso.datetime({ offset: true }).optional().describe('Last moment it can be redeemed (ISO 8601, in the future).'),
      metadata: metadataInput,
      ...writeInput,
    })
    .refine((a) => (a.percent_off === undefined) !== (a.amount_off === undefined), { message: 'give exactly one of percent_off and amount_off', path: ['percent_off'] })
    .refine((a) => a.amount_off === undefined || Boolean(a.currency), { message: 'amount_off needs currency', path: ['currency'] })
    .refine((a) => (a.duration === 'repeating') === (a.duration_in_months !== undefined), {
      message: 'duration_in_months goes with duration repeating, and only with it',
      path: ['duration_in_months'],
    }),
  output: z.object({ coupon: couponSchema, ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    if (args.amount_off !== undefined) checkAmount(config, args.amount_off, args.currency!, 'A coupon');
    const redeemBy = args.redeem_by ? Math.floor(Date.parse(args.redeem_by) / 1000) : undefined;
    if (redeemBy !== undefined && redeemBy * 1000 <= Date.now()) throw new ToolError('redeem_by must be in the future.', { code: 'invalid_argument', details: { field: 'redeem_by' } });
    const params = {
      ...(args.percent_off !== undefined ? { percent_off: args.percent_off } : { amount_off: args.amount_off, currency: args.currency }),
      duration: args.duration,
      ...(args.duration_in_months ? { duration_in_months: args.duration_in_months } : {}),
      ...(args.name ? { name: args.name } : {}),
      ...(args.max_redemptions ? { max_redemptions: args.max_redemptions } : {}),
      ...(redeemBy ? { redeem_by: redeemBy } : {}),
      ...(args.metadata ? { metadata: args.metadata } : {}),
    };
    const r = await api.call(ctx, (s, o) => s.coupons.create(params, o), { write: true, idempotencyKey: idempotencyKey('create_coupon', args) });
    return { coupon: couponOut(r.value), livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const billingTools = [
  listInvoices,
  getInvoice,
  createInvoice,
  addInvoiceItem,
  finalizeInvoice,
  sendInvoice,
  voidInvoice,
  createSubscription,
  listSubscriptions,
  getSubscription,
  cancelSubscription,
  createCoupon,
];
