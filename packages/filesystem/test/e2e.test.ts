// The built binary end to end: the SDK client over stdio, raw JSON-RPC lines on stdin (the
// seed's manual test), configuration errors, and roots from ALLOWED_PATHS.
import * as fs from 'node:fs';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio, textOf } from '@bizmcp/core/testing';

const bin = builtBin('filesystem');
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'bizmcp-fs-e2e-')));

beforeAll(() => {
  fs.writeFileSync(join(dir, 'notes.txt'), 'alpha\nbeta\ngamma\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bizmcp-filesystem binary', () => {
  it('serves the SDK client over stdio', async () => {
    const s = await spawnStdio(bin, { args: [dir] });
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['read_file', 'write_file', 'list_directory', 'search_file_contents']));
    const w = await s.client.callTool({ name: 'write_file', arguments: { path: 'made.txt', content: 'over stdio' } });
    expect(w.isError).toBeFalsy();
    expect(fs.readFileSync(join(dir, 'made.txt'), 'utf8')).toBe('over stdio');
    const r = await s.client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'notes.txt'), tail: 1 } });
    expect(textOf(r as never)).toBe('gamma');
    const denied = await s.client.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } });
    expect(denied.isError).toBe(true);
    await s.close();
    expect(s.stderr()).not.toContain('"level":50');
  });

  it('answers raw JSON-RPC lines piped into stdin, then exits', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }, { method: 'tools/call', params: { name: 'list_directory', arguments: { path: dir } } }]) + 'oops\n', {
      env: { ALLOWED_PATHS: dir },
    });
    expect(run.code).toBe(0);
    const byId = new Map(run.messages.map((m) => [m.id, m]));
    expect(byId.get(1).result.tools.length).toBe(19);
    expect(byId.get(2).result.content[0].text).toContain('[FILE] notes.txt');
    expect(run.messages.find((m) => m.id === null)?.error.code).toBe(-32700);
  });

  it("keeps Node's compile cache in the user's own cache directory, never in one others can write to", async () => {
    const home = mkdtempSync(join(tmpdir(), 'bizmcp-fs-cache-'));
    const filesIn = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0);
    const list = jsonLines([{ method: 'tools/list' }]);
    const run = async (env: Record<string, string>) => {
      const r = await rawStdio(bin, list, { env: { ALLOWED_PATHS: dir, ...env } });
      expect(r.code).toBe(0);
      expect(r.messages.find((m) => m.id === 1).result.tools.length).toBe(19);
    };
    try {
      const own = join(home, 'own', 'bizmcp', 'node-compile-cache');
      await run({ XDG_CACHE_HOME: join(home, 'own') });
      expect(fs.statSync(own).mode & 0o777).toBe(0o700);
      const cached = filesIn(own);
      expect(cached).toBeGreaterThan(0);
      await run({ XDG_CACHE_HOME: join(home, 'own') }); // a second start reads what the first wrote
      expect(filesIn(own)).toBe(cached);
      // a cache directory others can write to could hold planted code: not used
      const open = join(home, 'open', 'bizmcp', 'node-compile-cache');
      fs.mkdirSync(open, { recursive: true });
      fs.chmodSync(open, 0o777);
      await run({ XDG_CACHE_HOME: join(home, 'open') });
      expect(filesIn(open)).toBe(0);
      // Node's own switch turns it off
      await run({ XDG_CACHE_HOME: join(home, 'off'), NODE_DISABLE_COMPILE_CACHE: '1' });
      expect(filesIn(join(home, 'off'))).toBe(0);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('--read-only lists only reading tools', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }]), { args: ['--read-only', dir] });
    const names = run.messages.find((m) => m.id === 1).result.tools.map((t: { name: string }) => t.name);
    expect(names).not.toContain('write_file');
    expect(names).toContain('read_text_file');
  });

  it('a missing directory is one clear line and exit 1', async () => {
    const run = await rawStdio(bin, '', { args: [join(dir, 'nope')] });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(`bizmcp-filesystem: allowed directory ${join(dir, 'nope')} does not exist or cannot be read`);
  });

  it('a missing directory among others is skipped with a warning; the others serve', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/call', params: { name: 'list_allowed_directories', arguments: {} } }]), { args: [join(dir, 'nope'), dir] });
    expect(run.code).toBe(0);
    expect(run.messages.find((m) => m.id === 1).result.structuredContent.directories).toEqual([dir]);
    expect(run.stderr).toMatch(/allowed directory \S*nope does not exist or cannot be read: skipped, the others are used/);
    const none = await rawStdio(bin, '', { args: [join(dir, 'nope'), join(dir, 'gone')] });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no usable allowed directory: .*nope.*gone/);
  });
});
