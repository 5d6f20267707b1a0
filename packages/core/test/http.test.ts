// --http: Streamable HTTP through the SDK client, bearer token, Host/Origin validation, /health and
// /metrics, on the built echo binary.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const bin = join(import.meta.dirname, '..', 'dist', 'echo-server.js');
const TOKEN = 'http-token-0123456789abcdef-0123456789';
let child: ChildProcess;
let url: URL;

beforeAll(async () => {
  child = spawn(process.execPath, [bin, '--http', '--port', '0'], { env: { PATH: process.env.PATH, BIZMCP_HTTP_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  url = await new Promise<URL>((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`no listening line: ${err}`)), 10_000);
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /"url":"([^"]+)"/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(new URL(m[1]));
      }
    });
  });
  expect(stdout).toBe('');
});

afterAll(() => {
  child?.kill('SIGTERM');
});

function raw(path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Streamable HTTP transport', () => {
  it('is bound to 127.0.0.1 and serves the SDK client with the bearer token', async () => {
    expect(url.hostname).toBe('127.0.0.1');
    const client = new Client({ name: 'http-test', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    const r = await client.callTool({ name: 'echo', arguments: { text: 'via http' } });
    expect(r.structuredContent).toEqual({ text: 'via http' });
    await client.close();
  });

  it('refuses requests without the token, with a foreign Host, or from a foreign Origin', async () => {
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '0' } } });
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await raw('/mcp', base, 'POST', init)).status).toBe(401);
    expect((await raw('/mcp', { ...base, authorization: 'Bearer wrong-token-0123456789abc' }, 'POST', init)).status).toBe(401);
    expect((await raw('/mcp', { ...base, authorization: `Bearer ${TOKEN}`, host: 'attacker.example' }, 'POST', init)).status).toBe(403);
    expect((await raw('/mcp', { ...base, authorization: `Bearer ${TOKEN}`, origin: 'https://attacker.example' }, 'POST', init)).status).toBe(403);
    expect((await raw('/mcp', { ...base, authorization: `Bearer ${TOKEN}` }, 'POST', init)).status).toBe(200);
  });

  it('exposes /health and Prometheus /metrics', async () => {
    const health = await raw('/health', {});
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', server: 'echo' });
    const metrics = await raw('/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(metrics.body).toMatch(/mcp_tool_calls_total\{server="echo",tool="echo",status="success"\} [1-9]/);
    expect(metrics.body).toMatch(/mcp_tool_call_duration_seconds_count\{server="echo",tool="echo"\}/);
  });
});
