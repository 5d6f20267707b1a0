// Billing: invoices, subscriptions and the prices they are made of.
import { z } from 'zod';
import { annotations, ToolError } from '@bizmcp/core';
import { invoiceOut, invoiceSchema, metadataInput, subscriptionOut, subscriptionSchema, writeInput, writeMeta } from '../format.js';
import { listInput, listOutput, listParams, pageOf } from '../paging.js';
import { checkAmount, formatAmount, idempotencyKey, piiView, type StripeObject } from '../stripe.js';
import { tool } from '../state.js';
import { customerId } from './customers.js';
import { confirmRepeat } from './payments.js';

const subscriptionId = z.string().regex(/^sub_[A-Za-z0-9]+$/, 'a subscription id starts with sub_');
const priceId = z
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

const priceSchema = z.object({
  id: z.string(),
  product: z.string().optional(),
  productName: z.string().optional(),
  active: z.boolean().optional(),
  currency: z.string(),
  unitAmount: z.number().optional(),
  unitAmountFormatted: z.string().optional(),
  interval: z.string().optional().describe('day, week, month or year; absent for one-time prices.'),
  intervalCount: z.number().optional(),
  nickname: z.string().optional(),
  livemode: z.boolean(),
});

export const listPrices = tool({
  name: 'list_prices',
  toolset: 'billing',
  title: 'List prices',
  description:
    'Prices of the account or of one product, newest first (active only by default): amount, currency, one-time or recurring interval, product. Use it to find the price_… to subscribe a customer to. Pages with cursor.',
  input: z.object({
    product_id: z
      .string()
      .regex(/^prod_[A-Za-z0-9]+$/)
      .optional(),
    type: z.enum(['one_time', 'recurring']).optional().describe('Only one-time or only recurring prices (subscriptions need recurring ones).'),
    include_inactive: z.boolean().default(false).describe('Also list archived prices.'),
    ...listInput('prices'),
  }),
  output: z.object({ prices: z.array(priceSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const filter = { ...(args.product_id ? { product: args.product_id } : {}), ...(args.type ? { type: args.type } : {}), ...(args.include_inactive ? {} : { active: true }) };
    const r = await ctx.state.api.call(ctx, (s, o) => s.prices.list({ ...params, ...filter }, o));
    const prices = r.value.data.map((p: StripeObject) => ({
      id: p.id,
      product: typeof p.product === 'string' ? p.product : p.product?.id,
      productName: typeof p.product === 'object' && p.product?.name ? String(p.product.name) : undefined,
      active: p.active,
      currency: p.currency,
      unitAmount: p.unit_amount ?? undefined,
      unitAmountFormatted: typeof p.unit_amount === 'number' ? formatAmount(p.unit_amount, p.currency) : undefined,
      interval: p.recurring?.interval,
      intervalCount: p.recurring?.interval_count,
      nickname: p.nickname ?? undefined,
      livemode: p.livemode === true,
    }));
    return { prices, ...pageOf(r.value, params) };
  },
});

export const billingTools = [listInvoices, getInvoice, createSubscription, listSubscriptions, listPrices];
