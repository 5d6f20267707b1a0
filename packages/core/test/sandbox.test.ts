// The sandbox in normal use: each operation, both spellings of a symlinked root, intents, MCP roots
// and file:// parsing. The attacks (with a state oracle) are in sandbox-attacks.test.ts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, Sandbox, SandboxConfigError, ToolError } from '../src/index.js';
import { isInside } from '../src/sandbox/paths.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'bizmcp-sandbox-')));
const root = join(base, 'root');
const second = join(base, 'second');
const outside = join(base, 'outside');

beforeEach(() => {
  for (const f of fs.readdirSync(base)) fs.rmSync(join(base, f), { recursive: true, force: true });
  fs.mkdirSync(join(root, 'sub', 'deep'), { recursive: true });
  fs.writeFileSync(join(root, 'hello.txt'), 'hello inside\n');
  fs.writeFileSync(join(root, 'sub', 'file.txt'), 'sub file\n');
  fs.mkdirSync(second);
  fs.writeFileSync(join(second, 'two.txt'), 'second root\n');
  fs.mkdirSync(outside);
  fs.writeFileSync(join(outside, 'secret.txt'), 'outside\n');
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const read = (p: string) => fs.readFileSync(p, 'utf8');
const tmpLeftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.bizmcp-tmp'));
async function errorOf(p: Promise<unknown>): Promise<ToolError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ToolError);
    return e as ToolError;
  }
  throw new Error('expected a ToolError, the call succeeded');
}
const codeOf = async (p: Promise<unknown>): Promise<string> => (await errorOf(p)).code;

describe('roots', () => {
  it('are canonicalised once, deduplicated, and a relative path starts at the first root', async () => {
    const sb = Sandbox.create([root, `${root}/`, join(root, 'sub', '..'), second]);
    expect(sb.roots()).toEqual([root, second]);
    expect(sb.hasRoots()).toBe(true);
    expect((await sb.readFile('hello.txt')).data.toString()).toBe('hello inside\n');
    expect((await sb.readFile(join(second, 'two.txt'))).data.toString()).toBe('second root\n');
    await expect(sb.readFile('two.txt')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a missing root, or a file given as a root, is an error naming it', () => {
    expect(() => Sandbox.create([join(base, 'nope')])).toThrow(SandboxConfigError);
    expect(() => Sandbox.create([join(base, 'nope')])).toThrow(`allowed directory ${join(base, 'nope')} does not exist`);
    expect(() => Sandbox.create([join(root, 'hello.txt')])).toThrow(/hello\.txt is not a directory/);
    expect(() => Sandbox.fromConfig([join(base, 'nope')], 'ALLOWED_PATHS')).toThrow(ConfigError);
    expect(() => Sandbox.fromConfig([join(base, 'nope')], 'ALLOWED_PATHS')).toThrow(/^ALLOWED_PATHS: allowed directory .*nope does not exist/);
  });

  it('expands ~ in roots and in request paths', async () => {
    const home = process.env.HOME;
    process.env.HOME = base;
    try {
      const sb = Sandbox.create(['~/root']);
      expect(sb.roots()).toEqual([root]);
      expect((await sb.readFile('~/root/hello.txt')).data.toString()).toBe('hello inside\n');
      await expect(sb.readFile('~/outside/secret.txt')).rejects.toMatchObject({ code: 'access_denied' });
    } finally {
      process.env.HOME = home;
    }
  });

  it('accepts both spellings of a symlinked root, and shows the canonical one', async () => {
    const link = join(base, 'root-link');
    fs.symlinkSync(root, link);
    const sb = Sandbox.create([link]);
    expect(sb.roots()).toEqual([root]);
    expect((await sb.readFile(join(link, 'hello.txt'))).path).toBe(join(root, 'hello.txt'));
    expect((await sb.readFile(join(root, 'hello.txt'))).path).toBe(join(root, 'hello.txt'));
    expect(await sb.writeFile(join(link, 'via-link.txt'), 'a')).toEqual({ path: join(root, 'via-link.txt'), created: true });
    expect(read(join(root, 'via-link.txt'))).toBe('a');
    expect((await sb.readdir(link)).path).toBe(root);
    await expect(sb.readFile(join(link, '..', 'outside', 'secret.txt'))).rejects.toMatchObject({ code: 'access_denied' });
  });

  it('a sandbox without roots refuses everything with a hint', async () => {
    const sb = Sandbox.create([]);
    expect(sb.hasRoots()).toBe(false);
    await expect(sb.resolve('x')).rejects.toThrow(/No allowed directories/);
    await expect(sb.readFile('/etc/hostname')).rejects.toMatchObject({ code: 'access_denied' });
  });

  it('isInside compares whole components', () => {
    expect(isInside('/a/b', '/a')).toBe(true);
    expect(isInside('/a', '/a')).toBe(true);
    expect(isInside('/a-evil/b', '/a')).toBe(false);
    expect(isInside('/ab', '/a')).toBe(false);
    expect(isInside('/x', '/')).toBe(true);
  });
});

describe('MCP roots', () => {
  it('parses file:// URIs strictly, decoding percent-escapes at the URI layer only', () => {
    expect(Sandbox.parseFileUri('file:///srv/data')).toBe('/srv/data');
    expect(Sandbox.parseFileUri('file://localhost/srv/my%20docs')).toBe('/srv/my docs');
    expect(Sandbox.parseFileUri('FILE:///srv/a%2e%2e')).toBe('/srv/a..');
    for (const bad of [
      'https://example.com/x',
      'file:relative',
      'file:/one-slash',
      '/srv/data',
      'file://server/share',
      'file:///srv/a%2Fb',
      'file:///srv/a%00b',
      'file:///srv/a?x=1',
      'file:///srv/a#frag',
      'file://[::1',
      '',
    ]) {
      expect(() => Sandbox.parseFileUri(bad), bad).toThrow(ToolError);
    }
  });

  it('client roots replace an empty set', async () => {
    const sb = Sandbox.create([]);
    const now = await sb.setRootsFromUris([pathToFileURL(join(root, 'sub')).href, 'https://example.com/', 'file:///definitely/missing', 'not a uri']);
    expect(now).toEqual([join(root, 'sub')]);
    expect(sb.roots()).toEqual([join(root, 'sub')]);
    expect((await sb.readFile('file.txt')).data.toString()).toBe('sub file\n');
    await sb.setRootsFromUris([pathToFileURL(outside).href]);
    expect(sb.roots()).toEqual([outside]); // nothing configured: the client decides
    await sb.setRootsFromUris([]);
    expect(sb.roots()).toEqual([]);
  });

  it('client roots only narrow configured roots (intersection), never widen them', async () => {
    const sb = Sandbox.create([root, second]);
    await sb.setRootsFromUris([pathToFileURL(outside).href]);
    expect(sb.roots()).toEqual([root, second]); // nothing usable: the configured roots apply
    await sb.setRootsFromUris([pathToFileURL(join(root, 'sub')).href, pathToFileURL(outside).href]);
    expect(sb.roots()).toEqual([join(root, 'sub')]);
    await expect(sb.readFile(join(root, 'hello.txt'))).rejects.toMatchObject({ code: 'access_denied' });
    await expect(sb.readFile(join(second, 'two.txt'))).rejects.toMatchObject({ code: 'access_denied' });
    expect((await sb.readFile('file.txt')).data.toString()).toBe('sub file\n');
    // a client root above a configured root keeps that configured root only
    await sb.setRootsFromUris([pathToFileURL(base).href]);
    expect(sb.roots()).toEqual([root, second]);
    await sb.setRootsFromUris([pathToFileURL(second).href]);
    expect(sb.roots()).toEqual([second]);
    await sb.setRootsFromUris([]);
    expect(sb.roots()).toEqual([root, second]);
  });

  it('setRoots takes paths; fromRootUris builds a sandbox; followClientRoots listens', async () => {
    const sb = Sandbox.create([root]);
    expect(await sb.setRoots([join(root, 'sub', 'deep'), 'relative/ignored'])).toEqual([join(root, 'sub', 'deep')]);
    const fromUris = Sandbox.fromRootUris([pathToFileURL(second).href]);
    expect(fromUris.roots()).toEqual([second]);
    expect(() => Sandbox.fromRootUris(['http://x/'])).toThrow(ToolError);
    let listener: ((uris: string[]) => void | Promise<void>) | undefined;
    const logged: object[] = [];
    const follower = Sandbox.create([]);
    follower.followClientRoots({ onClientRoots: (l) => void (listener = l), log: { info: (o) => void logged.push(o) } });
    await listener!([pathToFileURL(second).href]);
    expect(follower.roots()).toEqual([second]);
    expect(logged).toEqual([{ roots: [second] }]);
  });
});

describe('resolution and intents', () => {
  it('normalises lexically and follows links that stay inside', async () => {
    fs.symlinkSync(join(root, 'sub'), join(root, 'sublink'));
    fs.symlinkSync('hello.txt', join(root, 'hello-link'));
    const sb = Sandbox.create([root]);
    expect((await sb.resolve('sub/./deep/../file.txt')).path).toBe(join(root, 'sub', 'file.txt'));
    expect(await sb.resolve('sublink/file.txt')).toMatchObject({ path: join(root, 'sub', 'file.txt'), root, exists: true });
    expect((await sb.resolve('sublink/new/deeper.txt')).path).toBe(join(root, 'sub', 'new', 'deeper.txt'));
    expect((await sb.resolve('sublink/new/deeper.txt')).exists).toBe(false);
    expect((await sb.resolve('hello-link')).path).toBe(join(root, 'hello.txt'));
    const entry = await sb.resolve('hello-link', 'entry');
    expect(entry.path).toBe(join(root, 'hello-link'));
    expect(entry.stat?.isSymbolicLink()).toBe(true);
    expect((await sb.resolve('hello-link', 'read')).path).toBe(join(root, 'hello.txt'));
    expect((await sb.resolve('.')).path).toBe(root);
    await expect(sb.resolve('hello.txt/below')).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('create refuses any existing entry, a dangling link included; write refuses directories and hard links', async () => {
    fs.symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    fs.linkSync(join(root, 'hello.txt'), join(root, 'hard.txt'));
    const sb = Sandbox.create([root]);
    expect((await sb.resolve('fresh.txt', 'create')).exists).toBe(false);
    expect(await codeOf(sb.resolve('sub/file.txt', 'create'))).toBe('already_exists');
    expect(await codeOf(sb.resolve('dangling', 'create'))).toBe('already_exists');
    expect(await codeOf(sb.resolve('dangling', 'write'))).toBe('access_denied');
    expect(await codeOf(sb.resolve('sub', 'write'))).toBe('invalid_argument');
    expect(await codeOf(sb.resolve('hard.txt', 'write'))).toBe('access_denied');
    expect((await sb.resolve('hard.txt', 'read')).exists).toBe(true);
  });

  it('display, relative and realpathInside never show a path outside the roots', async () => {
    const sb = Sandbox.create([root], { label: 'the test directory' });
    expect(sb.display(join(root, 'a'))).toBe(join(root, 'a'));
    expect(sb.display(join(outside, 'secret.txt'))).toBe('(outside the test directory)');
    expect(sb.relative(join(root, 'sub', 'file.txt'))).toBe('sub/file.txt');
    expect(sb.relative(root)).toBe('.');
    expect(sb.relative(outside)).toBe('(outside the test directory)');
    expect(await sb.realpathInside('sub/../hello.txt')).toBe(join(root, 'hello.txt'));
    expect(await codeOf(sb.realpathInside('missing'))).toBe('not_found');
    const err = await errorOf(sb.readFile(join(outside, 'secret.txt')));
    expect(err.message).toBe('Access denied: the path is outside the test directory');
    expect(err.message).not.toContain(outside);
    expect(err.hint).toContain(root);
  });

  it('refuses malformed paths cleanly', async () => {
    const sb = Sandbox.create([root]);
    expect(await codeOf(sb.resolve(''))).toBe('invalid_argument');
    expect(await codeOf(sb.resolve('   '))).toBe('invalid_argument');
    expect(await codeOf(sb.resolve('a\0b'))).toBe('invalid_argument');
    expect(await codeOf(sb.resolve(42))).toBe('invalid_argument');
    expect(await codeOf(sb.resolve('x'.repeat(5000)))).toBe('invalid_argument');
    expect(await codeOf(sb.resolve('a/'.repeat(1500)))).toBe('invalid_argument');
    expect(await codeOf(sb.resolve(pathToFileURL(join(root, 'hello.txt')).href))).toBe('invalid_argument');
    // at the limits, still accepted
    expect((await sb.resolve('a/'.repeat(1000) + 'x')).exists).toBe(false);
  });
});

describe('operations', () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = Sandbox.create([root]);
  });

  it('stat right after a stat in the same directory: a directory renamed, replaced or swapped for a link since is not read through its old descriptor', async () => {
    const sub = join(root, 'sub');
    expect((await sb.stat('sub/file.txt')).stat.size).toBe(9); // the fast path keeps sub's descriptor a moment
    fs.renameSync(sub, join(root, 'old-sub'));
    fs.mkdirSync(sub);
    fs.writeFileSync(join(sub, 'file.txt'), 'a longer replacement\n');
    expect((await sb.stat('sub/file.txt')).stat.size).toBe(21);
    fs.renameSync(sub, join(root, 'new-sub'));
    fs.symlinkSync(outside, sub);
    fs.writeFileSync(join(outside, 'file.txt'), 'outside file');
    expect((await errorOf(sb.stat('sub/file.txt'))).code).toBe('access_denied');
    fs.unlinkSync(sub);
    expect((await errorOf(sb.stat('sub/file.txt'))).code).toBe('not_found');
    expect((await sb.stat('new-sub/file.txt')).stat.size).toBe(21);
  });

  it('openRead gives a handle, the real path and the stat', async () => {
    fs.symlinkSync('hello.txt', join(root, 'alias'));
    const o = await sb.openRead('alias');
    try {
      expect(o.realPath).toBe(join(root, 'hello.txt'));
      expect(o.stat.size).toBe(13);
      expect((await o.handle.readFile()).toString()).toBe('hello inside\n');
    } finally {
      await o.handle.close();
    }
    expect(await codeOf(sb.openRead('sub'))).toBe('invalid_argument');
    expect(await codeOf(sb.openRead('missing.txt'))).toBe('not_found');
  });

  it('openRead refuses a FIFO without hanging', async () => {
    execFileSync('mkfifo', [join(root, 'pipe')]);
    expect(await codeOf(sb.openRead('pipe'))).toBe('invalid_argument');
    expect(await codeOf(sb.writeFile('pipe', 'x', { overwrite: true }))).toBe('invalid_argument');
  });

  it('readFile enforces maxBytes with too_large', async () => {
    fs.writeFileSync(join(root, 'ten.bin'), Buffer.alloc(10, 7));
    expect((await sb.readFile('ten.bin', { maxBytes: 10 })).data).toEqual(Buffer.alloc(10, 7));
    const err = await errorOf(sb.readFile('ten.bin', { maxBytes: 9 }));
    expect(err).toMatchObject({ code: 'too_large' });
    expect(err.message).toMatch(/10 bytes \(limit 9\)/);
    fs.writeFileSync(join(root, 'empty'), '');
    expect((await sb.readFile('empty')).data.length).toBe(0);
    const big = Buffer.alloc(3 * 1024 * 1024 + 5, 1);
    fs.writeFileSync(join(root, 'big.bin'), big);
    expect((await sb.readFile('big.bin')).data.equals(big)).toBe(true);
  });

  it('writeFile creates with wx, refuses to replace without overwrite, replaces atomically with it', async () => {
    expect(await sb.writeFile('new.txt', 'created')).toEqual({ path: join(root, 'new.txt'), created: true });
    expect(read(join(root, 'new.txt'))).toBe('created');
    expect(await codeOf(sb.writeFile('new.txt', 'again'))).toBe('already_exists');
    expect(read(join(root, 'new.txt'))).toBe('created');
    fs.chmodSync(join(root, 'new.txt'), 0o640);
    const inodeBefore = fs.statSync(join(root, 'new.txt')).ino;
    expect(await sb.writeFile('new.txt', Buffer.from('replaced'), { overwrite: true })).toEqual({ path: join(root, 'new.txt'), created: false });
    expect(read(join(root, 'new.txt'))).toBe('replaced');
    const after = fs.statSync(join(root, 'new.txt'));
    expect(after.ino).not.toBe(inodeBefore); // a new inode renamed over the old one
    expect(after.mode & 0o777).toBe(0o640); // the replaced file's mode is kept
    expect(tmpLeftovers(root)).toEqual([]);
    await sb.writeFile('moded.txt', 'x', { mode: 0o600 });
    expect(fs.statSync(join(root, 'moded.txt')).mode & 0o777).toBe(0o600);
    expect(await codeOf(sb.writeFile('no/such/dir.txt', 'x'))).toBe('not_found');
    expect(await codeOf(sb.writeFile('sub', 'x', { overwrite: true }))).toBe('invalid_argument');
  });

  it('openWrite streams, and abort or commit leaves exactly the right files', async () => {
    const w = await sb.openWrite('stream.txt');
    await w.handle.write('part 1, ');
    await w.handle.write('part 2');
    expect(await w.commit()).toEqual({ path: join(root, 'stream.txt'), created: true });
    expect(read(join(root, 'stream.txt'))).toBe('part 1, part 2');
    const aborted = await sb.openWrite('aborted.txt');
    await aborted.handle.write('half');
    await aborted.abort();
    expect(fs.existsSync(join(root, 'aborted.txt'))).toBe(false);
    const replace = await sb.openWrite('stream.txt', { overwrite: true });
    await replace.handle.write('new');
    expect(read(join(root, 'stream.txt'))).toBe('part 1, part 2'); // not visible before commit
    await replace.abort();
    expect(read(join(root, 'stream.txt'))).toBe('part 1, part 2');
    expect(tmpLeftovers(root)).toEqual([]);
    await expect(replace.commit()).rejects.toThrow(/already committed or aborted/);
  });

  it('createExclusive creates only what does not exist', async () => {
    expect(await sb.createExclusive('lock', 'pid 1')).toEqual({ path: join(root, 'lock'), created: true });
    expect(read(join(root, 'lock'))).toBe('pid 1');
    expect(await codeOf(sb.createExclusive('lock', 'pid 2'))).toBe('already_exists');
    expect(read(join(root, 'lock'))).toBe('pid 1');
  });

  it('mkdir creates one level, or every level with recursive', async () => {
    expect(await sb.mkdir('one')).toEqual({ path: join(root, 'one'), created: true });
    expect(await codeOf(sb.mkdir('one'))).toBe('already_exists');
    expect(await sb.mkdir('one', { recursive: true })).toEqual({ path: join(root, 'one'), created: false });
    expect(await codeOf(sb.mkdir('x/y'))).toBe('not_found');
    expect(fs.existsSync(join(root, 'x'))).toBe(false);
    expect(await sb.mkdir('a/b/c', { recursive: true })).toEqual({ path: join(root, 'a', 'b', 'c'), created: true });
    expect(fs.statSync(join(root, 'a/b/c')).isDirectory()).toBe(true);
    expect(await codeOf(sb.mkdir('hello.txt', { recursive: true }))).toBe('conflict');
    fs.symlinkSync(join(root, 'sub'), join(root, 'sublink'));
    expect((await sb.mkdir('sublink/made/here', { recursive: true })).path).toBe(join(root, 'sub', 'made', 'here'));
    expect(fs.statSync(join(root, 'sub/made/here')).isDirectory()).toBe(true);
  });

  it('readdir, stat and lstat', async () => {
    fs.symlinkSync('hello.txt', join(root, 'alias'));
    const { path, entries } = await sb.readdir('.');
    expect(path).toBe(root);
    expect(entries.map((e) => e.name).sort()).toEqual(['alias', 'hello.txt', 'sub']);
    expect(entries.find((e) => e.name === 'alias')!.isSymbolicLink()).toBe(true);
    expect(entries[0].parentPath).toBe(root);
    expect(await codeOf(sb.readdir('hello.txt'))).toBe('invalid_argument');
    expect(await codeOf(sb.readdir('missing'))).toBe('not_found');
    const st = await sb.stat('alias');
    expect(st.path).toBe(join(root, 'hello.txt'));
    expect(st.stat.isFile()).toBe(true);
    const lst = await sb.lstat('alias');
    expect(lst.path).toBe(join(root, 'alias'));
    expect(lst.stat.isSymbolicLink()).toBe(true);
    expect((await sb.stat('.')).stat.isDirectory()).toBe(true);
    expect(await codeOf(sb.stat('missing'))).toBe('not_found');
  });

  it('opendir and walk list through descriptors and never enter links', async () => {
    fs.symlinkSync(join(root, 'sub'), join(root, 'sublink'));
    const d = await sb.opendir('sub');
    const names: string[] = [];
    for await (const e of d.dir) names.push(e.name);
    await d.close();
    expect(names.sort()).toEqual(['deep', 'file.txt']);
    const seen: string[] = [];
    for await (const e of sb.walk('.')) seen.push(e.rel);
    expect(seen.sort()).toEqual(['hello.txt', 'sub', 'sub/deep', 'sub/file.txt', 'sublink']);
    const pruned: string[] = [];
    for await (const e of sb.walk('.', { prune: (rel) => rel === 'sub', maxDepth: 1 })) pruned.push(e.rel);
    expect(pruned.sort()).toEqual(['hello.txt', 'sublink']);
  });

  it('walk with readFiles reads every regular file, in batches, and leaves the working directory as it was', async () => {
    // 3 directories of 150 files (more than a batch; 150 x 9 kB fill the 1 MB arena, so some are
    // read on their own), subdirectories between the files, a file larger than the arena's room,
    // one over maxBytes, a link to a file outside, and an empty file
    const want = new Map<string, string>();
    for (const d of ['a', 'a/b', 'c']) {
      fs.mkdirSync(join(root, d), { recursive: true });
      for (let i = 0; i < 150; i++) {
        const text = `${d}/${i} `.repeat(1 + ((i * 97) % 1000));
        fs.writeFileSync(join(root, d, `f${i}.txt`), text);
        want.set(`${d}/f${i}.txt`, text);
        if (i % 40 === 0) fs.mkdirSync(join(root, d, `sub${i}`));
      }
    }
    const big = 'x'.repeat(1_500_000);
    fs.writeFileSync(join(root, 'a', 'big.txt'), big);
    want.set('a/big.txt', big);
    fs.writeFileSync(join(root, 'c', 'too-big.txt'), 'y'.repeat(3_000_001));
    fs.writeFileSync(join(root, 'c', 'empty.txt'), '');
    want.set('c/empty.txt', '');
    fs.symlinkSync(join(outside, 'secret.txt'), join(root, 'c', 'link.txt'));
    want.set('hello.txt', 'hello inside\n');
    want.set('sub/file.txt', 'sub file\n');
    const sb = Sandbox.create([root]);
    const cwd = process.cwd();
    const got = new Map<string, string | undefined>();
    const others: string[] = [];
    for await (const e of sb.walk('.', { readFiles: { maxBytes: 3_000_000 } })) {
      expect(process.cwd()).toBe(cwd);
      if (e.entry.isFile()) got.set(e.rel, e.content?.toString('utf8'));
      else {
        expect(e.content).toBeUndefined();
        others.push(e.rel);
      }
    }
    expect(process.cwd()).toBe(cwd);
    expect(got.get('c/too-big.txt')).toBeUndefined();
    got.delete('c/too-big.txt');
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [rel, text] of want) expect(got.get(rel), rel).toBe(text);
    expect(others).toContain('c/link.txt'); // listed, never read
    expect(others).toContain('a/b/sub40');
    // pruned entries between files (more than a batch looks at in one go) are never yielded
    fs.mkdirSync(join(root, 'p'));
    for (let i = 0; i < 600; i++) fs.writeFileSync(join(root, 'p', i % 3 ? `skip${i}.txt` : `keep${i}.txt`), `${i}`);
    const kept = new Map<string, string | undefined>();
    for await (const e of sb.walk('p', { readFiles: { maxBytes: 100 }, prune: (rel) => rel.startsWith('skip') })) kept.set(e.rel, e.content?.toString());
    expect(kept.size).toBe(200);
    for (const [rel, text] of kept) expect(`keep${text}.txt`).toBe(rel);
  });

  it('rename moves files and directories, no-clobber unless overwrite', async () => {
    expect(await sb.rename('hello.txt', 'sub/moved.txt')).toEqual({ from: join(root, 'hello.txt'), to: join(root, 'sub', 'moved.txt') });
    expect(fs.existsSync(join(root, 'hello.txt'))).toBe(false);
    expect(read(join(root, 'sub/moved.txt'))).toBe('hello inside\n');
    expect(await codeOf(sb.rename('sub/moved.txt', 'sub/file.txt'))).toBe('already_exists');
    expect(read(join(root, 'sub/file.txt'))).toBe('sub file\n');
    await sb.rename('sub/moved.txt', 'sub/file.txt', { overwrite: true });
    expect(read(join(root, 'sub/file.txt'))).toBe('hello inside\n');
    expect(fs.statSync(join(root, 'sub/file.txt')).nlink).toBe(1);
    await sb.rename('sub/deep', 'deep2');
    expect(fs.statSync(join(root, 'deep2')).isDirectory()).toBe(true);
    fs.mkdirSync(join(root, 'taken'));
    expect(await codeOf(sb.rename('deep2', 'taken'))).toBe('already_exists');
    expect(await codeOf(sb.rename('sub', 'sub/inner'))).toBe('invalid_argument');
    expect(await codeOf(sb.rename('missing', 'x'))).toBe('not_found');
    expect(await codeOf(sb.rename('sub/file.txt', 'nodir/x'))).toBe('not_found');
    expect(await codeOf(sb.rename('.', 'elsewhere'))).toBe('access_denied');
    // a link is moved as a link
    fs.symlinkSync('sub/file.txt', join(root, 'alias'));
    await sb.rename('alias', 'alias2');
    expect(fs.readlinkSync(join(root, 'alias2'))).toBe('sub/file.txt');
  });

  it('copyFile copies contents and mode, no-clobber unless overwrite', async () => {
    fs.chmodSync(join(root, 'hello.txt'), 0o640);
    expect(await sb.copyFile('hello.txt', 'sub/copy.txt')).toEqual({ from: join(root, 'hello.txt'), to: join(root, 'sub', 'copy.txt'), bytes: 13 });
    expect(read(join(root, 'sub/copy.txt'))).toBe('hello inside\n');
    expect(fs.statSync(join(root, 'sub/copy.txt')).mode & 0o777).toBe(0o640);
    expect(await codeOf(sb.copyFile('hello.txt', 'sub/file.txt'))).toBe('already_exists');
    await sb.copyFile('hello.txt', 'sub/file.txt', { overwrite: true });
    expect(read(join(root, 'sub/file.txt'))).toBe('hello inside\n');
    expect(await codeOf(sb.copyFile('sub', 'dir-copy'))).toBe('invalid_argument');
    expect(tmpLeftovers(join(root, 'sub'))).toEqual([]);
  });

  it('remove deletes files, links (not their targets), empty or (recursive) full directories', async () => {
    fs.symlinkSync(join(root, 'sub'), join(root, 'sublink'));
    expect(await sb.remove('sublink')).toEqual({ path: join(root, 'sublink'), type: 'symlink' });
    expect(fs.existsSync(join(root, 'sub/file.txt'))).toBe(true);
    expect(await sb.remove('hello.txt')).toEqual({ path: join(root, 'hello.txt'), type: 'file' });
    expect(await codeOf(sb.remove('sub'))).toBe('conflict');
    fs.symlinkSync(join(root, 'sub', 'file.txt'), join(root, 'sub', 'deep', 'inner-link'));
    fs.mkdirSync(join(root, 'sub', 'deep', 'deeper', 'deepest'), { recursive: true });
    expect(await sb.remove('sub', { recursive: true })).toEqual({ path: join(root, 'sub'), type: 'directory' });
    expect(fs.readdirSync(root)).toEqual([]);
    expect(await codeOf(sb.remove('missing'))).toBe('not_found');
    expect(await codeOf(sb.remove('.', { recursive: true }))).toBe('access_denied');
    expect(fs.existsSync(root)).toBe(true);
  });

  it('a file hard-linked inside the root is readable but not writable (documented choice)', async () => {
    fs.linkSync(join(root, 'hello.txt'), join(root, 'hard.txt'));
    expect((await sb.readFile('hard.txt')).data.toString()).toBe('hello inside\n');
    expect(await codeOf(sb.writeFile('hard.txt', 'x', { overwrite: true }))).toBe('access_denied');
    expect(await codeOf(sb.copyFile('sub/file.txt', 'hard.txt', { overwrite: true }))).toBe('access_denied');
    expect(read(join(root, 'hello.txt'))).toBe('hello inside\n');
    // it can still be deleted (the other name is untouched)
    await sb.remove('hard.txt');
    expect(read(join(root, 'hello.txt'))).toBe('hello inside\n');
  });
});
