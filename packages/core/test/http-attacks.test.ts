// Attacks on `--http`, run against the built filesystem server, each with an oracle: files outside
// the allowed directory (never read, never created), which notifications each client receives, the
// server's RSS, the open-session count. Also what already held (Host, Origin, tokens), so it stays held.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema, LoggingMessageNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { builtBin, procStatusMb, textOf } from '../src/testing.js';

const bin = builtBin('filesystem');
const T1 = 'token-one-0123456789abcdef0123456789abcdef';
const T2 = 'token-two-0123456789abcdef0123456789abcdef';
const base = mkdtempSync(join(tmpdir(), 'bizmcp-http-attacks-'));
const allowed = join(base, 'allowed');
const outside = join(base, 'outside');
for (const d of [join(allowed, 'a'), join(allowed, 'b'), outside]) mkdirSync(d, { recursive: true });
writeFileSync(join(allowed, 'a', 'a.txt'), 'file a');
writeFileSync(join(allowed, 'b', 'b.txt'), 'file b');
writeFileSync(join(outside, 'secret.txt'), 'outside secret');

interface Spawned {
  child: ChildProcess;
  url: URL;
  stderr: () => string;
}
const children: ChildProcess[] = [];

/** Starts the filesystem server over HTTP; resolves with its URL, or rejects with its exit and stderr. */
function start(env: Record<string, string>, args: string[] = []): Promise<Spawned> {
  const child = spawn(process.execPath, [bin, '--http', '--port', '0', ...args], { env: { PATH: process.env.PATH ?? '', ALLOWED_PATHS: allowed, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /"url":"([^"]+)"/.exec(err);
      if (m) resolve({ child, url: new URL(m[1]), stderr: () => err });
    });
    child.on('exit', (code) => reject(Object.assign(new Error(`exited ${code}: ${err}`), { code, stderr: err })));
  });
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function raw(url: URL, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...(opts.host ? { host: opts.host } : {}), ...opts.headers };
    const req = request({ host: url.hostname, port: url.port, path, method: opts.method ?? 'GET', headers }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const rpc = (id: number, method: string, params: Record<string, unknown> = {}) => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const initBody = (version = '2025-06-18', capabilities: unknown = {}) => rpc(1, 'initialize', { protocolVersion: version, capabilities, clientInfo: { name: 'raw', version: '0' } });
const mcpHeaders = (token = T1, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: `Bearer ${token}`,
  ...extra,
});

/** An SDK client over HTTP, optionally offering roots, recording the log notifications it receives. */
async function connect(url: URL, opts: { token?: string; roots?: string[] } = {}) {
  let roots = opts.roots;
  const client = new Client({ name: 'attack', version: '0' }, { capabilities: roots ? { roots: { listChanged: true } } : {} });
  if (roots) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: (roots ?? []).map((uri) => ({ uri })) }));
  const logs: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(JSON.stringify(n.params)));
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${opts.token ?? T1}` } } });
  await client.connect(transport);
  const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  /** Waits until the server applied the client's roots (list_allowed_directories shows them). */
  const rootsNow = async () => (await call('list_allowed_directories', {})).structuredContent as { directories: string[] };
  const waitRoots = async (want: string[]) => {
    for (let i = 0; i < 300; i++) {
      if (JSON.stringify((await rootsNow()).directories) === JSON.stringify(want)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`roots never became ${want}`);
  };
  return {
    client,
    transport,
    logs,
    call,
    rootsNow,
    waitRoots,
    async setRoots(uris: string[]) {
      roots = uris;
      await client.sendRootsListChanged();
    },
    close: () => client.close(),
  };
}

/** Waits (bounded) until the server reports no open session: earlier tests' sessions idle out. */
async function waitNoSessions(url: URL): Promise<number> {
  let open = -1;
  for (let i = 0; i < 300 && open !== 0; i++) {
    open = JSON.parse((await raw(url, '/health')).body).sessions;
    if (open !== 0) await new Promise((r) => setTimeout(r, 100));
  }
  return open;
}

const rssKb = (pid: number) => procStatusMb(pid, 'VmRSS') * 1024;
const uri = (p: string) => pathToFileURL(p).href;

describe('--http attacks on the filesystem server', () => {
  let s: Spawned;
  beforeAll(async () => {
    s = await start({
      BIZMCP_HTTP_TOKEN: `${T1},${T2}`,
      BIZMCP_HTTP_MAX_SESSIONS: '12',
      BIZMCP_HTTP_SESSION_IDLE_MS: '1500',
      BIZMCP_HTTP_MAX_BODY_BYTES: String(256 * 1024),
      BIZMCP_HTTP_ALLOWED_ORIGINS: 'http://app.example',
    });
  });

  it("one client's roots change only its own sandbox view (narrowing, widening, list_changed)", async () => {
    const narrow = await connect(s.url, { roots: [uri(join(allowed, 'a'))] });
    await narrow.waitRoots([join(allowed, 'a')]);
    const plain = await connect(s.url, { token: T2 });
    const wide = await connect(s.url, { roots: [uri(base)] });
    await wide.waitRoots([allowed]);
    const table: [string, Awaited<ReturnType<typeof connect>>, string, boolean][] = [
      ['narrow client reads its root', narrow, join(allowed, 'a', 'a.txt'), true],
      ['narrow client reads a sibling', narrow, join(allowed, 'b', 'b.txt'), false],
      ['client without roots is not narrowed by another', plain, join(allowed, 'b', 'b.txt'), true],
      ['a client root above the configured one does not widen', wide, join(outside, 'secret.txt'), false],
      ['the narrow client is not widened by the wide one', narrow, join(allowed, 'b', 'b.txt'), false],
    ];
    for (const [what, c, path, ok] of table) {
      const r = await c.call('read_text_file', { path });
      expect(Boolean(r.isError), what).toBe(!ok);
      expect(textOf(r), what).not.toContain('outside secret');
    }
    // list_changed: the wide client narrows itself to b; the others keep theirs.
    await wide.setRoots([uri(join(allowed, 'b'))]);
    await wide.waitRoots([join(allowed, 'b')]);
    expect((await narrow.rootsNow()).directories).toEqual([join(allowed, 'a')]);
    expect((await plain.rootsNow()).directories).toEqual([allowed]);
    expect((await wide.call('read_text_file', { path: join(allowed, 'a', 'a.txt') })).isError).toBe(true);
    // Writes outside: nothing created.
    for (const c of [narrow, plain, wide]) await c.call('write_file', { path: join(outside, 'created.txt'), content: 'x' });
    expect(existsSync(join(outside, 'created.txt'))).toBe(false);
    await Promise.all([narrow.close(), plain.close(), wide.close()]);
  });

  it('log notifications reach only the client whose calls wrote them', async () => {
    const a = await connect(s.url, { roots: [uri(join(allowed, 'a'))] });
    await a.waitRoots([join(allowed, 'a')]);
    await a.client.setLoggingLevel('debug');
    const b = await connect(s.url);
    await b.client.setLoggingLevel('debug');
    const quiet = await connect(s.url);
    await a.setRoots([uri(join(allowed, 'a')), uri(join(allowed, 'b'))]);
    await a.waitRoots([join(allowed, 'a'), join(allowed, 'b')]);
    await a.call('read_text_file', { path: join(allowed, 'a', 'a.txt') });
    await a.call('read_text_file', { path: join(outside, 'secret.txt') });
    await b.call('list_allowed_directories', {});
    expect(a.logs.some((l) => l.includes(join(allowed, 'b')))).toBe(true); // A's own roots record
    expect(b.logs.join('\n')).not.toContain(join(allowed, 'a'));
    expect(b.logs.join('\n')).not.toContain('read_text_file');
    expect(quiet.logs).toEqual([]);
    await Promise.all([a.close(), b.close(), quiet.close()]);
  });

  it('a session is bound to the token that opened it', async () => {
    const init = await raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(T1), body: initBody() });
    expect(init.status).toBe(200);
    const sid = String(init.headers['mcp-session-id']);
    const list = rpc(2, 'tools/list');
    const other = { ...mcpHeaders(T2), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    expect((await raw(s.url, '/mcp', { method: 'POST', headers: other, body: list })).status).toBe(404);
    expect((await raw(s.url, '/mcp', { method: 'DELETE', headers: other })).status).toBe(404);
    const mine = { ...mcpHeaders(T1), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    expect((await raw(s.url, '/mcp', { method: 'POST', headers: mine, body: list })).status).toBe(200);
    expect((await raw(s.url, '/mcp', { method: 'DELETE', headers: mine })).status).toBe(200);
  });

  const table: { name: string; req: () => Promise<RawResponse>; status: number; check?: (r: RawResponse) => void }[] = [
    { name: 'no token', req: () => raw(s.url, '/mcp', { method: 'POST', headers: { ...mcpHeaders(), authorization: '' }, body: initBody() }), status: 401 },
    { name: 'wrong token', req: () => raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders('x'.repeat(40)), body: initBody() }), status: 401 },
    { name: 'token as Basic', req: () => raw(s.url, '/mcp', { method: 'POST', headers: { ...mcpHeaders(), authorization: `Basic ${T1}` }, body: initBody() }), status: 401 },
    { name: 'lower-case bearer scheme', req: () => raw(s.url, '/mcp', { method: 'POST', headers: { ...mcpHeaders(), authorization: `bearer ${T1}` }, body: initBody() }), status: 200 },
    { name: 'foreign Host', req: () => raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(), host: 'attacker.example', body: initBody() }), status: 403 },
    { name: 'loopback Host on another port', req: () => raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(), host: 'localhost:1', body: initBody() }), status: 403 },
    { name: 'Host in capitals', req: () => raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(), host: `LOCALHOST:${s.url.port}`, body: initBody() }), status: 200 },
    {
      name: 'foreign Origin',
      req: () => raw(s.url, '/mcp', { method: 'POST', headers: { ...mcpHeaders(), origin: 'https://attacker.example' }, body: initBody() }),
      status: 403,
      check: (r) => expect(r.headers['access-control-allow-origin']).toBeUndefined(),
    },
    {
      name: 'CORS preflight from an allowed origin',
      req: () =>
        raw(s.url, '/mcp', {
          method: 'OPTIONS',
          headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-session-id' },
        }),
      status: 204,
      check: (r) => {
        expect(r.headers['access-control-allow-origin']).toBe('http://app.example');
        expect(String(r.headers['access-control-allow-headers'])).toMatch(/mcp-session-id/);
      },
    },
    { name: 'CORS preflight from another origin', req: () => raw(s.url, '/mcp', { method: 'OPTIONS', headers: { origin: 'http://evil.example' } }), status: 403 },
    {
      name: 'POST from an allowed origin exposes the session header',
      req: () => raw(s.url, '/mcp', { method: 'POST', headers: { ...mcpHeaders(), origin: 'http://app.example' }, body: initBody() }),
      status: 200,
      check: (r) => {
        expect(r.headers['access-control-allow-origin']).toBe('http://app.example');
        expect(String(r.headers['access-control-expose-headers'])).toMatch(/mcp-session-id/);
      },
    },
    { name: 'POST /health', req: () => raw(s.url, '/health', { method: 'POST', body: '{}' }), status: 405 },
    { name: 'HEAD /health', req: () => raw(s.url, '/health', { method: 'HEAD' }), status: 200, check: (r) => expect(r.body).toBe('') },
    { name: 'DELETE /metrics', req: () => raw(s.url, '/metrics', { method: 'DELETE', headers: { authorization: `Bearer ${T1}` } }), status: 405 },
    { name: '/metrics without token', req: () => raw(s.url, '/metrics'), status: 401 },
    {
      name: 'body over the size limit: 413 with a JSON-RPC error, not a reset',
      req: () => raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(), body: `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"x":"${'y'.repeat(300 * 1024)}"}}` }),
      status: 413,
      check: (r) => expect(JSON.parse(r.body).error.code).toBe(-32000),
    },
    {
      name: 'deep nesting under the size limit',
      req: () => raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(), body: initBody('2025-06-18', { experimental: JSON.parse('['.repeat(1000) + ']'.repeat(1000)) }) }),
      status: 400,
      check: (r) => expect(JSON.parse(r.body).error.code).toBe(-32700),
    },
    {
      name: '401 is sent before a huge body is read',
      req: () =>
        new Promise<RawResponse>((resolve, reject) => {
          // Announces 1 GB and sends nothing: the answer must not wait for the body.
          const req = request({ host: s.url.hostname, port: s.url.port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(1024 ** 3) } }, (res) => {
            resolve({ status: res.statusCode!, headers: res.headers, body: '' });
            req.destroy();
          });
          req.on('error', reject);
          req.flushHeaders();
        }),
      status: 401,
    },
  ];
  for (const t of table) {
    it(`refuses or serves: ${t.name}`, async () => {
      const r = await t.req();
      expect(r.status, r.body).toBe(t.status);
      t.check?.(r);
    });
  }

  it('deep 4 MB initialize bodies do not grow the memory', async () => {
    const pid = s.child.pid!;
    await waitNoSessions(s.url);
    const before = rssKb(pid);
    const deep = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","clientInfo":{"name":"x","version":"0"},"capabilities":{"experimental":{"a":${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}}}}}`;
    for (let i = 0; i < 10; i++) {
      const r = await raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(), body: deep });
      expect(r.status).toBe(413);
    }
    // Within the size limit, a wide (not deep) capabilities object is dropped, not kept with the session.
    const wide = initBody('2025-06-18', { experimental: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'v'.repeat(100)])) });
    for (let i = 0; i < 5; i++) expect((await raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(), body: wide })).status).toBe(200);
    expect(rssKb(pid) - before).toBeLessThan(100 * 1024);
  });

  it('sessions over the cap get 503 with a JSON-RPC error; idle ones expire; /metrics counts them', async () => {
    expect(await waitNoSessions(s.url)).toBe(0);
    const opened: string[] = [];
    let refused: RawResponse | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const r = await raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(), body: initBody() });
      if (r.status === 503) refused = r;
      else opened.push(String(r.headers['mcp-session-id']));
    }
    expect(refused, 'the cap was never reached').toBeDefined();
    expect(JSON.parse(refused!.body).error).toMatchObject({ code: -32000, message: expect.stringMatching(/Too many open sessions/) });
    const metrics = await raw(s.url, '/metrics', { headers: { authorization: `Bearer ${T1}` } });
    expect(metrics.body).toMatch(/mcp_http_sessions_open\{server="filesystem"\} 12/);
    expect(metrics.body).toMatch(/mcp_http_sessions_total\{server="filesystem",event="rejected"\} [1-9]/);
    // Abandoned: they expire after the idle timeout (1.5 s here); the count returns to zero.
    expect(await waitNoSessions(s.url)).toBe(0);
    expect((await raw(s.url, '/metrics', { headers: { authorization: `Bearer ${T1}` } })).body).toMatch(/event="expired"\} (1[2-9]|[2-9]\d)/);
    const expired = await raw(s.url, '/mcp', { method: 'POST', headers: { ...mcpHeaders(), 'mcp-session-id': opened[0], 'mcp-protocol-version': '2025-06-18' }, body: rpc(2, 'tools/list') });
    expect(expired.status).toBe(404);
  });

  it('SSE streams are primed with an event id and retry, and resume with Last-Event-ID', async () => {
    const init = await raw(s.url, '/mcp', { method: 'POST', headers: mcpHeaders(T1), body: initBody('2025-11-25') });
    const sid = String(init.headers['mcp-session-id']);
    const h = { ...mcpHeaders(T1), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    await raw(s.url, '/mcp', { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    // A call whose answer streams: read the priming event, then drop the connection.
    const primed = await new Promise<string>((resolve, reject) => {
      const req = request({ host: s.url.hostname, port: s.url.port, path: '/mcp', method: 'POST', headers: h }, (res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
          if (b.includes('\n\n')) {
            resolve(b);
            req.destroy();
          }
        });
      });
      req.on('error', reject);
      req.end(rpc(7, 'tools/call', { name: 'read_text_file', arguments: { path: join(allowed, 'a', 'a.txt') } }));
    });
    expect(primed).toMatch(/^id: \S+\nretry: \d+\n/);
    const lastId = /^id: (\S+)/.exec(primed)![1];
    // Reconnect (as a client does after `retry` ms; 409 while the server has not yet seen the old
    // stream go): what was sent after the priming event arrives.
    const reconnect = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: s.url.hostname, port: s.url.port, path: '/mcp', method: 'GET', headers: { ...h, accept: 'text/event-stream', 'last-event-id': lastId } }, (res) => {
          let b = '';
          res.on('data', (d) => {
            b += d;
            if (b.includes('"id":7')) {
              resolve({ status: res.statusCode!, body: b });
              req.destroy();
            }
          });
          res.on('end', () => resolve({ status: res.statusCode!, body: b }));
        });
        req.on('error', reject);
        req.end();
      });
    let replay = await reconnect();
    for (let i = 0; i < 50 && replay.status === 409; i++) {
      await new Promise((r) => setTimeout(r, 100));
      replay = await reconnect();
    }
    expect(replay.status, replay.body).toBe(200);
    expect(replay.body).toContain('file a');
  });
});

describe('--http start-up rules', () => {
  const refusals: [string, Record<string, string>, string[], RegExp][] = [
    ['an empty token', { BIZMCP_HTTP_TOKEN: '' }, [], /BIZMCP_HTTP_TOKEN is set but empty/],
    ['a short token', { BIZMCP_HTTP_TOKEN: 'short-token' }, [], /at least 32 characters/],
    ['no token and no --no-auth', {}, [], /needs BIZMCP_HTTP_TOKEN/],
    ['--no-auth off loopback', {}, ['--no-auth', '--host', '0.0.0.0'], /not a loopback address/],
    ['0.0.0.0 without allowed hosts', { BIZMCP_HTTP_TOKEN: T1 }, ['--host', '0.0.0.0'], /BIZMCP_HTTP_ALLOWED_HOSTS/],
  ];
  for (const [what, env, args, message] of refusals) {
    it(`refuses to start with ${what}`, async () => {
      const e = await start(env, args).then(
        (sp) => (sp.child.kill(), undefined),
        (err: { code: number; stderr: string }) => err,
      );
      expect(e?.code).toBe(1);
      expect(e?.stderr).toMatch(message);
      expect(e?.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('--no-auth serves loopback without a token', async () => {
    const sp = await start({}, ['--no-auth']);
    const c = new Client({ name: 'x', version: '0' });
    await c.connect(new StreamableHTTPClientTransport(sp.url));
    expect((await c.listTools()).tools.length).toBeGreaterThan(0);
    await c.close();
    sp.child.kill();
  });

  it('0.0.0.0 with a token keeps the Host check against BIZMCP_HTTP_ALLOWED_HOSTS, and /metrics needs the token', async () => {
    const sp = await start({ BIZMCP_HTTP_TOKEN: T1, BIZMCP_HTTP_ALLOWED_HOSTS: 'MCP.Example.com' }, ['--host', '0.0.0.0']);
    const url = new URL(`http://127.0.0.1:${sp.url.port}/mcp`);
    expect((await raw(url, '/mcp', { method: 'POST', headers: mcpHeaders(), host: 'attacker.example', body: initBody() })).status).toBe(403);
    expect((await raw(url, '/mcp', { method: 'POST', headers: mcpHeaders(), host: '0.0.0.0', body: initBody() })).status).toBe(403);
    expect((await raw(url, '/mcp', { method: 'POST', headers: mcpHeaders(), host: 'mcp.example.COM', body: initBody() })).status).toBe(200);
    expect((await raw(url, '/metrics', { host: 'mcp.example.com' })).status).toBe(401);
    sp.child.kill();
  });

  it('the stateless mode serves every POST on its own (no session id)', async () => {
    const sp = await start({ BIZMCP_HTTP_TOKEN: T1, BIZMCP_HTTP_STATELESS: 'true' });
    const c = await connect(sp.url);
    expect(c.transport.sessionId).toBeUndefined();
    expect((await c.call('read_text_file', { path: join(allowed, 'a', 'a.txt') })).structuredContent).toMatchObject({ content: 'file a' });
    expect((await c.call('read_text_file', { path: join(outside, 'secret.txt') })).isError).toBe(true);
    // A lone call, without initialize, is served too.
    const r = await raw(sp.url, '/mcp', { method: 'POST', headers: mcpHeaders(), body: rpc(3, 'tools/call', { name: 'list_allowed_directories', arguments: {} }) });
    expect(r.status).toBe(200);
    expect(r.body).toContain(allowed);
    expect(JSON.parse((await raw(sp.url, '/health')).body).sessions).toBe(0);
    await c.close();
    sp.child.kill();
  });
});

describe('--http memory after a burst of abandoned sessions', () => {
  it('RSS returns near its baseline once the idle timeout has closed them', { timeout: 120_000 }, async () => {
    const sp = await start({ BIZMCP_HTTP_TOKEN: T1, BIZMCP_HTTP_MAX_SESSIONS: '5000', BIZMCP_HTTP_SESSION_IDLE_MS: '1000' });
    const pid = sp.child.pid!;
    const metrics = async () => (await raw(sp.url, '/metrics', { headers: { authorization: `Bearer ${T1}` } })).body;
    // warm up (code paths compiled, pools filled), then the baseline once that has idled out
    for (let i = 0; i < 20; i++) await raw(sp.url, '/mcp', { method: 'POST', headers: mcpHeaders(), body: initBody() });
    expect(await waitNoSessions(sp.url)).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const baseline = rssKb(pid);
    // 1 500 sessions opened, each with a call, and abandoned, 10 at a time
    let peak = baseline;
    for (let i = 0; i < 150; i++) {
      peak = Math.max(peak, rssKb(pid));
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const init = await raw(sp.url, '/mcp', { method: 'POST', headers: mcpHeaders(), body: initBody() });
          const h = { ...mcpHeaders(), 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-06-18' };
          await raw(sp.url, '/mcp', { method: 'POST', headers: h, body: rpc(2, 'tools/call', { name: 'list_allowed_directories', arguments: {} }) });
        }),
      );
    }
    peak = Math.max(peak, rssKb(pid));
    expect(await waitNoSessions(sp.url)).toBe(0);
    // the burst grew it; within the reclaim interval (10 s) after the last expiry it comes back down
    const limit = () => Math.max(15 * 1024, (peak - baseline) / 4);
    let after = rssKb(pid);
    for (let i = 0; i < 150 && after - baseline >= limit(); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = rssKb(pid);
    }
    const reclaims = Number(/mcp_http_memory_reclaims_total\{server="filesystem"\} (\d+)/.exec(await metrics())?.[1] ?? 0);
    expect(reclaims).toBeGreaterThan(0);
    expect(await metrics()).toMatch(/event="expired"\} (1[5-9]\d\d|[2-9]\d\d\d)/);
    // the burst grew it by far more than what is left of that growth
    expect(peak - baseline, `baseline ${baseline} kB, peak ${peak} kB`).toBeGreaterThan(40 * 1024);
    expect(after - baseline, `baseline ${baseline} kB, peak ${peak} kB, after ${after} kB`).toBeLessThan(limit());
    sp.child.kill();
  });
});
