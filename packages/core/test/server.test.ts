// Core's runtime through a real MCP client, in-process, with the throwaway echo server.
import { describe, expect, it } from 'vitest';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { buildServer, ConfigError } from '../src/index.js';
import { connectInProcess, textOf } from '../src/testing.js';
import { echoServer } from '../fixtures/echo-server.js';

const SECRET = 'sk-test-5f2b9c1e7d3a4b6c';

describe('tools through the SDK client', () => {
  it('lists tools with schemas, titles and annotations', async () => {
    const s = await connectInProcess(echoServer);
    const { tools } = await s.client.listTools();
    const echo = tools.find((t) => t.name === 'echo')!;
    expect(echo.title).toBe('Echo');
    expect(echo.inputSchema.properties).toHaveProperty('text');
    expect(echo.outputSchema?.properties).toHaveProperty('text');
    expect(echo.annotations?.readOnlyHint).toBe(true);
    expect(await s.ok('echo', { text: 'hello' })).toEqual({ text: 'hello' });
    const r = await s.call('echo', { text: 'hello' });
    expect(textOf(r)).toBe('hello');
    await s.close();
  });

  it('lists validation errors field by field', async () => {
    const s = await connectInProcess(echoServer);
    const r = await s.call('add', { a: 'x', b: 5000 });
    expect(r.isError).toBe(true);
    const t = textOf(r);
    expect(t).toMatch(/^- a: /m);
    expect(t).toMatch(/^- b: .*1000/m);
    const missing = await s.call('add', {});
    expect(textOf(missing)).toMatch(/- a: .*\n- b: /);
    await s.close();
  });

  it('returns ToolError messages with their hint, and unknown tools as protocol errors', async () => {
    const s = await connectInProcess(echoServer);
    const r = await s.call('fail', { kind: 'tool' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe('The widget is missing\nHint: Create the widget first.');
    await expect(s.client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/Unknown tool/);
    await s.close();
  });

  it('times out: the AbortSignal fires and the call answers with a timeout error', async () => {
    const s = await connectInProcess(echoServer);
    const r = await s.call('slow', { ms: 5000, steps: 50 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/timed out after 1500 ms/);
    await new Promise((res) => setTimeout(res, 200));
    expect(s.server.state.aborted.length).toBe(1);
    expect(s.server.state.aborted[0].reason).toMatch(/timed out/);
    expect(s.server.state.finished.length).toBe(0);
    await s.close();
  });

  it('answers on time even when the work ignores the signal', async () => {
    const s = await connectInProcess(echoServer, { env: { BIZMCP_TIMEOUT_MS_SLOW: '300' } });
    const r = await s.call('slow', { ms: 2000, steps: 2, ignoreSignal: true });
    expect(textOf(r)).toMatch(/timed out after 300 ms/);
    await s.close();
  });

  it('cancellation from the client aborts the work', async () => {
    const s = await connectInProcess(echoServer);
    const ac = new AbortController();
    const p = s.client.callTool({ name: 'slow', arguments: { ms: 1000, steps: 20 } }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort('user pressed stop'), 150);
    await expect(p).rejects.toThrow();
    await new Promise((res) => setTimeout(res, 200));
    expect(s.server.state.aborted.length).toBe(1);
    expect(s.server.state.aborted[0].reason).not.toMatch(/timed out/);
    expect(s.server.state.finished.length).toBe(0);
    await s.close();
  });

  it('sends progress notifications when the client asks for them', async () => {
    const s = await connectInProcess(echoServer);
    const seen: { progress: number; total?: number; message?: string }[] = [];
    const r = await s.client.callTool({ name: 'slow', arguments: { ms: 100, steps: 4 } }, undefined, { onprogress: (p) => seen.push(p) });
    expect(r.isError).toBeFalsy();
    expect(seen.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(seen[0]).toMatchObject({ total: 4, message: 'step 1' });
    await s.close();
  });

  it('changes the log level with logging/setLevel and forwards records as notifications/message', async () => {
    const s = await connectInProcess(echoServer, { env: { LOG_LEVEL: 'warn' } });
    const messages: { level: string; data: any }[] = [];
    s.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params as any));
    await s.ok('log', { level: 'info', message: 'before setLevel' });
    expect(messages).toHaveLength(0);
    await s.client.setLoggingLevel('debug');
    await s.ok('log', { level: 'debug', message: 'debug record' });
    await s.client.setLoggingLevel('error');
    await s.ok('log', { level: 'warn', message: 'warn record' });
    await s.ok('log', { level: 'error', message: 'error record' });
    await new Promise((res) => setTimeout(res, 50));
    const texts = messages.map((m) => m.data.msg);
    expect(texts).toContain('debug record');
    expect(texts).not.toContain('warn record');
    expect(texts).toContain('error record');
    expect(messages.find((m) => m.data.msg === 'error record')!.level).toBe('error');
    // stderr level stays warn: the debug record is not in the stderr log
    expect(s.logs.join('')).not.toContain('debug record');
    expect(s.logs.join('')).toContain('error record');
    await s.close();
  });

  it('keeps secrets out of results, errors and logs', async () => {
    const s = await connectInProcess(echoServer, { env: { ECHO_API_KEY: SECRET } });
    const who = await s.call('whoami');
    expect(JSON.stringify(who)).not.toContain(SECRET);
    expect(textOf(who)).toContain('[REDACTED]');
    const crash = await s.call('fail', { kind: 'crash' });
    expect(crash.isError).toBe(true);
    expect(textOf(crash)).toMatch(/Internal error in fail \(Error, error id [0-9a-f]{8}\)/);
    expect(JSON.stringify(crash)).not.toContain(SECRET);
    const logs = s.logs.join('');
    expect(logs).toContain('unexpected tool failure');
    expect(logs).toContain('"stack"'); // the stack is logged…
    expect(logs).not.toContain(SECRET); // …without the secret
    expect(logs).toContain('[REDACTED]');
    await s.close();
  });

  it('rate limits in memory and says when to retry', async () => {
    const s = await connectInProcess(echoServer);
    for (let i = 0; i < 3; i++) await s.ok('limited');
    const r = await s.call('limited');
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/Rate limit reached for limited: 3 calls per 60 s\.\nHint: Wait \d+ s/);
    await s.close();
  });

  it('--read-only, --tools and --exclude-tools select tools', async () => {
    const ro = await connectInProcess(echoServer, { argv: ['--read-only'] });
    const names = (await ro.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names).not.toContain('touch');
    await expect(ro.client.callTool({ name: 'touch', arguments: {} })).rejects.toThrow(/Unknown tool/);
    await ro.close();
    const only = await connectInProcess(echoServer, { argv: ['--tools', 'echo,add', '--exclude-tools', 'add'] });
    expect((await only.client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    await only.close();
  });

  it('rejects bad configuration with one clear ConfigError', () => {
    expect(() => buildServer(echoServer, { argv: ['--tools', 'nope'] })).toThrow(ConfigError);
    expect(() => buildServer(echoServer, { argv: ['--bogus'] })).toThrow(/Unknown option '--bogus'/);
    expect(() => buildServer(echoServer, { argv: [], env: { LOG_LEVEL: 'loud' } })).toThrow(/invalid log level "loud"/);
    expect(() => buildServer(echoServer, { argv: [], env: { BIZMCP_RATE_LIMIT_ECHO: 'ten' } })).toThrow(/BIZMCP_RATE_LIMIT_ECHO/);
    expect(() => buildServer(echoServer, { argv: ['stray'] })).toThrow(/Unexpected argument 'stray'/);
  });
});
