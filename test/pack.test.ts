// Each server packs into a tarball that runs with `npx -y --package=./that.tgz bizmcp-X` outside
// the workspace: the bundle carries core, and the tarball's dependencies are only what must stay
// external. The tarball's manifest has no workspace reference and `npm publish --dry-run` accepts
// it. Runs against the built dist/ of every server package.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { networkEnv } from './npm-env.js';

const root = join(import.meta.dirname, '..');
const pnpm = join(root, 'scripts', 'pnpm.mjs');
const work = mkdtempSync(join(tmpdir(), 'bizmcp-pack-'));
const servers = readdirSync(join(root, 'packages')).filter((p) => p !== 'core' && existsSync(join(root, 'packages', p, 'src', 'server.ts')));

afterAll(() => rmSync(work, { recursive: true, force: true }));

// How each server starts with nothing configured (embedded defaults or a temp directory).
const startArgs: Record<string, (dir: string) => { args: string[]; env: Record<string, string> }> = {
  filesystem: (dir) => ({ args: [dir], env: {} }),
  database: (dir) => ({ args: [], env: { BIZMCP_DATA_DIR: dir } }),
};

describe('packed servers run with npx outside the workspace', () => {
  it('has server packages', () => expect(servers.length).toBeGreaterThan(0));

  for (const name of servers) {
    it(`bizmcp-${name}`, () => {
      const pkgDir = join(root, 'packages', name);
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
      expect(existsSync(join(pkgDir, 'dist', 'index.js')), `build ${name} first`).toBe(true);
      expect(pkg.bin[`bizmcp-${name}`]).toBe('dist/index.js');
      // workspace-only packages must not leak into the published dependencies
      for (const dep of Object.keys(pkg.dependencies ?? {})) expect(dep.startsWith('@bizmcp/')).toBe(false);

      const dest = join(work, name);
      execFileSync(process.execPath, [pnpm, 'pack', '--pack-destination', dest], { cwd: pkgDir, stdio: ['ignore', 'pipe', 'pipe'] });
      const tgz = join(dest, readdirSync(dest).find((f) => f.endsWith('.tgz'))!);
      // what npm users get: no workspace or unpublished reference, the license and the registry entry
      const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
      expect(JSON.stringify({ ...manifest, name: undefined })).not.toMatch(/workspace:|@bizmcp\//);
      expect(manifest.devDependencies).toBeUndefined();
      expect(manifest.mcpName).toBe(JSON.parse(readFileSync(join(pkgDir, 'server.json'), 'utf8')).name);
      const listed = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
      for (const f of ['package/LICENSE', 'package/README.md', 'package/server.json', 'package/dist/index.js']) expect(listed, f).toContain(f);
      const publish = spawnSync('npm', ['publish', '--dry-run', '--access', 'public', tgz], {
        cwd: work,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...networkEnv, PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false' },
      });
      expect(publish.status, publish.stderr.slice(-2000)).toBe(0);
      const run = join(work, `${name}-run`);
      execFileSync('mkdir', ['-p', run]);
      const { args, env } = (startArgs[name] ?? (() => ({ args: [], env: {} })))(run);
      const npx = (extra: string[], input = '') =>
        spawnSync('npx', ['-y', `--package=${tgz}`, `bizmcp-${name}`, ...extra], {
          cwd: run,
          input,
          encoding: 'utf8',
          timeout: 240_000,
          env: { ...networkEnv, PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false', ...env },
        });
      const version = npx(['--version']);
      expect(version.status, version.stderr).toBe(0);
      // npm may print its own warnings on stderr too
      expect(version.stderr.split('\n').map((l) => l.trim())).toContain(`bizmcp-${name} ${pkg.version}`);

      const lines = [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'npx', version: '0' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      ];
      const r = npx(args, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      const msgs = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(msgs.find((m) => m.id === 1)?.result?.serverInfo?.name).toBe(`bizmcp-${name}`);
      expect(msgs.find((m) => m.id === 2)?.result?.tools?.length).toBeGreaterThan(0);
    }, 300_000);
  }
});
