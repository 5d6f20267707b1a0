// The HTTP API tools through the SDK client against a real local API.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { SPEC, startApi, type Fixture } from './fixture.js';

let api: Fixture;
let base: string;
const KEY = 'sk-live-3f9a8b7c6d5e4f3a';
const open = (env: Record<string, string> = {}, argv: string[] = []) => connectInProcess(server, { argv, env: { API_BASE_URL: base, ...env } });

beforeAll(async () => {
  api = await startApi();
  base = `http://127.0.0.1:${api.port}/v1`;
});
afterAll(() => api.close());
beforeEach(() => {
  api.hits.length = 0;
});

describe('methods', () => {
  let s: InProcess;
  beforeAll(async () => {
    s = await open({ API_KEY: KEY });
  });
  afterAll(() => s.close());

  it('GET parses JSON and keeps the useful headers', async () => {
    const r = await s.ok('api_get', { endpoint: '/items', query: { page: 1, tags: ['a', 'b'] } });
    expect(r).toMatchObject({
      status: 200,
      ok: true,
      contentType: 'application/json',
      body: [
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
      ],
      truncated: false,
    });
    expect(r.headers.link).toContain('rel="next"');
    expect(r.headers['x-ratelimit-remaining']).toBe('99');
    expect(r.headers['x-secret-internal']).toBeUndefined();
    expect(api.hits[0].url).toBe('/v1/items?page=1&tags=a&tags=b');
    expect(api.hits[0].headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('POST, PUT, PATCH, DELETE and HEAD', async () => {
    expect(await s.ok('api_post', { endpoint: 'items', body: { name: 'three' } })).toMatchObject({ status: 201, body: { created: { name: 'three' } }, headers: { location: '/v1/items/3' } });
    expect(api.hits[0].headers['content-type']).toBe('application/json');
    expect((await s.ok('api_put', { endpoint: '/items/3', body: { name: 'x' } })).body).toEqual({ method: 'PUT', body: { name: 'x' } });
    expect((await s.ok('api_patch', { endpoint: '/items/3', body: { name: 'y' } })).body).toEqual({ method: 'PATCH', body: { name: 'y' } });
    expect(await s.ok('api_delete', { endpoint: '/items/3' })).toMatchObject({ status: 204, bytes: 0 });
    const head = await s.ok('api_head', { endpoint: '/items' });
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
    expect(api.hits.map((h) => h.method)).toEqual(['POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);
  });

  it('text, binary (summarised), huge (paged), gzip bomb (capped)', async () => {
    expect((await s.ok('api_get', { endpoint: '/text' })).body).toBe('plain text body');
    const bin = await s.ok('api_get', { endpoint: '/binary' });
    expect(bin.body).toBeUndefined();
    expect(bin.binary.bytes).toBe(5000);
    const huge = await s.ok('api_get', { endpoint: '/huge' });
    expect(huge.truncated).toBe(true);
    expect(Buffer.byteLength(huge.body)).toBeLessThanOrEqual(100 * 1024);
    let text = huge.body as string;
    let next = huge.nextOffset;
    while (next !== undefined) {
      const part = await s.ok('get_response_part', { response_id: huge.responseId, offset: next });
      text += part.text;
      next = part.nextOffset;
    }
    expect(JSON.parse(text)).toHaveLength(20_000);
    const bomb = await s.ok('api_get', { endpoint: '/bomb' });
    expect(bomb.truncated).toBe(true);
    expect(bomb.bytes).toBeLessThanOrEqual(10 * 1024 * 1024);
  });

  it('a slow response times out and the request is aborted', async () => {
    const slow = await open({ API_TIMEOUT_MS: '300' });
    const r = await slow.call('api_get', { endpoint: '/slow' });
    expect(textOf(r)).toMatch(/took longer than 300 ms/);
    await new Promise((res) => setTimeout(res, 100));
    expect(api.closed).toContain('/v1/slow');
    await slow.close();
  });

  it('429 with Retry-After is retried for GET, never for POST; 503 keeps its status', async () => {
    const r = await s.ok('api_get', { endpoint: '/limited', query: { k: 'get' } });
    expect(r).toMatchObject({ status: 200, retries: 1, body: { attempt: 2 } });
    const p = await s.ok('api_post', { endpoint: '/limited', query: { k: 'post' }, body: {} });
    expect(p).toMatchObject({ status: 429, retries: 0 });
    expect(api.hits.filter((h) => h.method === 'POST')).toHaveLength(1);
    const u = await s.ok('api_get', { endpoint: '/unavailable' });
    expect(u).toMatchObject({ status: 503, retries: 2, ok: false });
  });

  it('redirects: same origin followed, other origins refused', async () => {
    expect((await s.ok('api_get', { endpoint: '/redirect', query: { to: '/v1/items' } })).body).toHaveLength(2);
    const r = await s.call('api_get', { endpoint: '/redirect', query: { to: 'http://localhost:1/x' } });
    expect(textOf(r)).toMatch(/Redirect to another origin refused/);
    // a same-origin loop stops at the cap
    const loop = await s.call('api_get', { endpoint: '/loop' });
    expect(textOf(loop)).toMatch(/Too many redirects/);
    expect(api.hits.filter((h) => h.url === '/v1/loop').length).toBe(6);
  });
});

describe('auth modes and secrecy', () => {
  it('bearer, custom header, query key, basic; default headers; credentials never returned', async () => {
    const modes: [Record<string, string>, (h: { headers: Record<string, unknown>; url: string }) => void][] = [
      [{ API_KEY: KEY }, (h) => expect(h.headers.authorization).toBe(`Bearer ${KEY}`)],
      [{ API_KEY: KEY, API_KEY_HEADER: 'X-Api-Key' }, (h) => expect(h.headers['x-api-key']).toBe(KEY)],
      [{ API_KEY: KEY, API_KEY_QUERY: 'api_key' }, (h) => expect(h.url).toContain(`api_key=${KEY}`)],
      [{ API_BASIC_USER: 'ann', API_BASIC_PASSWORD: 'hunter2-secret' }, (h) => expect(h.headers.authorization).toBe(`Basic ${Buffer.from('ann:hunter2-secret').toString('base64')}`)],
      [{ API_HEADERS: '{"X-Tenant":"acme"}' }, (h) => expect(h.headers['x-tenant']).toBe('acme')],
    ];
    for (const [env, check] of modes) {
      api.hits.length = 0;
      const s = await open(env);
      const r = await s.call('api_get', { endpoint: '/echo' });
      check(api.hits[0] as never);
      const all = JSON.stringify(r) + s.logs.join('');
      expect(all).not.toContain(KEY);
      expect(all).not.toContain('hunter2-secret');
      expect(all).not.toContain(Buffer.from('ann:hunter2-secret').toString('base64'));
      await s.close();
    }
  });

  it('the caller cannot set Authorization or Cookie', async () => {
    const s = await open({ API_KEY: KEY });
    expect(textOf(await s.call('api_get', { endpoint: '/echo', headers: { Authorization: 'Bearer mine' } }))).toMatch(/set by the server/);
    expect(api.hits).toHaveLength(0);
    await s.close();
  });

  it('without API_BASE_URL the server starts and names the variable', async () => {
    const s = await connectInProcess(server, { env: {} });
    expect((await s.client.listTools()).tools.length).toBe(7);
    expect(textOf(await s.call('api_get', { endpoint: '/x' }))).toMatch(/The API is not configured: set API_BASE_URL in the server.s environment.\nHint: Set API_BASE_URL/);
    await s.close();
  });

  it('--read-only keeps GET, HEAD and reading tools', async () => {
    const s = await open({}, ['--read-only']);
    expect((await s.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['api_get', 'api_head', 'get_response_part']);
    await s.close();
  });
});

describe('OpenAPI', () => {
  it('a 500-operation document stays 10 tools; list_endpoints pages through it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bizmcp-oas-'));
    const file = join(dir, 'big.json');
    const paths = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`/things${i}`, { get: { operationId: `getThing${i}`, tags: [i % 2 ? 'odd' : 'even'], responses: { '200': { description: 'ok' } } } }]),
    );
    writeFileSync(file, JSON.stringify({ openapi: '3.0.3', info: { title: 'Big', version: '1' }, paths }));
    const s = await open({ OPENAPI_SPEC: file });
    expect((await s.client.listTools()).tools).toHaveLength(10);
    const seen: string[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page: { total: number; operations: { operationId: string }[]; nextOffset?: number } = await s.ok('list_endpoints', { tag: 'odd', offset, limit: 100 });
      expect(page.total).toBe(250);
      seen.push(...page.operations.map((o: { operationId: string }) => o.operationId));
      offset = page.nextOffset;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect((await s.ok('list_endpoints', { text: 'thing49' })).total).toBe(11); // getThing49 and getThing490..499
    await s.close();
  });

  for (const [name, source] of [
    [
      'a file (YAML)',
      () => {
        const dir = mkdtempSync(join(tmpdir(), 'bizmcp-oas-'));
        const file = join(dir, 'pets.yaml');
        writeFileSync(file, `openapi: 3.0.3\ninfo: {title: Pets, version: '1'}\npaths: ${JSON.stringify(SPEC.paths)}\ncomponents: ${JSON.stringify(SPEC.components)}\n`);
        return file;
      },
    ],
    ['a URL', () => `${base}/openapi.json`],
  ] as const) {
    it(`lists, describes and calls operations from ${name}, validating per field`, async () => {
      const s = await open({ OPENAPI_SPEC: source() });
      const list = await s.ok('list_endpoints', { tag: 'pets' });
      expect(list.operations.map((o: { operationId: string }) => o.operationId)).toEqual(['listPets', 'createPet', 'getPet']);
      const d = await s.ok('describe_endpoint', { operation_id: 'createPet' });
      expect(d.requestBody.required).toBe(true);
      api.hits.length = 0;
      const bad = await s.call('call_endpoint', { operation_id: 'createPet', body: { name: '', species: 'cow', extra: 1 } });
      const t = textOf(bad);
      expect(t).toMatch(/nothing was sent/);
      expect(t).toMatch(/- body.name: must NOT have fewer than 1 characters/);
      expect(t).toMatch(/- body.species: must be equal to one of the allowed values \(cat, dog\)/);
      expect(t).toMatch(/- body: must NOT have additional properties/);
      expect(api.hits.filter((h) => h.url.includes('/pets'))).toHaveLength(0);
      const missing = await s.call('call_endpoint', { operation_id: 'getPet' });
      expect(textOf(missing)).toMatch(/path_params: must have required property 'petId'/);
      const ok = await s.ok('call_endpoint', { operation_id: 'createPet', body: { name: 'Tom', species: 'cat' } });
      expect(ok).toMatchObject({ status: 201, body: { id: 7, name: 'Tom' } });
      expect((await s.ok('call_endpoint', { operation_id: 'getPet', path_params: { petId: 7 } })).body).toEqual({ id: 7, name: 'Tom' });
      expect(textOf(await s.call('call_endpoint', { operation_id: 'listPets', query: { limit: 1000 } }))).toMatch(/query.limit: must be <= 100/);
      await s.close();
    });
  }
});
