// The sandbox's descriptor operations, on canonical paths the façade has already checked: a
// directory is opened with O_DIRECTORY|O_NOFOLLOW and where the descriptor really points is read
// back from /proc/self/fd (a realpath check where there is no /proc); entries are reached through
// `/proc/self/fd/N/name` with O_NOFOLLOW. Built on that: reading opens, `wx` creation and temp file +
// rename replacement, directory creation, no-clobber moves, listings and tree walks that never
// follow a link, and recursive deletion through directory descriptors.
import { constants as C, type Dir, type Dirent, type Stats } from 'node:fs';
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
}

// /proc is checked once, lazily: containers without it fall back to the path-based checks.
let procProbe: Promise<boolean> | undefined;
const hasProc = () =>
  (procProbe ??=
    process.platform === 'linux'
      ? fs.access('/proc/self/fd').then(
          () => true,
          () => false,
        )
      : Promise.resolve(false));

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
    return { via: real, close: async () => {} };
  }
  let h: FileHandle;
  try {
    h = await fs.open(dir, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    if (errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR') throw roots.denied('a directory on the path was replaced by a link');
    throw sysError(e, roots.display(dir));
  }
  if (!(await fdInside(roots, h))) {
    await h.close();
    throw roots.denied(`a directory on the path now leads outside ${roots.label}`);
  }
  return { via: `/proc/self/fd/${h.fd}`, close: () => h.close() };
}

/** Where an open descriptor really points (Linux), checked against the roots. */
async function fdInside(roots: RootSet, h: FileHandle): Promise<boolean> {
  const where = await fs.readlink(`/proc/self/fd/${h.fd}`).catch(() => '');
  return !!where && !!roots.rootOf(where.replace(/ \(deleted\)$/, ''));
}

/** After opening a file: checks its real location (descriptor on Linux, realpath elsewhere). */
async function checkOpened(roots: RootSet, h: FileHandle, expected: string): Promise<void> {
  const ok = (await hasProc()) ? await fdInside(roots, h) : !!roots.rootOf(await fs.realpath(expected).catch(() => ''));
  if (!ok) {
    await h.close();
    throw roots.denied(`the file now lies outside ${roots.label}`);
  }
}

// ---------------------------------------------------------------- reading

/** Opens the regular file `file` (checked, existing, not a directory) through its parent's descriptor. */
export async function openFile(roots: RootSet, file: string): Promise<{ handle: FileHandle; stat: Stats }> {
  const dir = await openDir(roots, path.dirname(file));
  let h: FileHandle;
  try {
    // O_NONBLOCK: a FIFO must not hang the call (it is refused below as not a regular file).
    h = await fs.open(path.join(dir.via, path.basename(file)), C.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
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
    const st = await fs.lstat(path.join(dir.via, path.basename(entry)));
    if (follow && st.isSymbolicLink()) throw roots.denied('the entry was replaced by a link');
    return st;
  } catch (e) {
    throw sysError(e, entry);
  } finally {
    await dir.close();
  }
}

/** Lists the directory `dirPath` through its descriptor; entries name it by its real path. */
export async function listDir(roots: RootSet, dirPath: string): Promise<Dirent[]> {
  const dir = await openDir(roots, dirPath);
  try {
    const entries = await fs.readdir(dir.via, { withFileTypes: true });
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
 */
export async function* walkTree(roots: RootSet, start: string, opts: { maxDepth?: number; signal?: AbortSignal; prune?: (rel: string, entry: Dirent) => boolean }): AsyncGenerator<WalkEntry> {
  const top = await openDir(roots, start);
  const proc = await hasProc();
  const maxDepth = opts.maxDepth ?? Infinity;
  async function* visit(via: string, real: string, rel: string, depth: number): AsyncGenerator<WalkEntry> {
    let dir: Dir;
    try {
      dir = await fs.opendir(via, { bufferSize: 512 });
    } catch {
      return; // unreadable directory: skipped
    }
    try {
      for await (const entry of dir) {
        if (opts.signal?.aborted) return;
        const childRel = rel ? `${rel}/${entry.name}` : entry.name;
        if (opts.prune?.(childRel, entry)) continue;
        const childReal = path.join(real, entry.name);
        yield { path: childReal, rel: childRel, entry, depth, via: path.join(via, entry.name) };
        if (entry.isDirectory() && depth + 1 < maxDepth) {
          let h: FileHandle | undefined;
          try {
            h = await fs.open(path.join(via, entry.name), C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
          } catch {
            continue; // replaced by a link or gone: not entered
          }
          try {
            yield* visit(proc ? `/proc/self/fd/${h.fd}` : childReal, childReal, childRel, depth + 1);
          } finally {
            await h.close();
          }
        }
      }
    } finally {
      await dir.close().catch(() => {});
    }
  }
  try {
    yield* visit(top.via, start, '', 0);
  } finally {
    await top.close();
  }
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
  let handle: FileHandle;
  try {
    handle = await fs.open(path.join(dir.via, name), C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, exactMode ?? 0o666);
  } catch (e) {
    await dir.close();
    throw sysError(e, target);
  }
  if (exactMode !== undefined) await handle.chmod(exactMode).catch(() => {});
  const created = await handle.stat();
  let done = false;
  // Removes our file by name, only if the name still holds the inode we created.
  const discard = async () => {
    const at = path.join(dir.via, name);
    const now = await fs.lstat(at).catch(() => undefined);
    if (now && now.ino === created.ino && now.dev === created.dev) await fs.unlink(at).catch(() => {});
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
      if (replacing) await fs.rename(path.join(dir.via, name), path.join(dir.via, base));
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
      await fs.mkdir(path.join(dir.via, name), opts.mode ?? 0o777);
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
