// Streamable HTTP transport for shared deployments (`--http`): one implementation for every server.
// Bound to 127.0.0.1 unless told otherwise; Host and Origin validated (DNS-rebinding protection);
// an optional bearer token (BIZMCP_HTTP_TOKEN) compared in constant time; one SDK session per
// client session; /health and /metrics (Prometheus text) beside /mcp.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { BuiltServer } from './server.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const MAX_BODY = 4 * 1024 * 1024;

export interface HttpHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function serveHttp(built: BuiltServer): Promise<HttpHandle> {
  const opts = built.common.http!;
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const log = built.log;
  let port = opts.port;

  const allowedHost = (host: string | undefined) => {
    if (!host) return false;
    const name = host.replace(/:\d+$/, '');
    if (LOOPBACK.has(name)) return true;
    return name === opts.host || opts.host === '0.0.0.0' || opts.host === '::';
  };
  const allowedOrigin = (origin: string | undefined) => {
    if (!origin) return true; // not a browser
    if (opts.allowedOrigins.includes(origin)) return true;
    try {
      const u = new URL(origin);
      return LOOPBACK.has(u.hostname) && LOOPBACK.has(opts.host);
    } catch {
      return false;
    }
  };
  const authorized = (req: IncomingMessage) => {
    if (!opts.token) return true;
    const got = Buffer.from(String(req.headers.authorization ?? ''));
    const want = Buffer.from(`Bearer ${opts.token}`);
    return got.length === want.length && timingSafeEqual(got, want);
  };
  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const rpcError = (res: ServerResponse, status: number, message: string) =>
    send(res, status, { jsonrpc: '2.0', id: null, error: { code: -32000, message } });

  const readBody = (req: IncomingMessage) =>
    new Promise<unknown>((resolve, reject) => {
      const parts: Buffer[] = [];
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        if (n > MAX_BODY) {
          reject(new Error('body too large'));
          req.destroy();
        } else parts.push(c);
      });
      req.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
        } catch {
          reject(new SyntaxError('invalid JSON'));
        }
      });
      req.on('error', reject);
    });

  const server: HttpServer = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!allowedHost(req.headers.host)) return rpcError(res, 403, 'Forbidden host');
      if (!allowedOrigin(req.headers.origin)) return rpcError(res, 403, 'Forbidden origin');
      if (url.pathname === '/health') return send(res, 200, { status: 'ok', server: built.def.name, sessions: sessions.size });
      if (!authorized(req)) {
        res.setHeader('www-authenticate', 'Bearer');
        return rpcError(res, 401, 'Unauthorized: send Authorization: Bearer <BIZMCP_HTTP_TOKEN>');
      }
      if (url.pathname === '/metrics') return send(res, 200, built.metrics.prometheus(), 'text/plain; version=0.0.4');
      if (url.pathname !== '/mcp') return rpcError(res, 404, 'Not found: the MCP endpoint is /mcp');

      const sid = req.headers['mcp-session-id'];
      const existing = typeof sid === 'string' ? sessions.get(sid) : undefined;
      if (req.method === 'POST') {
        let body: unknown;
        try {
          body = await readBody(req);
        } catch (e) {
          return send(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: ${(e as Error).message}` } });
        }
        if (existing) return existing.handleRequest(req, res, body);
        if (sid) return rpcError(res, 404, 'Unknown session');
        if (!isInitializeRequest(body)) return rpcError(res, 400, 'No session: start with an initialize request');
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void sessions.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
        };
        await built.createSession({ transport: 'http' }).sdk.connect(transport);
        return transport.handleRequest(req, res, body);
      }
      if (req.method === 'GET' || req.method === 'DELETE') {
        if (!existing) return rpcError(res, 404, 'Unknown session');
        return existing.handleRequest(req, res);
      }
      res.setHeader('allow', 'GET, POST, DELETE');
      return rpcError(res, 405, 'Method not allowed');
    } catch (err) {
      log.error({ err }, 'http request failed');
      if (!res.headersSent) rpcError(res, 500, 'Internal error');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  if (addr && typeof addr === 'object') port = addr.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}/mcp`;
  log.info({ url, auth: Boolean(opts.token) }, 'serving MCP over Streamable HTTP');
  if (!LOOPBACK.has(opts.host) && !opts.token) log.warn('bound to a non-loopback address without BIZMCP_HTTP_TOKEN: anyone who can reach it can call every tool');

  return {
    url,
    port,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      sessions.clear();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
    },
  };
}
