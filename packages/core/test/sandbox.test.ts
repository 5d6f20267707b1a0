// The sandbox: normal use, MCP roots, and an attack table with a state oracle.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, SandboxConfigError, ToolError } from '../src/index.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'bizmcp-sandbox-')));
const root = join(base, 'root');
const outside = join(base, 'outside');
const evil = join(base, 'root-evil');
const SECRET = 'TOP-SECRET-OUTSIDE-CONTENT';

function reset() {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
  fs.rmSync(evil, { recursive: true, force: true });
  for (const f of fs.readdirSync(base)) if (!['root', 'outside', 'root-evil'].includes(f)) fs.rmSync(join(base, f), { recursive: true, force: true });
  fs.mkdirSync(join(root, 'sub', 'deep'), { recursive: true });
  fs.writeFileSync(join(root, 'hello.txt'), 'hello inside\n');
  fs.writeFileSync(join(root, 'sub', 'file.txt'), 'sub file\n');
  fs.mkdirSync(join(outside, 'dir'), { recursive: true });
  fs.writeFileSync(join(outside, 'secret.txt'), SECRET);
  fs.writeFileSync(join(outside, 'dir', 'inner.txt'), SECRET);
  fs.mkdirSync(evil);
  fs.writeFileSync(join(evil, 'f.txt'), SECRET);
}

/** Everything under `base` except `root`: paths, types, sizes, modes, mtimes and content hashes. */
function snapshotOutside(): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (p === root) continue;
      const st = fs.lstatSync(p);
      let extra = '';
      if (st.isFile()) extra = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      if (st.isSymbolicLink()) extra = fs.readlinkSync(p);
      lines.push(`${p} ${st.mode} ${st.size} ${st.mtimeMs} ${st.nlink} ${extra}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(base);
  return lines.join('\n');
}

beforeEach(reset);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('sandbox: normal use', () => {
  it('reads, writes, lists, moves, copies and deletes inside the root', async () => {
    const sb = Sandbox.create([root]);
    expect(sb.roots()).toEqual([root]);
    expect((await sb.readFile(join(root, 'hello.txt'))).data.toString()).toBe('hello inside\n');
    expect((await sb.readFile('hello.txt')).data.toString()).toBe('hello inside\n'); // relative to the first root
    await sb.writeFile('new.txt', 'created');
    expect(fs.readFileSync(join(root, 'new.txt'), 'utf8')).toBe('created');
    await expect(sb.writeFile('new.txt', 'again')).rejects.toMatchObject({ code: 'already_exists' });
    await sb.writeFile('new.txt', 'replaced', { overwrite: true });
    expect(fs.readFileSync(join(root, 'new.txt'), 'utf8')).toBe('replaced');
    expect(fs.readdirSync(root).filter((f) => f.includes('bizmcp-tmp'))).toEqual([]);
    await sb.mkdir('a/b/c', { recursive: true });
    expect(fs.statSync(join(root, 'a/b/c')).isDirectory()).toBe(true);
    await expect(sb.mkdir('x/y')).rejects.toMatchObject({ code: 'not_found' });
    const names = (await sb.readdir('.')).entries.map((e) => e.name).sort();
    expect(names).toEqual(['a', 'hello.txt', 'new.txt', 'sub']);
    await sb.copyFile('hello.txt', 'a/copy.txt');
    expect(fs.readFileSync(join(root, 'a/copy.txt'), 'utf8')).toBe('hello inside\n');
    await sb.rename('a/copy.txt', 'a/b/moved.txt');
    expect(fs.existsSync(join(root, 'a/b/moved.txt'))).toBe(true);
    await expect(sb.rename('hello.txt', 'a/b/moved.txt')).rejects.toMatchObject({ code: 'already_exists' });
    await expect(sb.remove('a')).rejects.toBeInstanceOf(ToolError);
    await sb.remove('a', { recursive: true });
    expect(fs.existsSync(join(root, 'a'))).toBe(false);
    await expect(sb.remove(root, { recursive: true })).rejects.toMatchObject({ code: 'access_denied' });
  });

  it('accepts both spellings of a symlinked root and in-root symlinks', async () => {
    const link = join(base, 'root-link');
    fs.symlinkSync(root, link);
    const sb = Sandbox.create([link]);
    expect(sb.roots()).toEqual([root]);
    expect((await sb.readFile(join(link, 'hello.txt'))).data.toString()).toBe('hello inside\n');
    expect((await sb.readFile(join(root, 'hello.txt'))).data.toString()).toBe('hello inside\n');
    fs.symlinkSync(join(root, 'sub'), join(root, 'sublink'));
    expect((await sb.readFile(join(link, 'sublink', 'file.txt'))).data.toString()).toBe('sub file\n');
  });

  it('refuses a missing root at start-up with an error that names it', () => {
    expect(() => Sandbox.create([join(base, 'nope')])).toThrow(SandboxConfigError);
    expect(() => Sandbox.create([join(base, 'nope')])).toThrow(/nope does not exist/);
  });

  it('MCP roots replace an empty set, and only narrow configured roots', async () => {
    const empty = Sandbox.create([]);
    await expect(empty.resolve('x')).rejects.toThrow(/No allowed directories/);
    await empty.setRootsFromUris([pathToFileURL(join(root, 'sub')).href, 'https://example.com/', 'file:///definitely/missing']);
    expect(empty.roots()).toEqual([join(root, 'sub')]);
    const sb = Sandbox.create([root]);
    await sb.setRootsFromUris([pathToFileURL(outside).href]);
    expect(sb.roots()).toEqual([root]); // outside the configured roots: ignored
    await sb.setRootsFromUris([pathToFileURL(join(root, 'sub')).href]);
    expect(sb.roots()).toEqual([join(root, 'sub')]);
    await expect(sb.readFile(join(root, 'hello.txt'))).rejects.toMatchObject({ code: 'access_denied' });
    await sb.setRootsFromUris([]);
    expect(sb.roots()).toEqual([root]);
  });
});

type Attack = { name: string; run: (sb: Sandbox) => Promise<unknown>; setup?: () => void };

const attacks: Attack[] = [
  { name: 'absolute outside path', run: (sb) => sb.readFile(join(outside, 'secret.txt')) },
  { name: 'prefix sibling /root-evil', run: (sb) => sb.readFile(join(evil, 'f.txt')) },
  { name: 'prefix sibling write', run: (sb) => sb.writeFile(join(evil, 'new.txt'), 'x') },
  { name: 'leading ..', run: (sb) => sb.readFile('../outside/secret.txt') },
  { name: 'middle ..', run: (sb) => sb.readFile(join(root, 'sub', '..', '..', 'outside', 'secret.txt')) },
  { name: 'trailing ..', run: (sb) => sb.readdir(join(root, '..')) },
  { name: 'many ..', run: (sb) => sb.readFile('sub/deep/../../../../../../../../etc/passwd') },
  { name: '.. into prefix sibling', run: (sb) => sb.writeFile('../root-evil/f.txt', 'x', { overwrite: true }) },
  { name: 'leaf symlink to outside file (read)', setup: () => fs.symlinkSync(join(outside, 'secret.txt'), join(root, 'leak')), run: (sb) => sb.readFile('leak') },
  { name: 'leaf symlink to outside file (write)', setup: () => fs.symlinkSync(join(outside, 'secret.txt'), join(root, 'leak')), run: (sb) => sb.writeFile('leak', 'pwned', { overwrite: true }) },
  { name: 'symlinked dir to outside, read child', setup: () => fs.symlinkSync(join(outside, 'dir'), join(root, 'dirlink')), run: (sb) => sb.readFile('dirlink/inner.txt') },
  { name: 'symlinked dir to outside, list', setup: () => fs.symlinkSync(join(outside, 'dir'), join(root, 'dirlink')), run: (sb) => sb.readdir('dirlink') },
  { name: 'symlinked parent of a new file', setup: () => fs.symlinkSync(join(outside, 'dir'), join(root, 'dirlink')), run: (sb) => sb.writeFile('dirlink/created.txt', 'x') },
  { name: 'mkdir through symlinked parent', setup: () => fs.symlinkSync(join(outside, 'dir'), join(root, 'dirlink')), run: (sb) => sb.mkdir('dirlink/newdir/x', { recursive: true }) },
  { name: 'dangling symlink pointing outside (write through)', setup: () => fs.symlinkSync(join(outside, 'not-yet.txt'), join(root, 'dangling')), run: (sb) => sb.writeFile('dangling', 'x') },
  { name: 'dangling symlink pointing outside (overwrite)', setup: () => fs.symlinkSync(join(outside, 'not-yet.txt'), join(root, 'dangling')), run: (sb) => sb.writeFile('dangling', 'x', { overwrite: true }) },
  { name: 'dangling symlink inside pointing to missing outside dir', setup: () => fs.symlinkSync(join(outside, 'missing-dir'), join(root, 'dd')), run: (sb) => sb.mkdir('dd/x', { recursive: true }) },
  { name: 'chained symlinks in → in → out', setup: () => { fs.symlinkSync(join(outside, 'secret.txt'), join(root, 'c3')); fs.symlinkSync(join(root, 'c3'), join(root, 'sub', 'c2')); fs.symlinkSync(join(root, 'sub', 'c2'), join(root, 'c1')); }, run: (sb) => sb.readFile('c1') },
  { name: 'looping symlinks', setup: () => { fs.symlinkSync(join(root, 'loopb'), join(root, 'loopa')); fs.symlinkSync(join(root, 'loopa'), join(root, 'loopb')); }, run: (sb) => sb.readFile('loopa/x') },
  { name: 'relative symlink climbing out', setup: () => fs.symlinkSync('../outside/secret.txt', join(root, 'rel')), run: (sb) => sb.readFile('rel') },
  { name: 'symlink to /', setup: () => fs.symlinkSync('/', join(root, 'slash')), run: (sb) => sb.readFile('slash/etc/passwd') },
  { name: 'hard link to an outside file (write)', setup: () => fs.linkSync(join(outside, 'secret.txt'), join(root, 'hard.txt')), run: (sb) => sb.writeFile('hard.txt', 'pwned', { overwrite: true }) },
  { name: 'copy to an outside destination', run: (sb) => sb.copyFile('hello.txt', join(outside, 'copied.txt')) },
  { name: 'copy from an outside source', run: (sb) => sb.copyFile(join(outside, 'secret.txt'), 'stolen.txt') },
  { name: 'rename to an outside destination', run: (sb) => sb.rename('hello.txt', join(outside, 'moved.txt')) },
  { name: 'rename an outside file in', run: (sb) => sb.rename(join(outside, 'secret.txt'), 'stolen.txt') },
  { name: 'rename over an outside symlink target', setup: () => fs.symlinkSync(join(outside, 'secret.txt'), join(root, 'leak')), run: (sb) => sb.rename('hello.txt', 'leak', { overwrite: true }) },
  { name: 'recursive delete of an outside dir', run: (sb) => sb.remove(join(outside, 'dir'), { recursive: true }) },
  { name: 'delete via .. ', run: (sb) => sb.remove('../outside/secret.txt') },
  { name: 'NUL byte', run: (sb) => sb.readFile('hello.txt\0../../outside/secret.txt') },
  { name: 'percent-encoded .. is a name, not traversal', run: (sb) => sb.readFile('%2e%2e/outside/secret.txt') },
  { name: 'percent-encoded slash', run: (sb) => sb.readFile('..%2foutside%2fsecret.txt') },
  { name: 'file: URI', run: (sb) => sb.readFile(pathToFileURL(join(outside, 'secret.txt')).href) },
  { name: 'very long path', run: (sb) => sb.readFile('a/'.repeat(3000) + 'x') },
  { name: '10 000 components', run: (sb) => sb.readFile('./'.repeat(10_000) + '../outside/secret.txt') },
  { name: 'empty string', run: (sb) => sb.readFile('') },
  { name: 'non-string value', run: (sb) => sb.readFile({ toString: () => join(outside, 'secret.txt') } as unknown as string) },
  { name: 'unicode look-alike dots (U+2024)', run: (sb) => sb.readFile('\u2024\u2024/outside/secret.txt') },
  { name: 'fullwidth solidus', run: (sb) => sb.readFile('..\uFF0Foutside\uFF0Fsecret.txt') },
  { name: 'backslashes are names on POSIX', run: (sb) => sb.readFile('..\\outside\\secret.txt') },
];

describe('sandbox: attack table with a state oracle', () => {
  it('has at least 30 cases', () => expect(attacks.length).toBeGreaterThanOrEqual(30));

  for (const a of attacks) {
    it(a.name, async () => {
      a.setup?.();
      const before = snapshotOutside();
      const sb = Sandbox.create([root]);
      let result: unknown;
      let error: unknown;
      try {
        result = await a.run(sb);
      } catch (e) {
        error = e;
      }
      // refused with a ToolError (or a harmless in-root result), never outside content
      if (!error) {
        expect(JSON.stringify(result)).not.toContain(SECRET);
        expect(Buffer.isBuffer((result as { data?: Buffer })?.data) ? (result as { data: Buffer }).data.toString() : '').not.toContain(SECRET);
      } else {
        expect(error).toBeInstanceOf(ToolError);
        expect((error as Error).message).not.toContain(outside);
        expect((error as Error).message).not.toContain(SECRET);
      }
      expect(snapshotOutside()).toBe(before);
    });
  }

  it('a directory swapped for a symlink during reads and writes never leaks or changes outside files', async () => {
    const sb = Sandbox.create([root]);
    fs.mkdirSync(join(root, 'race'));
    fs.writeFileSync(join(root, 'race', 'secret.txt'), 'inside version');
    fs.mkdirSync(join(base, 'parking'));
    const before = snapshotOutside();
    let stop = false;
    const swapper = (async () => {
      while (!stop) {
        try {
          fs.renameSync(join(root, 'race'), join(base, 'parking', 'race'));
          fs.symlinkSync(outside, join(root, 'race'));
          await new Promise((r) => setImmediate(r));
          fs.unlinkSync(join(root, 'race'));
          fs.renameSync(join(base, 'parking', 'race'), join(root, 'race'));
        } catch {
          /* a step lost the race with itself: keep swapping */
        }
        // leave the real directory in place for a moment, so operations also succeed during the race
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const leaks: string[] = [];
    let okReads = 0;
    const deadline = Date.now() + 400;
    while (Date.now() < deadline) {
      const ops = await Promise.allSettled([
        sb.readFile('race/secret.txt'),
        sb.writeFile('race/new.txt', 'x', { overwrite: true }),
        sb.readdir('race'),
        sb.mkdir('race/made', { recursive: true }),
      ]);
      const r = ops[0];
      if (r.status === 'fulfilled') {
        okReads++;
        if (r.value.data.toString().includes(SECRET)) leaks.push('read');
      }
      const l = ops[2];
      if (l.status === 'fulfilled' && l.value.entries.some((e) => e.name === 'dir')) leaks.push('list');
    }
    stop = true;
    await swapper;
    // restore the directory if the swapper stopped mid-swap
    if (fs.lstatSync(join(root, 'race')).isSymbolicLink()) {
      fs.unlinkSync(join(root, 'race'));
      fs.renameSync(join(base, 'parking', 'race'), join(root, 'race'));
    }
    fs.rmSync(join(base, 'parking'), { recursive: true, force: true });
    expect(leaks).toEqual([]);
    expect(okReads).toBeGreaterThan(0); // the race really ran against working operations
    expect(snapshotOutside().replace(/^.*parking.*$/gm, '').replace(/\n+/g, '\n').trim()).toBe(before.replace(/^.*parking.*$/gm, '').replace(/\n+/g, '\n').trim());
  });

  it('removing a symlink that points outside removes the link only', async () => {
    fs.symlinkSync(join(outside, 'dir'), join(root, 'dirlink'));
    fs.mkdirSync(join(root, 'tree'));
    fs.symlinkSync(outside, join(root, 'tree', 'out'));
    const before = snapshotOutside();
    const sb = Sandbox.create([root]);
    expect(await sb.remove('dirlink')).toMatchObject({ type: 'symlink' });
    await sb.remove('tree', { recursive: true });
    expect(fs.existsSync(join(root, 'dirlink'))).toBe(false);
    expect(fs.existsSync(join(root, 'tree'))).toBe(false);
    expect(snapshotOutside()).toBe(before);
  });
});
