// The built echo binary end to end: SDK client over stdio, raw JSON-RPC lines piped into stdin,
// malformed input, clean shutdown on signals, stdout reserved for the protocol, --help/--version,
// and a rate limit shared by two processes through Redis.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { answersPing, builtBin, jsonLines, rawStdio, spawnStdio, testRedis, textOf } from '../src/testing.js';

const bin = builtBin('core', 'echo-server.js');

describe('echo binary over stdio', () => {
  it('serves the SDK client', async () => {
    const s = await spawnStdio(bin);
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toContain('echo');
    const r = await s.client.callTool({ name: 'echo', arguments: { text: 'over stdio' } });
    expect(textOf(r as any)).toBe('over stdio');
    await s.close();
  });

  it('answers every piped request before exiting, and -32700 for a line that is not JSON', async () => {
    const input =
      jsonLines([
        { method: 'tools/list' },
        { method: 'tools/call', params: { name: 'slow', arguments: { ms: 300, steps: 3 } } },
        { method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } },
      ]) + 'this is not json\n{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}\n{"id":7,"foo":1}\n[1,2]\n';
    const run = await rawStdio(bin, input);
    expect(run.code).toBe(0);
    const byId = new Map(run.messages.filter((m) => m.id !== null).map((m) => [m.id, m]));
    expect(byId.get(0).result.serverInfo.name).toBe('bizmcp-echo');
    expect(byId.get(1).result.tools.length).toBeGreaterThan(3);
    expect(byId.get(2).result.structuredContent).toEqual({ done: true });
    expect(byId.get(3).result.structuredContent).toEqual({ text: 'x' });
    expect(byId.get(99).result.structuredContent).toEqual({ sum: 3 });
    expect(byId.get(7).error.code).toBe(-32600);
    const nulls = run.messages.filter((m) => m.id === null);
    expect(nulls.map((m) => m.error.code).sort()).toEqual([-32600, -32700]);
    // every stdout line is JSON-RPC (rawStdio fails otherwise); logs went to stderr
    for (const m of run.messages) expect(m.jsonrpc).toBe('2.0');
    expect(run.stderr).toContain('"msg":"shutdown"');
  });

  it('keeps serving after malformed lines', async () => {
    const input =
      'garbage\n{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"r","version":"0"}}}\n{{{\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n';
    const run = await rawStdio(bin, input);
    expect(run.messages.filter((m) => m.error?.code === -32700)).toHaveLength(2);
    expect(run.messages.find((m) => m.id === 2)?.result).toEqual({});
  });

  it('--help and --version print to stderr and exit 0; a bad flag is one line and exit 1', async () => {
    const help = await rawStdio(bin, '', { args: ['--help'] });
    expect(help.code).toBe(0);
    expect(help.stdout).toBe('');
    expect(help.stderr).toMatch(/--read-only/);
    expect(help.stderr).toMatch(/ECHO_API_KEY/);
    const version = await rawStdio(bin, '', { args: ['--version'] });
    expect(version.stderr.trim()).toBe('bizmcp-echo 0.1.0');
    const bad = await rawStdio(bin, '', { args: ['--nope'] });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^bizmcp-echo: Unknown option '--nope'/);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`shuts down within 2 s on ${signal} while a call is running`, async () => {
      const child = spawn(process.execPath, [bin], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stdin.write(jsonLines([{ method: 'tools/call', params: { name: 'slow', arguments: { ms: 60000, steps: 100, ignoreSignal: true } } }]));
      // signal once the server is up (initialize answered) and the call is running
      for (let i = 0; i < 300 && !out.includes('"id":0'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('"id":0');
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      child.kill(signal);
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(Date.now() - t0).toBeLessThan(4000); // the 2 s deadline plus exit under a loaded suite; the call alone runs 60 s
      expect(code).toBe(0);
      for (const line of out.split('\n').filter(Boolean)) expect(JSON.parse(line).jsonrpc).toBe('2.0');
    });
  }

  it('shares one rate limit between two processes through Redis', async () => {
    const server = await testRedis();
    const env = { REDIS_URL: server.url, BIZMCP_RATE_LIMIT_LIMITED: `3/60`, ECHO_RUN: String(Date.now()) };
    // a fresh key space per run: the limiter key includes the server name and tool, so flush it first
    const { Redis } = await import('ioredis');
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
    await redis.connect();
    const keys = await redis.keys('bizmcp:echo:*');
    if (keys.length) await redis.del(...keys);
    const a = await spawnStdio(bin, { env });
    const b = await spawnStdio(bin, { env });
    const results: boolean[] = [];
    for (const c of [a, b, a, b, a]) {
      const r = await c.client.callTool({ name: 'limited', arguments: {} });
      results.push(!r.isError);
    }
    expect(results).toEqual([true, true, true, false, false]);
    expect((await redis.keys('bizmcp:echo:*')).length).toBeGreaterThan(0);
    await a.close();
    await b.close();
    await redis.quit();
    await server.stop();
  });

  it('where no Redis service answers, the tests start a throwaway redis-server and stop it', async () => {
    const own = await testRedis({ own: true });
    const port = Number(new URL(own.url).port);
    expect(own.own).toBe(true);
    expect(port).not.toBe(6379);
    expect(await answersPing(port)).toBe(true);
    await own.stop();
    expect(await answersPing(port)).toBe(false);
  });
});
