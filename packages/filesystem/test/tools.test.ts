// Every filesystem tool through the SDK client, in-process.
import * as fs from 'node:fs';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import server from '../src/server.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'bizmcp-fs-tools-')));
const root = join(base, 'root');
let s: InProcess;

// 1x1 PNG
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

beforeEach(async () => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(join(root, 'src', 'lib'), { recursive: true });
  fs.mkdirSync(join(root, 'node_modules', 'pkg'), { recursive: true });
  fs.writeFileSync(join(root, 'README.md'), '# Title\n\nSome text about invoices.\n');
  fs.writeFileSync(join(root, 'src', 'main.ts'), Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
  fs.writeFileSync(join(root, 'src', 'lib', 'util.ts'), 'export const invoiceTotal = 1;\nexport const other = 2;\n');
  fs.writeFileSync(join(root, 'src', 'crlf.txt'), 'alpha\r\n    beta\r\ngamma\r\n');
  fs.writeFileSync(join(root, 'node_modules', 'pkg', 'index.js'), 'invoice in a dependency');
  fs.writeFileSync(join(root, 'image.png'), PNG);
  fs.writeFileSync(join(root, 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));
  s = await connectInProcess(server, { argv: [root] });
});
afterEach(() => s.close());
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('reading', () => {
  it('read_text_file: whole, head, tail, offset/limit', async () => {
    const whole = await s.ok('read_text_file', { path: join(root, 'README.md') });
    expect(whole).toMatchObject({ content: '# Title\n\nSome text about invoices.\n', lines: 3, truncated: false });
    expect((await s.ok('read_text_file', { path: 'src/main.ts', head: 2 })).content).toBe('line 1\nline 2');
    expect((await s.ok('read_text_file', { path: 'src/main.ts', tail: 3 })).content).toBe('line 98\nline 99\nline 100');
    const win = await s.ok('read_text_file', { path: 'src/main.ts', offset: 10, limit: 5 });
    expect(win).toMatchObject({ content: 'line 11\nline 12\nline 13\nline 14\nline 15', startLine: 11, truncated: true, nextOffset: 15 });
    const r = await s.call('read_text_file', { path: 'src/main.ts', head: 1, tail: 1 });
    expect(textOf(r)).toMatch(/only one of head, tail/);
    const bin = await s.call('read_text_file', { path: 'blob.bin' });
    expect(textOf(bin)).toMatch(/Binary file/);
  });

  it('read_file is the seed name of read_text_file', async () => {
    expect((await s.ok('read_file', { path: 'README.md' })).content).toContain('invoices');
  });

  it('reads large files in windows under the read cap', async () => {
    const big = await connectInProcess(server, { argv: [root], env: { FS_MAX_READ_BYTES: '100' } });
    const r = await big.ok('read_text_file', { path: 'src/main.ts' });
    expect(r.truncated).toBe(true);
    expect(r.content.length).toBeLessThanOrEqual(100);
    const next = await big.ok('read_text_file', { path: 'src/main.ts', offset: r.nextOffset, limit: 2 });
    expect(next.content.startsWith(`line ${r.nextOffset + 1}`)).toBe(true);
    await big.close();
  });

  it('read_media_file returns image content with its MIME type, and caps size', async () => {
    const r = await s.call('read_media_file', { path: 'image.png' });
    expect(r.structuredContent).toMatchObject({ mimeType: 'image/png', kind: 'image', size: PNG.length });
    const img = r.content.find((c) => c.type === 'image') as { data: string; mimeType: string };
    expect(Buffer.from(img.data, 'base64').equals(PNG)).toBe(true);
    expect(textOf(await s.call('read_media_file', { path: 'README.md' }))).toMatch(/Not an image or audio/);
    const small = await connectInProcess(server, { argv: [root], env: { FS_MAX_MEDIA_BYTES: '10' } });
    expect(textOf(await small.call('read_media_file', { path: 'image.png' }))).toMatch(/File too large/);
    await small.close();
  });

  it('read_multiple_files: one failure does not fail the others', async () => {
    const r = await s.ok('read_multiple_files', { paths: ['README.md', 'missing.txt', '/etc/passwd', 'src/lib/util.ts'] });
    expect(r.files.map((f: { ok: boolean }) => f.ok)).toEqual([true, false, false, true]);
    expect(r.files[1].error).toMatch(/Not found/);
    expect(r.files[2].error).toMatch(/outside the allowed/);
  });

  it('get_file_info and list_allowed_directories', async () => {
    const info = await s.ok('get_file_info', { path: 'README.md' });
    expect(info).toMatchObject({ type: 'file', size: 35, links: 1 });
    expect(info.permissions).toMatch(/^[0-7]{3,4}$/);
    expect(await s.ok('list_allowed_directories')).toEqual({ directories: [root] });
  });
});

describe('listing and searching', () => {
  it('list_directory with paging, and list_directory_with_sizes sorted by size', async () => {
    const l = await s.ok('list_directory', { path: '.', limit: 3 });
    expect(l.entries.map((e: { name: string }) => e.name)).toEqual(['README.md', 'blob.bin', 'image.png']);
    expect(l).toMatchObject({ total: 5, truncated: true, nextOffset: 3 });
    expect(textOf(await s.call('list_directory', { path: '.' }))).toContain('[DIR] src');
    const sized = await s.ok('list_directory_with_sizes', { path: '.', sortBy: 'size' });
    expect(sized.entries[0].name).toBe('image.png');
    expect(sized.totals).toMatchObject({ files: 3, directories: 2 });
  });

  it('directory_tree with excludes, depth and entry caps', async () => {
    const t = await s.ok('directory_tree', { path: '.', excludePatterns: ['node_modules'] });
    const names = t.tree.map((n: { name: string }) => n.name);
    expect(names).toContain('src');
    expect(names).not.toContain('node_modules');
    const src = t.tree.find((n: { name: string }) => n.name === 'src');
    expect(src.children.map((n: { name: string }) => n.name)).toEqual(['crlf.txt', 'lib', 'main.ts']);
    const shallow = await s.ok('directory_tree', { path: '.', maxDepth: 1 });
    expect(shallow.tree.find((n: { name: string }) => n.name === 'src').children).toEqual([]);
    const capped = await s.ok('directory_tree', { path: '.', maxEntries: 2 });
    expect(capped).toMatchObject({ entries: 2, truncated: true });
  });

  it('search_files by name glob and by relative path glob, with excludes and paging', async () => {
    const ts = await s.ok('search_files', { path: '.', pattern: '*.ts' });
    expect(ts.matches.sort()).toEqual([join(root, 'src/lib/util.ts'), join(root, 'src/main.ts')]);
    const rel = await s.ok('search_files', { path: '.', pattern: 'src/lib/*.ts' });
    expect(rel.matches).toEqual([join(root, 'src/lib/util.ts')]);
    const noNm = await s.ok('search_files', { path: '.', pattern: '*.js', excludePatterns: ['node_modules'] });
    expect(noNm.matches).toEqual([]);
    const page = await s.ok('search_files', { path: '.', pattern: '*', maxResults: 2 });
    expect(page).toMatchObject({ truncated: true, nextOffset: 2 });
  });

  it('search_file_contents: literal, regex, case, include/exclude, context, binary skipped', async () => {
    const lit = await s.ok('search_file_contents', { path: '.', query: 'INVOICE' });
    expect(lit.matches.map((m: { path: string }) => m.path).sort()).toEqual([join(root, 'README.md'), join(root, 'node_modules/pkg/index.js'), join(root, 'src/lib/util.ts')]);
    const cs = await s.ok('search_file_contents', { path: '.', query: 'INVOICE', caseSensitive: true });
    expect(cs.matches).toEqual([]);
    const re = await s.ok('search_file_contents', { path: '.', query: '^line 5\\d$', regex: true, include: ['*.ts'] });
    expect(re.matches.map((m: { line: number }) => m.line)).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
    const ctx = await s.ok('search_file_contents', { path: 'src', query: 'line 50', contextLines: 2, exclude: ['lib'] });
    expect(ctx.matches[0]).toMatchObject({ line: 50, before: ['line 48', 'line 49'], after: ['line 51', 'line 52'] });
    const capped = await s.ok('search_file_contents', { path: '.', query: 'line', maxResults: 3 });
    expect(capped).toMatchObject({ truncated: true, nextOffset: 3 });
    expect(capped.matches).toHaveLength(3);
    const bin = await s.ok('search_file_contents', { path: '.', query: '\u0001' });
    expect(bin.matches).toEqual([]);
    expect(bin.filesSkipped).toBeGreaterThanOrEqual(2);
    expect(textOf(await s.call('search_file_contents', { path: '.', query: '(', regex: true }))).toMatch(/invalid regular expression/);
  });

  it('search_file_contents: a literal is found in any case around its caseless part, in files past the read buffer, within maxFileBytes', async () => {
    fs.mkdirSync(join(root, 'big'));
    // 300 000 bytes (past the 256 KiB first read), the match in the last line
    const big = `${'filler line\n'.repeat(24_999)}Total DUE: 4 242,00 €\n`;
    fs.writeFileSync(join(root, 'big', 'ledger.txt'), big);
    fs.writeFileSync(join(root, 'big', 'note.txt'), 'total due: 4 242,00 € (see ledger)\n');
    fs.writeFileSync(join(root, 'big', 'other.txt'), 'total due: 4 243,00 €\n');
    const found = await s.ok('search_file_contents', { path: 'big', query: 'TOTAL due: 4 242,00 €' });
    expect(found.matches.map((m: { path: string; line: number }) => `${m.path.slice(root.length + 5)}:${m.line}`).sort()).toEqual(['ledger.txt:25000', 'note.txt:1']);
    // no caseless part at all: compared in lower case
    expect((await s.ok('search_file_contents', { path: 'big', query: 'ToTaL' })).matches).toHaveLength(3);
    // maxFileBytes: a file of exactly the cap is read, one byte over is skipped
    const size = Buffer.byteLength(big);
    const at = await s.ok('search_file_contents', { path: 'big', query: '4 242', maxFileBytes: size, include: ['ledger.txt'] });
    expect(at).toMatchObject({ filesScanned: 1, filesSkipped: 0 });
    expect(at.matches).toHaveLength(1);
    const over = await s.ok('search_file_contents', { path: 'big', query: '4 242', maxFileBytes: size - 1, include: ['ledger.txt'] });
    expect(over).toMatchObject({ filesScanned: 0, filesSkipped: 1, matches: [] });
    const small = await s.ok('search_file_contents', { path: 'big', query: '4 242', maxFileBytes: 100 });
    expect(small).toMatchObject({ filesScanned: 2, filesSkipped: 1 });
    fs.rmSync(join(root, 'big'), { recursive: true });
  });
});

describe('writing', () => {
  it('write_file creates and replaces atomically; overwrite: false refuses', async () => {
    expect(await s.ok('write_file', { path: 'new/../out.txt', content: 'one' })).toMatchObject({ created: true, bytes: 3 });
    expect(await s.ok('write_file', { path: 'out.txt', content: 'two' })).toMatchObject({ created: false });
    expect(fs.readFileSync(join(root, 'out.txt'), 'utf8')).toBe('two');
    expect(textOf(await s.call('write_file', { path: 'out.txt', content: 'three', overwrite: false }))).toMatch(/Already exists/);
    expect(textOf(await s.call('write_file', { path: 'nodir/x.txt', content: 'x' }))).toMatch(/Parent directory does not exist/);
  });

  it('edit_file: exact and whitespace-tolerant matches, CRLF kept, dry run, all-or-nothing', async () => {
    const dry = await s.ok('edit_file', { path: 'src/lib/util.ts', edits: [{ oldText: 'invoiceTotal = 1', newText: 'invoiceTotal = 42' }], dryRun: true });
    expect(dry.diff).toContain('-export const invoiceTotal = 1;');
    expect(dry.diff).toContain('+export const invoiceTotal = 42;');
    expect(fs.readFileSync(join(root, 'src/lib/util.ts'), 'utf8')).toContain('= 1;');
    await s.ok('edit_file', { path: 'src/lib/util.ts', edits: [{ oldText: 'invoiceTotal = 1', newText: 'invoiceTotal = 42' }] });
    expect(fs.readFileSync(join(root, 'src/lib/util.ts'), 'utf8')).toContain('= 42;');
    // whitespace differences and LF edits against a CRLF file
    await s.ok('edit_file', { path: 'src/crlf.txt', edits: [{ oldText: 'alpha\nbeta', newText: 'ALPHA\nBETA' }] });
    expect(fs.readFileSync(join(root, 'src/crlf.txt'), 'utf8')).toBe('ALPHA\r\nBETA\r\ngamma\r\n');
    // one bad edit: nothing written
    const before = fs.readFileSync(join(root, 'src/main.ts'), 'utf8');
    const bad = await s.call('edit_file', {
      path: 'src/main.ts',
      edits: [
        { oldText: 'line 1\n', newText: 'first\n' },
        { oldText: 'no such text', newText: 'x' },
      ],
    });
    expect(textOf(bad)).toMatch(/edits.1.oldText was not found/);
    const dup = await s.call('edit_file', { path: 'src/main.ts', edits: [{ oldText: 'line 9', newText: 'x' }] });
    expect(textOf(dup)).toMatch(/edits.0.oldText matches more than once/);
    expect(fs.readFileSync(join(root, 'src/main.ts'), 'utf8')).toBe(before);
  });

  it('create_directory, move_file, copy_file, delete_file', async () => {
    expect(await s.ok('create_directory', { path: 'a/b/c' })).toMatchObject({ created: true });
    expect(await s.ok('create_directory', { path: 'a/b/c' })).toMatchObject({ created: false });
    await s.ok('copy_file', { source: 'README.md', destination: 'a/readme-copy.md' });
    expect(fs.readFileSync(join(root, 'a/readme-copy.md'), 'utf8')).toContain('invoices');
    expect(textOf(await s.call('copy_file', { source: 'README.md', destination: 'a/readme-copy.md' }))).toMatch(/Already exists/);
    await s.ok('move_file', { source: 'a/readme-copy.md', destination: 'a/b/moved.md' });
    expect(fs.existsSync(join(root, 'a/b/moved.md'))).toBe(true);
    expect(textOf(await s.call('move_file', { source: 'README.md', destination: 'a/b/moved.md' }))).toMatch(/already exists/);
    await s.ok('move_file', { source: 'README.md', destination: 'a/b/moved.md', overwrite: true });
    expect(textOf(await s.call('delete_file', { path: 'a' }))).toMatch(/recursive: true/);
    expect(await s.ok('delete_file', { path: 'a', recursive: true })).toMatchObject({ type: 'directory' });
    expect(fs.existsSync(join(root, 'a'))).toBe(false);
    expect(await s.ok('delete_file', { path: 'blob.bin' })).toMatchObject({ type: 'file' });
  });
});

describe('server behaviour', () => {
  it('annotations: read tools read-only, writes destructive; --read-only keeps only readers', async () => {
    const { tools } = await s.client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const n of [
      'read_file',
      'read_text_file',
      'read_media_file',
      'read_multiple_files',
      'list_directory',
      'list_directory_with_sizes',
      'directory_tree',
      'search_files',
      'search_file_contents',
      'get_file_info',
      'list_allowed_directories',
      'read_document',
      'read_binary_file',
    ]) {
      expect(byName[n].annotations?.readOnlyHint, n).toBe(true);
      expect(byName[n].outputSchema, n).toBeDefined();
    }
    for (const n of ['write_file', 'edit_file', 'move_file', 'delete_file', 'copy_file']) expect(byName[n].annotations?.destructiveHint, n).toBe(true);
    expect(tools).toHaveLength(19);
    const ro = await connectInProcess(server, { argv: ['--read-only', root] });
    const names = (await ro.client.listTools()).tools.map((t) => t.name);
    expect(names).toHaveLength(13);
    expect(names).not.toContain('write_file');
    await ro.close();
  });

  it('roots from ALLOWED_PATHS, and MCP roots when none are configured', async () => {
    const env = await connectInProcess(server, { env: { ALLOWED_PATHS: `${join(root, 'src')}, ${join(root, 'node_modules')}` } });
    expect((await env.ok('list_allowed_directories')).directories).toEqual([join(root, 'src'), join(root, 'node_modules')]);
    await env.close();
    const none = await connectInProcess(server);
    expect(textOf(await none.call('list_directory', { path: '/tmp' }))).toMatch(/No allowed directories.*\n.*ALLOWED_PATHS/);
    await none.close();
    const withRoots = await connectInProcess(server, { roots: [pathToFileURL(join(root, 'src')).href] });
    expect((await withRoots.ok('list_allowed_directories')).directories).toEqual([join(root, 'src')]);
    await withRoots.setRoots([pathToFileURL(join(root, 'src', 'lib')).href]);
    expect((await withRoots.ok('list_allowed_directories')).directories).toEqual([join(root, 'src', 'lib')]);
    await withRoots.close();
  });

  it('a missing root is a configuration error naming it', async () => {
    await expect(connectInProcess(server, { argv: [join(base, 'missing')] })).rejects.toThrow(/allowed directory .*missing does not exist/);
  });

  it('files are readable as resources through the same sandbox', async () => {
    const { resourceTemplates } = await s.client.listResourceTemplates();
    expect(resourceTemplates[0].uriTemplate).toBe('file:///{+path}');
    const r = await s.client.readResource({ uri: pathToFileURL(join(root, 'README.md')).href });
    expect((r.contents[0] as { text: string }).text).toContain('invoices');
    await expect(s.client.readResource({ uri: 'file:///etc/passwd' })).rejects.toThrow(/outside the allowed/);
    const listed = await s.client.listResources();
    expect(listed.resources.map((x) => x.name)).toContain('README.md');
  });
});
