// The catalogue: products, their prices, and payment links that sell them.
import { z } from 'zod';
import { annotations, cleanText, ToolError } from '@bizmcp/core';
import { metadataInput, writeInput, writeMeta } from '../format.js';
import { listInput, listOutput, listParams, pageOf } from '../paging.js';
import { checkAmount, formatAmount, idempotencyKey, type StripeObject } from '../stripe.js';
import { tool } from '../state.js';
import { priceId } from './billing.js';
import { amount, currency } from './payments.js';

const productId = z.string().regex(/^prod_[A-Za-z0-9]+$/, 'a product id starts with prod_');

export const priceSchema = z.object({
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
  toolset: 'catalog',
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
    const prices = r.value.data.map(priceOut);
    return { prices, ...pageOf(r.value, params) };
  },
});

const priceOut = (p: StripeObject): z.infer<typeof priceSchema> => ({
  id: p.id,
  product: typeof p.product === 'string' ? p.product : p.product?.id,
  productName: typeof p.product === 'object' && p.product?.name ? cleanText(p.product.name) : undefined,
  active: p.active,
  currency: p.currency,
  unitAmount: p.unit_amount ?? undefined,
  unitAmountFormatted: typeof p.unit_amount === 'number' ? formatAmount(p.unit_amount, p.currency) : undefined,
  interval: p.recurring?.interval,
  intervalCount: p.recurring?.interval_count,
  nickname: p.nickname ? cleanText(p.nickname) : undefined,
  livemode: p.livemode === true,
});

const productSchema = z.object({ id: z.string(), name: z.string(), description: z.string().optional(), active: z.boolean().optional(), defaultPrice: z.string().optional(), livemode: z.boolean() });
const productOut = (p: StripeObject): z.infer<typeof productSchema> => ({
  id: p.id,
  name: cleanText(p.name),
  description: p.description ? cleanText(p.description) : undefined,
  active: p.active,
  defaultPrice: typeof p.default_price === 'string' ? p.default_price : p.default_price?.id,
  livemode: p.livemode === true,
});

export const listProducts = tool({
  name: 'list_products',
  toolset: 'catalog',
  title: 'List products',
  description: 'Products of the account, newest first (active only by default): name, description, default price. Pages with cursor. Use list_prices for their prices.',
  input: z.object({ include_inactive: z.boolean().default(false).describe('Also list archived products.'), ...listInput('products') }),
  output: z.object({ products: z.array(productSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const r = await ctx.state.api.call(ctx, (s, o) => s.products.list({ ...params, ...(args.include_inactive ? {} : { active: true }) }, o));
    return { products: r.value.data.map(productOut), ...pageOf(r.value, params) };
  },
});

export const createProduct = tool({
  name: 'create_product',
  toolset: 'catalog',
  title: 'Create a product',
  description:
    'Create a product (what you sell: a plan, an item, a service) to give prices to with create_price. Repeating the same call returns the product created the first time; look with list_products first.',
  input: z.object({ name: z.string().trim().min(1).max(250), description: z.string().trim().max(1000).optional(), metadata: metadataInput, ...writeInput }),
  output: z.object({ product: productSchema, ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 30, durationSec: 60 },
  run: async (args, ctx) => {
    const { idempotency_key: _k, ...params } = args;
    const r = await ctx.state.api.call(ctx, (s, o) => s.products.create(params, o), { write: true, idempotencyKey: idempotencyKey('create_product', args) });
    return { product: productOut(r.value), livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const createPrice = tool({
  name: 'create_price',
  toolset: 'catalog',
  title: 'Create a price',
  description:
    'Create a price for a product: a fixed amount (smallest unit) in a currency, one-time or recurring (day, week, month, year). The amount must be within STRIPE_MAX_AMOUNT. Prices cannot be edited afterwards (create a new one and archive the old in the Dashboard). Repeating the same call returns the first price.',
  input: z.object({
    product_id: productId,
    unit_amount: amount,
    currency,
    interval: z.enum(['day', 'week', 'month', 'year']).optional().describe('Recurring interval; omit for a one-time price.'),
    interval_count: z.number().int().min(1).max(12).optional().describe('Every how many intervals (e.g. 3 with month: quarterly).'),
    nickname: z.string().trim().max(250).optional(),
    metadata: metadataInput,
    ...writeInput,
  }),
  output: z.object({ price: priceSchema, ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 30, durationSec: 60 },
  run: async (args, ctx) => {
    if (args.interval_count && !args.interval) throw new ToolError('interval_count needs interval.', { code: 'invalid_argument', details: { field: 'interval_count' } });
    checkAmount(ctx.state.config, args.unit_amount, args.currency, 'A price');
    const params = {
      product: args.product_id,
      unit_amount: args.unit_amount,
      currency: args.currency,
      ...(args.interval ? { recurring: { interval: args.interval, ...(args.interval_count ? { interval_count: args.interval_count } : {}) } } : {}),
      ...(args.nickname ? { nickname: args.nickname } : {}),
      ...(args.metadata ? { metadata: args.metadata } : {}),
    };
    const r = await ctx.state.api.call(ctx, (s, o) => s.prices.create(params, o), { write: true, idempotencyKey: idempotencyKey('create_price', args) });
    return { price: priceOut(r.value), livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const createPaymentLink = tool({
  name: 'create_payment_link',
  toolset: 'catalog',
  title: 'Create a payment link',
  description:
    'Create a shareable Stripe-hosted payment page (URL) selling one or more prices with quantities; anyone with the link can pay. Each line (unit amount × quantity) must be within STRIPE_MAX_AMOUNT. Repeating the same call returns the first link.',
  input: z.object({
    items: z
      .array(z.object({ price_id: priceId, quantity: z.number().int().min(1).max(1000).default(1) }))
      .min(1)
      .max(20),
    metadata: metadataInput,
    ...writeInput,
  }),
  output: z.object({ paymentLink: z.object({ id: z.string(), url: z.string(), active: z.boolean().optional() }), ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    for (const item of args.items) {
      const price = (await api.call(ctx, (s, o) => s.prices.retrieve(item.price_id, {}, o), { resource: { kind: 'price', id: item.price_id } })).value as StripeObject;
      if (typeof price.unit_amount !== 'number') throw new ToolError(`Price ${item.price_id} has no fixed unit amount, so it cannot be checked against STRIPE_MAX_AMOUNT.`, { code: 'access_denied' });
      checkAmount(config, price.unit_amount * item.quantity, price.currency, `Payment link line ${item.price_id}`);
    }
    const params = { line_items: args.items.map((i) => ({ price: i.price_id, quantity: i.quantity })), ...(args.metadata ? { metadata: args.metadata } : {}) };
    const r = await api.call(ctx, (s, o) => s.paymentLinks.create(params, o), { write: true, idempotencyKey: idempotencyKey('create_payment_link', args) });
    return { paymentLink: { id: r.value.id, url: r.value.url, active: r.value.active }, livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const catalogTools = [listProducts, listPrices, createProduct, createPrice, createPaymentLink];
