// Streamable HTTP transport for shared deployments (`--http`): one implementation for every server.
//
// Order of the checks on every request, each before any work the next one needs:
//   1. Host (DNS rebinding): loopback names and the bound address at the listening port, or a value
//      of BIZMCP_HTTP_ALLOWED_HOSTS; case-insensitive. Origin: loopback origins when bound to
//      loopback, or BIZMCP_HTTP_ALLOWED_ORIGINS (those also get CORS; preflights are answered here).
//   2. /health (GET/HEAD, no token).
//   3. The bearer token (scheme case-insensitive, compared in constant time), before the body is read.
//   4. /metrics (GET/HEAD). /mcp: the body is read up to BIZMCP_HTTP_MAX_BODY_BYTES (413 past it),
//      its nesting checked by a scan of the bytes (BIZMCP_HTTP_MAX_JSON_DEPTH) before JSON.parse.
//   5. The session: bound to the token that opened it (another token gets 404, as for an unknown
//      id); capped at BIZMCP_HTTP_MAX_SESSIONS (503); closed after BIZMCP_HTTP_SESSION_IDLE_MS
//      without a request or an open stream. Of `initialize`, only what the protocol uses is kept.
// SSE streams are resumable: each session keeps its recent events (bounded) and the SDK sends a
// priming event with a `retry` field; a client reconnecting with Last-Event-ID gets what it missed.
// With BIZMCP_HTTP_STATELESS every POST is served by a fresh session that ends with it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { LOOPBACK_HOSTS } from './config.js';
import { reclaimMemory } from './memory.js';
import type { BuiltServer, Session } from './server.js';

/** Reconnect delay suggested to SSE clients (the `retry` field of the priming event). */
const SSE_RETRY_MS = 2000;
/** Events kept per session for resumption. */
const MAX_EVENTS = 200;
const MAX_EVENT_BYTES = 1024 * 1024;
/** How much of a refused body is read and thrown away so that the client sees the answer. */
const DISCARD_BYTES = 16 * 1024 * 1024;
/** Once sessions have expired, the open count is down to a quarter of its peak and the RSS has grown
 *  this much since the last reclaim, the heap they grew is handed back to the system (memory.ts). */
const RECLAIM_GROWTH_BYTES = 32 * 1024 * 1024;
const RECLAIM_MIN_INTERVAL_MS = 10_000;
const RECLAIM_SECOND_PASS_MS = 5_000;

export interface HttpHandle {
  url: string;
  port: number;
  /** Open sessions now. */
  sessionCount(): number;
  close(): Promise<void>;
}

interface Entry {
  session: Session;
  transport: StreamableHTTPServerTransport;
  /** Which configured token opened it (-1 without auth). */
  credential: number;
  lastSeen: number;
  /** Requests and streams open now (a session with one is never idle). */
  open: number;
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = -32000,
  ) {
    super(message);
  }
}

export async function serveHttp(built: BuiltServer): Promise<HttpHandle> {
  const opts = built.common.http!;
  const sessions = new Map<string, Entry>();
  const log = built.log;
  const counters = { opened: 0, expired: 0, rejected: 0 };
  const burst = { peak: 0, expired: 0, lastReclaim: 0, reclaims: 0, rss: process.memoryUsage.rss() };
  let port = opts.port;
  let closing = false;
  const boundLoopback = LOOPBACK_HOSTS.has(opts.host);
  const tokenDigests = opts.tokens.map((t) => createHash('sha256').update(t).digest());

  // ---- request checks ---------------------------------------------------------------------------

  const allowedHost = (raw: string | undefined) => {
    if (!raw) return false;
    const host = raw.toLowerCase();
    if (opts.allowedHosts.includes(host)) return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!m) return false;
    const [, name, p] = m;
    if (opts.allowedHosts.includes(name) && (p === undefined || Number(p) === port)) return true;
    const named = LOOPBACK_HOSTS.has(name) || name === opts.host.toLowerCase() || name === `[${opts.host.toLowerCase()}]`;
    return named && name !== '0.0.0.0' && name !== '[::]' && (p === undefined ? port === 80 : Number(p) === port);
  };
  const listedOrigin = (origin: string) => opts.allowedOrigins.includes(origin);
  const allowedOrigin = (origin: string | undefined) => {
    if (origin === undefined) return true; // not a browser
    if (listedOrigin(origin)) return true;
    try {
      return boundLoopback && LOOPBACK_HOSTS.has(new URL(origin).hostname);
    } catch {
      return false;
    }
  };
  /** The index of the token the request carries; -1 without auth; undefined when refused. */
  const credentialOf = (req: IncomingMessage): number | undefined => {
    if (!tokenDigests.length) return -1;
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
    if (!m) return undefined;
    const got = createHash('sha256').update(m[1]).digest();
    let found: number | undefined;
    tokenDigests.forEach((want, i) => {
      if (timingSafeEqual(got, want)) found = i;
    });
    return found;
  };

  // ---- responses --------------------------------------------------------------------------------

  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json', head = false) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(head ? undefined : text);
  };
  const rpcError = (res: ServerResponse, status: number, message: string, code = -32000) => send(res, status, { jsonrpc: '2.0', id: null, error: { code, message } });
  /**
   * Answers a refused request at once. The unread rest of its body is discarded as it arrives, never
   * kept, so that a client still sending can read the answer (closing the socket now would reset
   * it); past DISCARD_BYTES (at least four bodies' worth), or 10 s, the connection is dropped.
   */
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, message: string, code = -32000) => {
    if (!req.complete) {
      let discarded = 0;
      const drop = setTimeout(() => req.destroy(), 10_000);
      drop.unref();
      const cap = Math.max(DISCARD_BYTES, 4 * opts.maxBodyBytes);
      req.on('data', (c: Buffer) => {
        discarded += c.length;
        if (discarded > cap) req.destroy();
      });
      req.once('end', () => clearTimeout(drop));
      req.once('close', () => clearTimeout(drop));
      req.resume();
    }
    rpcError(res, status, message, code);
  };
  const cors = (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin === undefined || !listedOrigin(origin)) return false;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', 'mcp-session-id, mcp-protocol-version, www-authenticate');
    return true;
  };

  // ---- the body ---------------------------------------------------------------------------------

  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxBodyBytes) return reject(tooLarge());
      const parts: Buffer[] = [];
      let n = 0;
      const onData = (c: Buffer) => {
        n += c.length;
        if (n > opts.maxBodyBytes) {
          req.off('data', onData);
          req.pause();
          parts.length = 0;
          reject(tooLarge());
        } else parts.push(c);
      };
      req.on('data', onData);
      req.on('end', () => resolve(Buffer.concat(parts, n)));
      req.on('error', reject);
    });
  const tooLarge = () => new HttpRefusal(413, `Request body larger than ${opts.maxBodyBytes} bytes (BIZMCP_HTTP_MAX_BODY_BYTES)`);

  const parseBody = (buf: Buffer): unknown => {
    const depth = jsonDepthExceeds(buf, opts.maxJsonDepth);
    if (depth) throw new HttpRefusal(400, `Parse error: JSON nested deeper than ${opts.maxJsonDepth} levels`, -32700);
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch {
      throw new HttpRefusal(400, 'Parse error: invalid JSON', -32700);
    }
  };

  // ---- sessions ---------------------------------------------------------------------------------

  const track = (entry: Entry, res: ServerResponse) => {
    entry.open++;
    entry.lastSeen = Date.now();
    res.once('close', () => {
      entry.open--;
      entry.lastSeen = Date.now();
    });
  };

  const openSession = async (credential: number): Promise<Entry> => {
    if (sessions.size >= opts.maxSessions) {
      counters.rejected++;
      throw new HttpRefusal(503, `Too many open sessions (${opts.maxSessions}, BIZMCP_HTTP_MAX_SESSIONS): try again later`);
    }
    const id = randomUUID();
    const session = built.createSession({ transport: 'http', id });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: new SessionEventStore(),
      retryInterval: SSE_RETRY_MS,
    });
    const entry: Entry = { session, transport, credential, lastSeen: Date.now(), open: 0 };
    sessions.set(id, entry);
    counters.opened++;
    if (sessions.size > burst.peak) burst.peak = sessions.size;
    transport.onclose = () => {
      if (sessions.get(id) === entry) sessions.delete(id);
    };
    await session.connect(transport);
    return entry;
  };
  const dropSession = (entry: Entry) => {
    sessions.delete(entry.session.id);
    void entry.session.close();
  };

  const sweepEvery = Math.max(250, Math.min(60_000, Math.floor(opts.sessionIdleMs / 4)));
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const entry of sessions.values()) {
      if (entry.open > 0) entry.lastSeen = now;
      else if (now - entry.lastSeen >= opts.sessionIdleMs) {
        counters.expired++;
        entry.session.log.info({ idleMs: now - entry.lastSeen }, 'session closed after being idle');
        dropSession(entry);
        burst.expired++;
      }
    }
    if (burst.expired > 0 && sessions.size <= burst.peak / 4 && now - burst.lastReclaim >= RECLAIM_MIN_INTERVAL_MS && process.memoryUsage.rss() - burst.rss > RECLAIM_GROWTH_BYTES) {
      const { expired, peak } = burst;
      Object.assign(burst, { peak: sessions.size, expired: 0, lastReclaim: now });
      // Once the closes just started have settled, and again a few seconds later: what the closes
      // still held at the first pass (streams, pending writes) becomes garbage afterwards, and an
      // ordinary collection frees it without handing the pages back (a 30 s soak kept 60 MB of
      // RSS over its baseline with only the first pass).
      const reclaim = (pass: number) => () => {
        if (closing) return;
        const t0 = performance.now();
        if (!reclaimMemory()) return;
        burst.reclaims++;
        burst.rss = process.memoryUsage.rss();
        log.debug({ expired, peak, pass, ms: Math.round(performance.now() - t0), rss: burst.rss }, 'memory handed back after a burst of sessions');
        if (pass === 1) setTimeout(reclaim(2), RECLAIM_SECOND_PASS_MS).unref();
      };
      setTimeout(reclaim(1), 500).unref();
    }
  }, sweepEvery);
  sweeper.unref();

  const metricsText = () =>
    built.metrics.prometheus() +
    [
      '# HELP mcp_http_sessions_open Sessions open now.',
      '# TYPE mcp_http_sessions_open gauge',
      `mcp_http_sessions_open{server="${built.def.name}"} ${sessions.size}`,
      '# HELP mcp_http_sessions_total Sessions by outcome: opened, expired (idle), rejected (over the cap).',
      '# TYPE mcp_http_sessions_total counter',
      ...Object.entries(counters).map(([k, v]) => `mcp_http_sessions_total{server="${built.def.name}",event="${k}"} ${v}`),
      '# HELP mcp_http_memory_reclaims_total Memory-reducing collections run after a burst of sessions expired.',
      '# TYPE mcp_http_memory_reclaims_total counter',
      `mcp_http_memory_reclaims_total{server="${built.def.name}"} ${burst.reclaims}`,
    ].join('\n') +
    '\n';

  // ---- /mcp -------------------------------------------------------------------------------------

  const handleMcp = async (req: IncomingMessage, res: ServerResponse, credential: number) => {
    const sid = req.headers['mcp-session-id'];
    let entry = typeof sid === 'string' ? sessions.get(sid) : undefined;
    // A session answers only to the token that opened it; to any other it does not exist.
    if (entry && entry.credential !== credential) entry = undefined;
    if (req.method === 'POST') {
      const body = parseBody(await readBody(req));
      if (opts.stateless) return serveStateless(req, res, body);
      if (entry) {
        track(entry, res);
        return entry.transport.handleRequest(req, res, body);
      }
      if (sid !== undefined) throw new HttpRefusal(404, 'Unknown session: start a new one with initialize');
      if (!isInitialize(body)) throw new HttpRefusal(400, 'No session: start with an initialize request');
      trimInitialize(body);
      const created = await openSession(credential);
      track(created, res);
      await created.transport.handleRequest(req, res, body);
      // An initialize the SDK refused leaves no session behind.
      if (!created.transport.sessionId) dropSession(created);
      return;
    }
    if (opts.stateless) {
      res.setHeader('allow', 'POST');
      throw new HttpRefusal(405, 'Method not allowed: the stateless mode serves POST only');
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!entry) throw new HttpRefusal(404, 'Unknown session');
      track(entry, res);
      return entry.transport.handleRequest(req, res);
    }
    res.setHeader('allow', 'GET, POST, DELETE');
    throw new HttpRefusal(405, 'Method not allowed');
  };

  const serveStateless = async (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    if (isInitialize(body)) trimInitialize(body);
    const session = built.createSession({ transport: 'http' });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.once('close', () => void session.close());
    await session.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const server: HttpServer = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!allowedHost(req.headers.host)) return refuse(req, res, 403, 'Forbidden host');
      if (!allowedOrigin(req.headers.origin)) return refuse(req, res, 403, 'Forbidden origin');
      const withCors = cors(req, res);
      if (req.method === 'OPTIONS') {
        if (!withCors) return refuse(req, res, 403, 'Forbidden origin');
        res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
        res.setHeader('access-control-allow-headers', 'authorization, content-type, accept, mcp-session-id, mcp-protocol-version, last-event-id');
        res.setHeader('access-control-max-age', '600');
        res.writeHead(204);
        return res.end();
      }
      const probe = url.pathname === '/health' || url.pathname === '/metrics';
      if (probe && req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return refuse(req, res, 405, 'Method not allowed');
      }
      if (url.pathname === '/health') return send(res, 200, { status: 'ok', server: built.def.name, sessions: sessions.size }, 'application/json', req.method === 'HEAD');
      const credential = credentialOf(req);
      if (credential === undefined) {
        res.setHeader('www-authenticate', 'Bearer');
        return refuse(req, res, 401, 'Unauthorized: send Authorization: Bearer <BIZMCP_HTTP_TOKEN>');
      }
      if (url.pathname === '/metrics') return send(res, 200, metricsText(), 'text/plain; version=0.0.4', req.method === 'HEAD');
      if (url.pathname !== '/mcp') return refuse(req, res, 404, 'Not found: the MCP endpoint is /mcp');
      if (closing) throw new HttpRefusal(503, 'The server is shutting down');
      await handleMcp(req, res, credential);
    } catch (err) {
      if (res.headersSent) return;
      if (err instanceof HttpRefusal) {
        if (err.status === 503) res.setHeader('retry-after', '5');
        return refuse(req, res, err.status, err.message, err.code);
      }
      log.error({ err }, 'http request failed');
      refuse(req, res, 500, 'Internal error');
    }
  });
  // Slow clients: a request's headers must arrive within 10 s, the whole request within 60 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  if (addr && typeof addr === 'object') port = addr.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}/mcp`;
  log.info({ url, auth: tokenDigests.length > 0, stateless: opts.stateless, maxSessions: opts.maxSessions, sessionIdleMs: opts.sessionIdleMs }, 'serving MCP over Streamable HTTP');
  if (!tokenDigests.length) log.warn('--no-auth: any local process can call every tool');

  return {
    url,
    port,
    sessionCount: () => sessions.size,
    close: async () => {
      closing = true;
      clearInterval(sweeper);
      await Promise.allSettled([...sessions.values()].map((e) => e.session.close()));
      sessions.clear();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
    },
  };
}

const isInitialize = (body: unknown): body is { method: 'initialize'; params: Record<string, unknown> } =>
  typeof body === 'object' &&
  body !== null &&
  !Array.isArray(body) &&
  (body as { method?: unknown }).method === 'initialize' &&
  typeof (body as { params?: unknown }).params === 'object' &&
  (body as { params?: unknown }).params !== null;

/**
 * Keeps of an initialize request only what the protocol uses (the SDK stores the client's
 * capabilities and info for the life of the session): known capabilities, reduced to their known
 * flags, and a short client name and version. `experimental` and anything unknown are dropped.
 */
function trimInitialize(body: { params: Record<string, unknown> }): void {
  const p = body.params;
  const caps = (typeof p.capabilities === 'object' && p.capabilities) || {};
  const flag = (v: unknown, keys: string[]) => {
    if (typeof v !== 'object' || v === null) return undefined;
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'boolean') out[k] = x;
      else if (typeof x === 'object' && x !== null) out[k] = {};
    }
    return out;
  };
  const c = caps as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const [k, keys] of [
    ['roots', ['listChanged']],
    ['sampling', ['context', 'tools']],
    ['elicitation', ['form', 'url']],
    ['tasks', []],
  ] as const) {
    const v = flag(c[k], [...keys]);
    if (v) kept[k] = v;
  }
  const info = (typeof p.clientInfo === 'object' && p.clientInfo) || {};
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v.slice(0, 200) : d);
  p.capabilities = kept;
  p.clientInfo = { name: str((info as Record<string, unknown>).name, 'unknown'), version: str((info as Record<string, unknown>).version, '0') };
  p.protocolVersion = str(p.protocolVersion, '');
  for (const k of Object.keys(p)) if (!['capabilities', 'clientInfo', 'protocolVersion', '_meta'].includes(k)) delete p[k];
  if (p._meta !== undefined) delete p._meta;
}

/**
 * True when the JSON text nests arrays/objects deeper than `max`: one pass over the bytes, outside
 * strings, before anything is parsed (a deep body is refused without building it).
 */
export function jsonDepthExceeds(buf: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

/**
 * One session's recent SSE events, for resumption (Last-Event-ID). Bounded in count and bytes;
 * the oldest go first. Event ids are `<stream>_<n>`, so the stream of an id is known without a lookup.
 */
class SessionEventStore implements EventStore {
  private readonly events: { id: string; stream: string; message: JSONRPCMessage; bytes: number }[] = [];
  private bytes = 0;
  private n = 0;

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${++this.n}`;
    const bytes = JSON.stringify(message).length;
    this.events.push({ id, stream: streamId, message, bytes });
    this.bytes += bytes;
    while (this.events.length > MAX_EVENTS || (this.bytes > MAX_EVENT_BYTES && this.events.length > 1)) this.bytes -= this.events.shift()!.bytes;
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    const cut = eventId.lastIndexOf('_');
    return cut > 0 ? eventId.slice(0, cut) : undefined;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const stream = (await this.getStreamIdForEventId(lastEventId)) ?? '';
    const at = this.events.findIndex((e) => e.id === lastEventId);
    for (const e of at === -1 ? [] : this.events.slice(at + 1)) {
      // The priming event ({}) carries no message.
      if (e.stream === stream && Object.keys(e.message).length) await send(e.id, e.message);
    }
    return stream;
  }
}
