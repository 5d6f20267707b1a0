// Salesforce through jsforce (loaded at the first call) on the REST API at an explicit version:
// sObject rows for reads and writes, SOQL built with escaped literals and checked names, query
// paging through nextRecordsUrl, OpportunityStage as the pipeline, Task and Event as activities,
// lookups (AccountId, OpportunityContactRole) as associations. Tokens come from the connected app:
// client credentials, JWT bearer, a refresh token, or (discouraged) username + password.
import { createHash } from 'node:crypto';
import type { Connection } from 'jsforce';
import {
  type AccessToken,
  CachedTokenSource,
  type CachedTokenOptions,
  decodeCursor,
  encodeCursor,
  JwtBearerSession,
  type Logger,
  missingCredentials,
  registerSecret,
  requestToken,
  salesforceFailure,
  ToolError,
  toUpstreamToolError,
  withRetries,
} from '@bizmcp/core';
import { z } from 'zod';
import type { CrmConfig, SalesforceAuth } from './config.js';
import { COMMON_FIELDS, COMMON_OBJECTS, isCommonObject } from './provider.js';
import type * as P from './provider.js';
import { soqlLikeContains, soqlName, soqlString, soqlValue } from './soql.js';

const HELP =
  'Set SALESFORCE_CLIENT_ID with SALESFORCE_CLIENT_SECRET (client credentials), SALESFORCE_PRIVATE_KEY_FILE and SALESFORCE_USERNAME (JWT bearer) or SALESFORCE_REFRESH_TOKEN, for a connected app set up as the server docs describe, then restart the server.';

type Any = any;

/** client_credentials, refresh_token and password grants against the org's token endpoint. */
class SalesforceGrant extends CachedTokenSource {
  constructor(
    private readonly tokenUrl: string,
    private readonly auth: Exclude<SalesforceAuth, { kind: 'none' } | { kind: 'jwt' }>,
    opts: CachedTokenOptions,
  ) {
    super(opts);
  }

  revokedError(): ToolError {
    return new ToolError('Salesforce refused freshly issued access tokens for this connected app.', { code: 'missing_credentials', hint: HELP });
  }

  protected async obtain(signal: AbortSignal): Promise<AccessToken> {
    const a = this.auth;
    const params: Record<string, string> =
      a.kind === 'client_credentials'
        ? { grant_type: 'client_credentials' }
        : a.kind === 'refresh_token'
          ? { grant_type: 'refresh_token', refresh_token: a.refreshToken }
          : { grant_type: 'password', username: a.username, password: a.password };
    const r = await requestToken(this.tokenUrl, params, {
      clientId: a.clientId,
      clientSecret: a.clientSecret,
      signal,
      timeoutMs: this.timeoutMs,
      invalidGrant: (d) =>
        new ToolError(`Salesforce refused the ${a.kind.replace('_', ' ')} grant (invalid_grant${d ? `: ${d}` : ''}).`, {
          code: 'missing_credentials',
          hint: HELP,
        }),
    });
    return this.fromResponse(r);
  }
}

type TokenSource = SalesforceGrant | JwtBearerSession;

const ID = /^[a-zA-Z0-9]{15,18}$/;
const checkId = (id: string) => {
  if (!ID.test(id)) throw new ToolError(`"${id.slice(0, 40)}" is not a Salesforce record id (15 or 18 letters and digits)`, { code: 'invalid_argument' });
  return id;
};

/** A query position: a nextRecordsUrl locator (or none: the first batch again), rows to skip, and the query's hash. */
const queryCursor = z.object({
  n: z
    .string()
    .regex(/^[A-Za-z0-9]{15,18}-\d{1,9}$/)
    .optional(),
  s: z.number().int().min(0).max(2000),
  h: z.string().max(16),
});
const ownerCursor = z.object({ o: z.string().regex(ID) });

const OPS: Record<Exclude<P.Filter['operator'], 'in' | 'contains' | 'starts_with' | 'has_value' | 'no_value'>, string> = {
  eq: '=',
  neq: '!=',
  lt: '<',
  lte: '<=',
  gt: '>',
  gte: '>=',
};

// Lookups that associate two common objects: [child object, lookup field, parent object].
const LOOKUPS: [string, string, string][] = [
  ['Contact', 'AccountId', 'Account'],
  ['Opportunity', 'AccountId', 'Account'],
];

export class SalesforceProvider implements P.CrmProvider {
  readonly name = 'salesforce' as const;
  private conn?: Promise<Connection>;
  private tokens?: TokenSource;
  private instanceUrl?: string;

  constructor(
    private readonly config: CrmConfig,
    private readonly log: Logger,
  ) {
    const a = config.salesforce.auth;
    if (a.kind === 'password') log.warn('Salesforce: using the username-password flow (SALESFORCE_USERNAME/SALESFORCE_PASSWORD); prefer client credentials, JWT bearer or a refresh token');
    if (a.kind !== 'none') {
      registerSecret('clientSecret' in a ? a.clientSecret : undefined);
      registerSecret(a.kind === 'refresh_token' ? a.refreshToken : a.kind === 'password' ? a.password : undefined);
    }
  }

  get apiVersion(): string {
    return this.config.salesforce.apiVersion;
  }

  objectName(type: string): string {
    return isCommonObject(type) ? COMMON_OBJECTS[type].salesforce : soqlName(type, 'object');
  }

  field(object: P.CommonObject, common: string): string {
    return COMMON_FIELDS[object][common]?.salesforce ?? common;
  }

  usage(): P.UsageInfo | undefined {
    const u = (this.connNow as Any)?.limitInfo?.apiUsage;
    if (!u?.limit) return undefined;
    const left = u.limit - u.used;
    return { used: u.used, limit: u.limit, ...(left / u.limit < 0.1 ? { warning: `Salesforce API requests nearly used up: ${u.used} of ${u.limit} in the last 24 hours.` } : {}) };
  }

  private connNow?: Connection;

  private tokenSource(): TokenSource {
    const sf = this.config.salesforce;
    const a = sf.auth;
    if (a.kind === 'none') throw missingCredentials({ what: 'Salesforce', vars: a.missing, how: HELP });
    const tokenUrl = `${sf.loginUrl}/services/oauth2/token`;
    this.tokens ??=
      a.kind === 'jwt'
        ? new JwtBearerSession({
            tokenUrl,
            issuer: a.clientId,
            subject: a.username,
            audience: sf.loginUrl,
            privateKey: a.privateKey,
            lifetimeSec: 180,
            logger: this.log,
            invalidGrantHint: 'Check that the certificate is uploaded to the connected app, the user is pre-authorised (admin-approved users) and SALESFORCE_LOGIN_URL is the right login host.',
          })
        : new SalesforceGrant(tokenUrl, a, { logger: this.log });
    return this.tokens;
  }

  private async connection(ctx: P.Ctx): Promise<{ conn: Connection; token: string }> {
    const source = this.tokenSource();
    const tok = await source.getToken({ signal: ctx.signal });
    const url = this.config.salesforce.instanceUrl ?? (typeof tok.extra.instance_url === 'string' ? tok.extra.instance_url.replace(/\/+$/, '') : undefined);
    if (!url)
      throw new ToolError('Salesforce did not say which instance to use.', { code: 'missing_credentials', hint: 'Set SALESFORCE_INSTANCE_URL to your org URL (https://yourorg.my.salesforce.com).' });
    this.instanceUrl = url;
    this.conn ??= (async () => {
      const mod = await import('jsforce');
      // Bundled, the CommonJS package's exports may sit under `default`.
      const Connection = (mod.Connection ?? (mod as unknown as { default: typeof mod }).default.Connection) as typeof mod.Connection;
      return new Connection({ instanceUrl: url, accessToken: tok.accessToken, version: this.apiVersion });
    })();
    this.conn.catch(() => {
      this.conn = undefined;
    });
    const conn = await this.conn;
    conn.accessToken = tok.accessToken;
    conn.instanceUrl = url;
    this.connNow = conn;
    return { conn, token: tok.accessToken };
  }

  /** One REST request through jsforce; a 401 gets one new token; reads are retried. */
  private async req<T = Any>(
    ctx: P.Ctx,
    method: string,
    path: string,
    body?: unknown,
    opts: { write?: boolean; resource?: { kind: string; id: string }; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const up = { service: 'Salesforce', credentialVar: 'SALESFORCE_CLIENT_ID', credentialHelp: HELP, ...(opts.resource ? { resource: opts.resource } : {}) };
    const url = `/services/data/v${this.apiVersion}${path}`;
    return withRetries(
      async () => {
        for (let attempt = 1; ; attempt++) {
          const { conn, token } = await this.connection(ctx);
          try {
            const out = await conn.request<T>({
              method: method as 'GET',
              url,
              ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
              headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
            });
            this.tokens?.confirm(token);
            return out;
          } catch (e) {
            const code = (e as Any)?.errorCode ?? (e as Any)?.name;
            if (code !== 'INVALID_SESSION_ID' || attempt > 1) throw e;
            if (!this.tokens?.invalidate(token)) throw this.tokens?.revokedError();
          }
        }
      },
      {
        idempotent: !opts.write,
        signal: ctx.signal,
        deadline: ctx.deadline,
        mapError: (e) => toUpstreamToolError(e, salesforceFailure, up),
        onRetry: ({ attempt, delayMs, error }) => this.log.warn({ attempt, delayMs, code: error.code }, 'Salesforce call retried'),
      },
    );
  }

  private toRecord(objectType: string, o: Any): P.CrmRecord {
    const properties: Record<string, P.Value> = {};
    for (const [k, v] of Object.entries(o ?? {})) {
      if (k === 'attributes' || k === 'Id') continue;
      properties[k] = v === undefined ? null : v !== null && typeof v === 'object' ? JSON.stringify(v) : (v as P.Value);
    }
    return {
      id: String(o.Id),
      objectType,
      properties,
      createdAt: typeof o.CreatedDate === 'string' ? o.CreatedDate : undefined,
      updatedAt: typeof o.LastModifiedDate === 'string' ? o.LastModifiedDate : undefined,
    };
  }

  private fields(objectType: string, properties: string[]): string[] {
    const list = properties.length ? properties : defaultFields(objectType);
    return ['Id', ...new Set(list.filter((p) => p !== 'Id').map((p) => soqlName(p)))];
  }

  async get(ctx: P.Ctx, objectType: string, id: string, properties: string[]): Promise<P.CrmRecord> {
    const t = this.objectName(objectType);
    const q = properties.length ? `?fields=${encodeURIComponent(this.fields(t, properties).join(','))}` : '';
    const o = await this.req(ctx, 'GET', `/sobjects/${t}/${checkId(id)}${q}`, undefined, { resource: { kind: t, id } });
    return this.toRecord(t, o);
  }

  async findBy(ctx: P.Ctx, objectType: string, property: string, value: string, properties: string[], max: number): Promise<P.CrmRecord[]> {
    const t = this.objectName(objectType);
    const soql = `SELECT ${this.fields(t, properties).join(', ')} FROM ${t} WHERE ${soqlName(property)} = ${soqlString(value)} ORDER BY CreatedDate ASC LIMIT ${max}`;
    const r = await this.req(ctx, 'GET', `/query?q=${encodeURIComponent(soql)}`);
    return (r.records ?? []).map((o: Any) => this.toRecord(t, o));
  }

  /** The WHERE clause of structured filters, every value a literal and every name checked. */
  whereOf(filters: P.Filter[]): string {
    return filters
      .map((f) => {
        const name = soqlName(f.property);
        const one = Array.isArray(f.value) ? f.value[0] : f.value;
        switch (f.operator) {
          case 'in': {
            const list = (Array.isArray(f.value) ? f.value : [f.value ?? null]).map((v) => soqlValue(v));
            return `${name} IN (${list.join(', ')})`;
          }
          case 'contains':
          case 'starts_with':
            return `${name} LIKE ${soqlLikeContains(String(one ?? ''), f.operator)}`;
          case 'has_value':
            return `${name} != null`;
          case 'no_value':
            return `${name} = null`;
          default:
            return `${name} ${OPS[f.operator]} ${soqlValue(one ?? null)}`;
        }
      })
      .join(' AND ');
  }

  async search(ctx: P.Ctx, req: P.SearchRequest): Promise<P.SearchPage> {
    const t = this.objectName(req.objectType);
    const where = this.whereOf(req.filters);
    const order = req.sorts.length ? req.sorts.map((s) => `${soqlName(s.property)} ${s.direction === 'desc' ? 'DESC' : 'ASC'}`).join(', ') : 'Id ASC';
    const soql = `SELECT ${this.fields(t, req.properties).join(', ')} FROM ${t}${where ? ` WHERE ${where}` : ''} ORDER BY ${order}`;
    return this.pagedQuery(ctx, t, soql, req.limit, req.cursor);
  }

  /**
   * One page of a query: batches of max(200, limit) rows through nextRecordsUrl; a cursor holds the
   * locator (never a URL or a query text), the rows of that batch already returned, and a hash of the
   * query so that a cursor only continues the query it came from.
   */
  async pagedQuery(ctx: P.Ctx, objectType: string, soql: string, limit: number, cursor?: string): Promise<P.SearchPage> {
    const h = createHash('sha256').update(soql).digest('base64url').slice(0, 16);
    const pos = cursor ? decodeCursor(cursor, queryCursor) : { s: 0, h };
    if (pos.h !== h) throw new ToolError('This cursor belongs to another query', { code: 'invalid_argument', hint: 'Repeat the same arguments with the cursor, or omit it to start again.' });
    const batch = Math.min(2000, Math.max(200, limit));
    const headers = { 'Sforce-Query-Options': `batchSize=${batch}` };
    const r = pos.n ? await this.req(ctx, 'GET', `/query/${pos.n}`, undefined, { headers }) : await this.req(ctx, 'GET', `/query?q=${encodeURIComponent(soql)}`, undefined, { headers });
    const rows: Any[] = r.records ?? [];
    const records = rows.slice(pos.s, pos.s + limit).map((o) => this.toRecord(objectType, o));
    let next: z.infer<typeof queryCursor> | undefined;
    if (pos.s + limit < rows.length) next = { ...(pos.n ? { n: pos.n } : {}), s: pos.s + limit, h };
    else if (!r.done && typeof r.nextRecordsUrl === 'string') {
      const locator = /\/query\/([A-Za-z0-9]{15,18}-\d{1,9})$/.exec(r.nextRecordsUrl)?.[1];
      if (locator) next = { n: locator, s: 0, h };
    }
    return { records, total: typeof r.totalSize === 'number' ? r.totalSize : undefined, ...(next ? { nextCursor: encodeCursor(next) } : {}) };
  }

  async create(ctx: P.Ctx, objectType: string, properties: Record<string, P.Value>): Promise<P.CrmRecord> {
    const t = this.objectName(objectType);
    for (const k of Object.keys(properties)) soqlName(k);
    const r = await this.req(ctx, 'POST', `/sobjects/${t}`, properties, { write: true });
    return { id: String(r.id), objectType: t, properties };
  }

  async update(ctx: P.Ctx, objectType: string, id: string, properties: Record<string, P.Value>): Promise<P.CrmRecord> {
    const t = this.objectName(objectType);
    for (const k of Object.keys(properties)) soqlName(k);
    await this.req(ctx, 'PATCH', `/sobjects/${t}/${checkId(id)}`, properties, { resource: { kind: t, id } });
    return { id, objectType: t, properties };
  }

  async archive(ctx: P.Ctx, objectType: string, id: string): Promise<void> {
    const t = this.objectName(objectType);
    await this.req(ctx, 'DELETE', `/sobjects/${t}/${checkId(id)}`, undefined, { resource: { kind: t, id } });
  }

  async pipelines(ctx: P.Ctx, objectType: string): Promise<P.Pipeline[]> {
    const t = this.objectName(objectType);
    if (t !== 'Opportunity') throw new ToolError('Salesforce pipelines are the stages of opportunities (deals)', { code: 'invalid_argument' });
    const soql = 'SELECT Id, MasterLabel, ApiName, SortOrder, DefaultProbability, IsClosed, IsWon FROM OpportunityStage WHERE IsActive = true ORDER BY SortOrder ASC';
    const r = await this.req(ctx, 'GET', `/query?q=${encodeURIComponent(soql)}`);
    const stages = (r.records ?? []).map((s: Any) => ({
      id: String(s.ApiName ?? s.MasterLabel),
      label: String(s.MasterLabel),
      order: Number(s.SortOrder),
      ...(typeof s.DefaultProbability === 'number' ? { probability: s.DefaultProbability / 100 } : {}),
      closed: Boolean(s.IsClosed),
      won: Boolean(s.IsWon),
    }));
    return [{ id: 'default', label: 'Opportunity stages', stages }];
  }

  dealPipelineId(): string | undefined {
    return 'default';
  }

  async logActivity(ctx: P.Ctx, a: P.ActivityInput): Promise<P.CrmRecord> {
    if (a.contactIds.length > 1)
      throw new ToolError('Salesforce links an activity to one contact (WhoId)', { code: 'invalid_argument', hint: 'Log one activity per contact, or pass a single contact id.' });
    if (a.companyIds.length + a.dealIds.length > 1 && !(a.companyIds.length === 1 && a.dealIds.length === 1))
      throw new ToolError('Salesforce links an activity to one company or deal (WhatId)', {
        code: 'invalid_argument',
        hint: 'Pass at most one company and one deal (the deal is used, it belongs to the company).',
      });
    const who = a.contactIds[0] ? checkId(a.contactIds[0]) : undefined;
    const what = a.dealIds[0] ?? a.companyIds[0];
    const subject = (a.subject ?? `${a.type[0].toUpperCase()}${a.type.slice(1)}`).slice(0, 255);
    const links = { ...(who ? { WhoId: who } : {}), ...(what ? { WhatId: checkId(what) } : {}) };
    if (a.type === 'meeting') {
      const props: Record<string, P.Value> = { Subject: subject, Description: a.body, StartDateTime: a.timestamp, DurationInMinutes: a.durationMinutes ?? 30, ...links };
      const r = await this.req(ctx, 'POST', '/sobjects/Event', props, { write: true });
      return { id: String(r.id), objectType: 'Event', properties: props };
    }
    const props: Record<string, P.Value> = {
      Subject: a.type === 'note' ? `Note: ${subject}` : subject,
      Description: a.body,
      ActivityDate: a.timestamp.slice(0, 10),
      Status: a.type === 'task' ? 'Not Started' : 'Completed',
      TaskSubtype: a.type === 'call' ? 'Call' : a.type === 'email' ? 'Email' : 'Task',
      ...(a.type === 'call' && a.durationMinutes ? { CallDurationInSeconds: a.durationMinutes * 60 } : {}),
      ...links,
    };
    const r = await this.req(ctx, 'POST', '/sobjects/Task', props, { write: true });
    return { id: String(r.id), objectType: 'Task', properties: props };
  }

  async associate(ctx: P.Ctx, fromType: string, fromId: string, toType: string, toId: string): Promise<void> {
    const f = this.objectName(fromType);
    const t = this.objectName(toType);
    const pair = [f, t].sort().join('/');
    if (pair === 'Contact/Opportunity') {
      const [contact, opp] = f === 'Contact' ? [fromId, toId] : [toId, fromId];
      await this.req(ctx, 'POST', '/sobjects/OpportunityContactRole', { ContactId: checkId(contact), OpportunityId: checkId(opp) }, { write: true });
      return;
    }
    const lookup = LOOKUPS.find(([child, , parent]) => (child === f && parent === t) || (child === t && parent === f));
    if (!lookup)
      throw new ToolError(`Salesforce links ${f} and ${t} through a lookup field, which this tool does not know`, {
        code: 'invalid_argument',
        hint: 'Set the lookup field (describe_object lists reference fields) with update_record.',
      });
    const [child, field] = lookup;
    const [childId, parentId] = child === f ? [fromId, toId] : [toId, fromId];
    await this.update(ctx, child, childId, { [field]: checkId(parentId) });
  }

  async associations(ctx: P.Ctx, fromType: string, fromId: string, toType: string, limit: number, cursor?: string): Promise<{ items: P.Association[]; nextCursor?: string }> {
    const f = this.objectName(fromType);
    const t = this.objectName(toType);
    const id = soqlString(checkId(fromId));
    let soql: string;
    let label: string;
    let pick = (o: Any) => String(o.Id);
    if (f === 'Opportunity' && t === 'Contact') {
      soql = `SELECT Id, ContactId FROM OpportunityContactRole WHERE OpportunityId = ${id} ORDER BY Id ASC`;
      label = 'OpportunityContactRole';
      pick = (o) => String(o.ContactId);
    } else if (f === 'Contact' && t === 'Opportunity') {
      soql = `SELECT Id, OpportunityId FROM OpportunityContactRole WHERE ContactId = ${id} ORDER BY Id ASC`;
      label = 'OpportunityContactRole';
      pick = (o) => String(o.OpportunityId);
    } else {
      const child = LOOKUPS.find(([c, , p]) => c === t && p === f);
      const parent = LOOKUPS.find(([c, , p]) => c === f && p === t);
      if (child) {
        soql = `SELECT Id FROM ${t} WHERE ${child[1]} = ${id} ORDER BY Id ASC`;
        label = child[1];
      } else if (parent) {
        soql = `SELECT Id, ${parent[1]} FROM ${f} WHERE Id = ${id} AND ${parent[1]} != null`;
        label = parent[1];
        pick = (o) => String(o[parent[1]]);
      } else {
        throw new ToolError(`No known link between ${f} and ${t}`, { code: 'invalid_argument', hint: 'Use search_records with the lookup field (describe_object lists reference fields).' });
      }
    }
    const page = await this.pagedQuery(ctx, 'link', soql, limit, cursor);
    return {
      items: page.records.map((r) => ({ id: pick({ Id: r.id, ...r.properties }), objectType: t, labels: [label] })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  async describe(ctx: P.Ctx, objectType: string): Promise<{ name: string; label: string; fields: P.FieldInfo[] }> {
    const t = this.objectName(objectType);
    const r = await this.req(ctx, 'GET', `/sobjects/${t}/describe`, undefined, { resource: { kind: 'object', id: t } });
    const fields: P.FieldInfo[] = (r.fields ?? []).map((f: Any) => ({
      name: String(f.name),
      label: String(f.label ?? f.name),
      type: String(f.type),
      required: Boolean(f.createable && !f.nillable && !f.defaultedOnCreate),
      readOnly: !f.createable && !f.updateable,
      ...(Array.isArray(f.picklistValues) && f.picklistValues.length
        ? { options: f.picklistValues.filter((p: Any) => p.active !== false).map((p: Any) => ({ value: String(p.value), label: String(p.label ?? p.value) })) }
        : {}),
      ...(Array.isArray(f.referenceTo) && f.referenceTo.length ? { referenceTo: f.referenceTo.map(String) } : {}),
    }));
    return { name: String(r.name ?? t), label: String(r.label ?? t), fields };
  }

  async objects(ctx: P.Ctx): Promise<P.ObjectInfo[]> {
    const r = await this.req(ctx, 'GET', '/sobjects');
    return (r.sobjects ?? []).filter((o: Any) => o.queryable !== false).map((o: Any) => ({ name: String(o.name), label: String(o.label ?? o.name), custom: Boolean(o.custom) }));
  }

  async owners(ctx: P.Ctx, limit: number, cursor?: string): Promise<{ items: P.Owner[]; nextCursor?: string }> {
    const after = cursor ? decodeCursor(cursor, ownerCursor).o : undefined;
    const soql = `SELECT Id, Name, Email, IsActive FROM User WHERE IsActive = true${after ? ` AND Id > ${soqlString(after)}` : ''} ORDER BY Id ASC LIMIT ${limit + 1}`;
    const r = await this.req(ctx, 'GET', `/query?q=${encodeURIComponent(soql)}`);
    const rows: Any[] = r.records ?? [];
    const items = rows.slice(0, limit).map((u) => ({ id: String(u.Id), name: u.Name ?? undefined, email: u.Email ?? undefined, active: u.IsActive !== false }));
    return { items, ...(rows.length > limit ? { nextCursor: encodeCursor({ o: items[items.length - 1].id }) } : {}) };
  }
}

/** Fields read when the caller names none. */
function defaultFields(objectType: string): string[] {
  switch (objectType) {
    case 'Contact':
      return ['FirstName', 'LastName', 'Email', 'Phone', 'Title', 'AccountId', 'OwnerId'];
    case 'Account':
      return ['Name', 'Website', 'Industry', 'Phone', 'BillingCity', 'BillingCountry', 'OwnerId'];
    case 'Opportunity':
      return ['Name', 'StageName', 'Amount', 'CloseDate', 'AccountId', 'OwnerId'];
    default:
      return ['Name'];
  }
}
