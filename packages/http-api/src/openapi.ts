// OpenAPI 3 awareness without one tool per operation: the document is loaded once (file or URL
// through the net guard), operations are listed and described on demand, and call_endpoint
// validates arguments against the document's schemas (ajv) before any request leaves.
import { readFile } from 'node:fs/promises';
import { cjsExports, ToolError } from '@bizmcp/core';
import type { ApiClient, Method } from './api.js';

export interface Operation {
  operationId: string;
  method: Method;
  path: string;
  summary?: string;
  description?: string;
  tags: string[];
  parameters: Param[];
  requestBody?: { required: boolean; contentType: string; schema: unknown };
  responses: Record<string, string>;
}

interface Param {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  description?: string;
  schema?: unknown;
}

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'] as const;

export class OpenApi {
  private loaded: Promise<{ doc: Json; ops: Operation[] }> | undefined;
  private validators = new Map<string, (v: unknown) => boolean>();
  private ajv: any;

  constructor(
    private readonly source: string,
    private readonly client: ApiClient,
  ) {}

  /** Loads and indexes the document once; later calls reuse it. */
  load(signal: AbortSignal): Promise<{ doc: Json; ops: Operation[] }> {
    this.loaded ??= this.read(signal).catch((e) => {
      this.loaded = undefined;
      throw e;
    });
    return this.loaded;
  }

  private async read(signal: AbortSignal): Promise<{ doc: Json; ops: Operation[] }> {
    let text: string;
    if (/^https?:\/\//i.test(this.source)) {
      const r = await this.client.guard.fetch(this.source, { signal, maxBytes: 20 * 1024 * 1024, redirect: 'same-origin' });
      if (r.status !== 200) throw new ToolError(`OPENAPI_SPEC: ${r.status} from ${r.url}`, { code: 'remote_error' });
      text = r.body.toString('utf8');
    } else {
      try {
        text = await readFile(this.source, 'utf8');
      } catch (e) {
        throw new ToolError(`OPENAPI_SPEC: cannot read ${this.source} (${(e as NodeJS.ErrnoException).code})`, { code: 'unavailable' });
      }
    }
    let doc: Json;
    try {
      doc = text.trimStart().startsWith('{') ? JSON.parse(text) : cjsExports(await import('yaml'), 'parse').parse(text);
    } catch (e) {
      throw new ToolError(`OPENAPI_SPEC is neither JSON nor YAML: ${(e as Error).message}`, { code: 'unavailable' });
    }
    if (!doc || typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3')) throw new ToolError('OPENAPI_SPEC is not an OpenAPI 3 document', { code: 'unavailable' });
    const ops: Operation[] = [];
    for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
      const shared: Json[] = item.parameters ?? [];
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        const params = [...shared, ...(op.parameters ?? [])].map((p) => this.deref(doc, p) as Json);
        const body = op.requestBody ? (this.deref(doc, op.requestBody) as Json) : undefined;
        const ct = body ? (Object.keys(body.content ?? {}).find((k) => k.includes('json')) ?? Object.keys(body.content ?? {})[0]) : undefined;
        ops.push({
          operationId: op.operationId ?? `${m}_${path.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
          method: m.toUpperCase() as Method,
          path,
          summary: op.summary,
          description: op.description,
          tags: op.tags ?? [],
          parameters: params.map((p) => ({ name: p.name, in: p.in, required: Boolean(p.required || p.in === 'path'), description: p.description, schema: p.schema })),
          ...(body && ct ? { requestBody: { required: Boolean(body.required), contentType: ct, schema: body.content[ct]?.schema ?? {} } } : {}),
          responses: Object.fromEntries(Object.entries<Json>(op.responses ?? {}).map(([code, r]) => [code, (this.deref(doc, r) as Json).description ?? ''])),
        });
      }
    }
    return { doc, ops };
  }

  private deref(doc: Json, v: unknown): unknown {
    let cur = v as Json;
    for (let i = 0; i < 10 && cur && typeof cur.$ref === 'string' && cur.$ref.startsWith('#/'); i++) {
      cur = cur.$ref
        .slice(2)
        .split('/')
        .reduce((o: Json, k: string) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    }
    return cur;
  }

  async find(operationId: string, signal: AbortSignal): Promise<Operation> {
    const { ops } = await this.load(signal);
    const op = ops.find((o) => o.operationId === operationId);
    if (!op) throw new ToolError(`Unknown operationId: ${operationId}`, { code: 'not_found', hint: 'Call list_endpoints to see the operations.' });
    return op;
  }

  /** Validates call arguments against the operation; throws one ToolError listing every problem. */
  async validate(op: Operation, args: { path_params: Json; query: Json; headers: Json; body?: unknown }, signal: AbortSignal): Promise<void> {
    const { doc } = await this.load(signal);
    const key = op.operationId;
    let check = this.validators.get(key);
    if (!check) {
      if (!this.ajv) {
        const Ajv = (await import('ajv')).default as unknown as new (o: object) => any;
        const formats = (await import('ajv-formats')).default as unknown as (a: unknown) => void;
        this.ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false });
        formats(this.ajv);
        this.ajv.addSchema({ ...doc, $id: 'openapi' }, 'openapi');
      }
      const fix = (s: unknown): unknown => JSON.parse(JSON.stringify(s ?? {}).replace(/"\$ref":"#\//g, '"$ref":"openapi#/'));
      const group = (where: Param['in']) => {
        const ps = op.parameters.filter((p) => p.in === where);
        return { type: 'object', properties: Object.fromEntries(ps.map((p) => [p.name, fix(p.schema)])), required: ps.filter((p) => p.required).map((p) => p.name) };
      };
      const schema = {
        type: 'object',
        properties: { path_params: group('path'), query: group('query'), headers: group('header'), ...(op.requestBody ? { body: fix(op.requestBody.schema) } : {}) },
        required: op.requestBody?.required ? ['body'] : [],
      };
      check = this.ajv.compile(schema) as (v: unknown) => boolean;
      this.validators.set(key, check);
    }
    // query and path values arrive as strings or numbers: compare numbers where the spec says so
    const coerced = { ...args, query: coerce(op, 'query', args.query), path_params: coerce(op, 'path', args.path_params) };
    if (!check(coerced)) {
      const errors = ((check as unknown as { errors: { instancePath: string; message: string; params: Json }[] }).errors ?? []).map((e) => {
        const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(arguments)';
        const extra = e.params?.missingProperty ? ` (${e.params.missingProperty})` : e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : '';
        return `- ${field}: ${e.message}${extra}`;
      });
      throw new ToolError(`Arguments do not match ${op.operationId} in the OpenAPI document; nothing was sent:\n${errors.join('\n')}`, {
        code: 'invalid_argument',
        hint: `Call describe_endpoint with ${op.operationId} for its parameters and body schema.`,
      });
    }
  }
}

function coerce(op: Operation, where: Param['in'], values: Json): Json {
  const out: Json = { ...values };
  for (const p of op.parameters.filter((x) => x.in === where)) {
    const type = (p.schema as Json | undefined)?.type;
    const v = out[p.name];
    if (typeof v === 'string' && (type === 'integer' || type === 'number') && v.trim() !== '' && !Number.isNaN(Number(v))) out[p.name] = Number(v);
    if (typeof v === 'string' && type === 'boolean' && (v === 'true' || v === 'false')) out[p.name] = v === 'true';
  }
  return out;
}
