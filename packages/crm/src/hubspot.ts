// HubSpot through @hubspot/api-client (loaded at the first call): the generic CRM objects API for
// every object, search with filter groups and `after` paging, pipelines, v4 associations,
// properties, schemas and owners. Errors through core's HubSpot mapping (429 keeps its policy name).
import type { Client } from '@hubspot/api-client';
import { decodeCursor, encodeCursor, hubspotFailure, type Logger, missingCredentials, sdkRetrySettings, ToolError, toUpstreamToolError, withRetries } from '@bizmcp/core';
import { z } from 'zod';
import type { CrmConfig } from './config.js';
import { COMMON_FIELDS, COMMON_OBJECTS, isCommonObject } from './provider.js';
import type * as P from './provider.js';

const HELP = 'Create a private app in HubSpot (Settings → Integrations → Private apps) with the scopes listed in the server docs, and set HUBSPOT_ACCESS_TOKEN to its access token.';

// Engagement objects: their properties, and the HUBSPOT_DEFINED association type ids to contacts,
// companies and deals.
const ENGAGEMENTS = {
  note: { object: 'notes', subject: undefined, body: 'hs_note_body', assoc: { contacts: 202, companies: 190, deals: 214 } },
  call: { object: 'calls', subject: 'hs_call_title', body: 'hs_call_body', assoc: { contacts: 194, companies: 182, deals: 206 } },
  email: { object: 'emails', subject: 'hs_email_subject', body: 'hs_email_text', assoc: { contacts: 198, companies: 186, deals: 210 } },
  meeting: { object: 'meetings', subject: 'hs_meeting_title', body: 'hs_meeting_body', assoc: { contacts: 200, companies: 188, deals: 212 } },
  task: { object: 'tasks', subject: 'hs_task_subject', body: 'hs_task_body', assoc: { contacts: 204, companies: 192, deals: 216 } },
} as const;

const STANDARD_OBJECTS: P.ObjectInfo[] = [
  ['contacts', 'Contacts'],
  ['companies', 'Companies'],
  ['deals', 'Deals'],
  ['tickets', 'Tickets'],
  ['products', 'Products'],
  ['line_items', 'Line items'],
  ['quotes', 'Quotes'],
  ['notes', 'Notes'],
  ['calls', 'Calls'],
  ['emails', 'Emails'],
  ['meetings', 'Meetings'],
  ['tasks', 'Tasks'],
].map(([name, label]) => ({ name, label, custom: false }));

const OPS: Record<P.Filter['operator'], string> = {
  eq: 'EQ',
  neq: 'NEQ',
  lt: 'LT',
  lte: 'LTE',
  gt: 'GT',
  gte: 'GTE',
  contains: 'CONTAINS_TOKEN',
  starts_with: 'CONTAINS_TOKEN',
  in: 'IN',
  has_value: 'HAS_PROPERTY',
  no_value: 'NOT_HAS_PROPERTY',
};

const afterCursor = z.object({ a: z.string().max(200) });
const str = (v: P.Value | undefined) => (v === null || v === undefined ? undefined : String(v));

type Any = any;

export class HubSpotProvider implements P.CrmProvider {
  readonly name = 'hubspot' as const;
  private client?: Promise<Client>;
  private lastUsage?: P.UsageInfo;

  constructor(
    private readonly config: CrmConfig,
    private readonly log: Logger,
  ) {}

  objectName(type: string): string {
    return isCommonObject(type) ? COMMON_OBJECTS[type].hubspot : type;
  }

  field(object: P.CommonObject, common: string): string {
    return COMMON_FIELDS[object][common]?.hubspot ?? common;
  }

  usage(): P.UsageInfo | undefined {
    return this.lastUsage;
  }

  private sdk(): Promise<Client> {
    const token = this.config.hubspot.token;
    if (!token)
      throw missingCredentials({
        what: 'HubSpot',
        vars: ['HUBSPOT_ACCESS_TOKEN'],
        how: `${HELP} For Salesforce instead, set CRM_PROVIDER=salesforce and the SALESFORCE_* variables of one connected-app flow.`,
      });
    this.client ??= (async () => {
      const mod = await import('@hubspot/api-client');
      // Bundled, the CommonJS package's exports may sit under `default`.
      const Client = (mod.Client ?? (mod as unknown as { default: typeof mod }).default.Client) as typeof mod.Client;
      return new Client({
        accessToken: token,
        basePath: this.config.hubspot.baseUrl,
        ...sdkRetrySettings.hubspot,
        middleware: [
          {
            pre: (c: unknown) => c,
            post: (c: unknown) => {
              this.noteLimits((c as { headers?: Record<string, string> }).headers ?? {});
              return c;
            },
          },
        ],
      });
    })();
    this.client.catch(() => {
      this.client = undefined;
    });
    return this.client;
  }

  private noteLimits(h: Record<string, string>): void {
    const remaining = Number(h['x-hubspot-ratelimit-daily-remaining']);
    const limit = Number(h['x-hubspot-ratelimit-daily']);
    if (!Number.isFinite(remaining) || !Number.isFinite(limit) || limit <= 0) return;
    this.lastUsage = {
      used: limit - remaining,
      limit,
      ...(remaining / limit < 0.1 ? { warning: `HubSpot daily API limit nearly reached: ${remaining} of ${limit} calls left today.` } : {}),
    };
  }

  private async call<T>(ctx: P.Ctx, fn: (c: Client) => Promise<T>, opts: { write?: boolean; resource?: { kind: string; id: string } } = {}): Promise<T> {
    const client = await this.sdk();
    const up = { service: 'HubSpot', credentialVar: 'HUBSPOT_ACCESS_TOKEN', credentialHelp: HELP, ...(opts.resource ? { resource: opts.resource } : {}) };
    return withRetries(() => fn(client), {
      idempotent: !opts.write,
      signal: ctx.signal,
      deadline: ctx.deadline,
      mapError: (e) => toUpstreamToolError(e, hubspotFailure, up),
      onRetry: ({ attempt, delayMs, error }) => this.log.warn({ attempt, delayMs, code: error.code }, 'HubSpot call retried'),
    });
  }

  private toRecord(objectType: string, o: Any): P.CrmRecord {
    const properties: Record<string, P.Value> = {};
    for (const [k, v] of Object.entries(o.properties ?? {})) properties[k] = v === undefined ? null : (v as P.Value);
    return {
      id: String(o.id),
      objectType,
      properties,
      createdAt: o.createdAt ? new Date(o.createdAt).toISOString() : undefined,
      updatedAt: o.updatedAt ? new Date(o.updatedAt).toISOString() : undefined,
    };
  }

  private props(properties: Record<string, P.Value>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(properties)) out[k] = v === null ? '' : String(v);
    return out;
  }

  async get(ctx: P.Ctx, objectType: string, id: string, properties: string[]): Promise<P.CrmRecord> {
    const t = this.objectName(objectType);
    const o = await this.call(ctx, (c) => c.crm.objects.basicApi.getById(t, id, properties.length ? properties : undefined), { resource: { kind: t, id } });
    return this.toRecord(t, o);
  }

  async findBy(ctx: P.Ctx, objectType: string, property: string, value: string, properties: string[], max: number): Promise<P.CrmRecord[]> {
    const t = this.objectName(objectType);
    // A unique property is read directly (the search index lags a few seconds behind writes).
    if (t === 'contacts' && property === 'email') {
      try {
        const o = await this.call(ctx, (c) => c.crm.objects.basicApi.getById(t, value, properties.length ? properties : undefined, undefined, undefined, false, property));
        return [this.toRecord(t, o)];
      } catch (e) {
        if (e instanceof ToolError && e.code === 'not_found') return [];
        throw e;
      }
    }
    const page = await this.search(ctx, { objectType: t, filters: [{ property, operator: 'eq', value }], sorts: [], properties, limit: max });
    return page.records;
  }

  async search(ctx: P.Ctx, req: P.SearchRequest): Promise<P.SearchPage> {
    const t = this.objectName(req.objectType);
    const after = req.cursor ? decodeCursor(req.cursor, afterCursor).a : undefined;
    const filters = req.filters.map((f) => {
      const op = OPS[f.operator];
      if (f.operator === 'in') return { propertyName: f.property, operator: op, values: (Array.isArray(f.value) ? f.value : [f.value]).map((v) => String(v ?? '')) };
      if (f.operator === 'has_value' || f.operator === 'no_value') return { propertyName: f.property, operator: op };
      const v = str(Array.isArray(f.value) ? f.value[0] : f.value) ?? '';
      const value = f.operator === 'contains' ? `*${v}*` : f.operator === 'starts_with' ? `${v}*` : v;
      return { propertyName: f.property, operator: op, value };
    });
    const body = {
      limit: req.limit,
      ...(after ? { after } : {}),
      ...(filters.length ? { filterGroups: [{ filters }] } : {}),
      ...(req.sorts.length ? { sorts: req.sorts.map((s) => ({ propertyName: s.property, direction: s.direction === 'desc' ? 'DESCENDING' : 'ASCENDING' })) } : {}),
      ...(req.properties.length ? { properties: req.properties } : {}),
    };
    const r: Any = await this.call(ctx, (c) => c.crm.objects.searchApi.doSearch(t, body as Any));
    const next = r.paging?.next?.after;
    return {
      records: (r.results ?? []).map((o: Any) => this.toRecord(t, o)),
      total: typeof r.total === 'number' ? r.total : undefined,
      ...(next ? { nextCursor: encodeCursor({ a: String(next) }) } : {}),
    };
  }

  async create(ctx: P.Ctx, objectType: string, properties: Record<string, P.Value>): Promise<P.CrmRecord> {
    const t = this.objectName(objectType);
    const o = await this.call(ctx, (c) => c.crm.objects.basicApi.create(t, { properties: this.props(properties), associations: [] }), { write: true });
    return this.toRecord(t, o);
  }

  async update(ctx: P.Ctx, objectType: string, id: string, properties: Record<string, P.Value>): Promise<P.CrmRecord> {
    const t = this.objectName(objectType);
    // A PATCH of the same values is idempotent: safe to retry.
    const o = await this.call(ctx, (c) => c.crm.objects.basicApi.update(t, id, { properties: this.props(properties) }), { resource: { kind: t, id } });
    return this.toRecord(t, o);
  }

  async archive(ctx: P.Ctx, objectType: string, id: string): Promise<void> {
    const t = this.objectName(objectType);
    await this.call(ctx, (c) => c.crm.objects.basicApi.archive(t, id), { resource: { kind: t, id } });
  }

  async pipelines(ctx: P.Ctx, objectType: string): Promise<P.Pipeline[]> {
    const t = this.objectName(objectType);
    const r: Any = await this.call(ctx, (c) => c.crm.pipelines.pipelinesApi.getAll(t));
    return (r.results ?? [])
      .filter((p: Any) => !p.archived)
      .sort((a: Any, b: Any) => a.displayOrder - b.displayOrder)
      .map((p: Any) => ({
        id: String(p.id),
        label: String(p.label),
        stages: (p.stages ?? [])
          .filter((s: Any) => !s.archived)
          .sort((a: Any, b: Any) => a.displayOrder - b.displayOrder)
          .map((s: Any) => {
            const prob = Number(s.metadata?.probability);
            return {
              id: String(s.id),
              label: String(s.label),
              order: s.displayOrder,
              ...(Number.isFinite(prob) ? { probability: prob } : {}),
              ...(s.metadata?.isClosed !== undefined ? { closed: s.metadata.isClosed === 'true' } : {}),
              ...(Number.isFinite(prob) && s.metadata?.isClosed === 'true' ? { won: prob === 1 } : {}),
            };
          }),
      }));
  }

  dealPipelineId(deal: P.CrmRecord): string | undefined {
    return str(deal.properties.pipeline);
  }

  async logActivity(ctx: P.Ctx, a: P.ActivityInput): Promise<P.CrmRecord> {
    const e = ENGAGEMENTS[a.type];
    const properties: Record<string, string> = { hs_timestamp: a.timestamp, [e.body]: a.body };
    if (e.subject && a.subject) properties[e.subject] = a.subject;
    if (a.type === 'note' && a.subject) properties[e.body] = `${a.subject}\n\n${a.body}`;
    if (a.type === 'email') properties.hs_email_direction = 'EMAIL';
    if (a.type === 'task') properties.hs_task_status = 'NOT_STARTED';
    if (a.type === 'call' && a.durationMinutes) properties.hs_call_duration = String(a.durationMinutes * 60_000);
    if (a.type === 'meeting') {
      properties.hs_meeting_start_time = a.timestamp;
      properties.hs_meeting_end_time = new Date(Date.parse(a.timestamp) + (a.durationMinutes ?? 30) * 60_000).toISOString();
    }
    const to = (ids: string[], typeId: number) => ids.map((id) => ({ to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }] }));
    const associations = [...to(a.contactIds, e.assoc.contacts), ...to(a.companyIds, e.assoc.companies), ...to(a.dealIds, e.assoc.deals)];
    const o = await this.call(ctx, (c) => c.crm.objects.basicApi.create(e.object, { properties, associations } as Any), { write: true });
    return this.toRecord(e.object, o);
  }

  async associate(ctx: P.Ctx, fromType: string, fromId: string, toType: string, toId: string): Promise<void> {
    const f = this.objectName(fromType);
    const t = this.objectName(toType);
    await this.call(ctx, (c) => c.crm.associations.v4.basicApi.createDefault(f, fromId, t, toId), { resource: { kind: f, id: fromId } });
  }

  async associations(ctx: P.Ctx, fromType: string, fromId: string, toType: string, limit: number, cursor?: string): Promise<{ items: P.Association[]; nextCursor?: string }> {
    const f = this.objectName(fromType);
    const t = this.objectName(toType);
    const after = cursor ? decodeCursor(cursor, afterCursor).a : undefined;
    const r: Any = await this.call(ctx, (c) => c.crm.associations.v4.basicApi.getPage(f, fromId, t, after, limit), { resource: { kind: f, id: fromId } });
    const next = r.paging?.next?.after;
    return {
      items: (r.results ?? []).map((x: Any) => ({
        id: String(x.toObjectId),
        objectType: t,
        labels: (x.associationTypes ?? []).map((ty: Any) => String(ty.label ?? `${ty.category}:${ty.typeId}`)),
      })),
      ...(next ? { nextCursor: encodeCursor({ a: String(next) }) } : {}),
    };
  }

  async describe(ctx: P.Ctx, objectType: string): Promise<{ name: string; label: string; fields: P.FieldInfo[] }> {
    const t = this.objectName(objectType);
    const r: Any = await this.call(ctx, (c) => c.crm.properties.coreApi.getAll(t), { resource: { kind: 'object type', id: t } });
    const fields: P.FieldInfo[] = (r.results ?? []).map((p: Any) => ({
      name: String(p.name),
      label: String(p.label ?? p.name),
      type: String(p.type),
      required: false,
      readOnly: Boolean(p.modificationMetadata?.readOnlyValue || p.calculated),
      ...(Array.isArray(p.options) && p.options.length ? { options: p.options.filter((o: Any) => !o.hidden).map((o: Any) => ({ value: String(o.value), label: String(o.label) })) } : {}),
    }));
    return { name: t, label: t, fields };
  }

  async objects(ctx: P.Ctx): Promise<P.ObjectInfo[]> {
    const r: Any = await this.call(ctx, (c) => c.crm.schemas.coreApi.getAll());
    const custom = (r.results ?? []).map((s: Any) => ({ name: String(s.objectTypeId ?? s.fullyQualifiedName ?? s.name), label: String(s.labels?.plural ?? s.name), custom: true }));
    return [...STANDARD_OBJECTS, ...custom];
  }

  async owners(ctx: P.Ctx, limit: number, cursor?: string): Promise<{ items: P.Owner[]; nextCursor?: string }> {
    const after = cursor ? decodeCursor(cursor, afterCursor).a : undefined;
    const r: Any = await this.call(ctx, (c) => c.crm.owners.ownersApi.getPage(undefined, after, limit, false));
    const next = r.paging?.next?.after;
    return {
      items: (r.results ?? []).map((o: Any) => ({
        id: String(o.id),
        name: [o.firstName, o.lastName].filter(Boolean).join(' ') || undefined,
        email: o.email ?? undefined,
        active: !o.archived,
      })),
      ...(next ? { nextCursor: encodeCursor({ a: String(next) }) } : {}),
    };
  }
}
