// Attempts to leave the base URL, each with an oracle: the API server records every path it
// receives (nothing outside /v1/ may arrive), a second server on another port stands for every
// other address (it must receive nothing), and the net guard's resolver records every host looked
// up. The base host is a public-looking name resolved to 127.0.0.1 by the test resolver.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import { createHttpApiServer } from '../src/server.js';
import { startApi, type Fixture } from './fixture.js';

let api: Fixture;
let other: Server;
let otherPort: number;
let otherHits = 0;
const looked: string[] = [];
let s: InProcess;

beforeAll(async () => {
  api = await startApi();
  other = createServer((_req, res) => {
    otherHits++;
    res.end('elsewhere');
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  otherPort = (other.address() as AddressInfo).port;
  const def = createHttpApiServer({
    lookup: async (host) => {
      looked.push(host);
      if (host === 'api.example-public.com') return [{ address: '127.0.0.1', family: 4 }];
      if (host === 'evil.example') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' });
    },
  });
  s = await connectInProcess(def, { env: { API_BASE_URL: `http://api.example-public.com:${api.port}/v1/`, API_KEY: 'sk-attack-0000000000' } });
});
afterAll(async () => {
  await s.close();
  await api.close();
  other.close();
});
beforeEach(() => {
  api.hits.length = 0;
  looked.length = 0;
});

const O = () => otherPort;
const attacks: [string, string, Record<string, unknown>?][] = [
  ['absolute URL to another port', `http://127.0.0.1:${0}/x`],
  ['absolute URL with the same host', `http://api.example-public.com:${0}/v1/items`],
  ['scheme-relative //host', '//evil.example/x'],
  ['https scheme change', 'https://api.example-public.com/v1/items'],
  ['file scheme', 'file:///etc/passwd'],
  ['javascript scheme', 'javascript:alert(1)'],
  ['.. climbing above the base path', '/../outside'],
  ['.. in the middle', '/items/../../outside'],
  ['encoded .. (%2e%2e)', '/%2e%2e/outside'],
  ['mixed-case encoded .. (%2E%2e)', '/%2E%2e/%2E%2E/outside'],
  ['double-encoded .. (%252e%252e)', '/%252e%252e/outside'],
  ['encoded slash', '/items%2f..%2f..%2foutside'],
  ['backslash', '\\..\\outside'],
  ['backslash host trick', '/\\evil.example/x'],
  ['userinfo trick', '@evil.example/x'],
  ['full URL with userinfo', `http://api.example-public.com@evil.example:${0}/x`],
  ['CR/LF header injection', '/items\r\nHost: evil.example'],
  ['NUL byte', '/items\u0000/../../outside'],
  ['fragment', '/items#@evil.example'],
  ['single dot segment', '/./items'],
  ['redirect to 127.0.0.1 (other port)', '/redirect', { to: `http://127.0.0.1:${0}/stolen` }],
  ['redirect to the metadata address', '/redirect', { to: 'http://169.254.169.254/latest/meta-data/' }],
  ['redirect to a name resolving to loopback', '/redirect', { to: `http://evil.example:${0}/` }],
  ['redirect outside the base path on the same origin', '/redirect', { to: '/outside' }],
];

describe('http-api: leaving the base URL (oracle on every address and path)', () => {
  it('has at least 20 attacks', () => expect(attacks.length).toBeGreaterThanOrEqual(20));

  for (const [name, endpoint, query] of attacks) {
    it(name, async () => {
      const before = otherHits;
      const ep = endpoint.replace(':0/', `:${O()}/`);
      const q = query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v).replace(':0/', `:${O()}/`)])) : {};
      const r = await s.call('api_get', { endpoint: ep, query: q });
      // nothing reached the other address, and nothing outside /v1/ reached the API
      expect(otherHits).toBe(before);
      for (const h of api.hits) expect(h.url.startsWith('/v1/'), h.url).toBe(true);
      expect(looked.every((h) => h === 'api.example-public.com')).toBe(true);
      // refused, or (same-origin redirect outside /v1/) answered by the API's own 404 for that path
      if (!r.isError) expect((r.structuredContent as { status: number }).status).toBe(404);
      else expect(textOf(r)).toMatch(/refused|Refused|not allowed/);
      expect(JSON.stringify(r)).not.toContain('sk-attack-0000000000');
    });
  }

  it('positive control: a normal call reaches the API through the same resolver', async () => {
    const r = await s.ok('api_get', { endpoint: '/items' });
    expect(r.status).toBe(200);
    expect(api.hits.map((h) => h.url)).toEqual(['/v1/items']);
    expect(looked).toContain('api.example-public.com');
  });
});
