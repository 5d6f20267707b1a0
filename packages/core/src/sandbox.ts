// The sandbox façade: path allow-listing for every server that touches local files (the filesystem
// server, email attachments, scraping downloads). Servers call its operations (openRead,
// writeFile, mkdir, rename, copyFile, remove, readdir, walk, stat) rather than node:fs, so the
// check and the use stay as close together as the OS allows. This file holds the `Sandbox` class:
// `resolve` (the lstat walk and the intent checks) and the operations built on it. The parts it
// uses: sandbox/roots.ts (roots, their canonical forms, MCP roots narrowing), sandbox/paths.ts
// (pure path resolution, no I/O) and sandbox/descriptors.ts (descriptor operations).
//
// How a request path is checked (`resolve`):
//   1. refused outright: non-strings, empty or blank, NUL bytes, `file:` URIs, more than 4096 bytes
//      or 1024 components. Nothing is decoded: `%2e%2e` is a file name, not `..`; no Unicode
//      normalisation either (a look-alike of `.` or `/` is just a character of a name).
//   2. `~` expanded, made absolute (relative paths start at the first root), normalised lexically.
//   3. matched against the roots by whole components (`/data-evil` never matches `/data`), under
//      either spelling of a root (as configured, or its realpath when it goes through a symlink).
//   4. walked from the root down with lstat. A symbolic link on the way is resolved (realpath) and
//      must land inside a root; dangling and looping links are refused. A link is judged by where it
//      finally leads: a chain that ends inside a root is accepted even if a hop lies elsewhere.
//   5. intent checks: `write` refuses directories and files with other hard links; `create`
//      refuses any existing entry (a dangling link included); `entry` does not follow a final link.
//
// How it is used (Linux): operations open the checked parent directory with O_DIRECTORY|O_NOFOLLOW,
// read back where the descriptor really points (`readlink /proc/self/fd/N`) and reach the leaf
// through that descriptor (`/proc/self/fd/N/leaf` behaves like openat) with O_NOFOLLOW. A directory
// swapped for a symlink between the check and the use is caught there. Opened files are checked the
// same way. Elsewhere (no /proc) the same checks run on paths, with a realpath check after opening.
//
// Choices worth knowing:
//   - Hard links: a regular file with more than one link is refused for writing (the other name may
//     lie outside the roots and share the inode). Reading it is allowed: creating the link needed
//     write access inside the root and read access to the file already, so reading leaks nothing
//     the linker could not read. Replacement is by rename anyway, so no outside inode is modified.
//   - A directory held open by an operation may be moved elsewhere by another process while the
//     operation runs; the operation then finishes inside that directory. The sandbox never writes
//     into a directory that was outside the roots when it was checked.
//   - No-clobber renames of directories check-then-rename (Node has no RENAME_NOREPLACE); files use
//     link + unlink, which is atomic against a concurrent creation. Moves across file systems are
//     refused with a clear error (no copy + delete fallback).
//   - Recursive deletion walks directory descriptors itself: fs.rm re-resolves paths, so a
//     directory swapped for a link during the deletion would lead it outside.
//   - Sandbox.create canonicalises synchronously (servers build their sandbox while setting up).
//     The checks of every operation (the lstat walk, realpath, opening a directory and reading back
//     where its descriptor points) are synchronous system calls too: each is a metadata lookup of a
//     few microseconds, and through the thread pool each cost ten times that (a get_file_info made
//     six such hops). Reading, writing, listing and walking stay asynchronous. A path on a network
//     file system that hangs would block the process during a check, as it would block the call.
import type { Dirent, Stats } from 'node:fs';
import * as fsSync from 'node:fs';
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigError } from './config.js';
import { ToolError } from './errors.js';
import {
  errno,
  iterateDir,
  listDir,
  lstatAt,
  lstatIfCanonical,
  mkdirChain,
  moveEntry,
  openFile,
  openForWrite,
  readFull,
  removeEntry,
  sysError,
  walkTree,
  type OpenedWrite,
  type WalkEntry,
  type WalkOptions,
} from './sandbox/descriptors.js';
import { isInside, lexical, matchRoot } from './sandbox/paths.js';
import { canonicalRootsSync, parseFileUri, RootSet, SandboxConfigError, type Root } from './sandbox/roots.js';

export type { OpenedWrite, WalkEntry, WalkOptions } from './sandbox/descriptors.js';
export { sandboxMode } from './sandbox/descriptors.js';
export { SandboxConfigError } from './sandbox/roots.js';

const DEFAULT_MAX_READ = 50 * 1024 * 1024;

const realpathOrUndefined = (p: string): string | undefined => {
  try {
    return fsSync.realpathSync.native(p);
  } catch {
    return undefined;
  }
};
const lstatOrUndefined = (p: string): Stats | undefined => {
  try {
    return fsSync.lstatSync(p);
  } catch {
    return undefined;
  }
};

/** What a caller means to do with a path (see the header). */
export type Intent = 'read' | 'write' | 'create' | 'entry';

export interface Resolved {
  /** Canonical absolute path (inside a root); for a missing entry, the existing canonical prefix + the missing names. */
  path: string;
  /** The root it lies in (canonical). */
  root: string;
  exists: boolean;
  /** lstat of the final entry (when it exists). */
  stat?: Stats;
}

export interface SandboxOptions {
  /** How the roots are named in messages, e.g. "the download directory". Default "the allowed directories". */
  label?: string;
}

export interface OpenedRead {
  handle: FileHandle;
  /** Canonical path of the file. */
  realPath: string;
  stat: Stats;
}

export class Sandbox {
  private readonly rootSet: RootSet;
  private readonly label: string;

  private constructor(roots: Root[], opts: SandboxOptions = {}) {
    this.label = opts.label ?? 'the allowed directories';
    this.rootSet = new RootSet(roots, this.label);
  }

  /**
   * Canonicalises the given directories (realpath, once; `~` expanded); a missing one is a
   * SandboxConfigError naming it. Synchronous so a server can build its sandbox while it sets up.
   */
  static create(paths: string[], opts: SandboxOptions = {}): Sandbox {
    return new Sandbox(canonicalRootsSync(paths), opts);
  }

  /**
   * Sandbox.create for a server's configuration: an unusable directory becomes a ConfigError (one
   * line on stderr, exit 1), prefixed with the setting's name when given. With `onSkip`, unusable
   * directories are skipped (and reported to it) while at least one remains usable.
   */
  static fromConfig(paths: string[], setting?: string, opts: SandboxOptions & { onSkip?: (problem: string) => void } = {}): Sandbox {
    try {
      return new Sandbox(canonicalRootsSync(paths, opts.onSkip), opts);
    } catch (e) {
      if (e instanceof SandboxConfigError) throw new ConfigError(setting ? `${setting}: ${e.message}` : e.message);
      throw e;
    }
  }

  /** A sandbox whose roots are `file://` URIs (each parsed strictly, see parseFileUri). */
  static fromRootUris(uris: string[], opts: SandboxOptions = {}): Sandbox {
    return Sandbox.create(
      uris.map((u) => Sandbox.parseFileUri(u)),
      opts,
    );
  }

  /**
   * A `file://` URI (as MCP roots send them) → an absolute path. Strict: `file://` with an empty
   * or `localhost` host, no query, no fragment, no encoded `/` or NUL. Percent-decoding happens
   * here, at the URI layer, and nowhere else in the sandbox. Throws invalid_argument.
   */
  static parseFileUri(uri: string): string {
    return parseFileUri(uri);
  }

  /**
   * Follows the clients' MCP roots (`roots/list` at start and on every list_changed notification):
   * `runtime` is the server's Runtime. Each session gets its own view: the configured roots
   * narrowed by that session's roots (see setRoots); the sandbox itself keeps the configured roots.
   * Tools use `forSession(ctx.session)`. A listener called without a session (a test, a caller with
   * a single client) narrows this sandbox itself.
   */
  followClientRoots(runtime: {
    onClientRoots(l: (uris: string[], session?: object & { log?: { info(o: object, m: string): void } }) => void | Promise<void>): void;
    log: { info(o: object, m: string): void };
  }): void {
    runtime.onClientRoots(async (uris, session) => {
      const target = session ? this.viewFor(session) : this;
      const now = await target.setRootsFromUris(uris);
      (session?.log ?? runtime.log).info({ roots: now }, 'allowed directories set from the client roots');
    });
  }

  /**
   * The sandbox as one session sees it: its own view once its client sent roots, this sandbox
   * otherwise. The view lives as long as the session object (a WeakMap entry).
   */
  forSession(session: object | undefined): Sandbox {
    return (session && this.views?.get(session)) || this;
  }

  private views: WeakMap<object, Sandbox> | undefined;

  private viewFor(session: object): Sandbox {
    this.views ??= new WeakMap();
    let view = this.views.get(session);
    if (!view) {
      view = new Sandbox(this.rootSet.configuredRoots, { label: this.label });
      this.views.set(session, view);
    }
    return view;
  }

  /** The current roots (canonical). */
  roots(): readonly string[] {
    return this.rootSet.reals();
  }

  hasRoots(): boolean {
    return this.rootSet.list.length > 0;
  }

  /**
   * Applies MCP roots sent by the client (`file://` URIs; unusable ones are ignored).
   * See setRoots for how they combine with the configured roots. Returns the roots now in force.
   */
  async setRootsFromUris(uris: string[]): Promise<readonly string[]> {
    const paths: string[] = [];
    for (const u of uris) {
      try {
        paths.push(Sandbox.parseFileUri(u));
      } catch {
        /* not a local file URI: ignored */
      }
    }
    return this.setRoots(paths);
  }

  /**
   * Replaces the roots in force by `paths` (missing directories are skipped). With configured
   * roots, the result is the intersection: a path inside a configured root is kept, a configured
   * root inside a path is kept, anything else is dropped; the client can narrow, never widen.
   * Without configured roots the paths replace the (empty) set. When nothing usable remains (an
   * empty list, or only outside paths), the configured roots apply again. Returns the roots now in force.
   */
  setRoots(paths: string[]): Promise<readonly string[]> {
    return this.rootSet.set(paths);
  }

  // ---------------------------------------------------------------- messages

  /** The canonical root containing a canonical path, if any. */
  rootOf(real: string): string | undefined {
    return this.rootSet.rootOf(real);
  }

  /** A path for messages: canonical paths inside the roots are shown as they are, others never. */
  display(real: string): string {
    return this.rootSet.display(real);
  }

  /** A canonical path relative to its root ("." for the root itself), for short messages. */
  relative(real: string): string {
    return this.rootSet.relative(real);
  }

  private denied(why?: string): ToolError {
    return this.rootSet.denied(why);
  }

  // ---------------------------------------------------------------- resolution

  /**
   * Checks a request path for an intent and returns its canonical form (see the header).
   * Throws access_denied when it escapes; a missing final entry is reported by `exists: false`.
   */
  async resolve(input: unknown, intent: Intent = 'read'): Promise<Resolved> {
    const match = this.locate(input);
    const followLast = intent !== 'entry' && intent !== 'create';
    const r = await this.walkFrom(match.root.real, match.rest, followLast);
    if (intent === 'create' && r.exists) {
      throw new ToolError(`Already exists: ${r.path}`, { code: 'already_exists', hint: 'Choose another name, or replace it with overwrite: true.' });
    }
    if (intent === 'write' && r.exists && r.stat) {
      if (r.stat.isDirectory()) throw new ToolError(`Is a directory: ${r.path}`, { code: 'invalid_argument' });
      if (!r.stat.isFile()) throw new ToolError(`Not a regular file: ${r.path}`, { code: 'invalid_argument' });
      if (r.stat.nlink > 1) throw this.denied('the file has other hard links, so writing it would change a file that may lie elsewhere');
    }
    return r;
  }

  /** Steps 1-3 of the header: the request path's root and the rest below it (no I/O). */
  private locate(input: unknown): { root: Root; rest: string } {
    const roots = this.rootSet.list;
    if (!roots.length) {
      throw new ToolError('No allowed directories are configured', {
        code: 'access_denied',
        hint: 'Start the server with directories as arguments or in ALLOWED_PATHS, or use a client that provides MCP roots.',
      });
    }
    const match = matchRoot(roots, lexical(input, roots[0].real));
    if (!match) throw this.denied();
    return match;
  }

  /**
   * The lstat walk from a canonical root down `rest` (see the header, step 4). Synchronous system
   * calls (see the header's last choice): each is a short metadata lookup.
   */
  private async walkFrom(rootReal: string, rest: string, followLast: boolean): Promise<Resolved> {
    const abs = rest ? path.join(rootReal, rest) : rootReal;
    // Fast path: when realpath gives the path back unchanged, no component is a link, so the walk
    // below would find exactly this. (For an entry, the same holds for its parent.)
    const probe = followLast ? abs : path.dirname(abs);
    if (probe === abs || this.rootOf(probe)) {
      if (realpathOrUndefined(probe) === probe) {
        const st = lstatOrUndefined(abs);
        if (st && (followLast ? !st.isSymbolicLink() : true)) return { path: abs, root: rootReal, exists: true, stat: st };
      }
    }
    let cur = rootReal;
    let curRoot = rootReal;
    const parts = rest ? rest.split(path.sep) : [];
    for (let i = 0; i < parts.length; i++) {
      const next = path.join(cur, parts[i]);
      const isLast = i === parts.length - 1;
      let st: Stats;
      try {
        st = fsSync.lstatSync(next);
      } catch (e) {
        if (errno(e) === 'ENOENT') return { path: path.join(next, ...parts.slice(i + 1)), root: curRoot, exists: false };
        if (errno(e) === 'ENOTDIR') throw new ToolError(`Not a directory: ${this.display(cur)}`, { code: 'invalid_argument' });
        throw sysError(e, this.display(next));
      }
      if (st.isSymbolicLink() && (!isLast || followLast)) {
        let target: string;
        try {
          target = fsSync.realpathSync.native(next);
        } catch (e) {
          if (errno(e) === 'ENOENT') throw this.denied('the path goes through a symbolic link whose target does not exist');
          if (errno(e) === 'ELOOP') throw this.denied('the path goes through a loop of symbolic links');
          throw this.denied();
        }
        const inRoot = this.rootOf(target);
        if (!inRoot) throw this.denied(`the path goes through a symbolic link that leads outside ${this.label}`);
        cur = target;
        curRoot = inRoot;
        try {
          st = fsSync.lstatSync(cur);
        } catch (e) {
          throw sysError(e, this.display(cur));
        }
        if (st.isSymbolicLink()) throw this.denied('a symbolic link on the path changed while it was checked');
      } else {
        cur = next;
      }
      if (isLast) return { path: cur, root: curRoot, exists: true, stat: st };
      if (!st.isDirectory()) throw new ToolError(`Not a directory: ${cur}`, { code: 'invalid_argument' });
    }
    try {
      return { path: cur, root: curRoot, exists: true, stat: fsSync.lstatSync(cur) };
    } catch (e) {
      throw sysError(e, this.display(cur));
    }
  }

  // ---------------------------------------------------------------- reading

  /** Opens an existing regular file for reading. The caller closes the handle. */
  async openRead(p: unknown): Promise<OpenedRead> {
    const r = await this.resolve(p, 'read');
    if (!r.exists) throw new ToolError(`Not found: ${r.path}`, { code: 'not_found' });
    if (r.stat?.isDirectory()) throw new ToolError(`Is a directory: ${r.path}`, { code: 'invalid_argument', hint: 'List it instead of reading it.' });
    const { handle, stat } = await openFile(this.rootSet, r.path);
    return { handle, realPath: r.path, stat };
  }

  /** Reads a whole file, refusing files over `maxBytes` (default 50 MB) with too_large. */
  async readFile(p: unknown, opts: { maxBytes?: number } = {}): Promise<{ data: Buffer; path: string; realPath: string; stat: Stats }> {
    const { handle, realPath, stat } = await this.openRead(p);
    const max = opts.maxBytes ?? DEFAULT_MAX_READ;
    const tooLarge = (size: string) => new ToolError(`File too large: ${size} bytes (limit ${max})`, { code: 'too_large', hint: 'Read it in parts (offset/limit, head or tail), or raise the limit.' });
    try {
      if (stat.size > max) throw tooLarge(String(stat.size));
      // One buffer of the stat size + 1 byte; filling it means the file grew, so reading goes on
      // (in further chunks) and stops at max + 1 bytes: a file that grew past the limit is caught.
      const chunks: Buffer[] = [];
      let total = 0;
      let next = Math.min(max, stat.size) + 1;
      for (;;) {
        const chunk = Buffer.allocUnsafe(next);
        const n = await readFull(handle, chunk);
        chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
        total += n;
        if (total > max) throw tooLarge(`more than ${max}`);
        if (n < chunk.length) break;
        next = Math.min(max + 1 - total, 1 << 20);
      }
      const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
      return { data, path: realPath, realPath, stat };
    } finally {
      await handle.close();
    }
  }

  /** The canonical path of an existing entry inside the roots (a final link is followed). */
  async realpathInside(p: unknown): Promise<string> {
    const r = await this.resolve(p, 'read');
    if (!r.exists) throw new ToolError(`Not found: ${r.path}`, { code: 'not_found' });
    return r.path;
  }

  /**
   * stat of the target (`read`, the default) or of the entry itself (`entry`), taken through the
   * checked parent directory.
   */
  async stat(p: unknown, mode: Intent = 'read'): Promise<{ path: string; stat: Stats }> {
    const intent = mode === 'entry' ? 'entry' : 'read';
    // Fast path: the parent's descriptor shows the lexical path is the real one, so the walk would
    // find exactly this entry; anything else (a link on the way or at the end for `read`, an
    // error) takes the walk below.
    const match = this.locate(p);
    if (match.rest) {
      const abs = path.join(match.root.real, match.rest);
      const st = await lstatIfCanonical(path.dirname(abs), path.basename(abs));
      if (st && (intent === 'entry' || !st.isSymbolicLink())) return { path: abs, stat: st };
    }
    const r = await this.resolve(p, intent);
    if (!r.exists) throw new ToolError(`Not found: ${r.path}`, { code: 'not_found' });
    if (r.path === r.root) return { path: r.path, stat: await fs.stat(r.path) };
    return { path: r.path, stat: await lstatAt(this.rootSet, r.path, intent === 'read') };
  }

  /** lstat: the entry itself (a link is described, not followed). */
  lstat(p: unknown): Promise<{ path: string; stat: Stats }> {
    return this.stat(p, 'entry');
  }

  /** Lists a directory (entries are not followed). */
  async readdir(p: unknown): Promise<{ path: string; entries: Dirent[] }> {
    const r = await this.existingDir(p);
    return { path: r.path, entries: await listDir(this.rootSet, r.path) };
  }

  /** Opens a directory for streaming iteration through a checked descriptor. */
  async opendir(p: unknown): Promise<{ path: string; dir: AsyncIterable<Dirent>; close(): Promise<void> }> {
    const r = await this.existingDir(p);
    const { dir, close } = await iterateDir(this.rootSet, r.path);
    return { path: r.path, dir, close };
  }

  /**
   * Walks a directory tree depth-first without ever following a symbolic link (links are yielded as
   * entries, not entered). Each subdirectory is opened through its parent's descriptor with
   * O_NOFOLLOW, so a directory swapped for a link during the walk is skipped, never entered.
   * `prune(rel, entry)` returning true skips an entry (and, for a directory, everything below it).
   * Stops early when the consumer stops iterating or `signal` fires.
   */
  async *walk(p: unknown, opts: WalkOptions = {}): AsyncGenerator<WalkEntry> {
    const start = await this.existingDir(p);
    yield* walkTree(this.rootSet, start.path, opts);
  }

  private async existingDir(p: unknown): Promise<Resolved> {
    const r = await this.resolve(p, 'read');
    if (!r.exists) throw new ToolError(`Not found: ${r.path}`, { code: 'not_found' });
    if (!r.stat?.isDirectory()) throw new ToolError(`Not a directory: ${r.path}`, { code: 'invalid_argument' });
    return r;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes a file. A new file is created with O_CREAT|O_EXCL|O_NOFOLLOW (`wx`); an existing file is
   * replaced only with `overwrite`, through a temp file in the same directory renamed over it
   * (atomic). Directories, non-regular files and files with other hard links are refused.
   */
  async writeFile(p: unknown, data: string | Uint8Array, opts: { overwrite?: boolean; mode?: number } = {}): Promise<{ path: string; created: boolean }> {
    const w = await this.openWrite(p, opts);
    try {
      await w.handle.writeFile(data);
    } catch (e) {
      await w.abort();
      throw sysError(e, w.path);
    }
    return w.commit();
  }

  /** Creates a new file with `data`; already_exists when anything (a link included) has the name. */
  async createExclusive(p: unknown, data: string | Uint8Array = '', opts: { mode?: number } = {}): Promise<{ path: string; created: boolean }> {
    await this.resolve(p, 'create');
    return this.writeFile(p, data, { overwrite: false, mode: opts.mode });
  }

  /**
   * Opens a file for writing the way writeFile does, for streaming writers (downloads,
   * attachments). Call `commit()` to publish it or `abort()` to discard it.
   */
  async openWrite(p: unknown, opts: { overwrite?: boolean; mode?: number } = {}): Promise<OpenedWrite> {
    const r = await this.resolve(p, 'write');
    if (r.exists && !opts.overwrite) {
      throw new ToolError(`Already exists: ${r.path}`, { code: 'already_exists', hint: 'Pass overwrite: true to replace it, or choose another name.' });
    }
    const parentPath = path.dirname(r.path);
    const parent = await this.resolve(parentPath, 'read');
    if (!parent.exists) throw new ToolError(`Parent directory does not exist: ${parentPath}`, { code: 'not_found', hint: 'Create the directory first.' });
    if (!parent.stat?.isDirectory()) throw new ToolError(`Not a directory: ${parentPath}`, { code: 'invalid_argument' });
    const replacing = r.exists;
    // An explicit mode, or the replaced file's, is applied exactly (the umask must not narrow it).
    const exactMode = opts.mode ?? (replacing && r.stat ? r.stat.mode & 0o777 : undefined);
    return openForWrite(this.rootSet, { target: r.path, parentPath: parent.path, replacing, exactMode });
  }

  /** Creates a directory (and its missing parents with `recursive`), each through a checked parent. */
  async mkdir(p: unknown, opts: { recursive?: boolean; mode?: number } = {}): Promise<{ path: string; created: boolean }> {
    const r = await this.resolve(p, 'read');
    if (r.exists) {
      if (r.stat?.isDirectory()) {
        if (opts.recursive) return { path: r.path, created: false };
        throw new ToolError(`Already exists: ${r.path}`, { code: 'already_exists' });
      }
      throw new ToolError(`Exists and is not a directory: ${r.path}`, { code: 'conflict' });
    }
    // r.path = the deepest existing canonical directory + the missing names; find the split.
    const missing: string[] = [];
    let cur = r.path;
    while (cur !== r.root) {
      const st = await fs.lstat(cur).catch(() => undefined);
      if (st) break;
      missing.unshift(path.basename(cur));
      cur = path.dirname(cur);
    }
    if (missing.length > 1 && !opts.recursive) {
      throw new ToolError(`Parent directory does not exist: ${path.dirname(r.path)}`, { code: 'not_found', hint: 'Pass recursive: true to create missing parents.' });
    }
    await mkdirChain(this.rootSet, cur, missing, opts);
    return { path: r.path, created: true };
  }

  /** Renames or moves an entry (a link is moved as a link). Refuses to replace unless `overwrite`. */
  async rename(from: unknown, to: unknown, opts: { overwrite?: boolean } = {}): Promise<{ from: string; to: string }> {
    const src = await this.resolve(from, 'entry');
    if (!src.exists || !src.stat) throw new ToolError(`Not found: ${src.path}`, { code: 'not_found' });
    if (this.rootSet.containsRoot(src.path)) throw this.denied(`cannot move ${this.label} or a directory that contains one`);
    const dst = await this.resolve(to, 'entry');
    if (dst.exists) {
      if (!opts.overwrite) throw new ToolError(`Destination already exists: ${dst.path}`, { code: 'already_exists', hint: 'Pass overwrite: true to replace it.' });
      if (this.rootSet.containsRoot(dst.path)) throw this.denied(`cannot replace ${this.label} or a directory that contains one`);
      // Replacing a link replaces the link itself; still, one that leads out is refused, as the
      // caller may believe the target is written.
      if (dst.stat?.isSymbolicLink()) await this.resolve(to, 'read');
    }
    if (dst.path === src.path) return { from: src.path, to: dst.path };
    if (isInside(dst.path, src.path)) throw new ToolError('Cannot move a directory into itself', { code: 'invalid_argument' });
    const dstParent = await this.resolve(path.dirname(dst.path), 'read');
    if (!dstParent.exists) throw new ToolError(`Destination directory does not exist: ${path.dirname(dst.path)}`, { code: 'not_found' });
    await moveEntry(this.rootSet, { src: src.path, srcIsDir: src.stat.isDirectory(), dst: dst.path, dstParent: dstParent.path, overwrite: opts.overwrite });
    return { from: src.path, to: dst.path };
  }

  /** Copies a regular file (through openRead and openWrite). Refuses to replace unless `overwrite`. */
  async copyFile(from: unknown, to: unknown, opts: { overwrite?: boolean } = {}): Promise<{ from: string; to: string; bytes: number }> {
    const src = await this.openRead(from);
    try {
      const w = await this.openWrite(to, { overwrite: opts.overwrite, mode: src.stat.mode & 0o777 });
      let bytes = 0;
      try {
        const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(src.stat.size, 4096)));
        for (;;) {
          const { bytesRead } = await src.handle.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          await w.handle.write(buf, 0, bytesRead);
          bytes += bytesRead;
        }
      } catch (e) {
        await w.abort();
        throw sysError(e, w.path);
      }
      const done = await w.commit();
      return { from: src.realPath, to: done.path, bytes };
    } finally {
      await src.handle.close();
    }
  }

  /**
   * Deletes a file, a symlink (the link, never its target) or, with `recursive`, a directory tree.
   * The tree is removed through directory descriptors opened with O_NOFOLLOW, so a link met on the
   * way (or swapped in meanwhile) is unlinked, never descended into.
   */
  async remove(p: unknown, opts: { recursive?: boolean } = {}): Promise<{ path: string; type: 'file' | 'directory' | 'symlink' }> {
    const r = await this.resolve(p, 'entry');
    if (!r.exists || !r.stat) throw new ToolError(`Not found: ${r.path}`, { code: 'not_found' });
    if (this.rootSet.containsRoot(r.path)) throw this.denied(`cannot delete ${this.label} or a directory that contains one`);
    return { path: r.path, type: await removeEntry(this.rootSet, r.path, opts.recursive) };
  }
}
