// Customers: create (idempotent), find and read; personal data masked unless STRIPE_SHOW_PII.
import { z } from 'zod';
import { annotations, decodeCursor, encodeCursor, pageInput, pageOutput, ToolError } from '@bizmcp/core';
import { customerOut, customerSchema, metadataInput, writeInput, writeMeta } from '../format.js';
import { listInput, listOutput, listParams, pageOf } from '../paging.js';
import { idempotencyKey, piiView } from '../stripe.js';
import { tool } from '../state.js';

export const customerId = z
  .string()
  .regex(/^cus_[A-Za-z0-9]+$/, 'a customer id starts with cus_')
  .describe('Customer id (cus_…)');
const email = z.string().trim().toLowerCase().max(512).pipe(z.email());

export const createCustomer = tool({
  name: 'create_customer',
  toolset: 'customers',
  title: 'Create a customer',
  description:
    'Create a Stripe customer (name, email, phone, description, metadata) to attach payments, subscriptions and invoices to. Repeating the same call returns the customer created the first time (idempotency key derived from the arguments); pass a new idempotency_key only to create a second customer with the same details. Look for an existing one with list_customers (email) first. Returns the customer, with personal data masked unless the server shows it.',
  input: z.object({
    email: email.optional().describe('Email address (also where Stripe sends receipts and invoices when enabled).'),
    name: z.string().trim().min(1).max(256).optional().describe('Full name or business name.'),
    phone: z.string().trim().min(3).max(20).optional(),
    description: z.string().trim().max(350).optional().describe('Internal note shown in the Dashboard.'),
    metadata: metadataInput,
    ...writeInput,
  }),
  output: z.object({ customer: customerSchema, ...writeMeta }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 30, durationSec: 60 },
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const { idempotency_key: _k, ...params } = args;
    const r = await api.call(ctx, (s, o) => s.customers.create(params, o), { write: true, idempotencyKey: idempotencyKey('create_customer', args) });
    return { customer: customerOut(r.value, piiView(config.showPii)), livemode: r.value.livemode === true, replayed: r.replayed };
  },
});

export const listCustomers = tool({
  name: 'list_customers',
  toolset: 'customers',
  title: 'List customers',
  description: 'Customers of the account, newest first, optionally only those with an exact email address. Returns id, masked name and email, balance and delinquency; pages with cursor (nextCursor).',
  input: z.object({ email: email.optional().describe('Exact email address (case-insensitive).'), ...listInput('customers') }),
  output: z.object({ customers: z.array(customerSchema), ...listOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const params = listParams(args);
    const r = await ctx.state.api.call(ctx, (s, o) => s.customers.list({ ...params, ...(args.email ? { email: args.email } : {}) }, o));
    const pii = piiView(ctx.state.config.showPii);
    return { customers: r.value.data.map((c) => customerOut(c, pii)), ...pageOf(r.value, params) };
  },
});

export const getCustomer = tool({
  name: 'get_customer',
  toolset: 'customers',
  title: 'Get a customer',
  description: 'One customer by id (cus_…): masked name, email, phone and address, balance, currency, delinquency and metadata. A deleted customer is reported as not found.',
  input: z.object({ customer_id: customerId }),
  output: z.object({ customer: customerSchema }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const r = await ctx.state.api.call(ctx, (s, o) => s.customers.retrieve(args.customer_id, {}, o), { resource: { kind: 'customer', id: args.customer_id } });
    const c = r.value as { deleted?: boolean };
    if (c.deleted) throw new ToolError(`Customer ${args.customer_id} was deleted.`, { code: 'not_found' });
    return { customer: customerOut(r.value, piiView(ctx.state.config.showPii)) };
  },
});

export const updateCustomer = tool({
  name: 'update_customer',
  toolset: 'customers',
  title: 'Update a customer',
  description:
    "Change a customer's name, email, phone, description or metadata (cus_…). Only the fields given change; a metadata key set to an empty string is removed. Returns the customer as it now is (personal data masked unless the server shows it).",
  input: z.object({
    customer_id: customerId,
    email: email.optional(),
    name: z.string().trim().min(1).max(256).optional(),
    phone: z.string().trim().min(3).max(20).optional(),
    description: z.string().trim().max(350).optional(),
    metadata: z.record(z.string().min(1).max(40), z.string().max(500)).optional().describe('Keys to set; an empty string removes the key.'),
  }),
  output: z.object({ customer: customerSchema, livemode: z.boolean() }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  rateLimit: { points: 30, durationSec: 60 },
  run: async (args, ctx) => {
    const { customer_id, ...fields } = args;
    if (!Object.values(fields).some((v) => v !== undefined)) throw new ToolError('Nothing to change: give at least one of email, name, phone, description, metadata.', { code: 'invalid_argument' });
    // Setting the same fields twice changes nothing: no idempotency key (a key would replay an old
    // answer if the customer was changed back in between), and retried like a read.
    const r = await ctx.state.api.call(ctx, (s, o) => s.customers.update(customer_id, fields, o), { resource: { kind: 'customer', id: customer_id } });
    return { customer: customerOut(r.value, piiView(ctx.state.config.showPii)), livemode: r.value.livemode === true };
  },
});

/** A value inside Stripe's search query language, quoted and escaped. */
const quoted = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export const searchCustomers = tool({
  name: 'search_customers',
  toolset: 'customers',
  title: 'Search customers',
  description:
    "Find customers by part of their name, exact email or phone, or a metadata value (all given criteria must match). Uses Stripe's search, which can lag about a minute behind new or changed customers: for a customer just created, use get_customer or list_customers. Pages with cursor.",
  input: z.object({
    name: z.string().trim().min(1).max(200).optional().describe('Part of the name (case-insensitive).'),
    email: email.optional().describe('Exact email address.'),
    phone: z.string().trim().min(3).max(20).optional().describe('Exact phone number as stored.'),
    metadata: z
      .record(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, - and _'), z.string().min(1).max(500))
      .optional()
      .describe('Metadata key → exact value.'),
    ...pageInput({ default: 20, max: 100, what: 'customers' }),
  }),
  output: z.object({ customers: z.array(customerSchema), ...pageOutput }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const clauses = [
      ...(args.name ? [`name~${quoted(args.name)}`] : []),
      ...(args.email ? [`email:${quoted(args.email)}`] : []),
      ...(args.phone ? [`phone:${quoted(args.phone)}`] : []),
      ...Object.entries(args.metadata ?? {}).map(([k, v]) => `metadata[${quoted(k)}]:${quoted(v)}`),
    ];
    if (!clauses.length) throw new ToolError('Give at least one of name, email, phone, metadata.', { code: 'invalid_argument' });
    const page = args.cursor ? decodeCursor(args.cursor, z.object({ p: z.string().min(1).max(2000) })).p : undefined;
    const params = { query: clauses.join(' AND '), limit: args.limit, ...(page ? { page } : {}) };
    const r = await ctx.state.api.call(ctx, (s, o) => s.customers.search(params, o));
    const pii = piiView(ctx.state.config.showPii);
    const next = r.value.has_more && r.value.next_page ? encodeCursor({ p: r.value.next_page }) : undefined;
    return { customers: r.value.data.map((c) => customerOut(c, pii)), truncated: Boolean(next), ...(next ? { nextCursor: next } : {}) };
  },
});

export const customerTools = [createCustomer, listCustomers, searchCustomers, getCustomer, updateCustomer];
