// A stateful local HubSpot for the tests, behind core's startFakeApi. Its contract is written here
// from the request and response types of @hubspot/api-client (paths, parameters, body shapes) for
// the operations the server uses; it answers with the status codes the generated client expects
// (201 for a create, 204 for an archive, 200 otherwise), since the client throws on any other.
// State: objects by type, v4 associations, deal pipelines, properties, owners. Errors: 401 for a
// wrong or expired token, 404, 409 for a second contact with the same e-mail, 400 validation errors
// naming the property, 429 with a policy name, and the daily limit headers on every answer.
import { type FakeApi, type FakeHandler, type FakeRequest, startFakeApi } from '@bizmcp/core/testing';

type Obj = Record<string, any>;

const str = { type: 'string' };
const idParam = (name: string) => ({ name, in: 'path', required: true, schema: str });
const q = (name: string, schema: Obj = str) => ({ name, in: 'query', required: false, schema });
const strList = { type: 'array', items: str };
const json = (schema: Obj, required = true) => ({ required, content: { 'application/json': { schema } } });
const assocSpec = {
  type: 'object',
  required: ['associationCategory', 'associationTypeId'],
  properties: { associationCategory: { enum: ['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED'] }, associationTypeId: { type: 'integer' } },
};
const filterSchema = {
  type: 'object',
  required: ['propertyName', 'operator'],
  properties: {
    propertyName: str,
    operator: { enum: ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'] },
    value: str,
    highValue: str,
    values: { type: 'array', items: str },
  },
};

/** The contract: an OpenAPI 3 document of the operations used, from the client's types. */
export const HUBSPOT_CONTRACT = {
  openapi: '3.0.0',
  info: { title: 'HubSpot CRM (from @hubspot/api-client types)', version: '14' },
  servers: [{ url: 'https://api.hubapi.com' }],
  paths: {
    '/crm/v3/objects/{objectType}': {
      post: {
        operationId: 'objects.create',
        parameters: [idParam('objectType')],
        requestBody: json({
          type: 'object',
          required: ['properties'],
          properties: {
            properties: { type: 'object', additionalProperties: str },
            associations: {
              type: 'array',
              items: { type: 'object', required: ['to', 'types'], properties: { to: { type: 'object', required: ['id'], properties: { id: str } }, types: { type: 'array', items: assocSpec } } },
            },
          },
        }),
      },
    },
    '/crm/v3/objects/{objectType}/search': {
      post: {
        operationId: 'objects.search',
        parameters: [idParam('objectType')],
        requestBody: json({
          type: 'object',
          properties: {
            query: str,
            limit: { type: 'integer', maximum: 200 },
            after: str,
            sorts: { type: 'array', items: { anyOf: [str, { type: 'object', properties: { propertyName: str, direction: { enum: ['ASCENDING', 'DESCENDING'] } } }] } },
            properties: { type: 'array', items: str },
            filterGroups: { type: 'array', maxItems: 5, items: { type: 'object', required: ['filters'], properties: { filters: { type: 'array', maxItems: 6, items: filterSchema } } } },
          },
        }),
      },
    },
    '/crm/v3/objects/{objectType}/{objectId}': {
      get: {
        operationId: 'objects.get',
        parameters: [
          idParam('objectType'),
          idParam('objectId'),
          q('properties', strList),
          q('propertiesWithHistory', strList),
          q('associations', strList),
          q('archived', { type: 'boolean' }),
          q('idProperty'),
        ],
      },
      patch: {
        operationId: 'objects.update',
        parameters: [idParam('objectType'), idParam('objectId'), q('idProperty')],
        requestBody: json({ type: 'object', required: ['properties'], properties: { properties: { type: 'object', additionalProperties: str } } }),
      },
      delete: { operationId: 'objects.archive', parameters: [idParam('objectType'), idParam('objectId')] },
    },
    '/crm/v3/pipelines/{objectType}': { get: { operationId: 'pipelines.getAll', parameters: [idParam('objectType')] } },
    '/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}': {
      put: { operationId: 'associations.createDefault', parameters: ['fromObjectType', 'fromObjectId', 'toObjectType', 'toObjectId'].map(idParam) },
    },
    '/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}': {
      get: { operationId: 'associations.getPage', parameters: [idParam('objectType'), idParam('objectId'), idParam('toObjectType'), q('after'), q('limit', { type: 'integer', maximum: 500 })] },
    },
    '/crm/v3/properties/{objectType}': { get: { operationId: 'properties.getAll', parameters: [idParam('objectType'), q('archived', { type: 'boolean' }), q('properties')] } },
    '/crm-object-schemas/v3/schemas': { get: { operationId: 'schemas.getAll', parameters: [q('archived', { type: 'boolean' })] } },
    '/crm/v3/owners/': {
      get: { operationId: 'owners.getPage', parameters: [q('email'), q('after'), q('limit', { type: 'integer', maximum: 500 }), q('archived', { type: 'boolean' })] },
    },
  },
};

interface Rec {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

const PROPS: Record<string, { name: string; type: string; options?: string[]; unique?: boolean }[]> = {
  contacts: [
    { name: 'email', type: 'string', unique: true },
    { name: 'firstname', type: 'string' },
    { name: 'lastname', type: 'string' },
    { name: 'phone', type: 'string' },
    { name: 'jobtitle', type: 'string' },
    { name: 'company', type: 'string' },
    { name: 'address', type: 'string' },
    { name: 'hubspot_owner_id', type: 'enumeration' },
    { name: 'lifecyclestage', type: 'enumeration', options: ['subscriber', 'lead', 'customer'] },
    { name: 'notes_last_contacted', type: 'string' },
  ],
  companies: [
    { name: 'name', type: 'string' },
    { name: 'domain', type: 'string' },
    { name: 'industry', type: 'string' },
    { name: 'phone', type: 'string' },
    { name: 'city', type: 'string' },
    { name: 'country', type: 'string' },
    { name: 'description', type: 'string' },
    { name: 'numberofemployees', type: 'number' },
    { name: 'hubspot_owner_id', type: 'enumeration' },
  ],
  deals: [
    { name: 'dealname', type: 'string' },
    { name: 'dealstage', type: 'enumeration' },
    { name: 'pipeline', type: 'enumeration' },
    { name: 'amount', type: 'number' },
    { name: 'closedate', type: 'datetime' },
    { name: 'description', type: 'string' },
    { name: 'external_id', type: 'string', unique: true },
    { name: 'hubspot_owner_id', type: 'enumeration' },
  ],
  notes: [
    { name: 'hs_timestamp', type: 'datetime' },
    { name: 'hs_note_body', type: 'string' },
  ],
  calls: ['hs_timestamp', 'hs_call_title', 'hs_call_body', 'hs_call_duration'].map((name) => ({ name, type: 'string' })),
  emails: ['hs_timestamp', 'hs_email_subject', 'hs_email_text', 'hs_email_direction'].map((name) => ({ name, type: 'string' })),
  meetings: ['hs_timestamp', 'hs_meeting_title', 'hs_meeting_body', 'hs_meeting_start_time', 'hs_meeting_end_time'].map((name) => ({ name, type: 'string' })),
  tasks: ['hs_timestamp', 'hs_task_subject', 'hs_task_body', 'hs_task_status'].map((name) => ({ name, type: 'string' })),
};
const REQUIRED: Record<string, string[]> = { notes: ['hs_timestamp'], calls: ['hs_timestamp'], emails: ['hs_timestamp'], meetings: ['hs_timestamp'], tasks: ['hs_timestamp'] };
const DEFAULT_PROPS: Record<string, string[]> = { contacts: ['email', 'firstname', 'lastname'], companies: ['name', 'domain'], deals: ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate'] };
// HUBSPOT_DEFINED association type ids an engagement may use, by engagement → target.
const ASSOC_TYPES: Record<string, Record<string, number>> = {
  notes: { contacts: 202, companies: 190, deals: 214 },
  calls: { contacts: 194, companies: 182, deals: 206 },
  emails: { contacts: 198, companies: 186, deals: 210 },
  meetings: { contacts: 200, companies: 188, deals: 212 },
  tasks: { contacts: 204, companies: 192, deals: 216 },
};

export const PIPELINES = [
  {
    id: 'default',
    label: 'Sales Pipeline',
    displayOrder: 0,
    stages: [
      ['appointmentscheduled', 'Appointment Scheduled', '0.2', 'false'],
      ['qualifiedtobuy', 'Qualified To Buy', '0.4', 'false'],
      ['contractsent', 'Contract Sent', '0.9', 'false'],
      ['closedwon', 'Closed Won', '1.0', 'true'],
      ['closedlost', 'Closed Lost', '0.0', 'true'],
    ],
  },
  {
    id: '7001',
    label: 'Renewals',
    displayOrder: 1,
    stages: [
      ['7001-open', 'Renewal due', '0.5', 'false'],
      ['7001-won', 'Renewed', '1.0', 'true'],
    ],
  },
];

export interface FakeHubSpot {
  api: FakeApi;
  url: string;
  token: string;
  objects: Record<string, Map<string, Rec>>;
  /** Associations as "fromType/fromId→toType/toId" with their type id. */
  links: { fromType: string; fromId: string; toType: string; toId: string; typeId: number }[];
  add(type: string, properties: Record<string, string>): Rec;
  /** The token stops working (401 expired). */
  expireToken(): void;
  /** The next `count` requests answer this status with HubSpot's error body. */
  failNext(count: number, status: number, body: Obj, headers?: Record<string, string>): void;
  /** Ids the search does not see yet (HubSpot's index lags a few seconds behind writes). */
  notIndexed: Set<string>;
  /** The next `count` requests are answered after `ms` (a slow or stuck API). */
  delayNext(count: number, ms: number): void;
  /** Daily calls left (shown in X-HubSpot-RateLimit-Daily-Remaining). */
  daily: { limit: number; used: number };
  close(): Promise<void>;
}

const err = (status: number, category: string, message: string, extra: Obj = {}) => ({
  status,
  body: { status: 'error', message, correlationId: `corr-${Math.random().toString(16).slice(2, 10)}`, category, ...extra },
});

export async function startFakeHubSpot(opts: { token?: string } = {}): Promise<FakeHubSpot> {
  const token = opts.token ?? 'pat-na1-11111111-2222-3333-4444-555555555555';
  let valid = true;
  let seq = 1000;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const objects: Record<string, Map<string, Rec>> = Object.fromEntries(Object.keys(PROPS).map((t) => [t, new Map<string, Rec>()]));
  const links: FakeHubSpot['links'] = [];
  const failures: { status: number; body: Obj; headers?: Record<string, string> }[] = [];
  const daily = { limit: 250_000, used: 0 };
  const delays: number[] = [];
  const notIndexed = new Set<string>();

  const now = () => new Date((clock += 1000)).toISOString();
  const add = (type: string, properties: Record<string, string>): Rec => {
    const id = String(++seq);
    const t = now();
    const rec: Rec = { id, properties: { ...properties }, createdAt: t, updatedAt: t, archived: false };
    objects[type].set(id, rec);
    return rec;
  };
  const view = (type: string, r: Rec, wanted?: string[]) => {
    const names = wanted?.length ? wanted : (DEFAULT_PROPS[type] ?? Object.keys(r.properties));
    const properties: Obj = { hs_object_id: r.id, createdate: r.createdAt, lastmodifieddate: r.updatedAt };
    for (const n of names) if (n in r.properties) properties[n] = r.properties[n];
    return { id: r.id, properties, createdAt: r.createdAt, updatedAt: r.updatedAt, archived: r.archived };
  };
  const list = (v: unknown) => (typeof v === 'string' ? v.split(',').filter(Boolean) : Array.isArray(v) ? (v as string[]) : undefined);

  /** Property values checked as HubSpot does: unknown names, bad numbers, a dealstage outside its pipeline. */
  const validate = (type: string, props: Obj, current?: Rec): { status: number; body: Obj } | undefined => {
    const known = PROPS[type];
    if (!known) return err(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${type}`);
    const problems: Obj[] = [];
    for (const [k, v] of Object.entries(props)) {
      const def = known.find((p) => p.name === k);
      if (!def) problems.push({ isValid: false, message: `Property "${k}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name: k });
      else if (def.type === 'number' && v !== '' && !Number.isFinite(Number(v))) problems.push({ isValid: false, message: `${v} was not a valid number.`, error: 'INVALID_NUMBER', name: k });
      else if (def.options && v !== '' && !def.options.includes(String(v))) problems.push({ isValid: false, message: `${v} was not one of the allowed options`, error: 'INVALID_OPTION', name: k });
    }
    if (type === 'deals' && props.dealstage !== undefined) {
      const pipelineId = props.pipeline ?? current?.properties.pipeline ?? 'default';
      const p = PIPELINES.find((x) => x.id === pipelineId);
      if (!p?.stages.some((s) => s[0] === props.dealstage))
        problems.push({ isValid: false, message: `${props.dealstage} is not a valid dealstage for pipeline ${pipelineId}`, error: 'INVALID_OPTION', name: 'dealstage' });
    }
    for (const r of REQUIRED[type] ?? []) if (!current && !(r in props)) problems.push({ isValid: false, message: `${r} is required`, error: 'REQUIRED', name: r });
    if (!problems.length) return undefined;
    return err(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(problems)}`);
  };

  const findObj = (type: string, id: string, idProperty?: string): Rec | undefined => {
    const m = objects[type];
    if (!m) return undefined;
    if (!idProperty || idProperty === 'hs_object_id') return m.get(id);
    return [...m.values()].find((r) => !r.archived && String(r.properties[idProperty] ?? '').toLowerCase() === id.toLowerCase());
  };

  const match = (r: Rec, f: Obj): boolean => {
    const raw = f.propertyName === 'hs_object_id' ? r.id : r.properties[f.propertyName];
    const v = raw === undefined || raw === null || raw === '' ? undefined : String(raw);
    const cmp = (a: string, b: string) => (Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? Number(a) - Number(b) : a.localeCompare(b));
    switch (f.operator) {
      case 'EQ':
        return v !== undefined && v.toLowerCase() === String(f.value).toLowerCase();
      case 'NEQ':
        return v === undefined || v.toLowerCase() !== String(f.value).toLowerCase();
      case 'LT':
        return v !== undefined && cmp(v, f.value) < 0;
      case 'LTE':
        return v !== undefined && cmp(v, f.value) <= 0;
      case 'GT':
        return v !== undefined && cmp(v, f.value) > 0;
      case 'GTE':
        return v !== undefined && cmp(v, f.value) >= 0;
      case 'IN':
        return v !== undefined && (f.values ?? []).map((x: string) => x.toLowerCase()).includes(v.toLowerCase());
      case 'NOT_IN':
        return v === undefined || !(f.values ?? []).map((x: string) => x.toLowerCase()).includes(v.toLowerCase());
      case 'HAS_PROPERTY':
        return v !== undefined;
      case 'NOT_HAS_PROPERTY':
        return v === undefined;
      case 'CONTAINS_TOKEN':
      case 'NOT_CONTAINS_TOKEN': {
        // `*` is a wildcard; the pattern matches a word or the whole value.
        const pattern = new RegExp(
          `^${String(f.value)
            .toLowerCase()
            .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')}$`,
          's',
        );
        const hit = v !== undefined && [v.toLowerCase(), ...v.toLowerCase().split(/[\s,.;:@/-]+/)].some((w) => pattern.test(w));
        return f.operator === 'CONTAINS_TOKEN' ? hit : !hit;
      }
      default:
        return false;
    }
  };

  const guard =
    (h: FakeHandler): FakeHandler =>
    async (req: FakeRequest, res) => {
      const wait = delays.shift();
      if (wait) await new Promise((r) => setTimeout(r, wait));
      daily.used++;
      const limits = { 'x-hubspot-ratelimit-daily': String(daily.limit), 'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, daily.limit - daily.used)) };
      const auth = String(req.headers.authorization ?? '');
      if (auth !== `Bearer ${token}` || !valid) {
        const e = err(401, 'EXPIRED_AUTHENTICATION', valid ? 'Authentication credentials not found.' : 'The OAuth token used to make this call expired 1 second(s) ago.');
        return res.json(e.body, e.status, limits);
      }
      const f = failures.shift();
      if (f) return res.json(f.body, f.status, { ...limits, ...(f.headers ?? {}) });
      const out = await h(req, res);
      out.headers = { ...(out.headers ?? {}), ...limits };
      return out;
    };
  const fail = (res: Parameters<FakeHandler>[1], e: { status: number; body: Obj }) => res.json(e.body, e.status);

  const routes: Record<string, FakeHandler> = {
    'objects.create': (req, res) => {
      const type = req.params.objectType;
      const props: Obj = req.body.properties ?? {};
      const bad = validate(type, props);
      if (bad) return fail(res, bad);
      if (type === 'contacts' && props.email) {
        const dup = findObj('contacts', String(props.email), 'email');
        if (dup) return fail(res, err(409, 'CONFLICT', `Contact already exists. Existing ID: ${dup.id}`));
      }
      for (const a of req.body.associations ?? []) {
        const target = Object.entries(ASSOC_TYPES[type] ?? {}).find(([, id]) => a.types.some((t: Obj) => t.associationTypeId === id));
        if (!target) return fail(res, err(400, 'VALIDATION_ERROR', `association type ${a.types.map((t: Obj) => t.associationTypeId).join(',')} is not valid for ${type}`));
        if (!objects[target[0]].get(a.to.id)) return fail(res, err(400, 'VALIDATION_ERROR', `One or more associations are invalid: ${target[0]} ${a.to.id} does not exist`));
      }
      const rec = add(type, props);
      if (type === 'deals' && !rec.properties.pipeline) rec.properties.pipeline = 'default';
      for (const a of req.body.associations ?? []) {
        const target = Object.entries(ASSOC_TYPES[type] ?? {}).find(([, id]) => a.types.some((t: Obj) => t.associationTypeId === id))!;
        links.push({ fromType: type, fromId: rec.id, toType: target[0], toId: a.to.id, typeId: target[1] });
      }
      return res.json(view(type, rec, Object.keys(props)), 201);
    },
    'objects.get': (req, res) => {
      const type = req.params.objectType;
      const r = findObj(type, req.params.objectId, req.query.idProperty as string | undefined);
      if (!r || (r.archived && req.query.archived !== 'true' && req.query.archived !== true)) return fail(res, err(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.'));
      return res.json(view(type, r, list(req.query.properties)));
    },
    'objects.update': (req, res) => {
      const type = req.params.objectType;
      const r = findObj(type, req.params.objectId, req.query.idProperty as string | undefined);
      if (!r || r.archived) return fail(res, err(404, 'OBJECT_NOT_FOUND', `resource not found`));
      const props: Obj = req.body.properties ?? {};
      const bad = validate(type, props, r);
      if (bad) return fail(res, bad);
      if (type === 'contacts' && props.email) {
        const dup = findObj('contacts', String(props.email), 'email');
        if (dup && dup.id !== r.id) return fail(res, err(409, 'CONFLICT', `A contact with the email '${props.email}' already exists. Existing ID: ${dup.id}`));
      }
      Object.assign(r.properties, props);
      r.updatedAt = now();
      return res.json(view(type, r, Object.keys(props)));
    },
    'objects.archive': (req, res) => {
      const r = objects[req.params.objectType]?.get(req.params.objectId);
      if (r) r.archived = true;
      return res.empty(204);
    },
    'objects.search': (req, res) => {
      const type = req.params.objectType;
      if (!objects[type]) return fail(res, err(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${type}`));
      const b = req.body ?? {};
      const groups: Obj[] = b.filterGroups ?? [];
      let hits = [...objects[type].values()].filter((r) => !r.archived && !notIndexed.has(r.id) && (groups.length === 0 || groups.some((g) => g.filters.every((f: Obj) => match(r, f)))));
      for (const s of [...(b.sorts ?? [])].reverse()) {
        const o = typeof s === 'string' ? { propertyName: s.replace(/^-/, ''), direction: s.startsWith('-') ? 'DESCENDING' : 'ASCENDING' } : s;
        const sign = o.direction === 'DESCENDING' ? -1 : 1;
        hits = hits.sort((x, y) => sign * String(x.properties[o.propertyName] ?? '').localeCompare(String(y.properties[o.propertyName] ?? '')));
      }
      const limit = b.limit ?? 10;
      const start = b.after ? Number(b.after) : 0;
      if (start >= 10_000) return fail(res, err(400, 'VALIDATION_ERROR', 'Search results are limited to 10,000 records'));
      const pageItems = hits.slice(start, start + limit);
      const next = start + limit < hits.length ? { next: { after: String(start + limit), link: '' } } : undefined;
      return res.json({ total: hits.length, results: pageItems.map((r) => view(type, r, b.properties)), ...(next ? { paging: next } : {}) });
    },
    'pipelines.getAll': (req, res) => {
      if (req.params.objectType !== 'deals') return res.json({ results: [] });
      const t = '2025-01-01T00:00:00.000Z';
      return res.json({
        results: PIPELINES.map((p) => ({
          id: p.id,
          label: p.label,
          displayOrder: p.displayOrder,
          archived: false,
          createdAt: t,
          updatedAt: t,
          stages: p.stages.map(([id, label, probability, isClosed], i) => ({
            id,
            label,
            displayOrder: i,
            archived: false,
            createdAt: t,
            updatedAt: t,
            writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
            metadata: { probability, isClosed },
          })),
        })),
      });
    },
    'associations.createDefault': (req, res) => {
      const { fromObjectType: ft, fromObjectId: fi, toObjectType: tt, toObjectId: ti } = req.params;
      if (!objects[ft]?.get(fi) || !objects[tt]?.get(ti)) return fail(res, err(404, 'OBJECT_NOT_FOUND', 'One or more objects were not found'));
      if (!links.some((l) => l.fromType === ft && l.fromId === fi && l.toType === tt && l.toId === ti)) {
        links.push({ fromType: ft, fromId: fi, toType: tt, toId: ti, typeId: 0 });
        links.push({ fromType: tt, fromId: ti, toType: ft, toId: fi, typeId: 0 });
      }
      return res.json({
        status: 'COMPLETE',
        results: [{ from: { id: fi }, to: { id: ti }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 } }],
        startedAt: now(),
        completedAt: now(),
      });
    },
    'associations.getPage': (req, res) => {
      const { objectType, objectId, toObjectType } = req.params;
      if (!objects[objectType]?.get(objectId)) return fail(res, err(404, 'OBJECT_NOT_FOUND', 'Object not found'));
      const all = links.filter((l) => l.fromType === objectType && l.fromId === objectId && l.toType === toObjectType);
      const start = req.query.after ? Number(req.query.after) : 0;
      const limit = Number(req.query.limit ?? 500);
      const items = all.slice(start, start + limit);
      return res.json({
        results: items.map((l) => ({ toObjectId: Number(l.toId), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: l.typeId || 1, label: null }] })),
        ...(start + limit < all.length ? { paging: { next: { after: String(start + limit) } } } : {}),
      });
    },
    'properties.getAll': (req, res) => {
      const defs = PROPS[req.params.objectType];
      if (!defs) return fail(res, err(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${req.params.objectType}`));
      return res.json({
        results: defs.map((p) => ({
          name: p.name,
          label: p.name,
          type: p.type,
          fieldType: p.options ? 'select' : 'text',
          groupName: 'info',
          description: '',
          hasUniqueValue: Boolean(p.unique),
          options: (p.options ?? []).map((o, i) => ({ label: o, value: o, displayOrder: i, hidden: false })),
          modificationMetadata: { archivable: true, readOnlyDefinition: true, readOnlyValue: false },
        })),
      });
    },
    'schemas.getAll': (_req, res) =>
      res.json({
        results: [
          {
            id: '9001',
            objectTypeId: '2-9001',
            name: 'projects',
            fullyQualifiedName: 'p_projects',
            labels: { singular: 'Project', plural: 'Projects' },
            properties: [],
            requiredProperties: [],
            associations: [],
          },
        ],
      }),
    'owners.getPage': (req, res) => {
      const all = [
        { id: '501', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez', userId: 9001, archived: false, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' },
        { id: '502', email: 'ben@example.com', firstName: 'Ben', lastName: 'Okafor', userId: 9002, archived: false, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' },
        { id: '503', email: 'cy@example.com', firstName: 'Cy', lastName: 'Tan', userId: 9003, archived: false, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' },
      ];
      const start = req.query.after ? Number(req.query.after) : 0;
      const limit = Number(req.query.limit ?? 100);
      return res.json({ results: all.slice(start, start + limit), ...(start + limit < all.length ? { paging: { next: { after: String(start + limit) } } } : {}) });
    },
  };

  const api = await startFakeApi({ contract: HUBSPOT_CONTRACT, routes: Object.fromEntries(Object.entries(routes).map(([k, h]) => [k, guard(h)])) });
  return {
    api,
    url: api.url,
    token,
    objects,
    links,
    add,
    expireToken: () => {
      valid = false;
    },
    failNext: (count, status, body, headers) => {
      for (let i = 0; i < count; i++) failures.push({ status, body, headers });
    },
    daily,
    notIndexed,
    delayNext: (count, ms) => {
      for (let i = 0; i < count; i++) delays.push(ms);
    },
    close: () => api.close(),
  };
}
