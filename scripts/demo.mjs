#!/usr/bin/env node
// The demo (the project's main job): launches every built server package over stdio with the SDK
// Client on embedded defaults, prints its tools and the result of representative calls, and exits 0.
// Each package describes its demo in packages/<name>/demo.mjs:
//   export default { async prepare() { return { args, env, calls: [{ name, arguments }], cleanup } } }
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { root } from './lib/pnpm-path.mjs';

const only = process.argv.slice(2);
const out = (s = '') => process.stdout.write(s + '\n');
const clip = (s, n = 600) => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s);

let failures = 0;
const packages = readdirSync(join(root, 'packages')).filter((p) => p !== 'core' && (!only.length || only.includes(p)));
for (const pkg of packages.sort()) {
  const dir = join(root, 'packages', pkg);
  const bin = join(dir, 'dist', 'index.js');
  const demoFile = join(dir, 'demo.mjs');
  if (!existsSync(bin) || !existsSync(demoFile)) continue;
  const demo = (await import(pathToFileURL(demoFile).href)).default;
  const plan = await demo.prepare();
  out(`\n=== bizmcp-${pkg} ${plan.note ? `(${plan.note})` : ''}`);
  const started = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, ...(plan.args ?? [])],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...(plan.env ?? {}) },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'bizmcp-demo', version: '0.1.0' });
  try {
    await client.connect(transport);
    out(`initialize answered in ${Math.round(performance.now() - started)} ms`);
    const { tools } = await client.listTools();
    out(`${tools.length} tools: ${tools.map((t) => t.name).join(', ')}`);
    for (const call of plan.calls ?? []) {
      const t0 = performance.now();
      const r = await client.callTool({ name: call.name, arguments: call.arguments ?? {} }, undefined, { timeout: 120_000 });
      const text = (r.content ?? [])
        .filter((c) => c.type === 'text')
        .map((c) => c.text)
        .join('\n');
      const images = (r.content ?? []).filter((c) => c.type === 'image').length;
      out(`\n> ${call.name} ${JSON.stringify(call.arguments ?? {})}  [${Math.round(performance.now() - t0)} ms${r.isError ? ', error' : ''}${images ? `, ${images} image(s)` : ''}]`);
      out(clip(text, call.clip ?? 600));
      if (r.isError && !call.expectError) failures++;
    }
  } catch (err) {
    failures++;
    out(`demo of ${pkg} failed: ${err.message}\n${stderr.slice(-1500)}`);
  } finally {
    await client.close().catch(() => {});
    await plan.cleanup?.();
  }
}
out(failures ? `\n${failures} demo call(s) failed` : '\nAll demo calls succeeded.');
process.exit(failures ? 1 : 0);
