// The registry (toolsets, enabled, the common selection flags), the call pipeline (its steps, a
// server's own step, the deadline a tool sees, the outcome-unknown guard) and typed env variables,
// through a real MCP client.
import { describe, expect, it } from 'vitest';
import { CallToolResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  annotations,
  buildServer,
  ConfigError,
  defineServer,
  envBool,
  envEnum,
  envInt,
  envList,
  envSecret,
  envUrl,
  missingCredentials,
  orderSteps,
  readEnv,
  renderHelp,
  renderToolsets,
  richResult,
  toolsFor,
  type PipelineStep,
} from '../src/index.js';
import { connectInProcess, textOf } from '../src/testing.js';
import { echoServer } from '../fixtures/echo-server.js';

const names = async (argv: string[], env: Record<string, string> = {}) => {
  const s = await connectInProcess(echoServer, { argv, env });
  const list = (await s.client.listTools()).tools.map((t) => t.name).sort();
  await s.close();
  return list;
};

describe('toolsets and the static inventory', () => {
  it('registers the default toolsets; --toolsets picks groups, all takes every one', async () => {
    const dflt = await names([]);
    expect(dflt).toContain('echo');
    expect(dflt).toContain('touch');
    expect(dflt).not.toContain('hidden');
    expect(await names(['--toolsets', 'extras'])).toEqual(['hidden']);
    const all = await names(['--toolsets', 'all']);
    expect(all).toContain('hidden');
    expect(all).toContain('echo');
    expect(await names(['--toolsets', 'changes'])).toEqual(['charge', 'touch']);
  });

  it('--tools, --exclude-tools and --read-only work on top of toolsets', async () => {
    expect(await names(['--tools', 'echo,hidden'])).toEqual(['echo', 'hidden']);
    expect(await names(['--toolsets', 'changes', '--read-only'])).toEqual([]);
    const ro = await names(['--read-only']);
    expect(ro).not.toContain('touch');
    expect(ro).not.toContain('charge');
    expect(await names(['--toolsets', 'changes', '--exclude-tools', 'touch'])).toEqual(['charge']);
  });

  it('a tool whose enabled(config) is false is not registered, and naming it is a clear error', async () => {
    expect(await names([])).not.toContain('configured');
    expect(await names([], { ECHO_API_KEY: 'k' })).toContain('configured');
    expect(() => buildServer(echoServer, { argv: ['--tools', 'configured'], env: {}, logStream: { write() {} } })).toThrow(/not available with this configuration/);
  });

  it('unknown toolsets and tools are one ConfigError that lists what exists', () => {
    const build = (argv: string[]) => () => buildServer(echoServer, { argv, env: {}, logStream: { write() {} } });
    expect(build(['--toolsets', 'nope'])).toThrow(ConfigError);
    expect(build(['--toolsets', 'nope'])).toThrow(/unknown toolset "nope".*basics, changes, extras/);
    expect(build(['--tools', 'nope'])).toThrow(/unknown tool "nope"/);
  });

  it('a tool in an undeclared toolset is refused when the server is defined', () => {
    const tool = toolsFor<unknown>();
    const t = tool({ name: 'x', toolset: 'missing', title: 'X', description: 'x', input: z.object({}), output: z.object({}), annotations: annotations.read(), run: async () => ({}) });
    expect(() =>
      defineServer({ name: 'bad', version: '0', title: 'b', description: 'b', env: {}, parseConfig: () => ({}), toolsets: { a: { description: 'a' } }, tools: [t], setup: () => ({}) }),
    ).toThrow(/toolset "missing"/);
  });

  it('--help lists the toolsets, which are on by default, and their tools', () => {
    const help = renderHelp({ bin: 'bizmcp-echo', title: 't', description: 'd', version: '0', options: {}, env: {}, sections: [renderToolsets(echoServer)] });
    expect(help).toMatch(/\* basics\s+Tools that read/);
    expect(help).toMatch(/^ {4}extras/m);
    expect(help).toMatch(/touch \(writes\)/);
    expect(help).toMatch(/--toolsets/);
  });
});

describe('the call pipeline', () => {
  it("puts a server's own step where it asks and runs it on every call", async () => {
    const seen: string[] = [];
    const audit: PipelineStep = {
      name: 'audit',
      after: 'validate',
      handle(call, next) {
        seen.push(`${call.tool.name}:${JSON.stringify(call.args)}`);
        return next(call);
      },
    };
    expect(orderSteps([audit]).map((s) => s.name)).toEqual(['log', 'metrics', 'render', 'validate', 'audit', 'rate-limit', 'outcome-guard', 'deadline', 'run']);
    const s = await connectInProcess({ ...echoServer, steps: [audit] });
    expect(await s.ok('echo', { text: 'hi' })).toEqual({ text: 'hi' });
    const bad = await s.call('echo', {});
    expect(bad.isError).toBe(true);
    expect(seen).toEqual(['echo:{"text":"hi"}']); // after validate: invalid calls never reach it
    await s.close();
  });

  it('a step may refuse a call; the refusal is an isError result like any tool error', async () => {
    const deny: PipelineStep = { name: 'deny', before: 'run', appliesTo: (t) => t.name === 'touch', handle: () => Promise.reject(new Error('policy says no')) };
    const s = await connectInProcess({ ...echoServer, steps: [deny] });
    const r = await s.call('touch');
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/Internal error in touch/);
    expect(await s.ok('echo', { text: 'x' })).toEqual({ text: 'x' });
    await s.close();
  });

  it('a result that could not be valid MCP is an internal error; a malformed tools/call request is InvalidParams', async () => {
    const tool = toolsFor<unknown>();
    const odd = (name: string, result: unknown) =>
      tool({ name, toolset: 'basics', title: name, description: name, input: z.object({}), output: z.object({}).loose(), annotations: annotations.read(), run: async () => result as never });
    const s = await connectInProcess({
      ...echoServer,
      tools: [
        ...echoServer.tools,
        odd('array', [1, 2]),
        odd('bad_block', richResult({ ok: true }, { content: [{ type: 'image', data: 'AAAA' } as never] })),
        odd('good_block', richResult({ ok: true }, { content: [{ type: 'image', data: 'AAAA', mimeType: 'image/png' }] })),
      ],
    });
    for (const name of ['array', 'bad_block']) {
      const r = await s.call(name);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(new RegExp(`Internal error in ${name}`));
    }
    expect(s.logs.join('\n')).toMatch(/array returned an array where its result must be an object/);
    expect(s.logs.join('\n')).toMatch(/bad_block returned a malformed content block/);
    const good = await s.call('good_block');
    expect(good.isError).toBeFalsy();
    expect(good.content).toEqual([
      { type: 'text', text: '{"ok":true}' },
      { type: 'image', data: 'AAAA', mimeType: 'image/png' },
    ]);
    // a request without a tool name never reaches the pipeline
    const err = await s.client.request({ method: 'tools/call', params: { arguments: {} } } as never, CallToolResultSchema).catch((e) => e);
    expect(err).toBeInstanceOf(McpError);
    expect(err.code).toBe(ErrorCode.InvalidParams);
    expect(err.message).toMatch(/Invalid tools\/call request/);
    expect(await s.ok('echo', { text: 'still' })).toEqual({ text: 'still' });
    await s.close();
  });

  it('an unknown anchor is a programming error at start-up', () => {
    expect(() => orderSteps([{ name: 'x', after: 'nope', handle: (c, n) => n(c) }])).toThrow(/no step named "nope"/);
  });

  it('ctx.timeoutMs and ctx.deadline follow the tool timeout and its env override', async () => {
    const s = await connectInProcess(echoServer);
    const t0 = Date.now();
    const r = await s.ok('budget');
    expect(r.timeoutMs).toBe(4321);
    expect(r.remainingMs).toBeGreaterThan(4000);
    expect(r.remainingMs).toBeLessThanOrEqual(4321);
    expect(r.deadline).toBeGreaterThanOrEqual(t0 + 4321);
    await s.close();
    const o = await connectInProcess(echoServer, { env: { BIZMCP_TIMEOUT_MS_BUDGET: '90000' } });
    expect((await o.ok('budget')).timeoutMs).toBe(90000);
    await o.close();
  });
});

describe('the outcome-unknown guard', () => {
  it('a write that timed out is reported as unknown, and the same write is refused until confirmed', async () => {
    const s = await connectInProcess(echoServer);
    const r = await s.call('charge', { amount: 5, ref: 'a', delay_ms: 1500 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/timed out.*OUTCOME IS UNKNOWN/s);
    expect((r._meta as any)['bizmcp/error']).toMatchObject({ code: 'outcome_unknown', details: { outcome: 'unknown', cause: 'timeout' } });
    await new Promise((res) => setTimeout(res, 700)); // the first write lands after its call timed out
    expect(s.server.state.charges).toHaveLength(1);
    const again = await s.call('charge', { amount: 5, ref: 'a', delay_ms: 1500 });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/UNKNOWN outcome.*not repeated/s);
    expect(textOf(again)).toMatch(/confirm_repeat: true/);
    expect(s.server.state.charges).toHaveLength(1); // the oracle: nothing happened twice
    // other arguments are another write
    expect(await s.ok('charge', { amount: 6, ref: 'a' })).toEqual({ charged: 6 });
    // the caller confirms: it runs, and afterwards the key is clear
    expect(await s.ok('charge', { amount: 5, ref: 'a', confirm_repeat: true })).toEqual({ charged: 5 });
    expect(await s.ok('charge', { amount: 5, ref: 'a' })).toEqual({ charged: 5 });
    expect(s.server.state.charges).toHaveLength(4);
    await s.close();
  });

  it('a call still in flight blocks the same write; a lost connection is unknown; a refusal is not', async () => {
    const s = await connectInProcess(echoServer);
    const first = s.call('charge', { amount: 1, ref: 'b', delay_ms: 300 });
    await new Promise((res) => setTimeout(res, 50));
    const second = await s.call('charge', { amount: 1, ref: 'b', delay_ms: 300 });
    expect(textOf(second)).toMatch(/still running/);
    expect((await first).isError).toBeFalsy();
    expect(s.server.state.charges).toHaveLength(1);

    const lost = await s.call('charge', { amount: 2, ref: 'c', fail: 'connection' });
    expect((lost._meta as any)['bizmcp/error'].code).toBe('outcome_unknown');
    expect((await s.call('charge', { amount: 2, ref: 'c', fail: 'connection' })).isError).toBe(true);
    expect(s.server.state.charges).toHaveLength(2);

    const refused = await s.call('charge', { amount: 3, ref: 'd', fail: 'refused' });
    expect((refused._meta as any)['bizmcp/error'].code).toBe('invalid_argument');
    const retry = await s.call('charge', { amount: 3, ref: 'd', fail: 'refused' });
    expect(textOf(retry)).toMatch(/declined/); // refused again by the "API", not by the guard
    await s.close();
  });

  it('client cancellation of a guarded write is an unknown outcome too', async () => {
    const s = await connectInProcess(echoServer);
    const ac = new AbortController();
    const p = s.client.callTool({ name: 'charge', arguments: { amount: 9, ref: 'e', delay_ms: 400 } }, undefined, { signal: ac.signal });
    await new Promise((res) => setTimeout(res, 50));
    ac.abort();
    await expect(p).rejects.toThrow();
    await new Promise((res) => setTimeout(res, 450));
    const again = await s.call('charge', { amount: 9, ref: 'e', delay_ms: 400 });
    expect(textOf(again)).toMatch(/UNKNOWN outcome \(cancelled\)/);
    expect(s.server.state.charges).toHaveLength(1);
    await s.close();
  });
});

describe('typed environment variables', () => {
  const decl = {
    N: envInt({ description: 'n', default: 10, min: 1, max: 100 }),
    OPT: envInt({ description: 'optional' }),
    B: envBool({ description: 'b' }),
    L: envList({ description: 'l' }),
    S: envSecret({ description: 's' }),
    U: envUrl({ description: 'u', default: 'https://api.example.com/' }),
    E: envEnum({ description: 'e', values: ['draft', 'send'] as const, default: 'draft' }),
  };

  it('parses values and applies the declared defaults', () => {
    expect(readEnv(decl, {})).toEqual({ N: 10, OPT: undefined, B: false, L: [], S: undefined, U: 'https://api.example.com/', E: 'draft' });
    expect(readEnv(decl, { N: '42', OPT: '0', B: 'YES', L: ' a, ,b ', S: ' k ', U: 'http://x.test/v1/', E: 'Send' })).toEqual({
      N: 42,
      OPT: 0,
      B: true,
      L: ['a', 'b'],
      S: 'k',
      U: 'http://x.test/v1',
      E: 'send',
    });
  });

  it('a bad value is one ConfigError naming the variable', () => {
    for (const [k, v, msg] of [
      ['N', '0', /N must be an integer between 1 and 100, got "0"/],
      ['N', '1.5', /N must be an integer/],
      ['N', 'abc', /N must be an integer/],
      ['B', 'maybe', /B must be true or false/],
      ['U', 'ftp://x', /U must be an http or https URL/],
      ['U', 'not a url', /U must be an absolute URL/],
      ['E', 'later', /E must be one of draft, send/],
    ] as const) {
      expect(() => readEnv(decl, { [k]: v }), `${k}=${v}`).toThrow(ConfigError);
      expect(() => readEnv(decl, { [k]: v })).toThrow(msg);
    }
  });

  it('the declaration documents itself: defaults and secrecy reach --help', () => {
    expect(decl.N.default).toBe('10');
    expect(decl.S.secret).toBe(true);
    const help = renderHelp({ bin: 'b', title: 't', description: 'd', version: '0', options: {}, env: decl });
    expect(help).toMatch(/N\s+n Default: 10\./);
    expect(help).toMatch(/S\s+s \(secret\)/);
  });
});

describe('missing credentials', () => {
  it('one error code, naming the variables, where to get them, and the auth command', () => {
    const e = missingCredentials({ what: 'Stripe', vars: ['STRIPE_SECRET_KEY'], how: 'Create a restricted key in the Stripe dashboard.' });
    expect(e.code).toBe('missing_credentials');
    expect(e.message).toBe("Stripe is not configured: set STRIPE_SECRET_KEY in the server's environment.");
    expect(e.details).toEqual({ missing: ['STRIPE_SECRET_KEY'] });
    const g = missingCredentials({ what: 'Google', vars: ['GOOGLE_APPLICATION_CREDENTIALS'], how: 'x', command: 'bizmcp-google auth' });
    expect(g.message).toMatch(/run `bizmcp-google auth` or set GOOGLE_APPLICATION_CREDENTIALS/);
  });
});
