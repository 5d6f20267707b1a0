// The net guard in normal use, against real local HTTP servers that record every request.
// "Public" sites listen on 127.0.0.2 and are let through with `allowedNetworks` (the test seam);
// names resolve through an injected lookup, never real DNS. Nothing leaves the loopback interface.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NetGuard, ToolError, type LookupAnswer, type NetGuardOptions } from '../src/index.js';
import { startRecordingServer, type RecordingServer } from '../src/testing.js';

// A gzip bomb: many gzip members of 1 MiB of zeros each (a valid gzip stream), 16 GiB once
// inflated, about 17 MB on the wire. It is written with backpressure and the server counts what it
// managed to send: a guard that inflated everything would take it all.
const member = gzipSync(Buffer.alloc(1024 * 1024));
const BOMB_MEMBERS = 16 * 1024;
let bombSent = 0;
async function sendBomb(res: ServerResponse): Promise<void> {
  res.setHeader('content-encoding', 'gzip');
  bombSent = 0;
  for (let i = 0; i < BOMB_MEMBERS && !res.destroyed; i++) {
    bombSent += member.length;
    if (!res.write(member)) await new Promise((r) => (res.once('drain', r), res.once('close', r)));
  }
  res.end();
}

let pub: RecordingServer; // "public" site on 127.0.0.2
let oracle: RecordingServer; // loopback target on 127.0.0.1: blocked unless allowed

beforeAll(async () => {
  oracle = await startRecordingServer((_req, res) => res.end('oracle reached'), { host: '127.0.0.1' });
  pub = await startRecordingServer(
    (req, res) => {
      const u = new URL(req.url!, 'http://x');
      switch (u.pathname) {
        case '/json':
          res.setHeader('content-type', 'application/json');
          return res.end(JSON.stringify({ ok: true, method: req.method }));
        case '/echo': {
          const last = pub.hits[pub.hits.length - 1];
          res.setHeader('content-type', 'application/json');
          return res.end(JSON.stringify({ method: req.method, body: last.text, headers: req.headers }));
        }
        case '/gzip':
          res.setHeader('content-encoding', 'gzip');
          return res.end(gzipSync('compressed hello'));
        case '/deflate':
          res.setHeader('content-encoding', 'deflate');
          return res.end(deflateSync('deflated hello'));
        case '/deflate-raw':
          res.setHeader('content-encoding', 'deflate');
          return res.end(deflateRawSync('raw deflated hello'));
        case '/br':
          res.setHeader('content-encoding', 'br');
          return res.end(brotliCompressSync('brotli hello'));
        case '/corrupt':
          res.setHeader('content-encoding', 'gzip');
          return res.end(Buffer.concat([gzipSync('fine so far').subarray(0, 10), Buffer.from('not gzip at all')]));
        case '/bomb':
          return void sendBomb(res);
        case '/big':
          return res.end('x'.repeat(3 * 1024 * 1024));
        case '/exact':
          return res.end('y'.repeat(1000));
        case '/declared-huge':
          // announces 50 MB, sends a little, then holds the connection open
          res.setHeader('content-length', String(50 * 1024 * 1024));
          return res.write('z'.repeat(1024));
        case '/slow':
          res.write('start');
          return setTimeout(() => res.end('late'), 5000);
        case '/hang':
          return; // never answers
        case '/nothing':
          res.statusCode = 204;
          return res.end();
        case '/redirect':
          res.statusCode = Number(u.searchParams.get('code') ?? 302);
          res.setHeader('location', u.searchParams.get('to')!);
          return res.end('redirect body');
        case '/loop':
          res.statusCode = 302;
          res.setHeader('location', u.search ? `/loop${u.search}` : '/loop');
          return res.end();
        default:
          res.statusCode = 404;
          return res.end('nope');
      }
    },
    { host: '127.0.0.2' },
  );
});

afterAll(() => {
  pub.server.close();
  oracle.server.close();
});

beforeEach(() => {
  pub.hits.length = 0;
  oracle.hits.length = 0;
  pub.closed.length = 0;
});

const lookupTable =
  (table: Record<string, string[]>) =>
  async (host: string): Promise<LookupAnswer[]> => {
    const a = table[host];
    if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const guard = (extra: NetGuardOptions = {}) =>
  new NetGuard({
    allowedNetworks: ['127.0.0.2/32'],
    lookup: lookupTable({ 'public.test': ['127.0.0.2'], 'other.test': ['127.0.0.2'], 'private.test': ['127.0.0.1'] }),
    ...extra,
  });

const P = () => `http://public.test:${pub.port}`;
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => new ToolError('expected an error, got a result'),
    (e: unknown) => e as ToolError,
  );

describe('net guard: requests and responses', () => {
  it('GET and POST with headers and JSON; the Host header keeps the hostname', async () => {
    const g = guard({ userAgent: 'bizmcp-test/1' });
    const r = await g.fetch(`${P()}/json`);
    expect(r.status).toBe(200);
    expect(r.statusText).toBe('OK');
    expect(JSON.parse(r.body.toString())).toEqual({ ok: true, method: 'GET' });
    expect(r.address).toBe('127.0.0.2');
    expect(pub.hits[0].headers.host).toBe(`public.test:${pub.port}`);
    expect(pub.hits[0].headers['user-agent']).toBe('bizmcp-test/1');
    expect(pub.hits[0].headers['accept-encoding']).toBe('gzip, deflate, br');

    const p = await g.fetch(`${P()}/echo`, { method: 'post', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"a":1}' });
    const echo = JSON.parse(p.body.toString());
    expect(echo).toMatchObject({ method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json', authorization: 'Bearer t' } });
    await g.close();
  });

  it('HEAD and 204 responses have empty bodies', async () => {
    const g = guard();
    const h = await g.fetch(`${P()}/big`, { method: 'HEAD', maxBytes: 10, failOnTooLarge: true });
    expect(h.status).toBe(200);
    expect(h.bytes).toBe(0);
    const n = await g.fetch(`${P()}/nothing`);
    expect(n.status).toBe(204);
    expect(n.body.length).toBe(0);
    await g.close();
  });

  it('decodes gzip, deflate (zlib and raw) and brotli; decompress: false returns the wire bytes', async () => {
    const g = guard();
    expect((await g.fetch(`${P()}/gzip`)).body.toString()).toBe('compressed hello');
    expect((await g.fetch(`${P()}/deflate`)).body.toString()).toBe('deflated hello');
    expect((await g.fetch(`${P()}/deflate-raw`)).body.toString()).toBe('raw deflated hello');
    expect((await g.fetch(`${P()}/br`)).body.toString()).toBe('brotli hello');
    const corrupt = await errorOf(g.fetch(`${P()}/corrupt`));
    expect(corrupt).toBeInstanceOf(ToolError);
    expect(corrupt.code).toBe('remote_error');
    expect(corrupt.message).toMatch(/Could not decode/);
    pub.hits.length = 0;
    const raw = await g.fetch(`${P()}/gzip`, { decompress: false });
    expect(raw.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(pub.hits[0].headers['accept-encoding']).toBeUndefined();
    await g.close();
  });

  it('invalid URLs and invalid headers are invalid_argument, nothing sent', async () => {
    const g = guard();
    expect((await errorOf(g.fetch('not a url'))).code).toBe('invalid_argument');
    expect((await errorOf(g.fetch(`${P()}/json`, { headers: { 'x-bad': 'a\r\nInjected: 1' } }))).code).toBe('invalid_argument');
    expect(pub.hits).toHaveLength(0);
    await g.close();
  });

  it('an unknown name is a remote_error that names the host', async () => {
    const g = guard();
    const err = await errorOf(g.fetch('http://nowhere.test/'));
    expect(err).toBeInstanceOf(ToolError);
    expect(err.code).toBe('remote_error');
    expect(err.message).toMatch(/nowhere\.test/);
    await g.close();
  });
});

describe('net guard: size caps', () => {
  it('truncates at maxBytes, and a body of exactly the cap is not truncated', async () => {
    const g = guard({ maxBytes: 1024 * 1024 });
    const big = await g.fetch(`${P()}/big`);
    expect(big.truncated).toBe(true);
    expect(big.bytes).toBe(1024 * 1024);
    expect(big.body.length).toBe(1024 * 1024);
    const exact = await g.fetch(`${P()}/exact`, { maxBytes: 1000 });
    expect(exact).toMatchObject({ truncated: false, bytes: 1000 });
    const over = await g.fetch(`${P()}/exact`, { maxBytes: 999 });
    expect(over).toMatchObject({ truncated: true, bytes: 999 });
    await g.close();
  });

  it('failOnTooLarge: a Content-Length over the cap fails at once, a body growing past it fails too', async () => {
    const g = guard({ timeoutMs: 5000 });
    // the server holds this body open: only the Content-Length short-circuit can answer too_large
    const declared = await errorOf(g.fetch(`${P()}/declared-huge`, { maxBytes: 1024 * 1024, failOnTooLarge: true }));
    expect(declared.code).toBe('too_large');
    expect(declared.message).toMatch(/52428800 bytes/);
    const grown = await errorOf(g.fetch(`${P()}/big`, { maxBytes: 1024 * 1024, failOnTooLarge: true }));
    expect(grown.code).toBe('too_large');
    await g.close();
  });

  it('a gzip bomb stops at the cap of decompressed bytes without inflating the rest', async () => {
    const g = guard({ maxBytes: 1024 * 1024, timeoutMs: 20_000 });
    const rssBefore = process.memoryUsage().rss;
    const b = await g.fetch(`${P()}/bomb?fetch`);
    expect(b.truncated).toBe(true);
    expect(b.bytes).toBe(1024 * 1024);
    expect(b.bytes).toBeLessThanOrEqual(1024 * 1024);
    await new Promise((r) => setTimeout(r, 200));
    // the server could send only what the socket buffers held before the guard hung up
    expect(bombSent).toBeLessThan((BOMB_MEMBERS * member.length) / 2);
    expect(pub.closed).toContain('/bomb?fetch');
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024); // 16 GiB if inflated
    await g.close();
  });

  it('stream(): decoded body for the caller to consume; with maxBytes it fails with too_large', async () => {
    const g = guard();
    const s = await g.stream(`${P()}/gzip`);
    const parts: Buffer[] = [];
    for await (const c of s.body) parts.push(c as Buffer);
    expect(Buffer.concat(parts).toString()).toBe('compressed hello');

    const capped = await g.stream(`${P()}/bomb`, { maxBytes: 100_000 });
    let got = 0;
    const err = await errorOf(
      (async () => {
        for await (const c of capped.body) got += (c as Buffer).length;
      })(),
    );
    expect(err).toBeInstanceOf(ToolError);
    expect(err.code).toBe('too_large');
    expect(got).toBeLessThanOrEqual(100_000);
    capped.cancel();

    const declared = await errorOf(g.stream(`${P()}/declared-huge`, { maxBytes: 1000 }));
    expect(declared.code).toBe('too_large');
    await g.close();
  });
});

describe('net guard: time caps and cancellation', () => {
  it('a slow body times out (timeout), and the server sees the connection closed', async () => {
    const g = guard({ timeoutMs: 300 });
    const err = await errorOf(g.fetch(`${P()}/slow?timeout`));
    expect(err).toBeInstanceOf(ToolError);
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/took longer than 300 ms/);
    await new Promise((r) => setTimeout(r, 100));
    expect(pub.closed).toContain('/slow?timeout');
    await g.close();
  });

  it('a server that never answers times out', async () => {
    const g = guard();
    const err = await errorOf(g.fetch(`${P()}/hang`, { timeoutMs: 200 }));
    expect(err.code).toBe('timeout');
    await g.close();
  });

  it('a resolver that never answers times out', async () => {
    const g = guard({ lookup: () => new Promise<LookupAnswer[]>(() => {}), timeoutMs: 200 });
    const err = await errorOf(g.fetch(`${P()}/json`));
    expect(err.code).toBe('timeout');
    expect(pub.hits).toHaveLength(0);
    await g.close();
  });

  it('the caller aborting cancels the request and closes the connection', async () => {
    const g = guard();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const err = await errorOf(g.fetch(`${P()}/slow?abort`, { signal: ac.signal }));
    expect(err).toBeInstanceOf(ToolError);
    expect(err.code).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 100));
    expect(pub.closed).toContain('/slow?abort');
    await g.close();
  });

  it('an already aborted signal sends nothing', async () => {
    const g = guard();
    const err = await errorOf(g.fetch(`${P()}/json`, { signal: AbortSignal.abort() }));
    expect(err.code).toBe('cancelled');
    expect(pub.hits).toHaveLength(0);
    await g.close();
  });

  it('the deadline covers a streamed body too', async () => {
    const g = guard({ timeoutMs: 300 });
    const s = await g.stream(`${P()}/slow`);
    const err = await errorOf(
      (async () => {
        for await (const _ of s.body);
      })(),
    );
    expect(err.code).toBe('timeout');
    await g.close();
  });
});

describe('net guard: redirects', () => {
  it('follows same-origin redirects, 303 turns POST into GET', async () => {
    const g = guard();
    const r = await g.fetch(`${P()}/redirect?code=303&to=/echo`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    const echo = JSON.parse(r.body.toString());
    expect(echo.method).toBe('GET');
    expect(echo.body).toBe('');
    expect(echo.headers['content-type']).toBeUndefined();
    expect(r.redirects).toEqual([`${P()}/echo`]);
    expect(r.url).toBe(`${P()}/echo`);
    await g.close();
  });

  it('301 and 302 turn POST into GET; 307 and 308 keep the method and body', async () => {
    const g = guard();
    for (const [code, method, body] of [
      [301, 'GET', ''],
      [302, 'GET', ''],
      [307, 'POST', 'payload'],
      [308, 'POST', 'payload'],
    ] as const) {
      const r = await g.fetch(`${P()}/redirect?code=${code}&to=/echo`, { method: 'POST', body: 'payload' });
      expect(JSON.parse(r.body.toString())).toMatchObject({ method, body });
    }
    // a PUT through 301 stays a PUT (only POST changes)
    const put = await g.fetch(`${P()}/redirect?code=301&to=/echo`, { method: 'PUT', body: 'p' });
    expect(JSON.parse(put.body.toString())).toMatchObject({ method: 'PUT', body: 'p' });
    await g.close();
  });

  it('a redirect loop stops at the cap', async () => {
    const g = guard();
    const loop = await errorOf(g.fetch(`${P()}/loop`));
    expect(loop.code).toBe('remote_error');
    expect(loop.message).toMatch(/Too many redirects \(more than 5\)/);
    expect(pub.hits).toHaveLength(6); // the first request and 5 redirects
    pub.hits.length = 0;
    await errorOf(g.fetch(`${P()}/loop`, { maxRedirects: 2 }));
    expect(pub.hits).toHaveLength(3);
    await g.close();
  });

  it('manual returns the 3xx as it is', async () => {
    const g = guard();
    const manual = await g.fetch(`${P()}/redirect?to=/json`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.location).toBe('/json');
    expect(manual.body.toString()).toBe('redirect body');
    expect(pub.hits).toHaveLength(1);
    await g.close();
  });

  it('same-origin refuses a redirect to another origin before sending anything there', async () => {
    const g = guard();
    const err = await errorOf(g.fetch(`${P()}/redirect?to=${encodeURIComponent(`http://other.test:${pub.port}/json`)}`, { redirect: 'same-origin' }));
    expect(err).toBeInstanceOf(ToolError);
    expect(err.code).toBe('access_denied');
    expect(err.message).toMatch(/Redirect to another origin refused/);
    expect(pub.hits.map((h) => h.url)).toEqual([expect.stringMatching(/^\/redirect/)]);
    const same = await g.fetch(`${P()}/redirect?to=/json`, { redirect: 'same-origin' });
    expect(same.status).toBe(200);
    await g.close();
  });

  it('credentials never follow a cross-origin redirect, and stay on a same-origin one', async () => {
    const g = guard();
    const headers = { authorization: 'Bearer secret-token', cookie: 'sid=1', 'x-api-key': 'k', 'x-trace': 'kept' };
    const cross = await g.fetch(`${P()}/redirect?to=${encodeURIComponent(`http://other.test:${pub.port}/echo`)}`, { headers });
    const h = JSON.parse(cross.body.toString()).headers;
    expect(h.host).toBe(`other.test:${pub.port}`);
    expect(h.authorization).toBeUndefined();
    expect(h.cookie).toBeUndefined();
    expect(h['x-api-key']).toBeUndefined();
    expect(h['x-trace']).toBe('kept');
    const same = await g.fetch(`${P()}/redirect?to=/echo`, { headers });
    expect(JSON.parse(same.body.toString()).headers).toMatchObject({ authorization: 'Bearer secret-token', cookie: 'sid=1', 'x-api-key': 'k' });
    await g.close();
  });

  it('checkRedirect sees each hop and can refuse it', async () => {
    const g = guard();
    const seen: string[] = [];
    const err = await errorOf(
      g.fetch(`${P()}/redirect?to=/json`, {
        checkRedirect: (to, from) => {
          seen.push(`${from.pathname} -> ${to.pathname}`);
          throw new ToolError('not under the base path', { code: 'access_denied' });
        },
      }),
    );
    expect(err.message).toBe('not under the base path');
    expect(seen).toEqual(['/redirect -> /json']);
    expect(pub.hits).toHaveLength(1);
    await g.close();
  });
});

describe('net guard: errors carry no credentials', () => {
  it('userinfo and key query parameters are not echoed', async () => {
    const g = guard();
    const loop = await errorOf(g.fetch(`http://alice:hunter22@public.test:${pub.port}/loop?api_key=SECRET123`));
    const refused = await errorOf(g.fetch(`${P()}/redirect?to=${encodeURIComponent(`http://bob:pw-9876@other.test:${pub.port}/x?token=TOKEN456`)}`, { redirect: 'same-origin' }));
    const closed = await errorOf(g.fetch(`http://carol:pw-5555@public.test:${oracle.port}/?access_token=TOKEN789`)); // nothing listens on 127.0.0.2 there
    for (const e of [loop, refused, closed]) {
      expect(e).toBeInstanceOf(ToolError);
      const text = `${e.message} ${JSON.stringify(e.details ?? {})}`;
      for (const secret of ['hunter22', 'SECRET123', 'pw-9876', 'TOKEN456', 'pw-5555', 'TOKEN789']) expect(text).not.toContain(secret);
    }
    expect(closed.code).toBe('remote_error');
    // the userinfo is never sent either
    const ok = await g.fetch(`http://alice:hunter22@public.test:${pub.port}/echo`);
    expect(JSON.parse(ok.body.toString()).headers.authorization).toBeUndefined();
    expect(ok.url).toBe(`${P()}/echo`);
    await g.close();
  });
});

describe('net guard: pinned connections and TLS', () => {
  it('the socket goes to the checked address, and TLS sends the hostname as SNI', async () => {
    const remotes: string[] = [];
    const onConnected = (m: unknown) => remotes.push((m as { socket: Socket }).socket.remoteAddress!);
    subscribe('undici:client:connected', onConnected);
    const names: (string | undefined)[] = [];
    const tls = createTlsServer({ SNICallback: (name, cb) => (names.push(name), cb(new Error('no certificate here'), undefined as never)) });
    tls.on('tlsClientError', () => {});
    await new Promise<void>((r) => tls.listen(0, '127.0.0.2', () => r()));
    const tlsPort = (tls.address() as AddressInfo).port;
    try {
      const g = guard();
      await g.fetch(`${P()}/json`);
      expect(remotes).toEqual(['127.0.0.2']);
      const err = await errorOf(g.fetch(`https://public.test:${tlsPort}/`));
      expect(err).toBeInstanceOf(ToolError);
      expect(err.code).toBe('remote_error');
      expect(names.length).toBeGreaterThan(0); // a GET is retried once after a reset
      expect(new Set(names)).toEqual(new Set(['public.test']));
      await g.close();
    } finally {
      unsubscribe('undici:client:connected', onConnected);
      tls.close();
    }
  });
});

describe('net guard: operator choices', () => {
  it('allowPrivate lets loopback through (positive control for the oracle)', async () => {
    const g = new NetGuard({ allowPrivate: true });
    const r = await g.fetch(`http://127.0.0.1:${oracle.port}/`);
    expect(r.body.toString()).toBe('oracle reached');
    expect(oracle.hits).toHaveLength(1);
    await g.close();
  });

  it("allowedOrigins exempts exactly the operator's origin", async () => {
    const g = new NetGuard({ allowedOrigins: [`http://127.0.0.1:${oracle.port}/api/`], lookup: lookupTable({ localhost: ['127.0.0.1'] }) });
    expect((await g.fetch(`http://127.0.0.1:${oracle.port}/x`)).status).toBe(200);
    await expect(g.fetch(`http://127.0.0.1:${pub.port}/x`)).rejects.toMatchObject({ code: 'access_denied' });
    await expect(g.fetch(`https://127.0.0.1:${oracle.port}/x`)).rejects.toMatchObject({ code: 'access_denied' });
    await expect(g.fetch(`http://localhost:${oracle.port}/x`)).rejects.toMatchObject({ code: 'access_denied' });
    expect(oracle.hits).toHaveLength(1);
    await g.close();
  });

  it('isBlockedAddress: special ranges refused, public addresses (also inside IPv6 forms) allowed', () => {
    const g = new NetGuard();
    const blocked = [
      '127.0.0.1',
      '127.255.255.254',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '0.1.2.3',
      '255.255.255.255',
      '224.0.0.251',
      '240.0.0.1',
      '192.0.0.8',
      '198.18.0.1',
      '198.19.255.255',
      '192.0.2.1',
      '198.51.100.7',
      '203.0.113.9', // documentation: never a real site
      '::',
      '::1',
      '[::1]',
      'fe80::1',
      'fd00:ec2::254',
      'fc00::1',
      'fec0::1',
      'ff02::1',
      '2001:db8::1',
      '100::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '::127.0.0.1',
      '::ffff:0:127.0.0.1',
      '64:ff9b::127.0.0.1',
      '64:ff9b::a00:1',
      '64:ff9b:1::808:808',
      '2002:7f00:1::',
      '2002:c0a8:101::1',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      'localhost',
      'example.com',
      '',
      '1.2.3',
      '01.2.3.4',
    ];
    const allowed = ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'];
    expect(blocked.filter((ip) => !g.isBlockedAddress(ip))).toEqual([]);
    expect(allowed.filter((ip) => g.isBlockedAddress(ip))).toEqual([]);
    const open = new NetGuard({ allowPrivate: true });
    expect(['127.0.0.1', '::1', '169.254.169.254'].some((ip) => open.isBlockedAddress(ip))).toBe(false);
    const intranet = new NetGuard({ allowedNetworks: ['10.20.0.0/16'] });
    expect([intranet.isBlockedAddress('10.20.3.4'), intranet.isBlockedAddress('::ffff:10.20.3.4'), intranet.isBlockedAddress('10.21.0.1')]).toEqual([false, false, true]);
  });

  it('checkUrl resolves and returns the answers it checked', async () => {
    const g = guard({ lookup: lookupTable({ 'two.test': ['127.0.0.2', '::ffff:127.0.0.2'], 'private.test': ['127.0.0.1'] }) });
    const c = await g.checkUrl(`http://two.test:${pub.port}/a`);
    expect(c.url.href).toBe(`http://two.test:${pub.port}/a`);
    expect(c.addresses.map((a) => a.address)).toEqual(['127.0.0.2', '::ffff:127.0.0.2']);
    expect((await g.checkUrl('http://[2606:4700:4700::1111]/')).addresses).toEqual([]);
    await expect(g.checkUrl('http://private.test/')).rejects.toMatchObject({ code: 'access_denied', details: { address: '127.0.0.1', range: 'loopback' } });
  });
});
