// The everyday sales tools: contacts (upsert by e-mail), deals (stage checked against the pipeline),
// company search, activities and pipelines. The same arguments on HubSpot and on Salesforce.
import { annotations, pageInput, pageOutput, ToolError } from '@bizmcp/core';
import { z } from 'zod';
import type { CommonObject, CrmProvider, Ctx, Filter, Pipeline, Stage, Value } from '../provider.js';
import { filter, propertyMap, propertyName, recordId, recordOut, show, usage, usageOut } from '../schemas.js';
import { tool } from '../state.js';

/** Common argument names → the provider's field names, with the caller's own properties last. */
export function mapFields(crm: CrmProvider, object: CommonObject, common: Record<string, Value | undefined>, own: Record<string, Value> = {}): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(common)) if (v !== undefined) out[crm.field(object, k)] = v;
  return { ...out, ...own };
}

export const createContact = tool({
  name: 'create_contact',
  toolset: 'sales',
  title: 'Create or update a contact (by e-mail)',
  description:
    'Creates a contact, or updates the one that already has this e-mail address: calling it again with the same e-mail never makes a duplicate. Says whether it created or updated. Only the fields you pass are written.',
  input: z.object({
    email: z.string().email().max(254).describe('E-mail address: the key of the upsert.'),
    first_name: z.string().max(255).optional(),
    last_name: z.string().max(255).optional().describe('Last name (Salesforce requires one to create a contact).'),
    phone: z.string().max(64).optional(),
    job_title: z.string().max(255).optional(),
    owner_id: recordId.optional().describe('Owner (list_owners gives ids).'),
    properties: propertyMap.optional(),
  }),
  output: z.object({ action: z.enum(['created', 'updated']), contact: recordOut, ...usageOut }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const emailField = crm.field('contacts', 'email');
    const email = args.email.trim().toLowerCase();
    const props = mapFields(crm, 'contacts', { first_name: args.first_name, last_name: args.last_name, phone: args.phone, job_title: args.job_title, owner_id: args.owner_id }, args.properties);
    const upsert = async (): Promise<{ action: 'created' | 'updated'; id: string; props: Record<string, Value> }> => {
      const [existing] = await crm.findBy(ctx, 'contacts', emailField, email, [emailField], 1);
      if (existing) {
        if (Object.keys(props).length) await crm.update(ctx, 'contacts', existing.id, props);
        return { action: 'updated', id: existing.id, props: { ...existing.properties, ...props } };
      }
      const created = await crm.create(ctx, 'contacts', { [emailField]: email, ...props });
      return { action: 'created', id: created.id, props: { ...created.properties, [emailField]: email } };
    };
    let r: Awaited<ReturnType<typeof upsert>>;
    try {
      r = await upsert();
    } catch (e) {
      // Another writer created it between the lookup and the create: update that one.
      if (!(e instanceof ToolError && e.code === 'conflict')) throw e;
      r = await upsert();
    }
    const contact = show(ctx.state, { id: r.id, objectType: crm.objectName('contacts'), properties: r.props });
    return { action: r.action, contact, ...usage(crm) };
  },
});

/** The stage of `pipeline` named by id or label (case-insensitive), or an error listing the valid ones. */
export function findStage(pipeline: Pipeline, wanted: string): Stage {
  const w = wanted.trim().toLowerCase();
  const s = pipeline.stages.find((x) => x.id.toLowerCase() === w) ?? pipeline.stages.find((x) => x.label.toLowerCase() === w);
  if (s) return s;
  throw new ToolError(`"${wanted.slice(0, 80)}" is not a stage of the pipeline "${pipeline.label}"`, {
    code: 'invalid_argument',
    hint: `Use one of: ${pipeline.stages.map((x) => (x.id === x.label ? x.id : `${x.label} (${x.id})`)).join(', ')}.`,
    details: { field: 'stage' },
  });
}

export const updateDeal = tool({
  name: 'update_deal',
  toolset: 'sales',
  title: 'Update a deal',
  description:
    "Changes a deal's stage (checked against the stages of the deal's own pipeline, by id or label), amount, close date, owner, name or any property. Only what you pass changes. Returns the values written.",
  input: z.object({
    deal_id: recordId,
    stage: z.string().min(1).max(255).optional().describe('Stage id or label; get_pipeline lists them.'),
    amount: z.number().nonnegative().optional(),
    close_date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD')
      .optional(),
    owner_id: recordId.optional(),
    name: z.string().min(1).max(255).optional(),
    properties: propertyMap.optional(),
  }),
  output: z.object({ deal: recordOut, stage: z.object({ id: z.string(), label: z.string(), pipeline: z.string(), probability: z.number().optional() }).optional(), ...usageOut }),
  annotations: annotations.destructive({ idempotent: true, openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const stageField = crm.field('deals', 'stage');
    let stage: { id: string; label: string; pipeline: string; probability?: number } | undefined;
    if (args.stage !== undefined) {
      const deal = await crm.get(
        ctx,
        'deals',
        args.deal_id,
        [stageField, crm.field('deals', 'pipeline')].filter((f) => f !== 'RecordTypeId'),
      );
      const pipelines = await crm.pipelines(ctx, 'deals');
      const pid = crm.dealPipelineId(deal);
      const pipeline = pipelines.find((p) => p.id === pid) ?? (pipelines.length === 1 ? pipelines[0] : undefined);
      if (!pipeline) throw new ToolError(`The deal's pipeline (${pid ?? 'none'}) was not found`, { code: 'failed', hint: 'get_pipeline lists the pipelines.' });
      const s = findStage(pipeline, args.stage);
      stage = { id: s.id, label: s.label, pipeline: pipeline.label, ...(s.probability !== undefined ? { probability: s.probability } : {}) };
    }
    const closeDate = args.close_date && crm.name === 'hubspot' ? `${args.close_date}T00:00:00.000Z` : args.close_date;
    const props = mapFields(crm, 'deals', { stage: stage?.id, amount: args.amount, close_date: closeDate, owner_id: args.owner_id, name: args.name }, args.properties);
    if (!Object.keys(props).length) throw new ToolError('Nothing to change: pass stage, amount, close_date, owner_id, name or properties', { code: 'invalid_argument' });
    const deal = await crm.update(ctx, 'deals', args.deal_id, props);
    return { deal: show(ctx.state, deal), ...(stage ? { stage } : {}), ...usage(crm) };
  },
});

export const searchCompanies = tool({
  name: 'search_companies',
  toolset: 'sales',
  title: 'Search companies',
  description:
    'Finds companies (Salesforce accounts) by name (contains), domain, and any property filters (all must match). Returns the chosen properties, a page at a time: pass nextCursor back for more.',
  input: z.object({
    name: z.string().min(1).max(255).optional().describe('Part of the company name.'),
    domain: z.string().min(1).max(255).optional().describe('Web domain, e.g. example.com.'),
    filters: z.array(filter).max(10).default([]),
    properties: z.array(propertyName).max(50).default([]).describe('Properties to return (default: name, domain or website, industry, phone, city, country, owner).'),
    ...pageInput({ default: 20, max: 100, what: 'companies' }),
  }),
  output: z.object({ companies: z.array(recordOut), total: z.number().optional(), ...pageOutput, ...usageOut }),
  annotations: annotations.read({ openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    const filters: Filter[] = [...args.filters];
    if (args.name) filters.push({ property: crm.field('companies', 'name'), operator: 'contains', value: args.name });
    if (args.domain) {
      const d = args.domain.trim().toLowerCase();
      // HubSpot keeps the bare domain; Salesforce keeps a website URL.
      filters.push(crm.name === 'hubspot' ? { property: 'domain', operator: 'eq', value: d } : { property: 'Website', operator: 'contains', value: d });
    }
    const properties = args.properties.length ? args.properties : ['name', 'domain', 'industry', 'phone', 'city', 'country', 'owner_id'].map((f) => crm.field('companies', f));
    const page = await crm.search(ctx, { objectType: 'companies', filters, sorts: [], properties, limit: args.limit, cursor: args.cursor });
    return {
      companies: page.records.map((r) => show(ctx.state, r)),
      ...(page.total !== undefined ? { total: page.total } : {}),
      truncated: Boolean(page.nextCursor),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      ...usage(crm),
    };
  },
});

const ids = (what: string) => z.array(recordId).max(10).default([]).describe(`${what} to associate the activity with.`);

export const logActivity = tool({
  name: 'log_activity',
  toolset: 'sales',
  title: 'Log an activity',
  description:
    'Records a note, call, email, meeting or task on the timeline of contacts, companies and deals (HubSpot engagements; Salesforce tasks and events: one contact and one company or deal). Not an upsert: a repeat logs a second activity, so after an unknown outcome check the timeline before confirming with confirm_repeat.',
  input: z.object({
    type: z.enum(['note', 'call', 'email', 'meeting', 'task']),
    body: z.string().min(1).max(65_000).describe('What happened (plain text).'),
    subject: z.string().max(255).optional(),
    timestamp: z.string().datetime({ offset: true }).optional().describe('When it happened (ISO 8601); for a task, when it is due. Default: now.'),
    duration_minutes: z.number().int().min(1).max(1440).optional().describe('Calls and meetings.'),
    contact_ids: ids('Contacts'),
    company_ids: ids('Companies'),
    deal_ids: ids('Deals'),
    confirm_repeat: z.boolean().optional().describe('Set only to repeat a call whose outcome was unknown, after checking it did not happen.'),
  }),
  output: z.object({ activity: recordOut, associatedWith: z.object({ contacts: z.number(), companies: z.number(), deals: z.number() }), ...usageOut }),
  annotations: annotations.additive({ idempotent: false, openWorld: true }),
  outcomeGuard: { confirmArg: 'confirm_repeat' },
  async run(args, ctx) {
    const { crm } = ctx.state;
    if (!args.contact_ids.length && !args.company_ids.length && !args.deal_ids.length)
      throw new ToolError('An activity needs at least one contact, company or deal to belong to', { code: 'invalid_argument', details: { field: 'contact_ids' } });
    const activity = await crm.logActivity(ctx as Ctx, {
      type: args.type,
      body: args.body,
      subject: args.subject,
      timestamp: new Date(args.timestamp ?? Date.now()).toISOString(),
      durationMinutes: args.duration_minutes,
      contactIds: args.contact_ids,
      companyIds: args.company_ids,
      dealIds: args.deal_ids,
    });
    return {
      activity: show(ctx.state, activity),
      associatedWith: { contacts: args.contact_ids.length, companies: args.company_ids.length, deals: args.deal_ids.length },
      ...usage(crm),
    };
  },
});

const stageOut = z.object({
  id: z.string(),
  label: z.string(),
  order: z.number(),
  probability: z.number().optional().describe('0 to 1.'),
  closed: z.boolean().optional(),
  won: z.boolean().optional(),
});

export const getPipeline = tool({
  name: 'get_pipeline',
  toolset: 'sales',
  title: 'Get pipeline stages',
  description:
    'The stages of a deal pipeline in order, with their ids (what update_deal takes), win probability and whether they close the deal. Without a pipeline, every pipeline. Salesforce has one: the opportunity stages.',
  input: z.object({ pipeline: z.string().min(1).max(255).optional().describe('Pipeline id or label.') }),
  output: z.object({ pipelines: z.array(z.object({ id: z.string(), label: z.string(), stages: z.array(stageOut) })), ...usageOut }),
  annotations: annotations.read({ openWorld: true }),
  async run(args, ctx) {
    const { crm } = ctx.state;
    let pipelines = await crm.pipelines(ctx, 'deals');
    if (args.pipeline) {
      const w = args.pipeline.trim().toLowerCase();
      const p = pipelines.find((x) => x.id.toLowerCase() === w) ?? pipelines.find((x) => x.label.toLowerCase() === w);
      if (!p) throw new ToolError(`No pipeline "${args.pipeline.slice(0, 80)}"`, { code: 'not_found', hint: `Pipelines: ${pipelines.map((x) => `${x.label} (${x.id})`).join(', ')}.` });
      pipelines = [p];
    }
    return { pipelines, ...usage(crm) };
  },
});

export const salesTools = [createContact, updateDeal, searchCompanies, logActivity, getPipeline];
