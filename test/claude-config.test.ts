// scripts/claude-config.mjs: every entry it prints is launched exactly as Claude Desktop launches it
// (its command, args and env, from a working directory outside the repository) and lists its tools;
// stdout is JSON only; --write merges into an existing config and keeps a backup.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const script = join(root, 'scripts', 'claude-config.mjs');
const work = mkdtempSync(join(tmpdir(), 'bizmcp-claude-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Entry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** Runs the script with only PATH and HOME from this environment (no stray settings). */
function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: work, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('claude-config', () => {
  it('prints only entries that start with what it was given, and each one serves its tools', { timeout: 120_000 }, async () => {
    const docs = join(work, 'My Documents');
    mkdirSync(docs, { recursive: true });
    writeFileSync(join(docs, 'note.txt'), 'hello');
    const r = run(['--dir', docs, '--api-base-url', 'https://api.example.com/v1', '--env', 'BIZMCP_DATA_DIR=' + join(work, 'pgdata')], { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/nope' });
    expect(r.code, r.stderr).toBe(0);
    const { mcpServers } = JSON.parse(r.stdout) as { mcpServers: Record<string, Entry> };
    // JSON only on stdout: it parsed whole; what was left out is said on stderr
    expect(Object.keys(mcpServers).sort()).toEqual(['bizmcp-database', 'bizmcp-filesystem', 'bizmcp-http-api', 'bizmcp-scraping']);
    expect(r.stderr).toMatch(/email left out: set EMAIL_ADDRESS/);
    expect(r.stderr).toMatch(/stripe left out/);
    // the database stays on the embedded default: a DATABASE_URL in the shell is not taken
    expect(mcpServers['bizmcp-database'].env?.DATABASE_URL).toBeUndefined();
    expect(mcpServers['bizmcp-filesystem'].args.slice(1)).toEqual([docs]);
    for (const [name, e] of Object.entries(mcpServers)) {
      // as Claude Desktop does: its own environment (here a bare one) plus the entry's env, cwd elsewhere
      const transport = new StdioClientTransport({ command: e.command, args: e.args, env: { HOME: work, ...(e.env ?? {}) }, cwd: tmpdir(), stderr: 'pipe' });
      const client = new Client({ name: 'claude-config-test', version: '0' });
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.length, name).toBeGreaterThan(3);
      if (name === 'bizmcp-filesystem') {
        const read = await client.callTool({ name: 'read_text_file', arguments: { path: join(docs, 'note.txt') } });
        expect(read.isError, name).toBeFalsy();
      }
      if (name === 'bizmcp-database') {
        const q = await client.callTool({ name: 'execute_query', arguments: { sql: 'SELECT 1 + 1 AS two' } }, undefined, { timeout: 60_000 });
        expect(q.structuredContent, name).toMatchObject({ rows: [{ two: 2 }] });
      }
      await client.close();
    }
  });

  it('--servers names exactly what to configure, and says what a named server lacks', () => {
    const only = run(['--servers', 'database,scraping']);
    expect(only.code).toBe(0);
    expect(Object.keys(JSON.parse(only.stdout).mcpServers).sort()).toEqual(['bizmcp-database', 'bizmcp-scraping']);
    const lacking = run(['--servers', 'email']);
    expect(lacking.code).toBe(2);
    expect(lacking.stdout).toBe('');
    expect(lacking.stderr).toMatch(/email: set EMAIL_ADDRESS/);
    const withEnv = run(['--servers', 'stripe', '--env', 'STRIPE_SECRET_KEY=rk_test_abc']);
    expect(JSON.parse(withEnv.stdout).mcpServers['bizmcp-stripe'].env).toEqual({ STRIPE_SECRET_KEY: 'rk_test_abc' });
    expect(run(['--dir', join(work, 'missing')]).stderr).toMatch(/is not an existing directory/);
  });

  it("knows each platform's Claude Desktop config file", async () => {
    const { claudeConfigFile } = await import('../scripts/lib/claude-paths.mjs');
    expect(claudeConfigFile({ platform: 'darwin', env: {}, home: '/Users/ana' })).toBe('/Users/ana/Library/Application Support/Claude/claude_desktop_config.json');
    expect(claudeConfigFile({ platform: 'win32', env: { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, home: 'C:\\Users\\ana' })).toBe(
      'C:\\Users\\ana\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
    );
    expect(claudeConfigFile({ platform: 'win32', env: {}, home: 'C:\\Users\\ana' })).toBe('C:\\Users\\ana\\AppData\\Roaming\\Claude\\claude_desktop_config.json');
    expect(claudeConfigFile({ platform: 'linux', env: {}, home: '/home/ana' })).toBe('/home/ana/.config/Claude/claude_desktop_config.json');
    expect(claudeConfigFile({ platform: 'linux', env: { XDG_CONFIG_HOME: '/cfg' }, home: '/home/ana' })).toBe('/cfg/Claude/claude_desktop_config.json');
  });

  it('--write merges into the existing config file and keeps a backup', () => {
    const dir = join(work, 'Claude');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'claude_desktop_config.json');
    const before = { globalShortcut: 'Ctrl+Space', mcpServers: { mine: { command: 'my-server', args: [] }, 'bizmcp-scraping': { command: 'old', args: [] } } };
    writeFileSync(file, JSON.stringify(before));
    const r = run(['--servers', 'scraping', '--write', '--config-file', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const after = JSON.parse(readFileSync(file, 'utf8'));
    expect(after.globalShortcut).toBe('Ctrl+Space');
    expect(after.mcpServers.mine).toEqual({ command: 'my-server', args: [] });
    expect(after.mcpServers['bizmcp-scraping'].command).not.toBe('old');
    const backups = readdirSync(dir).filter((f) => f.endsWith('.bak'));
    expect(backups).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, backups[0]), 'utf8'))).toEqual(before);
    // without --config-file, the platform's location (here under HOME/.config on Linux)
    const home = run(['--servers', 'scraping', '--write']);
    expect(home.code, home.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(work, '.config', 'Claude', 'claude_desktop_config.json'), 'utf8')).mcpServers['bizmcp-scraping']).toBeDefined();
    // a config that is not JSON is left alone
    writeFileSync(file, '{ not json');
    const broken = run(['--servers', 'scraping', '--write', '--config-file', file]);
    expect(broken.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
  });
});
