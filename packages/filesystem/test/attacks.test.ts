// Tool-level attack suite through a real MCP client. The oracle: a checksum snapshot of everything
// outside the root (an `outside/` sibling, a prefix sibling `root-evil/`) before and after each
// attempt, no new file anywhere outside, and no outside content in any result.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, inChildProcess, SWAP_DIR_FOR_LINK } from '@bizmcp/core/testing';
import server from '../src/server.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'bizmcp-fs-attacks-')));
const root = join(base, 'root');
const outside = join(base, 'outside');
const evil = join(base, 'root-evil');
const SECRET = 'OUTSIDE-SECRET-7c1f';

function reset() {
  for (const f of fs.readdirSync(base)) fs.rmSync(join(base, f), { recursive: true, force: true });
  fs.mkdirSync(join(root, 'sub'), { recursive: true });
  fs.writeFileSync(join(root, 'inside.txt'), 'inside content\n');
  fs.mkdirSync(join(outside, 'dir'), { recursive: true });
  fs.writeFileSync(join(outside, 'secret.txt'), `${SECRET}\n`);
  fs.writeFileSync(join(outside, 'dir', 'inner.txt'), `${SECRET}\n`);
  fs.mkdirSync(evil);
  fs.writeFileSync(join(evil, 'evil.txt'), `${SECRET}\n`);
}

function snapshot(): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of fs.readdirSync(d).sort()) {
      const p = join(d, n);
      if (p === root) continue;
      const st = fs.lstatSync(p);
      out.push(`${p}|${st.mode}|${st.size}|${st.mtimeMs}|${st.isFile() ? createHash('sha256').update(fs.readFileSync(p)).digest('hex') : st.isSymbolicLink() ? fs.readlinkSync(p) : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(base);
  return out.join('\n');
}

beforeEach(reset);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

type Case = { name: string; tool: string; args: Record<string, unknown>; setup?: () => void };
const link = (target: string, at: string) => () => fs.symlinkSync(target, join(root, at));
const O = (p: string) => join(outside, p);

const cases: Case[] = [
  // CVE-2025-53110: a prefix sibling passed a string-prefix check
  { name: 'CVE-2025-53110 prefix sibling read', tool: 'read_text_file', args: { path: join(evil, 'evil.txt') } },
  { name: 'CVE-2025-53110 prefix sibling write', tool: 'write_file', args: { path: join(evil, 'new.txt'), content: 'x' } },
  { name: 'CVE-2025-53110 prefix sibling list', tool: 'list_directory', args: { path: evil } },
  // CVE-2025-53109: a symlink inside the root pointing out
  { name: 'CVE-2025-53109 symlink read', tool: 'read_text_file', args: { path: 'link' }, setup: link(O('secret.txt'), 'link') },
  { name: 'CVE-2025-53109 symlink write', tool: 'write_file', args: { path: 'link', content: 'pwned' }, setup: link(O('secret.txt'), 'link') },
  { name: 'CVE-2025-53109 symlinked dir write', tool: 'write_file', args: { path: 'dlink/new.txt', content: 'pwned' }, setup: link(O('dir'), 'dlink') },
  // every tool that takes a path
  { name: 'read_file absolute outside', tool: 'read_file', args: { path: O('secret.txt') } },
  { name: 'read_file ..', tool: 'read_file', args: { path: '../outside/secret.txt' } },
  { name: 'read_text_file tail through ..', tool: 'read_text_file', args: { path: 'sub/../../outside/secret.txt', tail: 1 } },
  { name: 'read_media_file outside', tool: 'read_media_file', args: { path: O('secret.txt') } },
  { name: 'read_document outside', tool: 'read_document', args: { path: O('secret.txt') } },
  { name: 'read_document through ..', tool: 'read_document', args: { path: '../outside/secret.txt' } },
  { name: 'read_document symlink', tool: 'read_document', args: { path: 'link' }, setup: link(O('secret.txt'), 'link') },
  { name: 'read_binary_file outside', tool: 'read_binary_file', args: { path: O('secret.txt') } },
  { name: 'read_binary_file symlink', tool: 'read_binary_file', args: { path: 'link' }, setup: link(O('secret.txt'), 'link') },
  { name: 'read_multiple_files mixed', tool: 'read_multiple_files', args: { paths: ['inside.txt', O('secret.txt'), '../outside/dir/inner.txt'] } },
  { name: 'get_file_info outside', tool: 'get_file_info', args: { path: O('secret.txt') } },
  { name: 'get_file_info symlink target hidden', tool: 'get_file_info', args: { path: 'link' }, setup: link(O('secret.txt'), 'link') },
  { name: 'list_directory ..', tool: 'list_directory', args: { path: '..' } },
  { name: 'list_directory_with_sizes outside', tool: 'list_directory_with_sizes', args: { path: outside } },
  { name: 'directory_tree outside', tool: 'directory_tree', args: { path: outside } },
  { name: 'directory_tree meets a symlinked dir (not followed)', tool: 'directory_tree', args: { path: '.' }, setup: link(outside, 'out') },
  { name: 'search_files ../** pattern', tool: 'search_files', args: { path: '.', pattern: '../**' } },
  { name: 'search_files through a symlinked dir', tool: 'search_files', args: { path: '.', pattern: '*secret*' }, setup: link(outside, 'out') },
  { name: 'search_files root outside', tool: 'search_files', args: { path: '..', pattern: '*' } },
  { name: 'search_file_contents through a symlinked dir', tool: 'search_file_contents', args: { path: '.', query: SECRET }, setup: link(outside, 'out') },
  { name: 'search_file_contents through a file symlink', tool: 'search_file_contents', args: { path: '.', query: SECRET }, setup: link(O('secret.txt'), 'flink') },
  { name: 'search_file_contents include ../', tool: 'search_file_contents', args: { path: '.', query: SECRET, include: ['../**'] } },
  { name: 'search_file_contents root outside', tool: 'search_file_contents', args: { path: outside, query: SECRET } },
  { name: 'edit_file outside', tool: 'edit_file', args: { path: O('secret.txt'), edits: [{ oldText: SECRET, newText: 'x' }] } },
  { name: 'edit_file through symlink', tool: 'edit_file', args: { path: 'link', edits: [{ oldText: SECRET, newText: 'x' }] }, setup: link(O('secret.txt'), 'link') },
  { name: 'create_directory outside', tool: 'create_directory', args: { path: O('newdir') } },
  { name: 'create_directory through symlinked parent', tool: 'create_directory', args: { path: 'dlink/a/b' }, setup: link(O('dir'), 'dlink') },
  { name: 'move_file destination outside', tool: 'move_file', args: { source: 'inside.txt', destination: O('moved.txt') } },
  { name: 'move_file source outside', tool: 'move_file', args: { source: O('secret.txt'), destination: 'stolen.txt' } },
  { name: 'move_file onto an outside-pointing link', tool: 'move_file', args: { source: 'inside.txt', destination: 'link', overwrite: true }, setup: link(O('secret.txt'), 'link') },
  { name: 'copy_file destination outside', tool: 'copy_file', args: { source: 'inside.txt', destination: O('copied.txt') } },
  { name: 'copy_file source outside', tool: 'copy_file', args: { source: O('secret.txt'), destination: 'stolen.txt' } },
  { name: 'copy_file via symlinked dir destination', tool: 'copy_file', args: { source: 'inside.txt', destination: 'dlink/c.txt' }, setup: link(O('dir'), 'dlink') },
  { name: 'delete_file outside', tool: 'delete_file', args: { path: O('secret.txt') } },
  { name: 'delete_file recursive outside dir via ..', tool: 'delete_file', args: { path: '../outside', recursive: true } },
  { name: 'delete_file symlink removes only the link', tool: 'delete_file', args: { path: 'out', recursive: true }, setup: link(outside, 'out') },
  { name: 'delete_file the root itself', tool: 'delete_file', args: { path: '.', recursive: true } },
  { name: 'dangling symlink written through', tool: 'write_file', args: { path: 'dangle', content: 'x' }, setup: link(O('created-by-attack.txt'), 'dangle') },
  { name: 'dangling symlink overwrite', tool: 'write_file', args: { path: 'dangle', content: 'x', overwrite: true }, setup: link(O('created-by-attack.txt'), 'dangle') },
  { name: 'hard link to an outside file (write)', tool: 'write_file', args: { path: 'hard.txt', content: 'pwned' }, setup: () => fs.linkSync(O('secret.txt'), join(root, 'hard.txt')) },
  {
    name: 'hard link to an outside file (edit)',
    tool: 'edit_file',
    args: { path: 'hard.txt', edits: [{ oldText: SECRET, newText: 'x' }] },
    setup: () => fs.linkSync(O('secret.txt'), join(root, 'hard.txt')),
  },
  { name: 'percent-encoded ..', tool: 'read_text_file', args: { path: '%2e%2e/outside/secret.txt' } },
  { name: 'percent-encoded slash', tool: 'read_text_file', args: { path: '..%2Foutside%2Fsecret.txt' } },
  { name: 'file: URI as path', tool: 'read_text_file', args: { path: pathToFileURL(O('secret.txt')).href } },
  { name: 'unicode two-dot leader', tool: 'read_text_file', args: { path: '\u2025/outside/secret.txt' } },
  { name: 'fullwidth dots and slash', tool: 'read_text_file', args: { path: '\uFF0E\uFF0E\uFF0Foutside\uFF0Fsecret.txt' } },
  { name: 'NUL byte', tool: 'read_text_file', args: { path: 'inside.txt\u0000/../../outside/secret.txt' } },
  { name: 'empty path', tool: 'read_text_file', args: { path: '' } },
  { name: 'whitespace path', tool: 'write_file', args: { path: '   ', content: 'x' } },
  { name: '10 000 components', tool: 'read_text_file', args: { path: 'a/'.repeat(10_000) + '../outside/secret.txt' } },
  { name: 'very long component', tool: 'write_file', args: { path: 'x'.repeat(5000), content: 'x' } },
  { name: 'number instead of string', tool: 'read_text_file', args: { path: 12345 } },
  { name: 'array instead of string', tool: 'read_text_file', args: { path: [O('secret.txt')] } },
  { name: 'object instead of string', tool: 'write_file', args: { path: { toString: O('x') }, content: 'x' } },
  { name: 'null path', tool: 'delete_file', args: { path: null } },
];

describe('filesystem attack suite (state oracle)', () => {
  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  for (const c of cases) {
    it(c.name, async () => {
      c.setup?.();
      const before = snapshot();
      const s = await connectInProcess(server, { argv: [root] });
      let result: unknown;
      try {
        result = await s.client.callTool({ name: c.tool, arguments: c.args });
      } catch (e) {
        result = { protocolError: String(e) };
      }
      await s.close();
      expect(JSON.stringify(result)).not.toContain(SECRET);
      expect(JSON.stringify(result)).not.toContain(outside); // errors never echo outside paths
      expect(snapshot()).toBe(before);
    });
  }

  it('a directory swapped for a symlink while reads and writes run: no leak, no outside change', async () => {
    fs.mkdirSync(join(root, 'race'));
    fs.writeFileSync(join(root, 'race', 'secret.txt'), 'inside version\n');
    const before = snapshot();
    const s = await connectInProcess(server, { argv: [root] });
    fs.mkdirSync(join(base, 'parking'));
    // the swapper runs in its own process: real parallelism against the server's checks
    const swapper = inChildProcess(SWAP_DIR_FOR_LINK, { dir: join(root, 'race'), parked: join(base, 'parking', 'race'), target: outside }, 500);
    let running = true;
    void swapper.finally(() => (running = false));
    const outputs: string[] = [];
    let ok = 0;
    let refused = 0;
    while (running) {
      const rs = await Promise.all([
        s.client.callTool({ name: 'read_text_file', arguments: { path: 'race/secret.txt' } }),
        s.client.callTool({ name: 'write_file', arguments: { path: 'race/written.txt', content: 'x' } }),
        s.client.callTool({ name: 'list_directory', arguments: { path: 'race' } }),
        s.client.callTool({ name: 'get_file_info', arguments: { path: 'race/secret.txt' } }),
        s.client.callTool({ name: 'search_file_contents', arguments: { path: 'race', query: SECRET } }),
      ]);
      for (const r of rs) {
        outputs.push(JSON.stringify(r));
        if (r.isError) refused++;
        else ok++;
      }
      // metadata leaks too: the size must be the inside file's, never the outside one's
      const info = rs[3].structuredContent as { size?: number } | undefined;
      if (!rs[3].isError) expect(info?.size).toBe('inside version\n'.length);
    }
    const swaps = await swapper;
    // whatever state the swapper stopped in: the real directory back in place
    if (fs.lstatSync(join(root, 'race'), { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(join(root, 'race'));
    fs.rmSync(join(base, 'parking'), { recursive: true });
    // the race really ran: the swapper swapped, and calls both succeeded and were refused
    expect(swaps).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(0);
    await s.close();
    expect(ok).toBeGreaterThan(0);
    for (const o of outputs) {
      expect(o).not.toContain(SECRET);
      expect(o).not.toContain('"name":"dir"');
    }
    expect(snapshot()).toBe(before);
  });
});
