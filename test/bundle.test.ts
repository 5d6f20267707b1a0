// MCP Bundles: `npm run bundle` builds one .mcpb per server (manifest checked by `mcpb validate`);
// each is unpacked and started the way Claude Desktop starts it (the manifest's command and args,
// ${__dirname} and the user_config values substituted, from a directory outside the repository),
// lists its tools and answers a call.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { networkEnv } from './npm-env.js';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'bizmcp-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const servers = readdirSync(join(root, 'packages')).filter((p) => p !== 'core' && existsSync(join(root, 'packages', p, 'src', 'server.ts')));
const mcpb = join(root, 'node_modules', '.bin', 'mcpb');

interface Manifest {
  name: string;
  server: { entry_point: string; mcp_config: { command: string; args?: string[]; env?: Record<string, string> } };
  user_config?: Record<string, { type: string; required?: boolean; sensitive?: boolean; default?: unknown; multiple?: boolean }>;
}

/** What Claude Desktop does with the manifest: ${__dirname} and ${user_config.x} replaced (a multiple value spreads into several arguments). */
function launch(m: Manifest, dir: string, values: Record<string, string | string[]>) {
  const value = (key: string) => values[key] ?? (m.user_config?.[key]?.default as string | undefined) ?? '';
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the bundle's placeholder
  const sub = (s: string) => s.replaceAll('${__dirname}', dir).replace(/\$\{user_config\.([a-z0-9_]+)\}/g, (_, k) => String(value(k)));
  const args = (m.server.mcp_config.args ?? []).flatMap((a) => {
    const whole = /^\$\{user_config\.([a-z0-9_]+)\}$/.exec(a);
    const v = whole ? value(whole[1]) : undefined;
    return Array.isArray(v) ? v : [sub(a)];
  });
  const env = Object.fromEntries(Object.entries(m.server.mcp_config.env ?? {}).map(([k, v]) => [k, sub(v)]));
  return { command: m.server.mcp_config.command === 'node' ? process.execPath : m.server.mcp_config.command, args, env };
}

describe('MCP bundles', () => {
  it('npm run bundle builds a valid .mcpb per server; each starts as Claude Desktop starts it and answers', { timeout: 900_000 }, async () => {
    const out = join(work, 'bundles');
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), '--out', out], {
      encoding: 'utf8',
      timeout: 840_000,
      env: { ...networkEnv, PATH: process.env.PATH ?? '', HOME: work, npm_config_cache: join(work, 'npm-cache') },
    });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const files = readdirSync(out).filter((f) => f.endsWith('.mcpb'));
    expect(files.map((f) => f.replace(/-\d.*$/, '')).sort()).toEqual(servers.map((s) => `bizmcp-${s}`).sort());

    const docs = join(work, 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'a.txt'), 'bundled');
    for (const file of files) {
      const dir = join(work, 'unpacked', file);
      const u = spawnSync(mcpb, ['unpack', join(out, file), dir], { encoding: 'utf8' });
      expect(u.status, u.stderr).toBe(0);
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(existsSync(join(dir, m.server.entry_point)), `${file}: entry point`).toBe(true);
      expect(spawnSync(mcpb, ['validate', join(dir, 'manifest.json')], { encoding: 'utf8' }).status, `${file}: mcpb validate`).toBe(0);
      // secrets are asked for as sensitive values, never with a default that is a real value
      for (const [k, o] of Object.entries(m.user_config ?? {})) if (/(token|_key|password|secret)$/.test(k)) expect(o.sensitive, `${file}: ${k}`).toBe(true);
      const name = m.name.replace(/^bizmcp-/, '');
      const { command, args, env } = launch(m, dir, name === 'filesystem' ? { directories: [docs] } : {});
      const transport = new StdioClientTransport({ command, args, env: { HOME: work, PATH: process.env.PATH ?? '', ...env }, cwd: tmpdir(), stderr: 'pipe' });
      const client = new Client({ name: 'bundle-test', version: '0' });
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.length, file).toBeGreaterThan(3);
      if (name === 'filesystem') {
        const read = await client.callTool({ name: 'read_text_file', arguments: { path: join(docs, 'a.txt') } });
        expect(JSON.stringify(read.content)).toContain('bundled');
      } else if (name === 'database') {
        const q = await client.callTool({ name: 'execute_query', arguments: { sql: 'SELECT 1 + 1 AS two' } }, undefined, { timeout: 60_000 });
        expect(q.structuredContent, file).toMatchObject({ rows: [{ two: 2 }] });
      } else {
        // unconfigured: the first read-only tool answers (with what to set, for a server that needs credentials)
        const t = tools.find((x) => x.annotations?.readOnlyHint) ?? tools[0];
        const res = await client.callTool({ name: t.name, arguments: {} });
        expect(Array.isArray(res.content), `${file} ${t.name}`).toBe(true);
        expect(JSON.stringify(res.content)).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND|is not a function/);
      }
      await client.close();
    }
  });
});
