// The net guard against real local HTTP servers that record every request they receive.
// "Public" servers listen on 127.0.0.2 and are allowed through `allowedNetworks`; the recorder on
// 127.0.0.1 stands for every blocked target. Nothing leaves the loopback interface.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NetGuard, ToolError, type LookupAnswer } from '../src/index.js';

interface Rec {
  server: Server;
  port: number;
  hits: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  closedEarly: number;
}

async function recorder(host: string, handler: (req: IncomingMessage, res: import('node:http').ServerResponse, rec: Rec) => void): Promise<Rec> {
  const rec = { hits: [], closedEarly: 0 } as unknown as Rec;
  rec.server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      rec.hits.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.on('close', () => {
        if (!res.writableFinished) rec.closedEarly++;
      });
      handler(req, res, rec);
    });
  });
  await new Promise<void>((r) => rec.server.listen(0, host, () => r()));
  rec.port = (rec.server.address() as AddressInfo).port;
  return rec;
}

let pub: Rec; // "public" site on 127.0.0.2
let oracle: Rec; // blocked target on 127.0.0.1: must never be hit

const zeros = Buffer.alloc(20 * 1024 * 1024);
const bomb = gzipSync(zeros);

beforeAll(async () => {
  oracle = await recorder('127.0.0.1', (_req, res) => res.end('oracle reached'));
  pub = await recorder('127.0.0.2', (req, res) => {
    const u = new URL(req.url!, 'http://x');
    switch (u.pathname) {
      case '/json':
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify({ ok: true, method: req.method }));
      case '/echo':
        return res.end(`${req.method} ${req.headers['content-type'] ?? ''} ${req.headers.authorization ?? ''}`);
      case '/gzip':
        res.setHeader('content-encoding', 'gzip');
        return res.end(gzipSync('compressed hello'));
      case '/deflate':
        res.setHeader('content-encoding', 'deflate');
        return res.end(deflateSync('deflated hello'));
      case '/br':
        res.setHeader('content-encoding', 'br');
        return res.end(brotliCompressSync('brotli hello'));
      case '/bomb':
        res.setHeader('content-encoding', 'gzip');
        return res.end(bomb);
      case '/big':
        return res.end('x'.repeat(3 * 1024 * 1024));
      case '/slow':
        res.write('start');
        return setTimeout(() => res.end('late'), 5000);
      case '/redirect':
        res.statusCode = Number(u.searchParams.get('code') ?? 302);
        res.setHeader('location', u.searchParams.get('to')!);
        return res.end();
      case '/loop':
        res.statusCode = 302;
        res.setHeader('location', '/loop');
        return res.end();
      default:
        res.statusCode = 404;
        return res.end('nope');
    }
  });
});

afterAll(() => {
  pub.server.close();
  oracle.server.close();
});

beforeEach(() => {
  pub.hits.length = 0;
  oracle.hits.length = 0;
});

const lookupTable = (table: Record<string, string[]>) => async (host: string): Promise<LookupAnswer[]> => {
  const a = table[host];
  if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const guard = (extra: ConstructorParameters<typeof NetGuard>[0] = {}) =>
  new NetGuard({ allowedNetworks: ['127.0.0.2/32'], lookup: lookupTable({ 'public.test': ['127.0.0.2'], 'private.test': ['127.0.0.1'] }), ...extra });

const P = () => `http://public.test:${pub.port}`;

describe('net guard: normal use', () => {
  it('GET and POST with headers and JSON', async () => {
    const g = guard();
    const r = await g.fetch(`${P()}/json`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ ok: true, method: 'GET' });
    const p = await g.fetch(`${P()}/echo`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{}' });
    expect(p.body.toString()).toBe('POST application/json Bearer t');
    expect(pub.hits[1].body).toBe('{}');
    await g.close();
  });

  it('decodes gzip, deflate and brotli', async () => {
    const g = guard();
    expect((await g.fetch(`${P()}/gzip`)).body.toString()).toBe('compressed hello');
    expect((await g.fetch(`${P()}/deflate`)).body.toString()).toBe('deflated hello');
    expect((await g.fetch(`${P()}/br`)).body.toString()).toBe('brotli hello');
    await g.close();
  });

  it('caps bodies, and a gzip bomb stops at the cap of decompressed bytes', async () => {
    const g = guard({ maxBytes: 1024 * 1024 });
    const big = await g.fetch(`${P()}/big`);
    expect(big.truncated).toBe(true);
    expect(big.body.length).toBe(1024 * 1024);
    const heapBefore = process.memoryUsage().rss;
    const b = await g.fetch(`${P()}/bomb`);
    expect(b.truncated).toBe(true);
    expect(b.bytes).toBe(1024 * 1024);
    expect(process.memoryUsage().rss - heapBefore).toBeLessThan(15 * 1024 * 1024); // never inflated the 20 MB
    await g.close();
  });

  it('a slow response times out, and the server sees the connection closed', async () => {
    const g = guard({ timeoutMs: 300 });
    const err = await g.fetch(`${P()}/slow`).catch((e) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.code).toBe('timeout');
    await new Promise((r) => setTimeout(r, 100));
    expect(pub.closedEarly).toBeGreaterThan(0);
    await g.close();
  });

  it('the caller aborting cancels the request', async () => {
    const g = guard();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const err = await g.fetch(`${P()}/slow`, { signal: ac.signal }).catch((e) => e);
    expect(err.code).toBe('cancelled');
    await g.close();
  });

  it('follows same-origin redirects with a cap, turns 303 into GET, and stops loops', async () => {
    const g = guard();
    const r = await g.fetch(`${P()}/redirect?code=303&to=/json`, { method: 'POST', body: 'x' });
    expect(JSON.parse(r.body.toString())).toEqual({ ok: true, method: 'GET' });
    expect(r.redirects).toHaveLength(1);
    const loop = await g.fetch(`${P()}/loop`).catch((e) => e);
    expect(loop.message).toMatch(/Too many redirects/);
    expect(pub.hits.filter((h) => h.url === '/loop')).toHaveLength(6);
    const manual = await g.fetch(`${P()}/redirect?to=/json`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    await g.close();
  });

  it('same-origin mode refuses a redirect to another origin, and credentials never follow a cross-origin redirect', async () => {
    const g = guard({ lookup: lookupTable({ 'public.test': ['127.0.0.2'], 'other.test': ['127.0.0.2'] }) });
    const err = await g.fetch(`${P()}/redirect?to=http://other.test:${pub.port}/echo`, { redirect: 'same-origin' }).catch((e) => e);
    expect(err.code).toBe('access_denied');
    const r = await g.fetch(`${P()}/redirect?to=http://other.test:${pub.port}/echo`, { headers: { authorization: 'Bearer secret-token' } });
    expect(r.body.toString()).toBe('GET  ');
    await g.close();
  });

  it('allowPrivate lets loopback through (positive control for the oracle)', async () => {
    const g = new NetGuard({ allowPrivate: true });
    const r = await g.fetch(`http://127.0.0.1:${oracle.port}/`);
    expect(r.body.toString()).toBe('oracle reached');
    expect(oracle.hits).toHaveLength(1);
    await g.close();
  });

  it('allowedOrigins exempts exactly the operator\'s origin', async () => {
    const g = new NetGuard({ allowedOrigins: [`http://127.0.0.1:${oracle.port}`] });
    expect((await g.fetch(`http://127.0.0.1:${oracle.port}/x`)).status).toBe(200);
    await expect(g.fetch(`http://127.0.0.1:${pub.port}/x`)).rejects.toMatchObject({ code: 'access_denied' });
    await expect(g.fetch(`http://localhost:${oracle.port}/x`)).rejects.toMatchObject({ code: 'access_denied' });
    await g.close();
  });
});
