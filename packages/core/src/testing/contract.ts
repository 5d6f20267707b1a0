// Machine-readable API contracts for the fake APIs: OpenAPI 3.x (Stripe), Swagger 2.0 (Slack) and
// Google discovery documents, read once (cached by path) into one index of operations, each with
// its mount path, parameters and body schema, and a check of a request against it.
//
// What the real APIs do that the documents do not say, and this index encodes:
// - Stripe: bodies and GET parameters are form-encoded with bracket notation (`metadata[k]=v`,
//   `expand[]=x`, `items[0][price]=p`); values arrive as strings and are coerced to the schema's
//   types before validation. An unknown parameter is rejected (Stripe answers "Received unknown parameter").
// - Slack ("slack flavour", a Swagger 2.0 document whose host is slack.com): every method accepts GET
//   and POST, arguments in the query, a form body or a JSON body; the `token` parameter is satisfied by
//   `Authorization: Bearer`. Unknown arguments are ignored, as Slack does.
// - Google: paths are `servicePath + path` under the root URL (`{+name}` takes several segments),
//   uploads live at `mediaUpload.protocols.*.path`; the global parameters (`alt`, `fields`,
//   `prettyPrint`, …) are accepted everywhere; an unknown query parameter or body field is rejected
//   (Google answers "Unknown name"); `format` is not checked.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import { decodeForm, mediaType } from './recorder.js';

export type ContractKind = 'openapi3' | 'swagger2' | 'discovery';

type Schema = Record<string, any>;

export interface ContractParam {
  name: string;
  in: 'path' | 'query' | 'header' | 'formData';
  required: boolean;
  schema: Schema;
}

export interface ContractOperation {
  /** operationId (Stripe `PostCustomers`, Slack `chat_postMessage`) or discovery id (`calendar.events.insert`). */
  id: string;
  method: string;
  /** Path as written in the contract (`/v1/customers/{customer}`, `/chat.postMessage`, `calendars/{calendarId}/events`). */
  path: string;
  /** Full paths on the fake server (base path or service path included; discovery uploads add their own). */
  mounts: string[];
  params: ContractParam[];
  /** Accepted request media types ('*\/*' for media uploads); empty when the operation takes no body. */
  contentTypes: string[];
  bodyRequired: boolean;
  /** JSON Schema of the decoded body (form or JSON), when the contract gives one. */
  bodySchema?: Schema;
  /** Query parameters not declared are accepted (Slack). */
  openQuery?: boolean;
  /** Discovery: the mount is a media upload path (`uploadType` required, any content type). */
  uploadMounts?: string[];
}

export interface Violation {
  kind: 'unknown-path' | 'wrong-method' | 'missing-parameter' | 'invalid-parameter' | 'unknown-parameter' | 'missing-body' | 'invalid-body' | 'content-type' | 'unhandled' | 'handler-error';
  method: string;
  url: string;
  operation?: string;
  message: string;
}

export interface MatchedRequest {
  operation: ContractOperation;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
  /** The query decoded (bracket notation expanded, repeated names as arrays). */
  query: Record<string, unknown>;
  /** The body decoded by its content type. */
  body: unknown;
  upload: boolean;
}

interface Mount {
  op: ContractOperation;
  template: string;
  regex: RegExp;
  /** Same with empty parameters allowed: tells a missing path parameter from an unknown path. */
  loose: RegExp;
  names: string[];
  literal: number;
  upload: boolean;
}

export interface Contract {
  kind: ContractKind;
  title: string;
  /** Slack's Web API conventions apply (see the top of this file). */
  flavour?: 'slack';
  operations: ContractOperation[];
  operation(key: string): ContractOperation | undefined;
  /** Adds operations the document lacks (the current API wins over an old document). */
  extend(ops: ExtraOperation[]): Contract;
  /** Checks one request; returns the match (when the path and method are known) and the violations. */
  check(req: { method: string; path: string; search: string; headers: Record<string, string | string[] | undefined>; text: string }): {
    match?: MatchedRequest;
    violations: Omit<Violation, 'method' | 'url'>[];
  };
}

export interface ExtraOperation {
  id: string;
  method: string;
  /** Full path on the server (`/api/files.getUploadURLExternal`). */
  path: string;
  params?: { name: string; in: 'path' | 'query' | 'header' | 'formData'; required?: boolean; schema?: Schema }[];
  contentTypes?: string[];
  bodyRequired?: boolean;
  bodySchema?: Schema;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const REGISTRY = 'contract';
const fileCache = new Map<string, Contract>();
const docCache = new WeakMap<object, Map<string, Contract>>();

/**
 * Reads a contract file or wraps a parsed document, once: cached by absolute path (or document
 * object) and options for the life of the module, so each test file parses a 4 MB spec once.
 */
export function loadContract(source: string | object, opts: { flavour?: 'slack' | 'none'; extraOperations?: ExtraOperation[] } = {}): Contract {
  const key = `${opts.flavour ?? ''}\0${JSON.stringify(opts.extraOperations ?? [])}`;
  let perSource: Map<string, Contract> | undefined;
  if (typeof source === 'string') {
    const file = resolve(source);
    const c = fileCache.get(`${file}\0${key}`);
    if (c) return c;
    const made = buildContract(JSON.parse(readFileSync(file, 'utf8')), opts.flavour);
    if (opts.extraOperations?.length) made.extend(opts.extraOperations);
    fileCache.set(`${file}\0${key}`, made);
    return made;
  }
  perSource = docCache.get(source);
  if (!perSource) docCache.set(source, (perSource = new Map()));
  let c = perSource.get(key);
  if (!c) {
    c = buildContract(source as Schema, opts.flavour);
    if (opts.extraOperations?.length) c.extend(opts.extraOperations);
    perSource.set(key, c);
  }
  return c;
}

function buildContract(doc: Schema, flavourOpt?: 'slack' | 'none'): Contract {
  const kind: ContractKind =
    typeof doc.openapi === 'string' ? 'openapi3' : doc.swagger === '2.0' ? 'swagger2' : doc.discoveryVersion || doc.kind === 'discovery#restDescription' ? 'discovery' : fail();
  function fail(): never {
    throw new Error('unknown contract: expected an OpenAPI 3 document, a Swagger 2.0 document or a Google discovery document');
  }
  const flavour = flavourOpt === 'none' ? undefined : (flavourOpt ?? (kind === 'swagger2' && /(^|\.)slack\.com$/.test(doc.host ?? '') ? 'slack' : undefined));
  const norm = (s: Schema | undefined) => (s === undefined ? undefined : normalize(s, kind));
  // The schemas the operations refer to, under one id; refs are rewritten to `contract#/…`.
  const registry: Schema =
    kind === 'openapi3'
      ? { components: { schemas: mapValues(doc.components?.schemas ?? {}, norm) } }
      : kind === 'swagger2'
        ? { definitions: mapValues(doc.definitions ?? {}, norm) }
        : { schemas: mapValues(doc.schemas ?? {}, norm) };
  const ops: ContractOperation[] = kind === 'openapi3' ? openapiOps(doc, norm) : kind === 'swagger2' ? swaggerOps(doc, norm, flavour) : discoveryOps(doc, norm);
  const opts = { strict: false, allErrors: true, validateFormats: false, allowUnionTypes: true, validateSchema: false } as const;
  const strictAjv = new Ajv({ ...opts });
  const coerceAjv = new Ajv({ ...opts, coerceTypes: 'array' });
  strictAjv.addSchema({ $id: REGISTRY, ...registry });
  coerceAjv.addSchema({ $id: REGISTRY, ...registry });
  const compiled = new WeakMap<Schema, { strict?: ValidateFunction; coerce?: ValidateFunction }>();
  const validator = (schema: Schema, coerce: boolean): ValidateFunction => {
    let c = compiled.get(schema);
    if (!c) compiled.set(schema, (c = {}));
    const k = coerce ? 'coerce' : 'strict';
    return (c[k] ??= (coerce ? coerceAjv : strictAjv).compile(schema));
  };
  let mounts: Mount[] = [];
  const byKey = new Map<string, ContractOperation>();
  const index = (list: ContractOperation[]) => {
    for (const op of list) {
      byKey.set(op.id, op);
      byKey.set(`${op.method} ${op.path}`, op);
      for (const m of op.mounts) {
        byKey.set(`${op.method} ${m}`, op);
        mounts.push(mountOf(op, m, false));
      }
      for (const m of op.uploadMounts ?? []) {
        byKey.set(`${op.method} ${m}`, op);
        mounts.push(mountOf(op, m, true));
      }
    }
    mounts.sort((a, b) => b.literal - a.literal);
  };
  index(ops);

  const contract: Contract = {
    kind,
    title: String(doc.info?.title ?? doc.title ?? doc.name ?? kind),
    flavour,
    operations: ops,
    operation: (key) => byKey.get(key) ?? byKey.get(key.replace(/^(\w+)\s+/, (_, m: string) => `${m.toUpperCase()} `)),
    extend(extra) {
      const list = extra.map(
        (e): ContractOperation => ({
          id: e.id,
          method: e.method.toUpperCase(),
          path: e.path,
          mounts: [e.path],
          params: (e.params ?? []).map((p) => ({ name: p.name, in: p.in, required: p.required ?? false, schema: p.schema ?? {} })),
          contentTypes: e.contentTypes ?? [],
          bodyRequired: e.bodyRequired ?? false,
          bodySchema: e.bodySchema,
          openQuery: flavour === 'slack',
        }),
      );
      ops.push(...list);
      // a later extension wins over the document for the same method and path
      mounts = mounts.filter((m) => !list.some((o) => o.method === m.op.method && o.mounts.includes(m.template)));
      index(list);
      return contract;
    },
    check(req) {
      return check(req);
    },
  };

  function check(req: Parameters<Contract['check']>[0]): ReturnType<Contract['check']> {
    const violations: Omit<Violation, 'method' | 'url'>[] = [];
    const method = req.method.toUpperCase();
    const sameMethod = (op: ContractOperation) => op.method === method || (flavour === 'slack' && (method === 'GET' || method === 'POST'));
    const hits = mounts.map((m) => ({ m, r: m.regex.exec(req.path) })).filter((x) => x.r);
    const hit = hits.find((x) => sameMethod(x.m.op));
    if (!hit) {
      if (hits.length > 0) {
        const allowed = [...new Set(hits.filter((x) => x.m.template === hits[0].m.template).map((x) => x.m.op.method))];
        violations.push({ kind: 'wrong-method', operation: hits[0].m.op.id, message: `${method} is not allowed on ${hits[0].m.template} (the contract has ${allowed.join(', ')})` });
        return { violations };
      }
      const loose = mounts.find((m) => sameMethod(m.op) && m.loose.test(req.path));
      if (loose) {
        const r = loose.loose.exec(req.path)!;
        const empty = loose.names.filter((_, i) => !r[i + 1]);
        violations.push({ kind: 'missing-parameter', operation: loose.op.id, message: `missing required path parameter ${empty.map((n) => `\`${n}\``).join(', ')} in ${loose.template}` });
        return { violations };
      }
      violations.push({ kind: 'unknown-path', message: `${method} ${req.path} is not an operation of the contract (${contract.title})` });
      return { violations };
    }
    const { m, r } = hit;
    const op = m.op;
    const v = (kind: Violation['kind'], message: string) => violations.push({ kind, operation: op.id, message });
    const params: Record<string, string> = {};
    m.names.forEach((n, i) => (params[n] = safeDecode(r![i + 1])));
    const query = decodeForm(req.search);
    const ctype = mediaType(header(req.headers, 'content-type'));
    const hasBody = req.text.length > 0;

    // content type and body
    let body: unknown;
    let bodyIsForm = false;
    if (m.upload) {
      if (!hasBody && op.bodyRequired) v('missing-body', 'the upload has no body');
      if (query.uploadType === undefined) v('missing-parameter', 'missing required query parameter `uploadType` (media, multipart or resumable) on an upload path');
      body = hasBody ? (ctype === 'application/json' ? tryJson(req.text) : req.text) : undefined;
    } else if (hasBody || ctype !== '') {
      const accepted = flavour === 'slack' && op.contentTypes.length === 0 ? ['application/x-www-form-urlencoded', 'application/json'] : op.contentTypes;
      if (accepted.length === 0) {
        if (hasBody) v('content-type', `${op.id} takes no request body, got ${req.text.length} bytes (${ctype || 'no content type'})`);
      } else if (!accepted.some((a) => typeMatches(a, ctype))) {
        v('content-type', `${op.id} takes ${accepted.join(' or ')}, got ${ctype ? `\`${ctype}\`` : 'no content type'}`);
      }
      if (ctype === 'application/x-www-form-urlencoded') {
        body = decodeForm(req.text);
        bodyIsForm = true;
      } else if (ctype === 'application/json' || ctype.endsWith('+json')) {
        try {
          body = hasBody ? JSON.parse(req.text) : undefined;
        } catch (e) {
          v('invalid-body', `the body is not valid JSON: ${(e as Error).message}`);
          return { match: { operation: op, params, query, body: req.text, upload: false }, violations };
        }
      } else body = hasBody ? req.text : undefined;
    } else if (op.contentTypes.includes('application/x-www-form-urlencoded')) {
      // An empty form (the Stripe SDK posts no body when there are no parameters).
      body = {};
      bodyIsForm = true;
    }
    if (!m.upload && op.bodyRequired && (body === undefined || (bodyIsForm && !hasBody && op.bodySchema === undefined))) v('missing-body', `${op.id} needs a request body`);

    // parameters
    const slackInputs = flavour === 'slack' ? { ...query, ...(body && typeof body === 'object' ? (body as object) : {}) } : undefined;
    const bearer = /^bearer\s+\S/i.test(header(req.headers, 'authorization') ?? '');
    const groups: Record<'path' | 'query' | 'header' | 'formData', { props: Schema; required: string[]; values: Record<string, unknown> }> = {
      path: { props: {}, required: [], values: params },
      query: { props: {}, required: [], values: slackInputs ?? query },
      header: { props: {}, required: [], values: {} },
      formData: { props: {}, required: [], values: slackInputs ?? (body as Record<string, unknown>) ?? {} },
    };
    for (const p of op.params) {
      let where = p.in;
      if (flavour === 'slack' && where === 'formData') where = 'query'; // one merged set of arguments
      if (flavour === 'slack' && p.name === 'token') {
        if (p.required && !bearer && slackInputs!.token === undefined && header(req.headers, 'token') === undefined)
          v('missing-parameter', `missing the token: send \`Authorization: Bearer <token>\` (or a \`token\` argument)`);
        continue;
      }
      if (where === 'header') {
        if (p.required && header(req.headers, p.name) === undefined) v('missing-parameter', `missing required header \`${p.name}\``);
        continue;
      }
      const g = groups[where];
      g.props[p.name] = p.schema;
      if (p.required) g.required.push(p.name);
    }
    for (const where of ['path', 'query'] as const) {
      const g = groups[where];
      for (const n of g.required) if (g.values[n] === undefined || g.values[n] === '') v('missing-parameter', `missing required ${where} parameter \`${n}\``);
      if (where === 'query' && !op.openQuery && !m.upload) {
        for (const n of Object.keys(g.values)) if (!(n in g.props)) v('unknown-parameter', `unknown query parameter \`${n}\``);
      }
      const present = pick(g.values, Object.keys(g.props));
      // Slack's JSON bodies carry blocks and attachments as JSON, where the form spec says "string".
      if (flavour === 'slack' && ctype === 'application/json') for (const [k, x] of Object.entries(present)) if (typeof x === 'object') delete present[k];
      if (Object.keys(present).length === 0) continue;
      const schema = { type: 'object', properties: pick(g.props, Object.keys(present)) };
      const validate = validator(cached(schema, op, where), true);
      if (!validate(structuredClone(present))) for (const e of validate.errors ?? []) v('invalid-parameter', describeError(e, `${where} parameter`));
    }
    // Swagger formData parameters (Slack merges them with the query above)
    if (flavour !== 'slack' && op.params.some((p) => p.in === 'formData')) {
      const g = groups.formData;
      for (const n of g.required) if (g.values[n] === undefined) v('missing-parameter', `missing required form parameter \`${n}\``);
      const validate = validator(cached({ type: 'object', properties: g.props }, op, 'formData'), true);
      if (!validate(structuredClone(g.values))) for (const e of validate.errors ?? []) v('invalid-body', describeError(e, 'form parameter'));
    }
    if (op.bodySchema && body !== undefined && !m.upload && (bodyIsForm || typeof body === 'object')) {
      const validate = validator(op.bodySchema, bodyIsForm);
      if (!validate(structuredClone(body))) for (const e of validate.errors ?? []) v('invalid-body', describeError(e, 'body'));
    }
    if (m.upload && ctype === 'multipart/related' && op.bodySchema) {
      const meta = multipartMetadata(req.text, header(req.headers, 'content-type') ?? '');
      if (meta === undefined) v('invalid-body', 'a multipart upload whose first part is not JSON metadata');
      else {
        const validate = validator(op.bodySchema, false);
        if (!validate(meta)) for (const e of validate.errors ?? []) v('invalid-body', describeError(e, 'upload metadata'));
        body = { metadata: meta, text: req.text };
      }
    }
    // Slack handlers get the arguments wherever they came from (query, form or JSON body).
    if (slackInputs) body = slackInputs;
    return { match: { operation: op, params, query, body, upload: m.upload }, violations };
  }

  // Parameter-group schemas, made once per operation and location (so their validators are compiled once).
  const groupSchemas = new WeakMap<ContractOperation, Map<string, Schema>>();
  function cached(schema: Schema, op: ContractOperation, where: string): Schema {
    let perOp = groupSchemas.get(op);
    if (!perOp) groupSchemas.set(op, (perOp = new Map()));
    const key = `${where}:${Object.keys(schema.properties).join(',')}`;
    let s = perOp.get(key);
    if (!s) perOp.set(key, (s = schema));
    return s;
  }

  return contract;
}

function openapiOps(doc: Schema, norm: (s?: Schema) => Schema | undefined): ContractOperation[] {
  const server = doc.servers?.[0]?.url ?? '/';
  let base = '';
  try {
    base = new URL(server, 'http://x').pathname.replace(/\/+$/, '');
  } catch {
    base = '';
  }
  const deref = (o: Schema | undefined): Schema | undefined => {
    let cur = o;
    for (let i = 0; cur?.$ref && i < 10; i++) cur = pointer(doc, cur.$ref);
    return cur;
  };
  const ops: ContractOperation[] = [];
  for (const [path, item0] of Object.entries<Schema>(doc.paths ?? {})) {
    const item = deref(item0) ?? {};
    for (const method of HTTP_METHODS) {
      const o = item[method];
      if (!o) continue;
      const params = new Map<string, ContractParam>();
      for (const p0 of [...(item.parameters ?? []), ...(o.parameters ?? [])]) {
        const p = deref(p0);
        if (!p || p.in === 'cookie') continue;
        params.set(`${p.in}:${p.name}`, { name: p.name, in: p.in, required: p.in === 'path' || p.required === true, schema: norm(p.schema ?? {})! });
      }
      const rb = deref(o.requestBody);
      const content = rb?.content ?? {};
      const types = Object.keys(content);
      const main = content['application/json'] ?? content['application/x-www-form-urlencoded'] ?? content[types[0]];
      ops.push({
        id: o.operationId ?? `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        mounts: [base + path],
        params: [...params.values()],
        contentTypes: types,
        bodyRequired: rb?.required === true,
        bodySchema: main?.schema && !types.every((t) => t.startsWith('multipart/')) ? norm(main.schema) : undefined,
      });
    }
  }
  return ops;
}

function swaggerOps(doc: Schema, norm: (s?: Schema) => Schema | undefined, flavour?: 'slack'): ContractOperation[] {
  const base = (doc.basePath ?? '').replace(/\/+$/, '');
  const ops: ContractOperation[] = [];
  const deref = (o: Schema): Schema => (o?.$ref ? (pointer(doc, o.$ref) ?? {}) : o);
  for (const [path, item] of Object.entries<Schema>(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const o = item[method];
      if (!o) continue;
      const params: ContractParam[] = [];
      let bodyParam: Schema | undefined;
      for (const p0 of [...(item.parameters ?? []), ...(o.parameters ?? [])]) {
        const p = deref(p0);
        if (p.in === 'body') {
          bodyParam = p;
          continue;
        }
        const { name, in: where, required, description: _d, ...rest } = p;
        const schema = rest.type === 'file' ? {} : norm(rest)!;
        params.push({ name, in: where, required: where === 'path' || required === true, schema });
      }
      const hasForm = params.some((p) => p.in === 'formData');
      const consumes: string[] = o.consumes ?? doc.consumes ?? (bodyParam ? ['application/json'] : hasForm ? ['application/x-www-form-urlencoded', 'multipart/form-data'] : []);
      ops.push({
        id: o.operationId ?? `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        mounts: [base + path],
        params,
        contentTypes: bodyParam || hasForm || flavour === 'slack' ? consumes : [],
        bodyRequired: bodyParam?.required === true,
        bodySchema: bodyParam ? norm(bodyParam.schema) : undefined,
        openQuery: flavour === 'slack',
      });
    }
  }
  return ops;
}

function discoveryOps(doc: Schema, norm: (s?: Schema) => Schema | undefined): ContractOperation[] {
  const root = new URL(doc.rootUrl ?? 'https://x/').pathname; // normally '/'
  const service = String(doc.servicePath ?? '');
  const join = (...parts: string[]) => ('/' + parts.join('/')).replace(/\/{2,}/g, '/');
  const globals: ContractParam[] = Object.entries<Schema>(doc.parameters ?? {}).map(([name, p]) => ({ name, in: 'query', required: false, schema: paramSchema(p, norm) }));
  const ops: ContractOperation[] = [];
  const walk = (resources: Schema | undefined) => {
    for (const res of Object.values<Schema>(resources ?? {})) {
      for (const m of Object.values<Schema>(res.methods ?? {})) {
        const params: ContractParam[] = [...globals];
        for (const [name, p] of Object.entries<Schema>(m.parameters ?? {})) {
          const where = p.location === 'path' ? 'path' : 'query';
          const i = params.findIndex((x) => x.name === name && x.in === where);
          const entry: ContractParam = { name, in: where, required: where === 'path' || p.required === true, schema: paramSchema(p, norm) };
          if (i >= 0) params[i] = entry;
          else params.push(entry);
        }
        const mounts = [...new Set([m.path, m.flatPath].filter(Boolean).map((p: string) => join(root, service, p)))];
        const protocols = m.supportsMediaUpload ? Object.values<Schema>(m.mediaUpload?.protocols ?? {}) : [];
        ops.push({
          id: m.id,
          method: String(m.httpMethod ?? 'GET').toUpperCase(),
          path: m.path,
          mounts,
          params,
          contentTypes: m.request ? ['application/json'] : [],
          bodyRequired: false,
          bodySchema: m.request ? norm(m.request) : undefined,
          uploadMounts: protocols.map((p) => join(root, p.path)),
        });
      }
      walk(res.resources);
    }
  };
  walk(doc.resources);
  return ops;
}

function paramSchema(p: Schema, norm: (s?: Schema) => Schema | undefined): Schema {
  const { location: _l, required: _r, repeated, description: _d, ...rest } = p;
  const s = norm(rest)!;
  return repeated ? { type: 'array', items: s } : s;
}

/** One contract schema in JSON Schema terms ajv reads (draft-07), refs pointing into the registry. */
function normalize(s: Schema, kind: ContractKind): Schema {
  if (Array.isArray(s)) return s.map((x) => normalize(x, kind)) as unknown as Schema;
  if (typeof s !== 'object' || s === null) return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'description' || k === 'example' || k === 'examples' || k === 'enumDescriptions' || k === 'discriminator' || k === 'id' || k === 'annotations' || k === 'xml' || k.startsWith('x-'))
      continue;
    if (k === '$ref' && typeof v === 'string') {
      out.$ref = v.startsWith('#/') ? `${REGISTRY}${v}` : kind === 'discovery' && !v.includes('/') ? `${REGISTRY}#/schemas/${v}` : v;
      continue;
    }
    if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = mapValues(v as Record<string, Schema>, (x) => normalize(x, kind));
      continue;
    }
    if (k === 'default' || k === 'enum' || k === 'const') {
      out[k] = v;
      continue;
    }
    out[k] = typeof v === 'object' && v !== null ? normalize(v, kind) : v;
  }
  if (typeof out.required === 'boolean') delete out.required; // discovery / Swagger parameter style
  if (out.type === 'any' || out.type === 'file') delete out.type;
  for (const k of ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems']) if (typeof out[k] === 'string' && out[k] !== '') out[k] = Number(out[k]);
  for (const [ex, lim] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[ex] === 'boolean') {
      if (out[ex] && typeof out[lim] === 'number') {
        out[ex] = out[lim];
        delete out[lim];
      } else delete out[ex];
    }
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (out.$ref || out.anyOf || out.oneOf || out.allOf) return { anyOf: [out, { type: 'null' }] };
  }
  if (kind === 'discovery') {
    delete out.default; // written as strings ("false") whatever the type
    // Google rejects unknown fields ("Unknown name"): a schema with properties and no
    // additionalProperties is closed.
    if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  }
  return out;
}

function mountOf(op: ContractOperation, template: string, upload: boolean): Mount {
  const names: string[] = [];
  let src = '^';
  let loose = '^';
  let literal = 0;
  let last = 0;
  for (const m of template.matchAll(/\{(\+?)([^}*]+)(\*?)\}/g)) {
    const lit = escapeRe(template.slice(last, m.index));
    literal += m.index - last;
    src += lit;
    loose += lit;
    const multi = m[1] === '+' || m[3] === '*';
    src += multi ? '(.+)' : '([^/]+)';
    loose += multi ? '(.*)' : '([^/]*)';
    names.push(m[2]);
    last = m.index + m[0].length;
  }
  literal += template.length - last;
  src += escapeRe(template.slice(last)) + '$';
  loose += escapeRe(template.slice(last)) + '$';
  return { op, template, regex: new RegExp(src), loose: new RegExp(loose), names, literal, upload };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function typeMatches(accepted: string, actual: string): boolean {
  if (accepted === '*/*') return actual !== '';
  const [a, b] = accepted.toLowerCase().split('/');
  const [x, y] = actual.split('/');
  return a === x && (b === '*' || b === y);
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `what` (`body`, `query parameter`) then the field path, then what is wrong with it. */
function describeError(e: ErrorObject, what: string, field = ''): string {
  const path = [
    field,
    ...e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')),
  ]
    .filter(Boolean)
    .join('.');
  const subject = path ? `${what} \`${path}\`` : what;
  if (e.keyword === 'additionalProperties') return `${subject} has an unknown field \`${(e.params as { additionalProperty: string }).additionalProperty}\``;
  if (e.keyword === 'required') return `${subject} is missing the required field \`${(e.params as { missingProperty: string }).missingProperty}\``;
  return `${subject} ${e.message ?? 'is invalid'}${e.keyword === 'enum' ? `: ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues).slice(0, 200)}` : ''}`;
}

function multipartMetadata(text: string, contentType: string): unknown {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return undefined;
  const first = text.split(`--${boundary}`)[1];
  if (!first) return undefined;
  const sep = first.indexOf('\r\n\r\n');
  const head = first.slice(0, sep);
  if (!/content-type:\s*application\/json/i.test(head)) return undefined;
  return tryJson(first.slice(sep + 4).trim());
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function pointer(doc: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let cur: any = doc;
  for (const part of ref.slice(2).split('/')) cur = cur?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}
