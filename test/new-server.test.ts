// scripts/new-server.mjs makes a package that builds, starts over stdio, lists zero tools and keeps
// the contract; it is made in a scratch copy of the repository's shared files, so the real
// packages/ folder (which other tests scan) never sees it.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer, renderServerDoc, serverConfigEntry, type ServerDef } from '@bizmcp/core';
import { jsonLines, rawStdio } from '@bizmcp/core/testing';

const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'bizmcp-scaffold-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('scripts/new-server.mjs', () => {
  it('creates a server package that builds, starts, lists zero tools and renders its docs', async () => {
    cpSync(join(root, 'tsconfig.base.json'), join(scratch, 'tsconfig.base.json'));
    mkdirSync(join(scratch, 'scripts'));
    cpSync(join(root, 'scripts', 'tsup-preset.mjs'), join(scratch, 'scripts', 'tsup-preset.mjs'));
    mkdirSync(join(scratch, 'packages', 'core'), { recursive: true });
    cpSync(join(root, 'packages', 'core', 'package.json'), join(scratch, 'packages', 'core', 'package.json'));
    cpSync(join(root, 'package.json'), join(scratch, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));

    execFileSync(process.execPath, [join(root, 'scripts', 'new-server.mjs'), 'demo-crm', 'A demo CRM server'], { env: { ...process.env, BIZMCP_ROOT: scratch }, stdio: 'pipe' });
    const dir = join(scratch, 'packages', 'demo-crm');
    for (const f of ['package.json', 'tsconfig.json', 'tsup.config.ts', 'src/index.ts', 'src/server.ts', 'src/state.ts', 'src/tools', 'test/e2e.test.ts', 'README.md'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@bizmcp/demo-crm');
    expect(pkg.bin).toEqual({ 'bizmcp-demo-crm': 'dist/index.js' });
    expect(pkg.engines.node).toMatch(/>=22/);

    // a second run refuses to overwrite it
    expect(() => execFileSync(process.execPath, [join(root, 'scripts', 'new-server.mjs'), 'demo-crm'], { env: { ...process.env, BIZMCP_ROOT: scratch }, stdio: 'pipe' })).toThrow();

    execFileSync(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js')], { cwd: dir, stdio: 'pipe' });
    const run = await rawStdio(join(dir, 'dist', 'index.js'), jsonLines([{ method: 'tools/list' }]));
    expect(run.code).toBe(0);
    expect(run.messages[0].result.serverInfo.name).toBe('bizmcp-demo-crm');
    expect(run.messages[1].result.tools).toEqual([]);

    const def = (await import(join(dir, 'src', 'server.ts'))).default as ServerDef;
    const built = buildServer(def, { argv: ['--read-only'], env: {}, logStream: { write() {} } });
    expect(built.tools).toEqual([]);
    await built.close();
    expect(renderServerDoc(def)).toContain('## Tools (0)');
    expect(serverConfigEntry(def).command).toBe('bizmcp-demo-crm');
  }, 120_000);
});
