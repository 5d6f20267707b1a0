// A stateful local Salesforce for the tests, behind core's startFakeApi. Its contract is written here
// from the REST API developer guide for the resources the server uses, at one API version (a request
// at another version is a violation): query and its nextRecordsUrl locators, sObject rows (create 201,
// update and delete 204), describe, the sObject list, and the OAuth token endpoint. Queries go through
// a real parser of the SOQL subset (src/soql.ts) and are executed on the stored rows: WHERE with
// AND/OR/NOT, comparisons, LIKE, IN; ORDER BY; LIMIT/OFFSET; COUNT(); batches sized by
// Sforce-Query-Options. Unknown fields and objects are errors, as in Salesforce. Token grants:
// client credentials and username-password here; JWT bearer and refresh token forwarded to core's
// fake OAuth server (which has no client-credentials grant), with instance_url added as Salesforce does.
import { type FakeApi, type FakeHandler, type FakeOAuth, startFakeApi } from '@bizmcp/core/testing';
import { type Cond, type Literal, parseSoql, type SelectQuery } from '../src/soql.js';

type Obj = Record<string, any>;
type Row = Record<string, string | number | boolean | null>;

export const SF_VERSION = '64.0';

interface FieldDef {
  name: string;
  type: string;
  required?: boolean;
  readOnly?: boolean;
  picklist?: string[];
  referenceTo?: string[];
  externalId?: boolean;
}

const f = (name: string, type = 'string', more: Partial<FieldDef> = {}): FieldDef => ({ name, type, ...more });
const sys = [
  f('Id', 'id', { readOnly: true }),
  f('CreatedDate', 'datetime', { readOnly: true }),
  f('LastModifiedDate', 'datetime', { readOnly: true }),
  f('OwnerId', 'reference', { referenceTo: ['User'] }),
];

export const STAGES = [
  ['Prospecting', 10, 10, false, false],
  ['Qualification', 20, 20, false, false],
  ['Proposal/Price Quote', 30, 75, false, false],
  ['Closed Won', 40, 100, true, true],
  ['Closed Lost', 50, 0, true, false],
] as const;

const SCHEMA: Record<string, { prefix: string; label: string; custom?: boolean; fields: FieldDef[] }> = {
  Contact: {
    prefix: '003',
    label: 'Contact',
    fields: [
      ...sys,
      f('FirstName'),
      f('LastName', 'string', { required: true }),
      f('Email', 'email'),
      f('Phone', 'phone'),
      f('Title'),
      f('MailingStreet', 'textarea'),
      f('Description', 'textarea'),
      f('AccountId', 'reference', { referenceTo: ['Account'] }),
    ],
  },
  Account: {
    prefix: '001',
    label: 'Account',
    fields: [
      ...sys,
      f('Name', 'string', { required: true }),
      f('Website', 'url'),
      f('Industry', 'picklist', { picklist: ['Technology', 'Retail', 'Manufacturing', 'Finance'] }),
      f('Phone', 'phone'),
      f('BillingCity'),
      f('BillingCountry'),
      f('Description', 'textarea'),
      f('NumberOfEmployees', 'int'),
    ],
  },
  Opportunity: {
    prefix: '006',
    label: 'Opportunity',
    fields: [
      ...sys,
      f('Name', 'string', { required: true }),
      f('StageName', 'picklist', { required: true, picklist: STAGES.map((s) => s[0]) }),
      f('Amount', 'currency'),
      f('CloseDate', 'date', { required: true }),
      f('AccountId', 'reference', { referenceTo: ['Account'] }),
      f('Description', 'textarea'),
      f('External_Id__c', 'string', { externalId: true }),
    ],
  },
  Task: {
    prefix: '00T',
    label: 'Task',
    fields: [
      ...sys,
      f('Subject'),
      f('Description', 'textarea'),
      f('ActivityDate', 'date'),
      f('Status', 'picklist', { picklist: ['Not Started', 'Completed'] }),
      f('TaskSubtype', 'picklist', { picklist: ['Task', 'Call', 'Email'] }),
      f('CallDurationInSeconds', 'int'),
      f('WhoId', 'reference', { referenceTo: ['Contact'] }),
      f('WhatId', 'reference', { referenceTo: ['Account', 'Opportunity'] }),
    ],
  },
  Event: {
    prefix: '00U',
    label: 'Event',
    fields: [
      ...sys,
      f('Subject'),
      f('Description', 'textarea'),
      f('StartDateTime', 'datetime'),
      f('DurationInMinutes', 'int'),
      f('WhoId', 'reference', { referenceTo: ['Contact'] }),
      f('WhatId', 'reference', { referenceTo: ['Account', 'Opportunity'] }),
    ],
  },
  OpportunityContactRole: {
    prefix: '00K',
    label: 'Opportunity Contact Role',
    fields: [...sys, f('ContactId', 'reference', { referenceTo: ['Contact'], required: true }), f('OpportunityId', 'reference', { referenceTo: ['Opportunity'], required: true }), f('Role')],
  },
  User: { prefix: '005', label: 'User', fields: [...sys, f('Name'), f('Email', 'email'), f('IsActive', 'boolean')] },
  OpportunityStage: {
    prefix: '01J',
    label: 'Opportunity Stage',
    fields: [...sys, f('MasterLabel'), f('ApiName'), f('SortOrder', 'int'), f('DefaultProbability', 'percent'), f('IsClosed', 'boolean'), f('IsWon', 'boolean'), f('IsActive', 'boolean')],
  },
  Invoice__c: { prefix: 'a01', label: 'Invoice', custom: true, fields: [...sys, f('Name'), f('Total__c', 'currency')] },
};

const V = `/services/data/v${SF_VERSION}`;
const str = { type: 'string' };
const p = (name: string) => ({ name, in: 'path', required: true, schema: str });
const q = (name: string, required = false) => ({ name, in: 'query', required, schema: str });
const rowBody = { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } } } } };

export const SALESFORCE_CONTRACT = {
  openapi: '3.0.0',
  info: { title: `Salesforce REST API v${SF_VERSION} (from the REST API developer guide)`, version: SF_VERSION },
  servers: [{ url: 'https://example.my.salesforce.com' }],
  paths: {
    '/services/oauth2/token': {
      post: {
        operationId: 'token',
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['grant_type'],
                properties: { grant_type: str, client_id: str, client_secret: str, refresh_token: str, assertion: str, username: str, password: str },
              },
            },
          },
        },
      },
    },
    [`${V}/query`]: { get: { operationId: 'query', parameters: [q('q', true)] } },
    [`${V}/query/{locator}`]: { get: { operationId: 'queryMore', parameters: [p('locator')] } },
    [`${V}/sobjects`]: { get: { operationId: 'describeGlobal' } },
    [`${V}/sobjects/{sobject}`]: { post: { operationId: 'create', parameters: [p('sobject')], requestBody: rowBody } },
    [`${V}/sobjects/{sobject}/describe`]: { get: { operationId: 'describe', parameters: [p('sobject')] } },
    [`${V}/sobjects/{sobject}/{id}`]: {
      get: { operationId: 'retrieve', parameters: [p('sobject'), p('id'), q('fields')] },
      patch: { operationId: 'update', parameters: [p('sobject'), p('id')], requestBody: rowBody },
      delete: { operationId: 'destroy', parameters: [p('sobject'), p('id')] },
    },
  },
};

export interface ExecutedQuery {
  soql: string;
  ast: SelectQuery;
}

export interface FakeSalesforce {
  api: FakeApi;
  url: string;
  rows: Record<string, Map<string, Row>>;
  /** Every query executed, parsed: the oracle of the injection tests. */
  queries: ExecutedQuery[];
  add(sobject: string, fields: Row): Row;
  /** Client credentials accepted by the token endpoint. */
  client: { id: string; secret: string };
  user: { username: string; password: string };
  /** Every access token stops working (INVALID_SESSION_ID). */
  expireTokens(): void;
  tokenGrants: string[];
  /** The next `count` API requests answer this status and Salesforce error list. */
  failNext(count: number, status: number, errorCode: string, message: string): void;
  /** API requests used / allowed in 24 h (Sforce-Limit-Info). */
  usage: { used: number; limit: number };
  /** Contacts with an e-mail already used are refused (a duplicate rule). */
  duplicateRule: boolean;
  close(): Promise<void>;
}

const sfError = (status: number, errorCode: string, message: string, fields: string[] = []) => ({ status, body: [{ message, errorCode, fields }] });

function like(value: string, pattern: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && (pattern[i + 1] === '%' || pattern[i + 1] === '_')) {
      re += `\\${pattern[++i]}`;
    } else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is').test(value);
}

export async function startFakeSalesforce(opts: { oauth?: FakeOAuth } = {}): Promise<FakeSalesforce> {
  let seq = 0;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const rows: Record<string, Map<string, Row>> = Object.fromEntries(Object.keys(SCHEMA).map((k) => [k, new Map<string, Row>()]));
  const queries: ExecutedQuery[] = [];
  const tokens = new Set<string>();
  const tokenGrants: string[] = [];
  const locators = new Map<string, Row[]>();
  const failures: { status: number; body: Obj }[] = [];
  const usage = { used: 0, limit: 15_000 };
  const client = { id: 'sf-client-id', secret: 'sf-client-secret' };
  const user = { username: 'ops@example.com', password: 'pw+securitytoken' };
  let url = '';

  const newId = (sobject: string) => {
    const n = String(++seq).padStart(12, '0');
    return `${SCHEMA[sobject].prefix}${n}AAA`.slice(0, 18);
  };
  const add = (sobject: string, fields: Row): Row => {
    const t = new Date((clock += 1000)).toISOString().replace('Z', '+0000');
    const row: Row = { Id: newId(sobject), CreatedDate: t, LastModifiedDate: t, OwnerId: '005000000000001AAA', ...fields };
    rows[sobject].set(String(row.Id), row);
    return row;
  };
  add('User', { Name: 'Ana Lopez', Email: 'ana@example.com', IsActive: true });
  for (const [label, order, prob, closed, won] of STAGES)
    add('OpportunityStage', { MasterLabel: label, ApiName: label, SortOrder: order, DefaultProbability: prob, IsClosed: closed, IsWon: won, IsActive: true });

  const fieldOf = (sobject: string, name: string) => SCHEMA[sobject]?.fields.find((x) => x.name.toLowerCase() === name.toLowerCase());
  const attributes = (sobject: string, id: unknown) => ({ type: sobject, url: `${V}/sobjects/${sobject}/${id}` });

  const litValue = (l: Literal): string | number | boolean | null => (l.kind === 'null' ? null : l.value);
  const cmp = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)));
  const evalCond = (sobject: string, row: Row, c: Cond): boolean => {
    switch (c.kind) {
      case 'and':
        return evalCond(sobject, row, c.left) && evalCond(sobject, row, c.right);
      case 'or':
        return evalCond(sobject, row, c.left) || evalCond(sobject, row, c.right);
      case 'not':
        return !evalCond(sobject, row, c.expr);
      case 'in': {
        const v = row[fieldOf(sobject, c.field)!.name] ?? null;
        const hit = c.values.some((l) => String(litValue(l)).toLowerCase() === String(v).toLowerCase());
        return c.negated ? !hit : hit;
      }
      case 'cmp': {
        const v = row[fieldOf(sobject, c.field)!.name] ?? null;
        const w = litValue(c.value);
        if (c.op === 'LIKE') return v !== null && like(String(v), String(w));
        if (w === null) return c.op === '=' ? v === null : c.op === '!=' ? v !== null : false;
        if (v === null) return c.op === '!=';
        const d = typeof v === 'string' && typeof w === 'string' ? v.toLowerCase().localeCompare(w.toLowerCase()) : cmp(v, w);
        return { '=': d === 0, '!=': d !== 0, '<': d < 0, '<=': d <= 0, '>': d > 0, '>=': d >= 0 }[c.op];
      }
    }
  };
  const fieldsIn = (c: Cond | undefined): string[] => {
    if (!c) return [];
    if (c.kind === 'and' || c.kind === 'or') return [...fieldsIn(c.left), ...fieldsIn(c.right)];
    if (c.kind === 'not') return fieldsIn(c.expr);
    return [(c as { field: string }).field];
  };

  const run = (soql: string, batch: number) => {
    let ast: SelectQuery;
    try {
      ast = parseSoql(soql);
    } catch (e) {
      return sfError(400, 'MALFORMED_QUERY', (e as Error).message);
    }
    queries.push({ soql, ast });
    const schema = SCHEMA[ast.from];
    if (!schema) return sfError(400, 'INVALID_TYPE', `sObject type '${ast.from}' is not supported.`);
    for (const name of [...ast.fields, ...fieldsIn(ast.where), ...ast.orderBy.map((o) => o.field)])
      if (!fieldOf(ast.from, name)) return sfError(400, 'INVALID_FIELD', `No such column '${name}' on entity '${ast.from}'.`);
    let hits = [...rows[ast.from].values()].filter((r) => !ast.where || evalCond(ast.from, r, ast.where));
    for (const o of [...ast.orderBy].reverse()) {
      const name = fieldOf(ast.from, o.field)!.name;
      hits = hits.sort((a, b) => (o.dir === 'DESC' ? -1 : 1) * cmp(a[name] ?? '', b[name] ?? ''));
    }
    if (ast.offset) hits = hits.slice(ast.offset);
    if (ast.limit !== undefined) hits = hits.slice(0, ast.limit);
    if (ast.count) return { status: 200, body: { totalSize: hits.length, done: true, records: [] } };
    const out = hits.map((r) => {
      const o: Obj = { attributes: attributes(ast.from, r.Id) };
      for (const name of ast.fields) {
        const def = fieldOf(ast.from, name)!;
        o[def.name] = r[def.name] ?? null;
      }
      return o as Row;
    });
    return page(out, 0, batch);
  };
  const page = (all: Row[], start: number, batch: number) => {
    const chunk = all.slice(start, start + batch);
    const done = start + batch >= all.length;
    let nextRecordsUrl: string | undefined;
    if (!done) {
      const loc = `01g${String(++seq).padStart(12, '0')}AAA`.slice(0, 18);
      locators.set(loc, all);
      nextRecordsUrl = `${V}/query/${loc}-${start + batch}`;
    }
    return { status: 200, body: { totalSize: all.length, done, records: chunk, ...(nextRecordsUrl ? { nextRecordsUrl } : {}) } };
  };
  const batchOf = (h: unknown) => {
    const m = /batchSize=(\d+)/.exec(String(h ?? ''));
    return m ? Math.min(2000, Math.max(200, Number(m[1]))) : 2000;
  };

  const checkRow = (sobject: string, body: Obj, creating: boolean) => {
    for (const [k, v] of Object.entries(body)) {
      const def = fieldOf(sobject, k);
      if (!def) return sfError(400, 'INVALID_FIELD', `No such column '${k}' on sobject of type ${sobject}`, [k]);
      if (def.readOnly) return sfError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${k}. Please check the security settings of this field.`, [k]);
      if (def.picklist && v !== null && !def.picklist.includes(String(v)))
        return sfError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${def.name}: bad value for restricted picklist field: ${v}`, [def.name]);
      if (def.type === 'reference' && v !== null && !Object.values(rows).some((m) => m.has(String(v))))
        return sfError(400, 'INVALID_CROSS_REFERENCE_KEY', `${def.name}: id value of incorrect type: ${v}`, [def.name]);
      if ((def.type === 'currency' || def.type === 'int') && v !== null && typeof v !== 'number')
        return sfError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of ${def.type} from ${typeof v} value ${v}`, [def.name]);
      if (def.type === 'date' && v !== null && !/^\d{4}-\d{2}-\d{2}$/.test(String(v)))
        return sfError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of date from VALUE_STRING value ${v}`, [def.name]);
    }
    if (creating) {
      const missing = SCHEMA[sobject].fields.filter((x) => x.required && (body[x.name] === undefined || body[x.name] === null || body[x.name] === '')).map((x) => x.name);
      if (missing.length) return sfError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    }
    if (state.duplicateRule && sobject === 'Contact' && typeof body.Email === 'string') {
      const dup = [...rows.Contact.values()].find((r) => String(r.Email ?? '').toLowerCase() === body.Email.toLowerCase());
      if (dup) return sfError(400, 'DUPLICATES_DETECTED', 'Use one of these records?', []);
    }
    return undefined;
  };

  const guard =
    (h: FakeHandler): FakeHandler =>
    async (req, res) => {
      usage.used++;
      const headers = { 'sforce-limit-info': `api-usage=${usage.used}/${usage.limit}` };
      const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!auth || !(tokens.has(auth) || opts.oauth?.isValid(auth))) return res.json(sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid').body, 401, headers);
      const fail = failures.shift();
      if (fail) return res.json(fail.body, fail.status, headers);
      const out = await h(req, res);
      out.headers = { ...(out.headers ?? {}), ...headers };
      return out;
    };
  const send = (res: Parameters<FakeHandler>[1], r: { status: number; body: unknown }) => res.json(r.body, r.status);

  const routes: Record<string, FakeHandler> = {
    token: async (req, res) => {
      const b = req.body as Obj;
      tokenGrants.push(String(b.grant_type));
      const issue = () => {
        const t = `00Dfake!${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
        tokens.add(t);
        return res.json({ access_token: t, instance_url: url, id: `${url}/id/00D/005`, token_type: 'Bearer', issued_at: String(Date.now()), signature: 'x' });
      };
      if (b.grant_type === 'client_credentials') {
        if (b.client_id !== client.id || b.client_secret !== client.secret) return res.json({ error: 'invalid_client', error_description: 'invalid client credentials' }, 400);
        return issue();
      }
      if (b.grant_type === 'password') {
        if (b.username !== user.username || b.password !== user.password) return res.json({ error: 'invalid_grant', error_description: 'authentication failure' }, 400);
        return issue();
      }
      if (!opts.oauth) return res.json({ error: 'unsupported_grant_type', error_description: 'grant type not supported' }, 400);
      // JWT bearer and refresh token: core's fake OAuth server decides; Salesforce adds instance_url.
      const r = await fetch(opts.oauth.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: req.rawBody.toString() });
      const answer = (await r.json()) as Obj;
      return res.json(r.ok ? { ...answer, instance_url: url } : answer, r.status);
    },
    query: (req, res) => send(res, run(String(req.query.q), batchOf(req.headers['sforce-query-options']))),
    queryMore: (req, res) => {
      const m = /^([A-Za-z0-9]{15,18})-(\d+)$/.exec(req.params.locator);
      const all = m ? locators.get(m[1]) : undefined;
      if (!m || !all) return send(res, sfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator'));
      return send(res, page(all, Number(m[2]), batchOf(req.headers['sforce-query-options'])));
    },
    describeGlobal: (_req, res) =>
      res.json({
        encoding: 'UTF-8',
        maxBatchSize: 200,
        sobjects: Object.entries(SCHEMA).map(([name, s]) => ({ name, label: s.label, custom: Boolean(s.custom), queryable: true, keyPrefix: s.prefix })),
      }),
    describe: (req, res) => {
      const s = SCHEMA[req.params.sobject];
      if (!s) return send(res, sfError(404, 'NOT_FOUND', 'The requested resource does not exist'));
      return res.json({
        name: req.params.sobject,
        label: s.label,
        custom: Boolean(s.custom),
        fields: s.fields.map((x) => ({
          name: x.name,
          label: x.name,
          type: x.type,
          nillable: !x.required,
          createable: !x.readOnly,
          updateable: !x.readOnly,
          defaultedOnCreate: x.name === 'OwnerId',
          externalId: Boolean(x.externalId),
          picklistValues: (x.picklist ?? []).map((v) => ({ value: v, label: v, active: true, defaultValue: false })),
          referenceTo: x.referenceTo ?? [],
        })),
      });
    },
    create: (req, res) => {
      const sobject = req.params.sobject;
      if (!SCHEMA[sobject]) return send(res, sfError(404, 'NOT_FOUND', 'The requested resource does not exist'));
      const bad = checkRow(sobject, req.body, true);
      if (bad) return send(res, bad);
      const row = add(sobject, req.body);
      return res.json({ id: row.Id, success: true, errors: [] }, 201);
    },
    retrieve: (req, res) => {
      const { sobject, id } = req.params;
      const row = rows[sobject]?.get(id);
      if (!row) return send(res, sfError(404, 'NOT_FOUND', 'Provided external ID field does not exist or is not accessible: ' + id));
      const wanted = typeof req.query.fields === 'string' ? req.query.fields.split(',') : SCHEMA[sobject].fields.map((x) => x.name);
      const o: Obj = { attributes: attributes(sobject, id) };
      for (const w of wanted) {
        const def = fieldOf(sobject, w);
        if (!def) return send(res, sfError(400, 'INVALID_FIELD', `No such column '${w}' on entity '${sobject}'.`));
        o[def.name] = row[def.name] ?? null;
      }
      return res.json(o);
    },
    update: (req, res) => {
      const { sobject, id } = req.params;
      const row = rows[sobject]?.get(id);
      if (!row) return send(res, sfError(404, 'ENTITY_IS_DELETED', 'entity is deleted'));
      const bad = checkRow(sobject, req.body, false);
      if (bad) return send(res, bad);
      Object.assign(row, req.body, { LastModifiedDate: new Date((clock += 1000)).toISOString().replace('Z', '+0000') });
      return res.empty(204);
    },
    destroy: (req, res) => {
      const { sobject, id } = req.params;
      if (!rows[sobject]?.delete(id)) return send(res, sfError(404, 'ENTITY_IS_DELETED', 'entity is deleted'));
      return res.empty(204);
    },
  };

  const api = await startFakeApi({
    contract: SALESFORCE_CONTRACT,
    routes: Object.fromEntries(Object.entries(routes).map(([k, h]) => [k, k === 'token' ? h : guard(h)])),
  });
  url = api.url;
  const state: FakeSalesforce = {
    api,
    url,
    rows,
    queries,
    add,
    client,
    user,
    expireTokens: () => {
      tokens.clear();
      opts.oauth?.expireAll();
    },
    tokenGrants,
    failNext: (count, status, errorCode, message) => {
      for (let i = 0; i < count; i++) failures.push(sfError(status, errorCode, message));
    },
    usage,
    duplicateRule: false,
    close: () => api.close(),
  };
  return state;
}
