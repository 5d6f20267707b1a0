// One request recorder for every local test server: what arrived (method, URL, every header,
// the body as bytes, text and decoded value), and which responses the client abandoned.
// `startRecordingServer` is a plain HTTP server that records each request before its handler runs;
// `startFakeApi` records through the same recorder.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Path without the query, percent-encoding kept. */
  path: string;
  /** Query parameters; a repeated name gives an array. Bracket names are kept as sent (`expand[]`). */
  query: Record<string, string | string[]>;
  /** Every header as received, Authorization included (lower-case names). */
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** The body as UTF-8 text ('' when there was none). */
  text: string;
  /** The body decoded by its content type: JSON, form (bracket notation expanded), otherwise the text. */
  body: unknown;
  /** Set by a fake API: the contract operation the request matched. */
  operation?: string;
  /** Set by a fake API: the status it answered with. */
  status?: number;
}

export interface RequestFilter {
  method?: string;
  /** Exact path, or a pattern tested against the path. */
  path?: string | RegExp;
  operation?: string;
}

export interface Recorder {
  /** Every request in arrival order. A live array: `requests.length = 0` clears it like `clear()`. */
  readonly requests: RecordedRequest[];
  /** URLs whose response the client hung up on before it was complete. */
  readonly closed: string[];
  record(req: IncomingMessage, rawBody: Buffer): RecordedRequest;
  clear(): void;
  last(): RecordedRequest | undefined;
  filter(f: RequestFilter): RecordedRequest[];
  urls(): string[];
  /** Watches a response and notes its URL in `closed` when the client leaves before the end. */
  watch(req: IncomingMessage, res: ServerResponse): void;
}

export function createRecorder(): Recorder {
  const requests: RecordedRequest[] = [];
  const closed: string[] = [];
  const matches = (r: RecordedRequest, f: RequestFilter) =>
    (f.method === undefined || r.method === f.method.toUpperCase()) &&
    (f.operation === undefined || r.operation === f.operation) &&
    (f.path === undefined || (typeof f.path === 'string' ? r.path === f.path : f.path.test(r.path)));
  return {
    requests,
    closed,
    record(req, rawBody) {
      const entry = describeRequest(req, rawBody);
      requests.push(entry);
      return entry;
    },
    clear() {
      requests.length = 0;
      closed.length = 0;
    },
    last: () => requests[requests.length - 1],
    filter: (f) => requests.filter((r) => matches(r, f)),
    urls: () => requests.map((r) => r.url),
    watch(req, res) {
      res.on('close', () => {
        if (!res.writableFinished) closed.push(req.url ?? '');
      });
    },
  };
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function describeRequest(req: IncomingMessage, rawBody: Buffer): RecordedRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const text = rawBody.toString('utf8');
  return {
    method: req.method ?? 'GET',
    url,
    path: q < 0 ? url : url.slice(0, q),
    query: queryObject(q < 0 ? '' : url.slice(q + 1)),
    headers: req.headers,
    rawBody,
    text,
    body: decodeBody(req.headers['content-type'], text),
  };
}

/** Query string to an object; a repeated name gives an array of its values. */
export function queryObject(search: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(search)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

export const mediaType = (contentType: string | undefined) => (contentType ?? '').split(';')[0].trim().toLowerCase();

/** JSON and form bodies decoded; anything else (or a JSON body that does not parse) stays text. */
export function decodeBody(contentType: string | undefined, text: string): unknown {
  const type = mediaType(contentType);
  if (text === '') return type === 'application/x-www-form-urlencoded' ? {} : undefined;
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type === 'application/x-www-form-urlencoded') return decodeForm(text);
  return text;
}

/**
 * A form (or query) string with bracket notation expanded, the way Stripe and qs write it:
 * `metadata[key]=v` → `{metadata: {key: 'v'}}`, `expand[]=a&expand[]=b` → `{expand: ['a', 'b']}`,
 * `items[0][price]=p` → `{items: [{price: 'p'}]}`. A plain name repeated gives an array.
 */
export function decodeForm(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
    const keys = m ? [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])] : [name];
    let node: Record<string, unknown> = root;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const lastKey = i === keys.length - 1;
      if (key === '') {
        // `a[]`: append (as a numeric key; arrays are made at the end)
        const n = String(Object.keys(node).length);
        if (lastKey) node[n] = value;
        else node = (node[n] = {}) as Record<string, unknown>;
        continue;
      }
      if (lastKey) {
        const prev = node[key];
        if (prev === undefined) node[key] = value;
        else if (Array.isArray(prev)) prev.push(value);
        else if (typeof prev === 'string') node[key] = [prev, value];
        else node[key] = value;
      } else {
        const next = node[key];
        node = (typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (node[key] = {})) as Record<string, unknown>;
      }
    }
  }
  return arraysFromIndexes(root) as Record<string, unknown>;
}

function arraysFromIndexes(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) o[k] = arraysFromIndexes(o[k]);
  const keys = Object.keys(o);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => o[k]);
  return o;
}

export interface RecordingServer {
  server: Server;
  port: number;
  /** `http://host:port` */
  url: string;
  recorder: Recorder;
  /** The recorder's live list of requests. */
  hits: RecordedRequest[];
  /** The recorder's list of URLs whose response the client abandoned. */
  closed: string[];
  close(): Promise<void>;
}

/**
 * A local HTTP server that records every request (body read in full) and then hands it to
 * `handler`. Listens on `host` (127.0.0.1 by default) on a free port.
 */
export async function startRecordingServer(
  handler: (req: IncomingMessage, res: ServerResponse, hit: RecordedRequest) => unknown,
  opts: { host?: string; port?: number; recorder?: Recorder } = {},
): Promise<RecordingServer> {
  const recorder = opts.recorder ?? createRecorder();
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    readBody(req).then(
      async (raw) => {
        const hit = recorder.record(req, raw);
        recorder.watch(req, res);
        try {
          await handler(req, res, hit);
        } catch (e) {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`test server handler failed: ${(e as Error).stack ?? e}`);
        }
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, host, () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    recorder,
    hits: recorder.requests,
    closed: recorder.closed,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
