// The sandbox's descriptor operations, on canonical paths the façade has already checked: a
// directory is opened with O_DIRECTORY|O_NOFOLLOW and where the descriptor really points is read
// back from /proc/self/fd (a realpath check where there is no /proc); entries are reached through
// `/proc/self/fd/N/name` with O_NOFOLLOW. Built on that: reading opens, `wx` creation and temp file +
// rename replacement, directory creation, no-clobber moves, listings and tree walks that never
// follow a link, and recursive deletion through directory descriptors.
import { constants as C, type Dir, type Dirent, type Stats } from 'node:fs';
import * as fsSync from 'node:fs';
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { systemErrorToToolError, ToolError } from '../errors.js';
import type { RootSet } from './roots.js';

const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;
const O_DIRECTORY = C.O_DIRECTORY ?? 0;
const O_NONBLOCK = C.O_NONBLOCK ?? 0;
const TMP_SUFFIX = '.bizmcp-tmp';
/** Opening a file to read: never through a final link; a FIFO must not hang (refused later as not a regular file). */
const READ = C.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

export interface WalkEntry {
  /** Canonical path of the entry. */
  path: string;
  /** Path relative to the walk's start, with "/" separators. */
  rel: string;
  entry: Dirent;
  /** 0 for the start directory's children. */
  depth: number;
  /** Where to open it safely (through the parent's descriptor, with O_NOFOLLOW); valid during the iteration only. */
  via: string;
  /** Opens the entry read-only without following a link, safely in both sandbox modes; returns the descriptor (valid during the iteration only). */
  openSync(): number;
  /**
   * With the walk's `readFiles` option, a regular file's bytes (valid during the iteration only:
   * later files reuse the memory), or undefined when it could not be opened or is larger than
   * `maxBytes`. Not set for other entries or without the option.
   */
  content?: Buffer;
}

/** Options of walkTree. */
export interface WalkOptions {
  maxDepth?: number;
  signal?: AbortSignal;
  /** Returning true skips an entry (and, for a directory, everything below it). */
  prune?: (rel: string, entry: Dirent) => boolean;
  /** Read each regular file (up to `maxBytes`) during the walk: see WalkEntry.content. */
  readFiles?: { maxBytes: number };
}

export interface OpenedWrite {
  handle: FileHandle;
  path: string;
  /** Publishes the file (a replacement is renamed over the target). */
  commit(): Promise<{ path: string; created: boolean }>;
  /** Discards what was written; nothing is left behind. */
  abort(): Promise<void>;
}

/** A directory opened and checked: `via` reaches entries inside it through the descriptor. */
interface OpenDir {
  via: string;
  close(): Promise<void>;
  /** Paths mode: the directory's checked real path, where pinned() works. */
  real?: string;
}

// /proc is checked once, lazily: containers without it, macOS and Windows use the path-based
// checks. BIZMCP_SANDBOX_MODE=paths forces those on Linux too (read at the first file operation),
// so that the attack tables run in both modes here (see docs/security.md).
let procProbe: Promise<boolean> | undefined;
const hasProc = () =>
  (procProbe ??=
    process.platform === 'linux' && process.env.BIZMCP_SANDBOX_MODE !== 'paths'
      ? fs.access('/proc/self/fd').then(
          () => true,
          () => false,
        )
      : Promise.resolve(false));

/** Which checks this process's sandbox uses: descriptor-relative (Linux with /proc) or path-based. */
export async function sandboxMode(): Promise<'descriptors' | 'paths'> {
  return (await hasProc()) ? 'descriptors' : 'paths';
}

export const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

/** A system error as a ToolError naming `shown` (always a path inside the roots, or nothing). */
export const sysError = (e: unknown, shown?: string): unknown => (e instanceof ToolError ? e : (systemErrorToToolError(e as NodeJS.ErrnoException, shown) ?? e));

/**
 * Opens the directory `dir` (canonical, inside a root) without following a final symlink and
 * checks where the descriptor really points. Entries are then reached through `via`.
 */
async function openDir(roots: RootSet, dir: string): Promise<OpenDir> {
  if (!(await hasProc())) {
    const real = await fs.realpath(dir).catch((e) => {
      throw sysError(e, roots.display(dir));
    });
    if (!roots.rootOf(real)) throw roots.denied(`a directory on the path now leads outside ${roots.label}`);
    return { via: real, real, close: async () => {} };
  }
  // Synchronous: opening a directory, reading back where its descriptor points and closing it are
  // short metadata calls; through the thread pool they cost more than the rest of a call.
  let fd: number;
  try {
    fd = fsSync.openSync(dir, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    if (errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR') throw roots.denied('a directory on the path was replaced by a link');
    throw sysError(e, roots.display(dir));
  }
  if (!fdInside(roots, fd)) {
    fsSync.closeSync(fd);
    throw roots.denied(`a directory on the path now leads outside ${roots.label}`);
  }
  let open = true;
  return {
    via: `/proc/self/fd/${fd}`,
    close: async () => {
      if (open) fsSync.closeSync(fd);
      open = false;
    },
  };
}

/** Where an open descriptor really points (Linux): `/proc/self/fd/N` read back; undefined if unreadable. */
function fdTarget(fd: number): string | undefined {
  try {
    return fsSync.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** Where an open descriptor really points (Linux), checked against the roots. */
function fdInside(roots: RootSet, fd: number): boolean {
  const where = fdTarget(fd);
  return !!where && !!roots.rootOf(where.replace(/ \(deleted\)$/, ''));
}

/**
 * After opening a file: checks its real location. With /proc, where the descriptor points; without,
 * the real path of the name must be inside and hold the very file that was opened (same device and
 * inode), so a directory swapped before the open and back after it is caught.
 */
async function checkOpened(roots: RootSet, h: FileHandle, expected: string): Promise<void> {
  let ok: boolean;
  if (await hasProc()) ok = fdInside(roots, h.fd);
  else {
    // the name, reached from its directory pinned inside the roots, must hold the opened file
    const opened = await h.stat();
    try {
      const st = pinned(roots, path.dirname(expected), () => fsSync.lstatSync(path.basename(expected), { throwIfNoEntry: false }));
      ok = !!st && st.dev === opened.dev && st.ino === opened.ino;
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    await h.close();
    throw roots.denied(`the file now lies outside ${roots.label}`);
  }
}

/**
 * Paths mode: runs `fn` synchronously with the process's working directory pinned to the directory
 * `real` (checked inside the roots after the change, by its real path as the system reports it), so
 * that `fn` reaches entries by bare names relative to a directory that cannot be swapped under it.
 * What runs meanwhile cannot interleave (no await); the previous working directory is restored.
 */
function pinned<T>(roots: RootSet, real: string, fn: () => T): T {
  let entered = false;
  try {
    return inDirectory(real, () => {
      entered = true;
      if (!roots.rootOf(fsSync.realpathSync.native('.'))) throw roots.denied(`a directory on the path now leads outside ${roots.label}`);
      return fn();
    });
  } catch (e) {
    if (!entered) throw sysError(e, roots.display(real));
    throw e;
  }
}

/**
 * Runs `fn` synchronously with the process's working directory changed to `dir`, then puts the
 * previous one back (or `/` if it is gone: never left inside a sandbox). Throws, without running
 * `fn`, when the working directory cannot be changed (`dir` unreachable, a worker thread) or the
 * current one cannot be read back.
 */
function inDirectory<T>(dir: string, fn: () => T): T {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    try {
      process.chdir(before);
    } catch {
      process.chdir('/');
    }
  }
}

// ---------------------------------------------------------------- reading

/** Opens the regular file `file` (checked, existing, not a directory) through its parent's descriptor. */
export async function openFile(roots: RootSet, file: string): Promise<{ handle: FileHandle; stat: Stats }> {
  const dir = await openDir(roots, path.dirname(file));
  let h: FileHandle;
  try {
    h = await fs.open(path.join(dir.via, path.basename(file)), READ);
  } catch (e) {
    if (errno(e) === 'ELOOP') throw roots.denied('the file was replaced by a link');
    throw sysError(e, file);
  } finally {
    await dir.close();
  }
  await checkOpened(roots, h, file);
  const stat = await h.stat();
  if (!stat.isFile()) {
    await h.close();
    throw new ToolError(`Not a regular file: ${file}`, { code: 'invalid_argument' });
  }
  return { handle: h, stat };
}

/** Reads until `buf` is full or the file ends; returns the bytes read. */
export async function readFull(h: FileHandle, buf: Buffer): Promise<number> {
  let n = 0;
  while (n < buf.length) {
    const { bytesRead } = await h.read(buf, n, buf.length - n, null);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n;
}

/**
 * lstat of `entry` (not a root) taken through its parent's descriptor; with `follow`, an entry
 * that is a link by then is refused.
 */
export async function lstatAt(roots: RootSet, entry: string, follow: boolean): Promise<Stats> {
  const dir = await openDir(roots, path.dirname(entry));
  try {
    const st = dir.real !== undefined ? pinned(roots, dir.real, () => fsSync.lstatSync(path.basename(entry))) : fsSync.lstatSync(path.join(dir.via, path.basename(entry)));
    if (follow && st.isSymbolicLink()) throw roots.denied('the entry was replaced by a link');
    return st;
  } catch (e) {
    throw sysError(e, entry);
  } finally {
    await dir.close();
  }
}

/**
 * Directories the stat fast path opened lately, kept open a moment: a run of calls in one directory
 * then costs a readlink and an lstat each instead of also an open and a close. A cached descriptor
 * proves nothing by itself: every use reads back where it points now, exactly as after a fresh open
 * (a directory renamed, deleted or swapped for a link no longer reads back as `dir`, and is closed).
 * At most 16, all closed after a second without use.
 */
const statDirs = new Map<string, { fd: number; used: number }>();
let statDirSweep: NodeJS.Timeout | undefined;
const STAT_DIRS_MAX = 16;
const STAT_DIR_IDLE_MS = 1000;

function dropStatDir(dir: string): void {
  const e = statDirs.get(dir);
  if (!e) return;
  statDirs.delete(dir);
  try {
    fsSync.closeSync(e.fd);
  } catch {
    // already gone
  }
}

/** A descriptor of `dir` that reads back as `dir` now, or undefined. */
function canonicalDirFd(dir: string): number | undefined {
  const now = Date.now();
  const cached = statDirs.get(dir);
  if (cached) {
    if (fdTarget(cached.fd) === dir) {
      cached.used = now;
      return cached.fd;
    }
    dropStatDir(dir);
  }
  let fd: number;
  try {
    fd = fsSync.openSync(dir, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch {
    return undefined;
  }
  if (fdTarget(fd) !== dir) {
    fsSync.closeSync(fd);
    return undefined;
  }
  if (statDirs.size >= STAT_DIRS_MAX) dropStatDir(statDirs.keys().next().value!);
  statDirs.set(dir, { fd, used: now });
  statDirSweep ??= setInterval(() => {
    const stale = Date.now() - STAT_DIR_IDLE_MS;
    for (const [d, e] of statDirs) if (e.used <= stale) dropStatDir(d);
    if (!statDirs.size) {
      clearInterval(statDirSweep);
      statDirSweep = undefined;
    }
  }, STAT_DIR_IDLE_MS).unref();
  return fd;
}

/**
 * The fast path of a stat: lstat of `name` in `dir` (canonical by the lexical rules, inside a
 * root) through the directory's descriptor, when that descriptor shows `dir` is its own real path
 * (no link on the way). Undefined otherwise (paths mode, a link on the way, any error): the caller
 * then takes the full walk, which explains what it finds.
 */
export async function lstatIfCanonical(dir: string, name: string): Promise<Stats | undefined> {
  if (!(await hasProc())) return undefined;
  const fd = canonicalDirFd(dir);
  if (fd === undefined) return undefined;
  try {
    return fsSync.lstatSync(`/proc/self/fd/${fd}/${name}`, { throwIfNoEntry: false }) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Lists the directory `dirPath` through its descriptor; entries name it by its real path. */
export async function listDir(roots: RootSet, dirPath: string): Promise<Dirent[]> {
  const dir = await openDir(roots, dirPath);
  try {
    const entries = dir.real !== undefined ? pinned(roots, dir.real, () => fsSync.readdirSync('.', { withFileTypes: true })) : await fs.readdir(dir.via, { withFileTypes: true });
    // Entries name the directory by its real path, not the descriptor they were read through.
    for (const e of entries) Object.assign(e, { parentPath: dirPath, path: dirPath });
    return entries;
  } catch (e) {
    throw sysError(e, dirPath);
  } finally {
    await dir.close();
  }
}

/** Opens the directory `dirPath` for streaming iteration through its descriptor. */
export async function iterateDir(roots: RootSet, dirPath: string): Promise<{ dir: AsyncIterable<Dirent>; close(): Promise<void> }> {
  const d = await openDir(roots, dirPath);
  if (d.real !== undefined) {
    // paths mode: listed at once from the pinned directory
    const real = d.real;
    const entries = (() => {
      try {
        return pinned(roots, real, () => fsSync.readdirSync('.', { withFileTypes: true }));
      } catch (e) {
        throw sysError(e, dirPath);
      }
    })();
    for (const e of entries) Object.assign(e, { parentPath: dirPath, path: dirPath });
    return {
      dir: (async function* () {
        yield* entries;
      })(),
      close: async () => {},
    };
  }
  const it = await fs.opendir(d.via, { bufferSize: 256 }).catch(async (e) => {
    await d.close();
    throw sysError(e, dirPath);
  });
  return {
    dir: it,
    close: async () => {
      await it.close().catch(() => {});
      await d.close();
    },
  };
}

/**
 * Walks the tree below `start` depth-first; each subdirectory is opened through its parent's
 * descriptor with O_NOFOLLOW, so a directory swapped for a link is skipped, never entered.
 * Directories are read with synchronous calls (an asynchronous read per batch of entries left the
 * process idle half the time); the event loop is given back every few milliseconds (`breather`),
 * so cancellation and other requests are served during a long walk.
 */
export async function* walkTree(roots: RootSet, start: string, opts: WalkOptions): AsyncGenerator<WalkEntry> {
  const top = await openDir(roots, start);
  const maxDepth = opts.maxDepth ?? Infinity;
  if (top.real !== undefined) {
    yield* walkPinned(roots, top.real, start, opts, maxDepth);
    return;
  }
  // One frame per directory being listed: its listing, the O_NOFOLLOW descriptor it was reached
  // through (-1 for the start, whose descriptor `top` holds), where it is, and an entry read ahead
  // of a batch of files that is still to be handled.
  type Frame = { dir: Dir; fd: number; via: string; real: string; rel: string; depth: number; held?: Dirent };
  // Names from a listing hold no "/" and are never "." or "..", and `real` and `via` are canonical:
  // joined by concatenation (path.join normalises, a tenth of a walk's time over many files)
  const under = (dir: string, name: string) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);
  const stack: Frame[] = [];
  const breathe = breather(opts.signal);
  const reader = opts.readFiles && new FileReader(opts.readFiles.maxBytes);
  const enter = (fd: number, via: string, real: string, rel: string, depth: number): void => {
    try {
      stack.push({ dir: fsSync.opendirSync(via, { bufferSize: 512 }), fd, via, real, rel, depth });
    } catch {
      if (fd >= 0) fsSync.closeSync(fd); // unreadable directory: skipped
    }
  };
  const leave = (f: Frame): void => {
    try {
      f.dir.closeSync();
    } catch {}
    if (f.fd >= 0) fsSync.closeSync(f.fd);
  };
  const relOf = (f: Frame, name: string) => (f.rel ? `${f.rel}/${name}` : name);
  const entryOf = (f: Frame, entry: Dirent, rel: string): WalkEntry => {
    const at = under(f.via, entry.name);
    return { path: under(f.real, entry.name), rel, entry, depth: f.depth, via: at, openSync: () => fsSync.openSync(at, READ) };
  };
  const next = (f: Frame): Dirent | null => {
    const held = f.held;
    if (held) {
      f.held = undefined;
      return held;
    }
    try {
      return f.dir.readSync();
    } catch {
      return null; // the directory went away while it was read: what was listed stands
    }
  };
  try {
    enter(-1, top.via, start, '', 0);
    while (stack.length) {
      const f = stack[stack.length - 1];
      const entry = next(f);
      if (!entry) {
        leave(f);
        stack.pop();
        continue;
      }
      const go = breathe();
      if (go !== true && !(await go)) return;
      const childRel = relOf(f, entry.name);
      if (opts.prune?.(childRel, entry)) continue;
      if (reader && entry.isFile()) {
        // This file and the files listed after it in the same directory (up to a batch) are read
        // in one go, with the working directory pinned to the directory's descriptor: opening
        // `/proc/self/fd/N/name` walks /proc for every file (6-9 µs), a bare name 3 µs.
        const batch: { entry: Dirent; rel: string }[] = [{ entry, rel: childRel }];
        // (entries pruned meanwhile count too: the event loop is given back between batches)
        for (let looked = 1; batch.length < FileReader.batch && looked < 4 * FileReader.batch; looked++) {
          const more = next(f);
          if (!more) break;
          const rel = relOf(f, more.name);
          if (opts.prune?.(rel, more)) continue;
          if (!more.isFile()) {
            f.held = more; // handled on the next turn, after this batch
            break;
          }
          batch.push({ entry: more, rel });
        }
        const contents = reader.readIn(
          f.via,
          batch.map((b) => b.entry.name),
        );
        for (let i = 0; i < batch.length; i++) {
          const e = entryOf(f, batch[i].entry, batch[i].rel);
          e.content = i < contents.length ? contents[i] : reader.read(e.via);
          yield e;
        }
        continue;
      }
      const child = entryOf(f, entry, childRel);
      const { via: at, path: childReal } = child;
      yield child;
      if (entry.isDirectory() && f.depth + 1 < maxDepth) {
        let fd: number;
        try {
          fd = fsSync.openSync(at, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch {
          continue; // replaced by a link or gone: not entered
        }
        enter(fd, `/proc/self/fd/${fd}`, childReal, childRel, f.depth + 1);
      }
    }
  } finally {
    for (const f of stack) leave(f);
    await top.close();
  }
}

/**
 * Reads the regular files of a walk (`readFiles`): into one reused arena while it has room (the
 * bytes are valid until the arena is reset), a larger file into its own buffer; undefined for a
 * file that cannot be opened or read, or is larger than `max`.
 */
class FileReader {
  /** Files read per pinned section. */
  static readonly batch = 64;
  /** A file is read into the arena only while this much of it is left. */
  private static readonly room = 64 * 1024;
  private arena = Buffer.allocUnsafe(1024 * 1024);
  private used = 0;

  constructor(private readonly max: number) {}

  /** What was read before is no longer needed. */
  reset(): void {
    this.used = 0;
  }

  /**
   * Reads `names` in the directory `via` (a checked /proc/self/fd path, open during the call) with
   * the working directory pinned there (inDirectory: nothing else runs meanwhile). Returns the
   * contents of the files it got to: a prefix of `names`, shorter when the arena fills, empty when
   * the working directory cannot be changed here (a worker thread); the rest are for `read` by
   * their /proc path.
   */
  readIn(via: string, names: string[]): (Buffer | undefined)[] {
    this.reset();
    const out: (Buffer | undefined)[] = [];
    try {
      inDirectory(via, () => {
        for (const name of names) {
          if (this.arena.length - this.used < FileReader.room) break;
          out.push(this.read(name));
        }
      });
    } catch {
      // not possible here: through /proc
    }
    return out;
  }

  /** Reads one file by its name or path (what was read since the last reset stays valid). */
  read(name: string): Buffer | undefined {
    let fd: number;
    try {
      fd = fsSync.openSync(name, READ);
    } catch {
      return undefined;
    }
    try {
      const inArena = this.arena.length - this.used >= FileReader.room;
      const into = inArena ? this.arena : Buffer.allocUnsafe(FileReader.room);
      const at = inArena ? this.used : 0;
      const first = Math.min(into.length - at, this.max + 1);
      let n = fsSync.readSync(fd, into, at, first, 0);
      if (n > this.max) return undefined;
      if (n < first) {
        // a short read of a regular file is its end
        if (inArena) this.used += n;
        return into.subarray(at, at + n);
      }
      const size = fsSync.fstatSync(fd).size;
      if (size > this.max) return undefined;
      const whole = Buffer.allocUnsafe(Math.max(size, n));
      into.copy(whole, 0, at, at + n);
      while (n < whole.length) {
        const r = fsSync.readSync(fd, whole, n, whole.length - n, n);
        if (r === 0) break;
        n += r;
      }
      return whole.subarray(0, n);
    } catch {
      return undefined;
    } finally {
      fsSync.closeSync(fd);
    }
  }
}

/**
 * For long synchronous loops: the returned function gives the event loop back (one setImmediate)
 * once at least `sliceMs` have passed since it last did, and resolves false once `signal` fired.
 */
export function breather(signal: AbortSignal | undefined, sliceMs = 8): () => Promise<boolean> | boolean {
  let since = performance.now();
  return () => {
    if (signal?.aborted) return false;
    if (performance.now() - since < sliceMs) return true;
    return new Promise<boolean>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve(!signal?.aborted);
      }),
    );
  };
}

/**
 * walkTree in paths mode: each directory is listed from the pinned working directory, a
 * subdirectory is entered only while it is still the directory that was listed (same identity),
 * and entries are opened by bare name in their pinned directory.
 */
async function* walkPinned(roots: RootSet, real: string, start: string, opts: WalkOptions, maxDepth: number): AsyncGenerator<WalkEntry> {
  const reader = opts.readFiles && new FileReader(opts.readFiles.maxBytes);
  async function* visit(dirReal: string, shown: string, rel: string, depth: number, id: Id | undefined): AsyncGenerator<WalkEntry> {
    let entries: { entry: Dirent; id?: Id }[];
    try {
      entries = pinned(roots, dirReal, () => {
        if (id && !sameId(idOf(fsSync.statSync('.')), id)) return [];
        return fsSync.readdirSync('.', { withFileTypes: true }).map((entry) => {
          const st = entry.isDirectory() ? fsSync.lstatSync(entry.name, { throwIfNoEntry: false }) : undefined;
          return { entry, id: st?.isDirectory() ? idOf(st) : undefined };
        });
      });
    } catch {
      return; // unreadable, or no longer inside: skipped
    }
    for (const { entry, id: childId } of entries) {
      const go = breathe();
      if (go !== true && !(await go)) return;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (opts.prune?.(childRel, entry)) continue;
      const childShown = path.join(shown, entry.name);
      const childReal = path.join(dirReal, entry.name);
      const e: WalkEntry = { path: childShown, rel: childRel, entry, depth, via: childReal, openSync: () => pinned(roots, dirReal, () => fsSync.openSync(entry.name, READ)) };
      if (reader && entry.isFile()) {
        reader.reset();
        try {
          e.content = pinned(roots, dirReal, () => reader.read(entry.name));
        } catch {
          e.content = undefined; // no longer inside: not read
        }
      }
      yield e;
      if (entry.isDirectory() && childId && depth + 1 < maxDepth) yield* visit(childReal, childShown, childRel, depth + 1, childId);
    }
  }
  const breathe = breather(opts.signal);
  yield* visit(real, start, '', 0, undefined);
}

// ---------------------------------------------------------------- writing

/**
 * Opens `target` (checked; its parent `parentPath` an existing directory) for writing: a new file is
 * created `wx` (O_CREAT|O_EXCL|O_NOFOLLOW) under its own name; a replacement is written to a temp
 * sibling renamed over the target on commit. `exactMode` is applied exactly (not narrowed by the umask).
 */
export async function openForWrite(roots: RootSet, o: { target: string; parentPath: string; replacing: boolean; exactMode: number | undefined }): Promise<OpenedWrite> {
  const { target, replacing, exactMode } = o;
  const base = path.basename(target);
  // The name opened: the target itself for a new file, a temp sibling for a replacement.
  const name = replacing ? `.${base.slice(0, 100)}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}` : base;
  const dir = await openDir(roots, o.parentPath);
  const real = dir.real;
  let handle: FileHandle;
  let created: Stats;
  try {
    if (real === undefined) {
      handle = await fs.open(path.join(dir.via, name), C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, exactMode ?? 0o666);
      if (exactMode !== undefined) await handle.chmod(exactMode).catch(() => {});
      created = await handle.stat();
    } else {
      // Paths mode: created by its bare name in the pinned directory, then opened again by path
      // and kept only if that is the very file created (a swapped directory shows as another inode).
      created = pinned(roots, real, () => {
        const fd = fsSync.openSync(name, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, exactMode ?? 0o666);
        try {
          if (exactMode !== undefined) fsSync.fchmodSync(fd, exactMode);
          return fsSync.fstatSync(fd);
        } finally {
          fsSync.closeSync(fd);
        }
      });
      handle = await fs.open(path.join(real, name), C.O_WRONLY | O_NOFOLLOW);
      const now = await handle.stat();
      if (now.ino !== created.ino || now.dev !== created.dev) {
        await handle.close();
        throw roots.denied('the directory was replaced while the file was created');
      }
    }
  } catch (e) {
    await dir.close();
    throw sysError(e, target);
  }
  let done = false;
  // Removes our file by name, only if the name still holds the inode we created.
  const discard = async () => {
    const same = (now: Stats | undefined) => !!now && now.ino === created.ino && now.dev === created.dev;
    if (real !== undefined) {
      return pinned(roots, real, () => {
        if (same(fsSync.lstatSync(name, { throwIfNoEntry: false }))) fsSync.unlinkSync(name);
      });
    }
    const at = path.join(dir.via, name);
    if (same(await fs.lstat(at).catch(() => undefined))) await fs.unlink(at).catch(() => {});
  };
  const abort = async () => {
    if (done) return;
    done = true;
    await handle.close().catch(() => {});
    await discard();
    await dir.close();
  };
  const commit = async () => {
    if (done) throw new Error('openWrite: already committed or aborted');
    done = true;
    try {
      await handle.close();
      if (replacing && real !== undefined) pinned(roots, real, () => fsSync.renameSync(name, base));
      else if (replacing) await fs.rename(path.join(dir.via, name), path.join(dir.via, base));
    } catch (e) {
      await discard();
      throw sysError(e, target);
    } finally {
      await dir.close();
    }
    return { path: target, created: !replacing };
  };
  return { handle, path: target, commit, abort };
}

/**
 * Creates the directories `missing` one below the other under the existing directory `existing`,
 * each through its checked parent, then opens the last once more (a link put in its place is refused).
 */
export async function mkdirChain(roots: RootSet, existing: string, missing: string[], opts: { recursive?: boolean; mode?: number }): Promise<void> {
  let cur = existing;
  for (const name of missing) {
    const dir = await openDir(roots, cur);
    try {
      if (dir.real !== undefined) pinned(roots, dir.real, () => fsSync.mkdirSync(name, opts.mode ?? 0o777));
      else await fs.mkdir(path.join(dir.via, name), opts.mode ?? 0o777);
    } catch (e) {
      // Created meanwhile by someone else: fine if it is a real directory (openDir checks it next).
      if (errno(e) !== 'EEXIST') throw sysError(e, path.join(cur, name));
      if (!opts.recursive && name === missing[missing.length - 1]) throw sysError(e, path.join(cur, name));
    } finally {
      await dir.close();
    }
    cur = path.join(cur, name);
  }
  await (await openDir(roots, cur)).close();
}

/**
 * Moves the entry `src` to `dst` (whose parent, `dstParent`, is checked) through both parents'
 * descriptors. Without `overwrite`, files move by link + unlink (atomic against a concurrent
 * creation), directories by check-then-rename.
 */
export async function moveEntry(roots: RootSet, o: { src: string; srcIsDir: boolean; dst: string; dstParent: string; overwrite?: boolean }): Promise<void> {
  const a = await openDir(roots, path.dirname(o.src));
  let b: OpenDir;
  try {
    b = await openDir(roots, o.dstParent);
  } catch (e) {
    await a.close();
    throw e;
  }
  try {
    if (a.real !== undefined) {
      // Paths mode: the source by its bare name in its pinned directory; the destination by its
      // checked real path (a swap of the destination directory between its check and the rename
      // is the window that remains here: docs/security.md).
      const d = path.join(b.via, path.basename(o.dst));
      pinned(roots, a.real, () => moveSync(path.basename(o.src), d, o));
      return;
    }
    const s = path.join(a.via, path.basename(o.src));
    const d = path.join(b.via, path.basename(o.dst));
    if (!o.overwrite && !o.srcIsDir && (await linkNoClobber(s, d))) {
      await fs.unlink(s);
    } else {
      if (
        !o.overwrite &&
        (await fs.lstat(d).then(
          () => true,
          () => false,
        ))
      ) {
        throw new ToolError(`Destination already exists: ${o.dst}`, { code: 'already_exists' });
      }
      await fs.rename(s, d);
    }
  } catch (e) {
    if (errno(e) === 'EXDEV') throw new ToolError('Cannot move across file systems', { code: 'conflict', hint: 'Copy the file, then delete the original.' });
    throw sysError(e, o.dst);
  } finally {
    await a.close();
    await b.close();
  }
}

/** moveEntry's steps, synchronous, for the pinned source directory of the paths mode. */
function moveSync(s: string, d: string, o: { srcIsDir: boolean; dst: string; overwrite?: boolean }): void {
  if (!o.overwrite && !o.srcIsDir) {
    try {
      fsSync.linkSync(s, d);
      fsSync.unlinkSync(s);
      return;
    } catch (e) {
      if (errno(e) !== 'EPERM' && errno(e) !== 'ENOTSUP' && errno(e) !== 'EOPNOTSUPP') throw e;
    }
  }
  if (!o.overwrite && fsSync.lstatSync(d, { throwIfNoEntry: false })) throw new ToolError(`Destination already exists: ${o.dst}`, { code: 'already_exists' });
  fsSync.renameSync(s, d);
}

/** link(2) as a no-clobber move step; false when the file system cannot link (then rename is used). */
async function linkNoClobber(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (e) {
    if (errno(e) === 'EPERM' || errno(e) === 'ENOTSUP' || errno(e) === 'EOPNOTSUPP') return false;
    throw e;
  }
}

// ---------------------------------------------------------------- deleting

/**
 * Deletes the entry `entry` (checked, not containing a root) through its parent's descriptor: a file
 * or a link is unlinked; a directory is removed, with its tree when `recursive`.
 */
export async function removeEntry(roots: RootSet, entry: string, recursive: boolean | undefined): Promise<'file' | 'directory' | 'symlink'> {
  const parent = await openDir(roots, path.dirname(entry));
  const name = path.basename(entry);
  try {
    if (parent.real !== undefined) return pinned(roots, parent.real, () => removeEntrySync(roots, name, recursive));
    const st = await fs.lstat(path.join(parent.via, name));
    if (st.isDirectory()) {
      if (recursive) await removeTree(parent.via, name);
      else await fs.rmdir(path.join(parent.via, name));
      return 'directory';
    }
    await fs.unlink(path.join(parent.via, name));
    return st.isSymbolicLink() ? 'symlink' : 'file';
  } catch (e) {
    throw sysError(e, entry);
  } finally {
    await parent.close();
  }
}

/** Removes `name` inside the checked directory `parentVia`, depth first, never following links. */
async function removeTree(parentVia: string, name: string): Promise<void> {
  const at = path.join(parentVia, name);
  const proc = await hasProc();
  const unlinkEntry = (p: string) =>
    fs.unlink(p).catch((err) => {
      if (errno(err) !== 'ENOENT') throw err;
    });
  for (let attempt = 0; ; attempt++) {
    let h: FileHandle;
    try {
      h = await fs.open(at, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (e) {
      // Not a directory (any more): a file or a link, removed as such.
      if (errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR') return unlinkEntry(at);
      if (errno(e) === 'ENOENT') return;
      throw e;
    }
    try {
      // `via` names the directory through this descriptor; it is used only while h is open.
      const via = proc ? `/proc/self/fd/${h.fd}` : at;
      for (const e of await fs.readdir(via, { withFileTypes: true })) {
        const child = path.join(via, e.name);
        if (e.isDirectory()) await removeTree(via, e.name);
        else
          await unlinkEntry(child).catch((err) => {
            // It became a directory since the listing.
            if (errno(err) === 'EISDIR' || errno(err) === 'EPERM') return removeTree(via, e.name);
            throw err;
          });
      }
    } finally {
      await h.close();
    }
    try {
      return await fs.rmdir(at);
    } catch (e) {
      // Something was added meanwhile: another pass, a few times at most.
      if (errno(e) !== 'ENOTEMPTY' || attempt >= 2) throw e;
    }
  }
}

// ---------------------------------------------------------------- deleting, paths mode

type Id = { dev: number; ino: number };
const idOf = (st: Stats): Id => ({ dev: st.dev, ino: st.ino });
const sameId = (a: Id, b: Id) => a.dev === b.dev && a.ino === b.ino;

/** removeEntry in a pinned working directory: `name` is reached relative to it, never by a path. */
function removeEntrySync(roots: RootSet, name: string, recursive: boolean | undefined): 'file' | 'directory' | 'symlink' {
  const st = fsSync.lstatSync(name);
  if (st.isDirectory()) {
    if (recursive) removeTreeSync(roots, name, idOf(fsSync.statSync('.')));
    else fsSync.rmdirSync(name);
    return 'directory';
  }
  fsSync.unlinkSync(name);
  return st.isSymbolicLink() ? 'symlink' : 'file';
}

/**
 * Removes `name` (in the working directory, whose identity is `parent`) depth first: each
 * subdirectory is entered by name and its identity compared with what lstat saw, so a directory
 * swapped for a link is never entered (the link itself is removed); leaving it by `..` lands in the
 * parent's inode, which is checked too.
 */
function removeTreeSync(roots: RootSet, name: string, parent: Id): void {
  const unlinkQuiet = (n: string) => {
    try {
      fsSync.unlinkSync(n);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
    }
  };
  const back = () => {
    process.chdir('..');
    if (!sameId(idOf(fsSync.statSync('.')), parent)) throw roots.denied('a directory was moved during the deletion');
  };
  for (let attempt = 0; ; attempt++) {
    const st = fsSync.lstatSync(name, { throwIfNoEntry: false });
    if (!st) return;
    if (!st.isDirectory()) return unlinkQuiet(name);
    process.chdir(name);
    const here = idOf(fsSync.statSync('.'));
    if (!sameId(here, idOf(st))) {
      // swapped for a link after the lstat: never worked in; the link is removed below
      throw roots.denied('a directory on the path was replaced by a link');
    }
    try {
      for (const e of fsSync.readdirSync('.', { withFileTypes: true })) {
        if (e.isDirectory()) removeTreeSync(roots, e.name, here);
        else {
          try {
            unlinkQuiet(e.name);
          } catch (err) {
            // It became a directory since the listing.
            if (errno(err) !== 'EISDIR' && errno(err) !== 'EPERM') throw err;
            removeTreeSync(roots, e.name, here);
          }
        }
      }
    } finally {
      back();
    }
    try {
      return fsSync.rmdirSync(name);
    } catch (e) {
      // Something was added meanwhile: another pass, a few times at most.
      if (errno(e) !== 'ENOTEMPTY' || attempt >= 2) throw e;
    }
  }
}
