// Any object, generically: read, search (structured filters, sorts, cursor), create, update,
// associate; companies and deals as upserts by natural key; archive only with --allow-delete.
import { annotations, pageInput, pageOutput, ToolError } from '@bizmcp/core';
import { z } from 'zod';
import type { Ctx, Value } from '../provider.js';
import { filter, objectType, propertyMap, propertyName, recordId, recordOut, show, usage, usageOut } from '../schemas.js';
import { type CrmState, tool } from '../state.js';
import { findStage, mapFields } from './sales.js';

const properties = z.array(propertyName).max(100).default([]).describe('Properties to return (default: a few useful ones per object).');

export const getRecord = tool({
  name: 'get_record',
  toolset: 'records',
  title: 'Get a record',
  description: 'One record of any object type by id, with the properties asked for.',
  input: z.object({ object_type: objectType, id: recordId, properties }),
  output: z.object({ record: recordOut, ...usageOut }),
  annotations: annotations.read({ openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const record = await crm.get(ctx, args.object_type, args.id, args.properties);
    return { record: show(ctx.state, record), ...usage(crm) };
  },
});

export const searchRecords = tool({
  name: 'search_records',
  toolset: 'records',
  title: 'Search records',
  description:
    'Records of any object type matching every filter (eq, neq, lt, lte, gt, gte, contains, starts_with, in, has_value, no_value), sorted, with the properties asked for, a page at a time (pass nextCursor back). Values are always sent as values, never as query text.',
  input: z.object({
    object_type: objectType,
    filters: z.array(filter).max(10).default([]),
    sorts: z
      .array(z.object({ property: propertyName, direction: z.enum(['asc', 'desc']).default('asc') }))
      .max(3)
      .default([]),
    properties,
    ...pageInput({ default: 50, max: 200, what: 'records' }),
  }),
  output: z.object({ records: z.array(recordOut), total: z.number().optional(), ...pageOutput, ...usageOut }),
  annotations: annotations.read({ openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const page = await crm.search(ctx, { objectType: args.object_type, filters: args.filters, sorts: args.sorts, properties: args.properties, limit: args.limit, cursor: args.cursor });
    return {
      records: page.records.map((r) => show(ctx.state, r)),
      ...(page.total !== undefined ? { total: page.total } : {}),
      truncated: Boolean(page.nextCursor),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      ...usage(crm),
    };
  },
});

export const createRecord = tool({
  name: 'create_record',
  toolset: 'records',
  title: 'Create a record',
  description:
    'Creates a record of any object type with the given properties. Not an upsert: for contacts, companies and deals prefer create_contact, create_company and create_deal. After an unknown outcome, search before confirming a repeat with confirm_repeat.',
  input: z.object({ object_type: objectType, properties: propertyMap, confirm_repeat: z.boolean().optional().describe('Set only to repeat a call whose outcome was unknown.') }),
  output: z.object({ record: recordOut, ...usageOut }),
  annotations: annotations.additive({ idempotent: false, openWorld: true }),
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  async run(args, ctx) {
    const { crm } = ctx.state;
    const record = await crm.create(ctx, args.object_type, args.properties);
    return { record: show(ctx.state, record), ...usage(crm) };
  },
});

export const updateRecord = tool({
  name: 'update_record',
  toolset: 'records',
  title: 'Update a record',
  description: 'Sets properties of one record of any object type; the others stay as they are. Returns the values written.',
  input: z.object({ object_type: objectType, id: recordId, properties: propertyMap }),
  output: z.object({ record: recordOut, ...usageOut }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    if (!Object.keys(args.properties).length) throw new ToolError('Nothing to change: properties is empty', { code: 'invalid_argument' });
    const record = await crm.update(ctx, args.object_type, args.id, args.properties);
    return { record: show(ctx.state, record), ...usage(crm) };
  },
});

export const associateRecords = tool({
  name: 'associate_records',
  toolset: 'records',
  title: 'Associate two records',
  description:
    'Links two records (HubSpot: the default association; Salesforce: the lookup between them, e.g. a contact or deal to its account, or a contact role on a deal). Linking twice is harmless.',
  input: z.object({ from_type: objectType, from_id: recordId, to_type: objectType, to_id: recordId }),
  output: z.object({ associated: z.boolean(), ...usageOut }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    await crm.associate(ctx, args.from_type, args.from_id, args.to_type, args.to_id);
    return { associated: true, ...usage(crm) };
  },
});

export const listAssociations = tool({
  name: 'list_associations',
  toolset: 'records',
  title: 'List associated records',
  description: 'The records of one type linked to a record (its contacts, its company, its deals), a page at a time.',
  input: z.object({ object_type: objectType, id: recordId, to_type: objectType, ...pageInput({ default: 50, max: 200, what: 'associated records' }) }),
  output: z.object({ associations: z.array(z.object({ id: z.string(), objectType: z.string(), labels: z.array(z.string()) })), ...pageOutput, ...usageOut }),
  annotations: annotations.read({ openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const r = await crm.associations(ctx, args.object_type, args.id, args.to_type, args.limit, args.cursor);
    return { associations: r.items, truncated: Boolean(r.nextCursor), ...(r.nextCursor ? { nextCursor: r.nextCursor } : {}), ...usage(crm) };
  },
});

/**
 * Finds the one record with `property` = `value`, or none; several is an error naming them. A record
 * this server created by that key moments ago is found even before the CRM's search index has it.
 */
async function findOne(state: CrmState, ctx: Ctx, type: 'companies' | 'deals', property: string, value: string): Promise<{ id: string } | undefined> {
  const { crm } = state;
  const found = await crm.findBy(ctx, type, property, value, [property], 3);
  if (found.length > 1)
    throw new ToolError(`Several ${type} have ${property} = ${value}: ${found.map((r) => r.id).join(', ')}`, {
      code: 'conflict',
      hint: 'Update the right one with update_record (or update_deal) by id.',
    });
  if (found[0]) return found[0];
  const recent = state.recent.get(`${type}:${property}:${value}`);
  if (!recent) return undefined;
  try {
    return await crm.get(ctx, type, recent, [property]);
  } catch (e) {
    if (e instanceof ToolError && e.code === 'not_found') return undefined;
    throw e;
  }
}

/** Remembers a record created by natural key (bounded). */
function remember(state: CrmState, type: string, property: string, value: string, id: string): void {
  if (state.recent.size >= 1000) state.recent.delete(state.recent.keys().next().value as string);
  state.recent.set(`${type}:${property}:${value}`, id);
}

export const createCompany = tool({
  name: 'create_company',
  toolset: 'records',
  title: 'Create or update a company (by domain)',
  description:
    'Creates a company (Salesforce account), or updates the one with this domain (HubSpot domain; Salesforce website): a repeat never makes a duplicate. Says whether it created or updated.',
  input: z.object({
    name: z.string().min(1).max(255),
    domain: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'a domain such as example.com')
      .max(253)
      .describe('Web domain: the key of the upsert.'),
    industry: z.string().max(255).optional(),
    phone: z.string().max(64).optional(),
    city: z.string().max(255).optional(),
    country: z.string().max(255).optional(),
    owner_id: recordId.optional(),
    properties: propertyMap.optional(),
  }),
  output: z.object({ action: z.enum(['created', 'updated']), company: recordOut, ...usageOut }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const domain = args.domain.toLowerCase();
    const keyField = crm.field('companies', 'domain');
    const keyValue = crm.name === 'hubspot' ? domain : `https://${domain}`;
    const props = mapFields(crm, 'companies', { name: args.name, industry: args.industry, phone: args.phone, city: args.city, country: args.country, owner_id: args.owner_id }, args.properties);
    const existing = await findOne(ctx.state, ctx, 'companies', keyField, keyValue);
    if (existing) {
      const r = await crm.update(ctx, 'companies', existing.id, props);
      return { action: 'updated' as const, company: show(ctx.state, { ...r, properties: { [keyField]: keyValue, ...r.properties } }), ...usage(crm) };
    }
    const r = await crm.create(ctx, 'companies', { [keyField]: keyValue, ...props });
    remember(ctx.state, 'companies', keyField, keyValue, r.id);
    return { action: 'created' as const, company: show(ctx.state, r), ...usage(crm) };
  },
});

export const createDeal = tool({
  name: 'create_deal',
  toolset: 'records',
  title: 'Create a deal (upsert by external id)',
  description:
    "Creates a deal in a pipeline stage (checked against the pipeline; default: the first pipeline's first stage), optionally linked to a company. With external_id it is an upsert on that property (a repeat updates the same deal); without, it is a plain create: after an unknown outcome search before confirming a repeat with confirm_repeat.",
  input: z.object({
    name: z.string().min(1).max(255),
    stage: z.string().min(1).max(255).optional().describe('Stage id or label (get_pipeline).'),
    pipeline: z.string().min(1).max(255).optional().describe('Pipeline id or label (HubSpot; Salesforce has one).'),
    amount: z.number().nonnegative().optional(),
    close_date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
      .describe('Expected close date (Salesforce requires one).'),
    owner_id: recordId.optional(),
    company_id: recordId.optional().describe('The company (Salesforce account) the deal belongs to.'),
    external_id: z.string().min(1).max(255).optional().describe('Your own id for the deal: makes the call an upsert.'),
    external_id_property: propertyName.optional().describe('The unique property holding external_id (default: external_id on HubSpot, External_Id__c on Salesforce).'),
    properties: propertyMap.optional(),
    confirm_repeat: z.boolean().optional().describe('Set only to repeat a call whose outcome was unknown.'),
  }),
  output: z.object({ action: z.enum(['created', 'updated']), deal: recordOut, stage: z.object({ id: z.string(), label: z.string(), pipeline: z.string() }), ...usageOut }),
  annotations: annotations.additive({ idempotent: false, openWorld: true }),
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  async run(args, ctx) {
    const { crm } = ctx.state;
    const pipelines = await crm.pipelines(ctx, 'deals');
    const w = args.pipeline?.toLowerCase();
    const pipeline = w ? pipelines.find((p) => p.id.toLowerCase() === w || p.label.toLowerCase() === w) : pipelines[0];
    if (!pipeline) throw new ToolError(`No pipeline "${args.pipeline ?? ''}"`, { code: 'not_found', hint: `Pipelines: ${pipelines.map((p) => p.label).join(', ')}.` });
    const stage = args.stage ? findStage(pipeline, args.stage) : pipeline.stages[0];
    if (!stage) throw new ToolError(`The pipeline "${pipeline.label}" has no stages`, { code: 'failed' });
    const closeDate = crm.name === 'hubspot' ? `${args.close_date}T00:00:00.000Z` : args.close_date;
    const extProp = args.external_id_property ?? (crm.name === 'hubspot' ? 'external_id' : 'External_Id__c');
    const props: Record<string, Value> = mapFields(
      crm,
      'deals',
      { name: args.name, stage: stage.id, amount: args.amount, close_date: closeDate, owner_id: args.owner_id, ...(crm.name === 'hubspot' ? { pipeline: pipeline.id } : {}) },
      { ...(args.external_id ? { [extProp]: args.external_id } : {}), ...(crm.name === 'salesforce' && args.company_id ? { AccountId: args.company_id } : {}), ...args.properties },
    );
    const existing = args.external_id ? await findOne(ctx.state, ctx, 'deals', extProp, args.external_id) : undefined;
    const r = existing ? await crm.update(ctx, 'deals', existing.id, props) : await crm.create(ctx, 'deals', props);
    if (!existing && args.external_id) remember(ctx.state, 'deals', extProp, args.external_id, r.id);
    if (args.company_id && crm.name === 'hubspot') await crm.associate(ctx, 'deals', r.id, 'companies', args.company_id);
    return { action: existing ? ('updated' as const) : ('created' as const), deal: show(ctx.state, r), stage: { id: stage.id, label: stage.label, pipeline: pipeline.label }, ...usage(crm) };
  },
});

export const archiveRecord = tool({
  name: 'archive_record',
  toolset: 'records',
  title: 'Archive (delete) a record',
  description:
    'Removes a record: HubSpot archives it (restorable for 90 days), Salesforce deletes it to the recycle bin (restorable for 15 days). Only present when the server runs with --allow-delete.',
  input: z.object({ object_type: objectType, id: recordId }),
  output: z.object({ archived: z.boolean(), id: z.string(), objectType: z.string(), ...usageOut }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  enabled: (config: { allowDelete: boolean }) => config.allowDelete,
  async run(args, ctx) {
    const { crm } = ctx.state;
    await crm.archive(ctx, args.object_type, args.id);
    return { archived: true, id: args.id, objectType: crm.objectName(args.object_type), ...usage(crm) };
  },
});

export const recordTools = [getRecord, searchRecords, createRecord, updateRecord, associateRecords, listAssociations, createCompany, createDeal, archiveRecord];
