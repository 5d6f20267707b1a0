// The built binary end to end against the local API: SDK client over stdio, raw JSON-RPC lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio } from '@bizmcp/core/testing';
import { startApi, type Fixture } from './fixture.js';

const bin = builtBin('http-api');
let api: Fixture;

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

describe('bizmcp-http-api binary', () => {
  it('serves the SDK client with an OpenAPI document', async () => {
    const base = `http://127.0.0.1:${api.port}/v1`;
    const s = await spawnStdio(bin, { env: { API_BASE_URL: base, OPENAPI_SPEC: `${base}/openapi.json`, API_KEY: 'sk-e2e-123456789' } });
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['api_get', 'api_post', 'api_put', 'api_patch', 'api_delete', 'list_endpoints', 'describe_endpoint', 'call_endpoint']));
    const r = await s.client.callTool({ name: 'call_endpoint', arguments: { operation_id: 'getPet', path_params: { petId: 3 } } });
    expect((r.structuredContent as { body: unknown }).body).toEqual({ id: 3, name: 'Tom' });
    await s.close();
    expect(s.stderr()).not.toContain('sk-e2e-123456789');
  });

  it('answers raw JSON-RPC lines and exits', async () => {
    const run = await rawStdio(
      bin,
      jsonLines([
        { method: 'tools/list' },
        { method: 'tools/call', params: { name: 'api_get', arguments: { endpoint: '/items' } } },
        { method: 'tools/call', params: { name: 'api_get', arguments: { endpoint: 'http://169.254.169.254/' } } },
      ]),
      {
        env: { API_BASE_URL: `http://127.0.0.1:${api.port}/v1` },
      },
    );
    expect(run.code).toBe(0);
    const byId = new Map(run.messages.map((m) => [m.id, m]));
    expect(byId.get(1).result.tools.length).toBe(7);
    expect(byId.get(2).result.structuredContent.body).toHaveLength(2);
    expect(byId.get(3).result.isError).toBe(true);
  });

  it('a bad configuration is one line and exit 1', async () => {
    const run = await rawStdio(bin, '', { env: { API_BASE_URL: 'ftp://x' } });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^bizmcp-http-api: API_BASE_URL must be an http or https URL, got "[^\n]*"$/);
  });
});
