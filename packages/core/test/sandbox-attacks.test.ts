// Attacks on the sandbox, each checked by a state oracle: before the attempt, a snapshot of
// everything outside the root (paths, types, sha256, modes, sizes, mtimes, link counts, link
// targets); after it, the same snapshot must come back, the attempt must be refused with a
// ToolError (or, where stated, succeed harmlessly), and no outside content or outside path may
// appear in what came back.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox, ToolError, type ToolErrorCode } from '../src/index.js';
import { inChildProcess, SWAP_DIR_FOR_LINK } from '../src/testing.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'bizmcp-sandbox-attacks-')));
const root = join(base, 'root');
const outside = join(base, 'outside');
const evil = join(base, 'root-evil');
/** In every outside file, and in no inside file: seeing it in a result is a leak. */
const SECRET = 'OUTSIDE-SECRET-7f3a';
/** In every outside file name: seeing it in a listing is a leak. */
const OUT_NAME = 'outside-only';
const O = (...p: string[]) => join(outside, ...p);
const R = (...p: string[]) => join(root, ...p);

function reset(): void {
  for (const f of fs.readdirSync(base)) fs.rmSync(join(base, f), { recursive: true, force: true });
  fs.mkdirSync(R('sub', 'deep'), { recursive: true });
  fs.writeFileSync(R('hello.txt'), 'hello inside\n');
  fs.writeFileSync(R('sub', 'file.txt'), 'sub file\n');
  fs.mkdirSync(O('dir'), { recursive: true });
  fs.writeFileSync(O(`${OUT_NAME}.txt`), `${SECRET} top\n`);
  fs.writeFileSync(O('dir', `${OUT_NAME}-inner.txt`), `${SECRET} inner\n`);
  fs.writeFileSync(O('dir', 'file.txt'), `${SECRET} same name as an inside file\n`.repeat(4));
  fs.mkdirSync(evil);
  fs.writeFileSync(join(evil, `${OUT_NAME}-evil.txt`), `${SECRET} evil\n`);
}

/** Every entry under `base` except inside `root`, and the root directory's own existence. */
function snapshot(): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = fs.lstatSync(p);
      if (p === root) {
        lines.push(`${p} root ${st.isDirectory() ? 'dir' : 'NOT A DIR'}`);
        continue;
      }
      let extra = '';
      if (st.isFile()) extra = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      if (st.isSymbolicLink()) extra = `-> ${fs.readlinkSync(p)}`;
      lines.push(`${p} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${st.nlink} ${extra}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(base);
  return lines.join('\n');
}

/** What came back, as text: buffers decoded, directory entries by name. */
function shown(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('latin1');
    }
    return v;
  });
}

beforeEach(reset);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

interface Attack {
  name: string;
  setup?: () => void;
  run: (sb: Sandbox) => Promise<unknown>;
  /** Accepted refusal codes (default access_denied). `ok`: the call must succeed harmlessly. */
  expect?: ToolErrorCode[] | 'ok';
  /** Extra checks after the call (the inside state, what came back). */
  check?: (result: unknown) => void;
}

const DENIED: ToolErrorCode[] = ['access_denied'];
const longPath = 'a/'.repeat(2100) + 'x';

const linkOut = () => fs.symlinkSync(O(`${OUT_NAME}.txt`), R('leak'));
const dirLinkOut = () => fs.symlinkSync(O('dir'), R('dirlink'));
const danglingOut = () => fs.symlinkSync(O('not-yet.txt'), R('dangling'));
const chain = () => {
  fs.symlinkSync(O(`${OUT_NAME}.txt`), R('c3'));
  fs.symlinkSync(R('c3'), R('sub', 'c2'));
  fs.symlinkSync('sub/c2', R('c1'));
};
const loop = () => {
  fs.symlinkSync(R('loopb'), R('loopa'));
  fs.symlinkSync('loopa', R('loopb'));
};
const hardOut = () => fs.linkSync(O(`${OUT_NAME}.txt`), R('hard.txt'));
const rootAlias = join(base, 'root-link');

const attacks: Attack[] = [
  // absolute paths and prefix siblings
  { name: 'absolute outside path (read)', run: (sb) => sb.readFile(O(`${OUT_NAME}.txt`)) },
  { name: 'absolute outside path (write)', run: (sb) => sb.writeFile(O('created.txt'), 'x') },
  { name: 'absolute outside path (mkdir)', run: (sb) => sb.mkdir(O('newdir'), { recursive: true }) },
  { name: 'absolute outside path (stat)', run: (sb) => sb.stat(O(`${OUT_NAME}.txt`)) },
  { name: 'prefix sibling /root-evil (read)', run: (sb) => sb.readFile(join(evil, `${OUT_NAME}-evil.txt`)) },
  { name: 'prefix sibling /root-evil (write)', run: (sb) => sb.writeFile(join(evil, 'new.txt'), 'x') },
  { name: 'prefix sibling /root-evil (list)', run: (sb) => sb.readdir(evil) },
  { name: 'prefix sibling through ..', run: (sb) => sb.writeFile('../root-evil/new.txt', 'x') },
  // .. in every position
  { name: 'leading ..', run: (sb) => sb.readFile(`../outside/${OUT_NAME}.txt`) },
  { name: 'root/../outside', run: (sb) => sb.readFile(`${root}/../outside/${OUT_NAME}.txt`) },
  { name: 'root/a/../../outside (write)', run: (sb) => sb.writeFile(`${root}/sub/../../outside/created.txt`, 'x') },
  { name: 'middle .. past a real directory', run: (sb) => sb.readFile(`sub/deep/../../../outside/${OUT_NAME}.txt`) },
  { name: 'trailing .. (list the parent)', run: (sb) => sb.readdir(`${root}/..`) },
  { name: 'trailing .. after a dot', run: (sb) => sb.readdir('./sub/./../..') },
  { name: '.. beyond the file system root', run: (sb) => sb.readFile('sub/../../../../../../../../../etc/passwd') },
  { name: '.. in mkdir', run: (sb) => sb.mkdir('../outside/newdir', { recursive: true }) },
  { name: '.. after the symlinked spelling of the root', setup: () => fs.symlinkSync(root, rootAlias), run: (sb) => sb.readFile(join(rootAlias, '..', 'outside', `${OUT_NAME}.txt`)) },
  // symlinks out
  { name: 'leaf symlink to an outside file (read)', setup: linkOut, run: (sb) => sb.readFile('leak') },
  { name: 'leaf symlink to an outside file (openRead)', setup: linkOut, run: (sb) => sb.openRead('leak') },
  { name: 'leaf symlink to an outside file (overwrite)', setup: linkOut, run: (sb) => sb.writeFile('leak', 'pwned', { overwrite: true }) },
  { name: 'leaf symlink to an outside file (stat)', setup: linkOut, run: (sb) => sb.stat('leak') },
  { name: 'leaf symlink to an outside file (realpathInside)', setup: linkOut, run: (sb) => sb.realpathInside('leak') },
  { name: 'leaf symlink to an outside file (copy from)', setup: linkOut, run: (sb) => sb.copyFile('leak', 'stolen.txt') },
  { name: 'relative symlink climbing out', setup: () => fs.symlinkSync(`../outside/${OUT_NAME}.txt`, R('rel')), run: (sb) => sb.readFile('rel') },
  { name: 'symlink to /', setup: () => fs.symlinkSync('/', R('slash')), run: (sb) => sb.readFile('slash/etc/passwd') },
  { name: 'symlink to an outside dir, then a child (read)', setup: dirLinkOut, run: (sb) => sb.readFile(`dirlink/${OUT_NAME}-inner.txt`) },
  { name: 'symlink to an outside dir (list)', setup: dirLinkOut, run: (sb) => sb.readdir('dirlink') },
  {
    name: 'symlink to an outside dir (walk)',
    setup: dirLinkOut,
    run: async (sb) => {
      const seen: string[] = [];
      for await (const e of sb.walk('dirlink')) seen.push(e.rel);
      return seen;
    },
  },
  { name: 'symlinked parent of a file not yet created', setup: dirLinkOut, run: (sb) => sb.writeFile('dirlink/created.txt', 'x') },
  { name: 'symlinked parent of a file not yet created (createExclusive)', setup: dirLinkOut, run: (sb) => sb.createExclusive('dirlink/created.txt', 'x') },
  { name: 'symlinked parent, overwrite an existing outside file', setup: dirLinkOut, run: (sb) => sb.writeFile('dirlink/file.txt', 'pwned', { overwrite: true }) },
  { name: 'mkdir through a symlinked parent', setup: dirLinkOut, run: (sb) => sb.mkdir('dirlink/newdir/x', { recursive: true }) },
  { name: 'delete through a symlinked parent', setup: dirLinkOut, run: (sb) => sb.remove(`dirlink/${OUT_NAME}-inner.txt`) },
  {
    name: 'recursive delete through a symlinked parent',
    setup: () => {
      fs.mkdirSync(O('dir', 'tree'));
      fs.writeFileSync(O('dir', 'tree', 'f'), SECRET);
      dirLinkOut();
    },
    run: (sb) => sb.remove('dirlink/tree', { recursive: true }),
  },
  // dangling links
  { name: 'dangling symlink pointing outside (write through it)', setup: danglingOut, run: (sb) => sb.writeFile('dangling', 'x') },
  { name: 'dangling symlink pointing outside (overwrite)', setup: danglingOut, run: (sb) => sb.writeFile('dangling', 'x', { overwrite: true }) },
  { name: 'dangling symlink pointing outside (createExclusive)', setup: danglingOut, run: (sb) => sb.createExclusive('dangling', 'x'), expect: ['access_denied', 'already_exists'] },
  { name: 'dangling symlink pointing outside (copy onto it)', setup: danglingOut, run: (sb) => sb.copyFile('hello.txt', 'dangling', { overwrite: true }) },
  { name: 'dangling symlink to a missing outside dir (mkdir below)', setup: () => fs.symlinkSync(O('missing-dir'), R('dd')), run: (sb) => sb.mkdir('dd/x', { recursive: true }) },
  { name: 'dangling symlink to a missing outside dir (write below)', setup: () => fs.symlinkSync(O('missing-dir'), R('dd')), run: (sb) => sb.writeFile('dd/x.txt', 'x') },
  {
    name: 'dangling symlink inside, target inside (write refused: it would create the target)',
    setup: () => fs.symlinkSync(R('sub', 'would-appear.txt'), R('dangling-in')),
    run: (sb) => sb.writeFile('dangling-in', 'x'),
    check: () => expect(fs.existsSync(R('sub', 'would-appear.txt'))).toBe(false),
  },
  // chains and loops
  { name: 'chained symlinks in → in → out (read)', setup: chain, run: (sb) => sb.readFile('c1') },
  { name: 'chained symlinks in → in → out (overwrite)', setup: chain, run: (sb) => sb.writeFile('c1', 'pwned', { overwrite: true }) },
  { name: 'looping symlinks (read below)', setup: loop, run: (sb) => sb.readFile('loopa/x') },
  { name: 'looping symlinks (write)', setup: loop, run: (sb) => sb.writeFile('loopa', 'x', { overwrite: true }) },
  { name: 'self-referencing symlink', setup: () => fs.symlinkSync('self', R('self')), run: (sb) => sb.readFile('self') },
  // hard links
  { name: 'hard link to an outside file (overwrite)', setup: hardOut, run: (sb) => sb.writeFile('hard.txt', 'pwned', { overwrite: true }) },
  { name: 'hard link to an outside file (copy onto it)', setup: hardOut, run: (sb) => sb.copyFile('hello.txt', 'hard.txt', { overwrite: true }) },
  { name: 'hard link to an outside file (openWrite)', setup: hardOut, run: (sb) => sb.openWrite('hard.txt', { overwrite: true }) },
  // moves, copies and deletes across the boundary
  { name: 'rename to an outside destination', run: (sb) => sb.rename('hello.txt', O('moved.txt')), check: () => expect(fs.existsSync(R('hello.txt'))).toBe(true) },
  { name: 'rename into a symlinked outside dir', setup: dirLinkOut, run: (sb) => sb.rename('hello.txt', 'dirlink/moved.txt') },
  { name: 'rename an outside file in', run: (sb) => sb.rename(O(`${OUT_NAME}.txt`), 'stolen.txt') },
  { name: 'rename over a symlink to an outside file', setup: linkOut, run: (sb) => sb.rename('hello.txt', 'leak', { overwrite: true }) },
  { name: 'rename the root away', run: (sb) => sb.rename('.', O('root-moved')) },
  { name: 'copy to an outside destination', run: (sb) => sb.copyFile('hello.txt', O('copied.txt')) },
  { name: 'copy to a prefix sibling', run: (sb) => sb.copyFile('hello.txt', join(evil, 'copied.txt')) },
  { name: 'copy from an outside source', run: (sb) => sb.copyFile(O(`${OUT_NAME}.txt`), 'stolen.txt'), check: () => expect(fs.existsSync(R('stolen.txt'))).toBe(false) },
  { name: 'copy into a symlinked outside dir', setup: dirLinkOut, run: (sb) => sb.copyFile('hello.txt', 'dirlink/copied.txt', { overwrite: true }) },
  { name: 'delete an outside file', run: (sb) => sb.remove(O(`${OUT_NAME}.txt`)) },
  { name: 'delete through ..', run: (sb) => sb.remove(`../outside/${OUT_NAME}.txt`) },
  { name: 'recursive delete of an outside dir', run: (sb) => sb.remove(O('dir'), { recursive: true }) },
  { name: 'recursive delete of the root itself', run: (sb) => sb.remove('.', { recursive: true }), check: () => expect(fs.existsSync(R('hello.txt'))).toBe(true) },
  {
    name: 'delete a symlink pointing outside: the link goes, the target stays',
    setup: linkOut,
    run: (sb) => sb.remove('leak'),
    expect: 'ok',
    check: (r) => {
      expect(r).toEqual({ path: R('leak'), type: 'symlink' });
      expect(fs.existsSync(R('leak'))).toBe(false);
    },
  },
  {
    name: 'recursive delete of a symlink to an outside dir: the link only',
    setup: dirLinkOut,
    run: (sb) => sb.remove('dirlink', { recursive: true }),
    expect: 'ok',
    check: (r) => expect(r).toEqual({ path: R('dirlink'), type: 'symlink' }),
  },
  {
    name: 'recursive delete of a dir holding links to outside files and dirs',
    setup: () => {
      fs.mkdirSync(R('tree', 'nested'), { recursive: true });
      fs.symlinkSync(O('dir'), R('tree', 'out-dir'));
      fs.symlinkSync(O(`${OUT_NAME}.txt`), R('tree', 'nested', 'out-file'));
      fs.symlinkSync(outside, R('tree', 'nested', 'out-all'));
    },
    run: (sb) => sb.remove('tree', { recursive: true }),
    expect: 'ok',
    check: () => expect(fs.existsSync(R('tree'))).toBe(false),
  },
  // malformed and encoded paths
  { name: 'NUL byte', run: (sb) => sb.readFile(`hello.txt\0../../outside/${OUT_NAME}.txt`), expect: ['invalid_argument'] },
  { name: 'NUL byte (write)', run: (sb) => sb.writeFile(`x\0${O('created.txt')}`, 'x'), expect: ['invalid_argument'] },
  { name: 'very long path (> 4096 bytes)', run: (sb) => sb.writeFile(longPath, 'x'), expect: ['invalid_argument'] },
  { name: '10 000 components', run: (sb) => sb.readFile('./'.repeat(10_000) + `../outside/${OUT_NAME}.txt`), expect: ['invalid_argument'] },
  { name: '10 000 .. components', run: (sb) => sb.mkdir('../'.repeat(10_000) + 'tmp/x', { recursive: true }), expect: ['invalid_argument'] },
  { name: 'empty string', run: (sb) => sb.readFile(''), expect: ['invalid_argument'] },
  { name: 'non-string value', run: (sb) => sb.readFile({ toString: () => O(`${OUT_NAME}.txt`) } as unknown as string), expect: ['invalid_argument'] },
  { name: 'file: URI passed as a path (refused, documented)', run: (sb) => sb.readFile(pathToFileURL(O(`${OUT_NAME}.txt`)).href), expect: ['invalid_argument'] },
  { name: 'file: URI relative form', run: (sb) => sb.writeFile('file:../outside/created.txt', 'x'), expect: ['invalid_argument'] },
  { name: '%2e%2e%2f is not decoded (read: a missing name inside)', run: (sb) => sb.readFile(`%2e%2e%2foutside%2f${OUT_NAME}.txt`), expect: ['not_found'] },
  {
    name: '%2e%2e%2f is not decoded (write: a literal name inside the root)',
    run: (sb) => sb.writeFile('%2e%2e%2foutside%2fcreated.txt', 'literal'),
    expect: 'ok',
    check: () => expect(fs.readFileSync(R('%2e%2e%2foutside%2fcreated.txt'), 'utf8')).toBe('literal'),
  },
  {
    name: '%2e%2e/ as a directory name is not ..',
    run: (sb) => sb.mkdir('%2e%2e/outside', { recursive: true }),
    expect: 'ok',
    check: () => expect(fs.statSync(R('%2e%2e', 'outside')).isDirectory()).toBe(true),
  },
  { name: 'double-encoded %252e%252e', run: (sb) => sb.readFile(`%252e%252e/outside/${OUT_NAME}.txt`), expect: ['not_found'] },
  { name: 'unicode one-dot leaders (U+2024) are not dots', run: (sb) => sb.readFile(`\u2024\u2024/outside/${OUT_NAME}.txt`), expect: ['not_found'] },
  { name: 'fullwidth full stops and solidus are not . and /', run: (sb) => sb.readFile(`\uFF0E\uFF0E\uFF0Foutside\uFF0F${OUT_NAME}.txt`), expect: ['not_found'] },
  {
    name: 'division slash (U+2215) is not /',
    run: (sb) => sb.writeFile('..\u2215outside\u2215created.txt', 'x'),
    expect: 'ok',
    check: () => expect(fs.existsSync(R('..\u2215outside\u2215created.txt'))).toBe(true),
  },
  { name: 'backslashes are name characters on POSIX', run: (sb) => sb.readFile(`..\\outside\\${OUT_NAME}.txt`), expect: ['not_found'] },
  { name: '~ that climbs out of the home directory', run: (sb) => sb.readFile(`~/../../../../../..${O(`${OUT_NAME}.txt`)}`) },
];

describe('sandbox: attack table with a state oracle', () => {
  it('has at least 30 cases, with distinct names', () => {
    expect(attacks.length).toBeGreaterThanOrEqual(30);
    expect(new Set(attacks.map((a) => a.name)).size).toBe(attacks.length);
  });

  for (const a of attacks) {
    it(a.name, async () => {
      a.setup?.();
      const before = snapshot();
      const sb = Sandbox.create([root]);
      let result: unknown;
      let error: unknown;
      try {
        result = await a.run(sb);
      } catch (e) {
        error = e;
      }
      if (result && typeof result === 'object' && 'handle' in result) await (result as { handle: fs.promises.FileHandle }).handle.close();
      if (a.expect === 'ok') {
        expect(error).toBeUndefined();
      } else {
        expect(error, 'the attack must be refused').toBeInstanceOf(ToolError);
        expect(a.expect ?? DENIED).toContain((error as ToolError).code);
      }
      // nothing outside came back: no content, no outside name (a message may echo the caller's
      // own literal name inside the root), no outside path anywhere
      const message = error instanceof Error ? `${error.message} ${(error as ToolError).hint ?? ''}` : '';
      const text = shown(result) + message;
      expect(text).not.toContain(SECRET);
      expect(shown(result) ?? '').not.toContain(OUT_NAME);
      expect(text).not.toContain(outside);
      expect(text).not.toContain(evil);
      // nothing outside changed, nothing appeared outside the root
      expect(snapshot()).toBe(before);
      a.check?.(result);
    });
  }
});

describe('sandbox: races', () => {
  it('a directory swapped for a symlink to outside during reads and writes never leaks or changes outside files', async () => {
    fs.mkdirSync(R('race'));
    fs.writeFileSync(R('race', 'file.txt'), 'inside version');
    fs.mkdirSync(R('.parking'));
    const before = snapshot();
    const sb = Sandbox.create([root]);
    const swapper = inChildProcess(SWAP_DIR_FOR_LINK, { dir: R('race'), parked: R('.parking', 'race'), target: O('dir') }, 300);
    let running = true;
    void swapper.finally(() => (running = false));
    const leaks: string[] = [];
    let ok = 0;
    let refused = 0;
    let n = 0;
    const outsideSize = fs.statSync(O('dir', 'file.txt')).size;
    while (running) {
      n++;
      const ops = await Promise.allSettled([
        sb.readFile('race/file.txt').then((r) => {
          if (r.data.toString().includes(SECRET)) leaks.push('read');
        }),
        sb.writeFile('race/file.txt', 'overwritten inside', { overwrite: true }),
        sb.writeFile(`race/new-${n}.txt`, 'x'),
        sb.readdir('race').then((r) => {
          if (r.entries.some((e) => e.name.includes(OUT_NAME))) leaks.push('list');
        }),
        sb.stat('race/file.txt').then((r) => {
          if (r.stat.size === outsideSize) leaks.push('stat');
        }),
        sb.mkdir(`race/made-${n}/x`, { recursive: true }),
        sb.copyFile('hello.txt', `race/copy-${n}.txt`),
        sb.openRead('race/file.txt').then(async (o) => {
          const data = await o.handle.readFile();
          await o.handle.close();
          if (data.toString().includes(SECRET)) leaks.push('openRead');
        }),
      ]);
      for (const r of ops) {
        if (r.status === 'fulfilled') ok++;
        else if (r.reason instanceof ToolError) refused++;
        else throw r.reason; // anything but a ToolError is a bug
      }
    }
    const swaps = await swapper;
    expect(leaks).toEqual([]);
    expect(snapshot()).toBe(before);
    // the race really ran: the swapper swapped, and operations both succeeded and were refused
    expect(swaps).toBeGreaterThan(10);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('a subdirectory swapped for a symlink to outside during recursive deletes never deletes outside files', async () => {
    fs.mkdirSync(R('.parking'));
    const before = snapshot();
    const sb = Sandbox.create([root]);
    const swapper = inChildProcess(SWAP_DIR_FOR_LINK, { dir: R('t', 'sub'), parked: R('.parking', 'sub'), target: O('dir') }, 300);
    let running = true;
    void swapper.finally(() => (running = false));
    let removed = 0;
    let n = 0;
    while (running) {
      // The tree is built aside (the swapper never touches it) and renamed into place: building it
      // in place would let this test's own writes follow the swapper's symlink.
      const stage = R('.stage', `t${n++}`);
      fs.mkdirSync(join(stage, 'sub', 'deeper'), { recursive: true });
      for (const f of ['file.txt', `${OUT_NAME}-inner.txt`, 'a', 'b', 'deeper/c']) fs.writeFileSync(join(stage, 'sub', f), 'inside');
      try {
        fs.renameSync(stage, R('t'));
      } catch {
        /* t is still there (being deleted, or not empty): delete it as it is */
      }
      try {
        await sb.remove('t', { recursive: true });
        removed++;
      } catch (e) {
        if (!(e instanceof ToolError)) throw e;
      }
    }
    const swaps = await swapper;
    expect(snapshot()).toBe(before);
    expect(swaps).toBeGreaterThan(10);
    expect(removed).toBeGreaterThan(0);
  });
});
