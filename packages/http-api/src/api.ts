// The HTTP API client: the model supplies a path and a query under the operator's base URL; this
// module confines it there, adds the credentials from the environment, sends it through core's
// net guard (same-origin redirects only), retries 429/503 for idempotent methods, and shapes the
// response (selected headers, JSON / text / binary summary, a byte cap with the rest kept for
// get_response_part).
import { createHash, randomUUID } from 'node:crypto';
import {
  ConfigError,
  missingCredentials,
  envInt,
  envSecret,
  envString,
  envUrl,
  extractDocument,
  isDocumentMediaType,
  readEnv,
  NetGuard,
  sleep,
  sniffDocument,
  ToolError,
  type LookupAnswer,
} from '@bizmcp/core';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export const IDEMPOTENT = new Set<Method>(['GET', 'HEAD', 'PUT', 'DELETE']);

export interface ApiConfig {
  baseUrl?: URL;
  /** API_KEY, sent as a bearer token (default), in a custom header, or as a query parameter. */
  apiKey?: string;
  keyMode: 'bearer' | 'header' | 'query';
  /** Header or query parameter name for the key (API_KEY_HEADER / API_KEY_QUERY). */
  keyName?: string;
  basic?: { user: string; password: string };
  headers: Record<string, string>;
  openapi?: string;
  maxResponseBytes: number;
  timeoutMs: number;
  maxRetries: number;
  /** Cap on the time one Retry-After may make us wait. */
  maxRetryWaitMs: number;
  /** Test seam: a resolver for the net guard (never set from the environment). */
  lookup?: (host: string) => Promise<LookupAnswer[]>;
}

/** The variables the server reads (rendered in --help, the docs and config/servers.json). */
export const apiEnv = {
  API_BASE_URL: envUrl({ description: "The API's base URL; every request stays under it (it may be a private address: the operator chose it).", example: 'https://api.example.com/v1' }),
  API_KEY: envSecret({ description: 'API key, sent as `Authorization: Bearer` (default), or in API_KEY_HEADER, or as the API_KEY_QUERY parameter.' }),
  API_KEY_HEADER: envString({ description: 'Send API_KEY in this header instead (e.g. X-API-Key).' }),
  API_KEY_QUERY: envString({ description: 'Send API_KEY as this query parameter instead (e.g. api_key).' }),
  API_BASIC_USER: envString({ description: 'HTTP basic auth user (with API_BASIC_PASSWORD).' }),
  API_BASIC_PASSWORD: envSecret({ description: 'HTTP basic auth password.' }),
  API_HEADERS: envString({ description: 'Default headers as a JSON object, e.g. {"Accept-Language":"fr"}.' }),
  OPENAPI_SPEC: envString({ description: 'OpenAPI 3 document (file path or URL, JSON or YAML): enables list_endpoints, describe_endpoint, call_endpoint.' }),
  API_MAX_RESPONSE_BYTES: envInt({ description: 'Largest body part returned in one result (the rest via get_response_part).', default: 100 * 1024, min: 1 }),
  API_TIMEOUT_MS: envInt({ description: "Timeout of one request (never longer than what is left of the tool call's own timeout).", default: 30_000, min: 1 }),
  API_MAX_RETRIES: envInt({ description: 'Retries of GET/HEAD/PUT/DELETE on 429/503 (honouring Retry-After).', default: 2 }),
  API_MAX_RETRY_WAIT_MS: envInt({ description: 'Longest Retry-After honoured; a longer one is returned to the caller.', default: 10_000 }),
};

export function parseApiConfig(rawEnv: NodeJS.ProcessEnv): ApiConfig {
  const env = readEnv(apiEnv, rawEnv);
  let baseUrl: URL | undefined;
  if (env.API_BASE_URL) {
    baseUrl = new URL(rawEnv.API_BASE_URL!.trim());
    if (baseUrl.username || baseUrl.password) throw new ConfigError('put credentials in API_KEY or API_BASIC_USER/API_BASIC_PASSWORD, not in API_BASE_URL');
    baseUrl.search = '';
    baseUrl.hash = '';
  }
  let headers: Record<string, string> = {};
  if (env.API_HEADERS) {
    try {
      headers = JSON.parse(env.API_HEADERS);
    } catch {
      throw new ConfigError('API_HEADERS must be a JSON object of header names to values');
    }
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
      throw new ConfigError('API_HEADERS must be a JSON object of header names to string values');
    }
  }
  if (env.API_KEY_HEADER && env.API_KEY_QUERY) throw new ConfigError('set API_KEY_HEADER or API_KEY_QUERY, not both');
  return {
    baseUrl,
    apiKey: env.API_KEY || undefined,
    keyMode: env.API_KEY_HEADER ? 'header' : env.API_KEY_QUERY ? 'query' : 'bearer',
    keyName: env.API_KEY_HEADER || env.API_KEY_QUERY || undefined,
    basic: env.API_BASIC_USER ? { user: env.API_BASIC_USER, password: env.API_BASIC_PASSWORD ?? '' } : undefined,
    headers,
    openapi: env.OPENAPI_SPEC || undefined,
    maxResponseBytes: env.API_MAX_RESPONSE_BYTES,
    timeoutMs: env.API_TIMEOUT_MS,
    maxRetries: env.API_MAX_RETRIES,
    maxRetryWaitMs: env.API_MAX_RETRY_WAIT_MS,
  };
}

const noBase = () =>
  missingCredentials({
    what: 'The API',
    vars: ['API_BASE_URL'],
    how: 'Set API_BASE_URL to the API\'s base URL, and API_KEY (or API_BASIC_USER/API_BASIC_PASSWORD) if the API needs credentials; they go in the "env" block of the client configuration.',
  });

/**
 * Resolves an endpoint (path, optionally with a query string) under the base URL. Refuses absolute
 * URLs, scheme-relative `//host`, backslashes, control characters, and any `.` or `..` segment,
 * literal or percent-encoded, so the result always stays under the base path on the base origin.
 */
export function resolveEndpoint(base: URL, endpoint: string, query: Record<string, unknown> = {}, extraQuery: Record<string, string> = {}): URL {
  const bad = (why: string) => new ToolError(`endpoint refused: ${why}`, { code: 'access_denied', hint: `Pass a path under ${base.pathname} such as /items/42, with query parameters in \`query\`.` });
  if (/^[a-z][a-z0-9+.-]*:/i.test(endpoint)) throw bad('absolute URLs are not allowed; the host is fixed by API_BASE_URL');
  if (endpoint.startsWith('//')) throw bad('scheme-relative URLs are not allowed');
  if (/[\\\u0000-\u001f\u007f]/.test(endpoint)) throw bad('backslashes and control characters are not allowed');
  if (endpoint.includes('#')) throw bad('fragments are not allowed');
  const [rawPath, rawQuery = ''] = endpoint.split(/\?(.*)/s, 2);
  const segments = rawPath.split('/').filter((s) => s !== '');
  for (const seg of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      throw bad('malformed percent-encoding');
    }
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded) || /%2e|%2f|%5c/i.test(decoded)) throw bad('dot segments and encoded slashes are not allowed');
  }
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const url = new URL(base.origin);
  url.pathname = basePath + segments.join('/') + (rawPath.endsWith('/') && segments.length ? '/' : '');
  if (url.origin !== base.origin || !(url.pathname + '/').startsWith(basePath)) throw bad('it leaves the base URL');
  const params = new URLSearchParams(rawQuery);
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) params.append(k, String(x));
    else params.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  for (const [k, v] of Object.entries(extraQuery)) params.set(k, v);
  url.search = params.toString();
  return url;
}

const KEPT_HEADERS =
  /^(content-type|content-length|content-encoding|location|link|retry-after|etag|last-modified|x-request-id|x-total-count|x-next-page|x-ratelimit-.*|ratelimit(-.*)?|www-authenticate)$/i;

export interface ApiResponse {
  status: number;
  ok: boolean;
  url: string;
  headers: Record<string, string>;
  contentType?: string;
  /** Parsed JSON, or text; absent for binary bodies and HEAD. */
  body?: unknown;
  /** For binary bodies: a summary, never the bytes. */
  binary?: { bytes: number; sha256: string };
  /** A PDF or Office body returned as its text (the body), or why it could not be. */
  document?: { type?: string; pages?: number; capped?: string[]; dropped?: Record<string, number>; error?: string };
  bytes: number;
  truncated: boolean;
  /** When truncated: read the rest with get_response_part. */
  responseId?: string;
  nextOffset?: number;
  retries: number;
}

/** Keeps recent large bodies so get_response_part can page through them (bounded). */
export class ResponseStore {
  private items = new Map<string, { text: string; contentType?: string }>();
  constructor(private readonly max = 10) {}
  put(text: string, contentType?: string): string {
    const id = randomUUID().slice(0, 12);
    this.items.set(id, { text, contentType });
    while (this.items.size > this.max) this.items.delete(this.items.keys().next().value as string);
    return id;
  }
  get(id: string) {
    return this.items.get(id);
  }
}

/** A body that may be a PDF or Office document: by its media type or its first bytes. */
const looksLikeDocument = (ct: string | undefined, body: Buffer) => isDocumentMediaType(ct) || ['pdf', 'zip'].includes(sniffDocument(body.subarray(0, 1024)));

const isText = (ct: string) => /^(text\/|application\/(.*[+/])?(json|xml|javascript|x-www-form-urlencoded|yaml|x-yaml|graphql|csv|problem\+json)\b)/i.test(ct) || ct === '';

export class ApiClient {
  readonly guard: NetGuard;
  readonly store = new ResponseStore();

  constructor(readonly config: ApiConfig) {
    this.guard = new NetGuard({
      allowedOrigins: config.baseUrl ? [config.baseUrl.origin] : [],
      maxBytes: 10 * 1024 * 1024,
      timeoutMs: config.timeoutMs,
      userAgent: 'bizmcp-http-api/0.1',
      lookup: config.lookup,
    });
  }

  /** Redirects are followed only when they stay on the base origin and under the base path. */
  private checkRedirect(to: URL): void {
    const base = this.base();
    const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    if (to.origin !== base.origin || !(to.pathname + '/').startsWith(basePath)) {
      throw new ToolError(`Redirect refused: it leaves ${base.origin}${basePath}`, { code: 'access_denied', hint: 'Only redirects under API_BASE_URL are followed.' });
    }
  }

  base(): URL {
    if (!this.config.baseUrl) throw noBase();
    return this.config.baseUrl;
  }

  /** `deadline`: the tool call's own (epoch ms); no request or retry wait outlives it. */
  async request(
    method: Method,
    endpoint: string,
    opts: { query?: Record<string, unknown>; body?: unknown; headers?: Record<string, string>; signal: AbortSignal; deadline?: number; documentText?: boolean },
  ): Promise<ApiResponse> {
    const c = this.config;
    const url = resolveEndpoint(this.base(), endpoint, opts.query, c.apiKey && c.keyMode === 'query' ? { [c.keyName!]: c.apiKey } : {});
    const headers: Record<string, string> = { accept: 'application/json, text/*;q=0.9, */*;q=0.5', ...c.headers, ...(opts.headers ?? {}) };
    for (const h of Object.keys(opts.headers ?? {})) {
      if (/^(authorization|cookie|host|proxy-authorization|content-length|transfer-encoding)$/i.test(h))
        throw new ToolError(`headers.${h}: this header is set by the server, not by the caller`, { code: 'invalid_argument' });
    }
    if (c.apiKey && c.keyMode === 'bearer') headers.authorization = `Bearer ${c.apiKey}`;
    else if (c.basic) headers.authorization = `Basic ${Buffer.from(`${c.basic.user}:${c.basic.password}`).toString('base64')}`;
    if (c.apiKey && c.keyMode === 'header') headers[c.keyName!] = c.apiKey;
    let body: string | Buffer | undefined;
    if (opts.body !== undefined && method !== 'GET' && method !== 'HEAD') {
      if (typeof opts.body === 'string') body = opts.body;
      else {
        body = JSON.stringify(opts.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
    }
    let retries = 0;
    for (;;) {
      const left = opts.deadline === undefined ? Infinity : opts.deadline - Date.now();
      const timeoutMs = Math.max(1, Math.min(c.timeoutMs, left));
      const res = await this.guard.fetch(url, { method, headers, body, signal: opts.signal, timeoutMs, redirect: 'same-origin', checkRedirect: (to) => this.checkRedirect(to) });
      if ((res.status === 429 || res.status === 503) && IDEMPOTENT.has(method) && retries < c.maxRetries) {
        const wait = retryAfterMs(res.headers['retry-after'], retries);
        if (wait <= c.maxRetryWaitMs && (opts.deadline === undefined || Date.now() + wait < opts.deadline)) {
          retries++;
          await sleep(wait, opts.signal);
          continue;
        }
      }
      const out = this.shape(res, method, retries);
      if (out.binary && !res.truncated && opts.documentText !== false && looksLikeDocument(out.contentType, res.body)) await this.asDocument(out, res.body, opts);
      return out;
    }
  }

  /** A PDF or Office body as its text, through core's documents module (worker, caps, deadline). */
  private async asDocument(out: ApiResponse, bytes: Buffer, opts: { signal: AbortSignal; deadline?: number }): Promise<void> {
    try {
      const d = await extractDocument(bytes, { signal: opts.signal, ...(opts.deadline ? { deadline: opts.deadline } : {}), maxChars: 5_000_000 });
      out.document = { type: d.type, ...(d.pages ? { pages: d.pages } : {}), capped: d.capped, dropped: d.dropped };
      this.textBody(out, d.text, 'text/markdown', false);
      delete out.binary;
    } catch (e) {
      if (!(e instanceof ToolError) || e.code === 'cancelled' || e.code === 'timeout') throw e;
      out.document = { error: e.message };
    }
  }

  private shape(res: Awaited<ReturnType<NetGuard['fetch']>>, method: Method, retries: number): ApiResponse {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (KEPT_HEADERS.test(k)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    const contentType = headers['content-type']?.split(';')[0].trim().toLowerCase();
    const out: ApiResponse = { status: res.status, ok: res.status >= 200 && res.status < 300, url: res.url, headers, contentType, bytes: res.bytes, truncated: false, retries };
    if (method === 'HEAD' || res.bytes === 0) return out;
    if (!isText(contentType ?? '')) {
      out.binary = { bytes: res.bytes, sha256: createHash('sha256').update(res.body).digest('hex') };
      out.truncated = res.truncated;
      return out;
    }
    this.textBody(out, res.body.toString('utf8'), contentType, res.truncated);
    return out;
  }

  /** A text body: whole when under the cap (JSON parsed), else the first part and the rest kept for get_response_part. */
  private textBody(out: ApiResponse, text: string, contentType: string | undefined, truncated: boolean): void {
    const cap = this.config.maxResponseBytes;
    if (Buffer.byteLength(text) <= cap && !truncated) {
      if (contentType && /json/.test(contentType)) {
        try {
          out.body = JSON.parse(text);
          return;
        } catch {
          /* not valid JSON after all: returned as text */
        }
      }
      out.body = text;
      return;
    }
    // Too big for one answer: the first part now, the rest kept for get_response_part.
    const first = sliceChars(text, 0, cap);
    out.body = first;
    out.truncated = true;
    out.responseId = this.store.put(text, contentType);
    out.nextOffset = first.length;
  }
}

/** Characters [offset, offset + maxBytes bytes) without splitting a character. */
export function sliceChars(text: string, offset: number, maxBytes: number): string {
  let bytes = 0;
  let end = offset;
  while (end < text.length) {
    const code = text.codePointAt(end)!;
    const len = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + len > maxBytes) break;
    bytes += len;
    end += code >= 0x10000 ? 2 : 1;
  }
  return text.slice(offset, end);
}

function retryAfterMs(h: string | string[] | undefined, attempt: number): number {
  const v = Array.isArray(h) ? h[0] : h;
  if (v) {
    if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
    const at = Date.parse(v);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  return 500 * 2 ** attempt;
}
