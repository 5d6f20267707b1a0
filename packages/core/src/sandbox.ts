// The sandbox: path allow-listing for every server that touches local files (the filesystem
// server, email attachments, scraping downloads). Servers call its operations (openRead,
// writeFile, mkdir, rename, copyFile, remove, readdir, walk, stat) rather than node:fs, so the
// check and the use stay as close together as the OS allows.
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
//   - Sandbox.create canonicalises synchronously (servers build their sandbox while setting up);
//     every other operation is async (fs/promises).
import { constants as C, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ConfigError } from './config.js';
import { systemErrorToToolError, ToolError } from './errors.js';

const MAX_PATH_BYTES = 4096;
const MAX_COMPONENTS = 1024;
const DEFAULT_MAX_READ = 50 * 1024 * 1024;
const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;
const O_DIRECTORY = C.O_DIRECTORY ?? 0;
const O_NONBLOCK = C.O_NONBLOCK ?? 0;
const TMP_SUFFIX = '.bizmcp-tmp';

/** What a caller means to do with a path (see the header). `follow` is the old name of `read`. */
export type Intent = 'read' | 'write' | 'create' | 'entry';
export type ResolveMode = Intent | 'follow';

export interface Resolved {
  /** Canonical absolute path (inside a root); for a missing entry, the existing canonical prefix + the missing names. */
  path: string;
  /** The root it lies in (canonical). */
  root: string;
  exists: boolean;
  /** lstat of the final entry (when it exists). */
  stat?: Stats;
}

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

export interface SandboxOptions {
  /** How the roots are named in messages, e.g. "the download directory". Default "the allowed directories". */
  label?: string;
}

export interface OpenedRead {
  handle: FileHandle;
  /** Canonical path of the file. */
  realPath: string;
  /** Same as realPath (older name). */
  path: string;
  stat: Stats;
}

export interface OpenedWrite {
  handle: FileHandle;
  path: string;
  /** Publishes the file (a replacement is renamed over the target). */
  commit(): Promise<{ path: string; created: boolean }>;
  /** Discards what was written; nothing is left behind. */
  abort(): Promise<void>;
}

interface Root {
  real: string;
  /** The spelling it was configured with, when it differs from `real` (a symlinked root). */
  alias?: string;
}

/** A directory opened and checked: `via` reaches entries inside it through the descriptor. */
interface OpenDir {
  via: string;
  close(): Promise<void>;
}

// /proc is checked once, lazily: containers without it fall back to the path-based checks.
let procProbe: Promise<boolean> | undefined;
const hasProc = () =>
  (procProbe ??= process.platform === 'linux' ? fs.access('/proc/self/fd').then(() => true, () => false) : Promise.resolve(false));

const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

/** A system error as a ToolError naming `shown` (always a path inside the roots, or nothing). */
const sysError = (e: unknown, shown?: string): unknown =>
  e instanceof ToolError ? e : (systemErrorToToolError(e as NodeJS.ErrnoException, shown) ?? e);

export class Sandbox {
  private rootsList: Root[];
  private readonly configured: Root[];
  private readonly label: string;
  /** Increments on every setRoots call, so a slow older call never overrides a newer one. */
  private rootsVersion = 0;

  private constructor(roots: Root[], opts: SandboxOptions = {}) {
    this.configured = roots;
    this.rootsList = roots;
    this.label = opts.label ?? 'the allowed directories';
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
   * line on stderr, exit 1), prefixed with the setting's name when given.
   */
  static fromConfig(paths: string[], setting?: string, opts: SandboxOptions = {}): Sandbox {
    try {
      return Sandbox.create(paths, opts);
    } catch (e) {
      if (e instanceof SandboxConfigError) throw new ConfigError(setting ? `${setting}: ${e.message}` : e.message);
      throw e;
    }
  }

  /** A sandbox whose roots are `file://` URIs (each parsed strictly, see parseFileUri). */
  static fromRootUris(uris: string[], opts: SandboxOptions = {}): Sandbox {
    return Sandbox.create(uris.map((u) => Sandbox.parseFileUri(u)), opts);
  }

  /**
   * A `file://` URI (as MCP roots send them) → an absolute path. Strict: `file://` with an empty
   * or `localhost` host, no query, no fragment, no encoded `/` or NUL. Percent-decoding happens
   * here, at the URI layer, and nowhere else in the sandbox. Throws invalid_argument.
   */
  static parseFileUri(uri: string): string {
    const bad = (why: string) => new ToolError(`Not a usable file:// URI (${why})`, { code: 'invalid_argument' });
    if (typeof uri !== 'string' || !/^file:\/\//i.test(uri)) throw bad('it must start with file://');
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw bad('it does not parse');
    }
    if (url.host && url.host !== 'localhost') throw bad('only local files, no host');
    if (url.search || url.hash || uri.includes('?') || uri.includes('#')) throw bad('no query or fragment');
    let p: string;
    try {
      p = fileURLToPath(url);
    } catch {
      throw bad('it encodes a path separator');
    }
    if (p.includes('\0')) throw bad('it encodes a NUL byte');
    return p;
  }

  /**
   * Follows the client's MCP roots (`roots/list` at start and on every list_changed
   * notification): `runtime` is the server's Runtime.
   */
  followClientRoots(runtime: { onClientRoots(l: (uris: string[]) => void | Promise<void>): void; log: { info(o: object, m: string): void } }): void {
    runtime.onClientRoots(async (uris) => {
      const now = await this.setRootsFromUris(uris);
      runtime.log.info({ roots: now }, 'allowed directories set from the client roots');
    });
  }

  /** The current roots (canonical). */
  roots(): readonly string[] {
    return this.rootsList.map((r) => r.real);
  }

  hasRoots(): boolean {
    return this.rootsList.length > 0;
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
  async setRoots(paths: string[]): Promise<readonly string[]> {
    const version = ++this.rootsVersion;
    const wanted = await canonicalRoots(paths);
    let next: Root[] = wanted;
    if (this.configured.length) {
      next = [];
      for (const w of wanted) {
        if (this.configured.some((c) => isInside(w.real, c.real))) next.push(w);
        else for (const c of this.configured) if (isInside(c.real, w.real)) next.push(c);
      }
      next = next.filter((r, i) => next.findIndex((o) => o.real === r.real) === i);
    }
    if (version === this.rootsVersion) this.rootsList = next.length ? next : this.configured;
    return this.roots();
  }

  // ---------------------------------------------------------------- messages

  /** The canonical root containing a canonical path, if any. */
  rootOf(real: string): string | undefined {
    let best: string | undefined;
    for (const r of this.rootsList) if (isInside(real, r.real) && (!best || r.real.length > best.length)) best = r.real;
    return best;
  }

  /** A path for messages: canonical paths inside the roots are shown as they are, others never. */
  display(real: string): string {
    return this.rootOf(real) ? real : `(outside ${this.label})`;
  }

  /** A canonical path relative to its root ("." for the root itself), for short messages. */
  relative(real: string): string {
    const root = this.rootOf(real);
    if (!root) return `(outside ${this.label})`;
    return path.relative(root, real) || '.';
  }

  private denied(why = `the path is outside ${this.label}`): ToolError {
    const shown = this.roots().slice(0, 5).join(', ');
    return new ToolError(`Access denied: ${why}`, {
      code: 'access_denied',
      hint: shown ? `Use a path inside ${this.label}: ${shown}.` : undefined,
    });
  }

  // ---------------------------------------------------------------- resolution

  /**
   * Checks a request path for an intent and returns its canonical form (see the header).
   * Throws access_denied when it escapes; a missing final entry is reported by `exists: false`.
   */
  async resolve(input: unknown, intent: ResolveMode = 'read'): Promise<Resolved> {
    if (!this.rootsList.length) {
      throw new ToolError('No allowed directories are configured', {
        code: 'access_denied',
        hint: 'Start the server with directories as arguments or in ALLOWED_PATHS, or use a client that provides MCP roots.',
      });
    }
    const match = this.matchRoot(this.lexical(input));
    if (!match) throw this.denied();
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

  /** Validates the raw input and returns a normalised absolute path (no I/O, bounded work). */
  private lexical(input: unknown): string {
    if (typeof input !== 'string') throw new ToolError('The path must be a string', { code: 'invalid_argument' });
    if (input.trim() === '') throw new ToolError('The path is empty', { code: 'invalid_argument' });
    if (input.length > MAX_PATH_BYTES || Buffer.byteLength(input) > MAX_PATH_BYTES) {
      throw new ToolError(`The path is longer than ${MAX_PATH_BYTES} bytes`, { code: 'invalid_argument' });
    }
    if (input.includes('\0')) throw new ToolError('The path contains a NUL byte', { code: 'invalid_argument' });
    if (/^file:/i.test(input)) throw new ToolError('Pass a file system path, not a file: URI', { code: 'invalid_argument' });
    let components = 0;
    for (let i = 0; i < input.length; i++) if (input[i] === '/' || input[i] === path.sep) components++;
    if (components > MAX_COMPONENTS) throw new ToolError(`The path has more than ${MAX_COMPONENTS} components`, { code: 'invalid_argument' });
    const p = expandHome(input);
    return path.isAbsolute(p) ? path.resolve(p) : path.resolve(this.rootsList[0].real, p);
  }

  /** The root (and the rest of the path below it) for a normalised absolute path, by whole components. */
  private matchRoot(abs: string): { root: Root; rest: string } | undefined {
    let best: { root: Root; rest: string; len: number } | undefined;
    for (const r of this.rootsList) {
      for (const spelling of r.alias ? [r.real, r.alias] : [r.real]) {
        if (isInside(abs, spelling) && (!best || spelling.length > best.len)) {
          best = { root: r, rest: path.relative(spelling, abs), len: spelling.length };
        }
      }
    }
    return best;
  }

  /** The lstat walk from a canonical root down `rest` (see the header, step 4). */
  private async walkFrom(rootReal: string, rest: string, followLast: boolean): Promise<Resolved> {
    const abs = rest ? path.join(rootReal, rest) : rootReal;
    // Fast path: when realpath gives the path back unchanged, no component is a link, so the walk
    // below would find exactly this. (For an entry, the same holds for its parent.)
    const probe = followLast ? abs : path.dirname(abs);
    if (probe === abs || this.rootOf(probe)) {
      const real = await fs.realpath(probe).catch(() => undefined);
      if (real === probe) {
        const st = await fs.lstat(abs).catch(() => undefined);
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
        st = await fs.lstat(next);
      } catch (e) {
        if (errno(e) === 'ENOENT') return { path: path.join(next, ...parts.slice(i + 1)), root: curRoot, exists: false };
        if (errno(e) === 'ENOTDIR') throw new ToolError(`Not a directory: ${this.display(cur)}`, { code: 'invalid_argument' });
        throw sysError(e, this.display(next));
      }
      if (st.isSymbolicLink() && (!isLast || followLast)) {
        let target: string;
        try {
          target = await fs.realpath(next);
        } catch (e) {
          if (errno(e) === 'ENOENT') throw this.denied('the path goes through a symbolic link whose target does not exist');
          if (errno(e) === 'ELOOP') throw this.denied('the path goes through a loop of symbolic links');
          throw this.denied();
        }
        const inRoot = this.rootOf(target);
        if (!inRoot) throw this.denied(`the path goes through a symbolic link that leads outside ${this.label}`);
        cur = target;
        curRoot = inRoot;
        st = await fs.lstat(cur).catch((e) => {
          throw sysError(e, this.display(cur));
        });
        if (st.isSymbolicLink()) throw this.denied('a symbolic link on the path changed while it was checked');
      } else {
        cur = next;
      }
      if (isLast) return { path: cur, root: curRoot, exists: true, stat: st };
      if (!st.isDirectory()) throw new ToolError(`Not a directory: ${cur}`, { code: 'invalid_argument' });
    }
    return { path: cur, root: curRoot, exists: true, stat: await fs.lstat(cur) };
  }

  // ---------------------------------------------------------------- descriptors

  /**
   * Opens the directory `dir` (canonical, inside a root) without following a final symlink and
   * checks where the descriptor really points. Entries are then reached through `via`.
   */
  private async openDir(dir: string): Promise<OpenDir> {
    if (!(await hasProc())) {
      const real = await fs.realpath(dir).catch((e) => {
        throw sysError(e, this.display(dir));
      });
      if (!this.rootOf(real)) throw this.denied(`a directory on the path now leads outside ${this.label}`);
      return { via: real, close: async () => {} };
    }
    let h: FileHandle;
    try {
      h = await fs.open(dir, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (e) {
      if (errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR') throw this.denied('a directory on the path was replaced by a link');
      throw sysError(e, this.display(dir));
    }
    if (!(await this.fdInside(h))) {
      await h.close();
      throw this.denied(`a directory on the path now leads outside ${this.label}`);
    }
    return { via: `/proc/self/fd/${h.fd}`, close: () => h.close() };
  }

  /** Where an open descriptor really points (Linux), checked against the roots. */
  private async fdInside(h: FileHandle): Promise<boolean> {
    const where = await fs.readlink(`/proc/self/fd/${h.fd}`).catch(() => '');
    return !!where && !!this.rootOf(where.replace(/ \(deleted\)$/, ''));
  }

  /** After opening a file: checks its real location (descriptor on Linux, realpath elsewhere). */
  private async checkOpened(h: FileHandle, expected: string): Promise<void> {
    const ok = (await hasProc()) ? await this.fdInside(h) : !!this.rootOf(await fs.realpath(expected).catch(() => ''));
    if (!ok) {
      await h.close();
      throw this.denied(`the file now lies outside ${this.label}`);
    }
  }

  // ---------------------------------------------------------------- reading

  /** Opens an existing regular file for reading. The caller closes the handle. */
  async openRead(p: unknown): Promise<OpenedRead> {
    const r = await this.resolve(p, 'read');
    if (!r.exists) throw new ToolError(`Not found: ${r.path}`, { code: 'not_found' });
    if (r.stat?.isDirectory()) throw new ToolError(`Is a directory: ${r.path}`, { code: 'invalid_argument', hint: 'List it instead of reading it.' });
    const dir = await this.openDir(path.dirname(r.path));
    let h: FileHandle;
    try {
      // O_NONBLOCK: a FIFO must not hang the call (it is refused below as not a regular file).
      h = await fs.open(path.join(dir.via, path.basename(r.path)), C.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (e) {
      if (errno(e) === 'ELOOP') throw this.denied('the file was replaced by a link');
      throw sysError(e, r.path);
    } finally {
      await dir.close();
    }
    await this.checkOpened(h, r.path);
    const stat = await h.stat();
    if (!stat.isFile()) {
      await h.close();
      throw new ToolError(`Not a regular file: ${r.path}`, { code: 'invalid_argument' });
    }
    return { handle: h, realPath: r.path, path: r.path, stat };
  }

  /** Reads a whole file, refusing files over `maxBytes` (default 50 MB) with too_large. */
  async readFile(p: unknown, opts: { maxBytes?: number } = {}): Promise<{ data: Buffer; path: string; realPath: string; stat: Stats }> {
    const { handle, realPath, stat } = await this.openRead(p);
    const max = opts.maxBytes ?? DEFAULT_MAX_READ;
    const tooLarge = (size: string) =>
      new ToolError(`File too large: ${size} bytes (limit ${max})`, { code: 'too_large', hint: 'Read it in parts (offset/limit, head or tail), or raise the limit.' });
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
  async stat(p: unknown, mode: ResolveMode = 'read'): Promise<{ path: string; stat: Stats }> {
    const intent = mode === 'entry' ? 'entry' : 'read';
    const r = await this.resolve(p, intent);
    if (!r.exists) throw new ToolError(`Not found: ${r.path}`, { code: 'not_found' });
    if (r.path === r.root) return { path: r.path, stat: await fs.stat(r.path) };
    const dir = await this.openDir(path.dirname(r.path));
    try {
      const st = await fs.lstat(path.join(dir.via, path.basename(r.path)));
      if (intent === 'read' && st.isSymbolicLink()) throw this.denied('the entry was replaced by a link');
      return { path: r.path, stat: st };
    } catch (e) {
      throw sysError(e, r.path);
    } finally {
      await dir.close();
    }
  }

  /** lstat: the entry itself (a link is described, not followed). */
  lstat(p: unknown): Promise<{ path: string; stat: Stats }> {
    return this.stat(p, 'entry');
  }

  /** Lists a directory (entries are not followed). */
  async readdir(p: unknown): Promise<{ path: string; entries: Dirent[] }> {
    const r = await this.existingDir(p);
    const dir = await this.openDir(r.path);
    try {
      const entries = await fs.readdir(dir.via, { withFileTypes: true });
      // Entries name the directory by its real path, not the descriptor they were read through.
      for (const e of entries) Object.assign(e, { parentPath: r.path, path: r.path });
      return { path: r.path, entries };
    } catch (e) {
      throw sysError(e, r.path);
    } finally {
      await dir.close();
    }
  }

  /** Opens a directory for streaming iteration through a checked descriptor. */
  async opendir(p: unknown): Promise<{ path: string; dir: AsyncIterable<Dirent>; close(): Promise<void> }> {
    const r = await this.existingDir(p);
    const d = await this.openDir(r.path);
    const it = await fs.opendir(d.via, { bufferSize: 256 }).catch(async (e) => {
      await d.close();
      throw sysError(e, r.path);
    });
    return {
      path: r.path,
      dir: it,
      close: async () => {
        await it.close().catch(() => {});
        await d.close();
      },
    };
  }

  /**
   * Walks a directory tree depth-first without ever following a symbolic link (links are yielded as
   * entries, not entered). Each subdirectory is opened through its parent's descriptor with
   * O_NOFOLLOW, so a directory swapped for a link during the walk is skipped, never entered.
   * `prune(rel, entry)` returning true skips an entry (and, for a directory, everything below it).
   * Stops early when the consumer stops iterating or `signal` fires.
   */
  async *walk(
    p: unknown,
    opts: { maxDepth?: number; signal?: AbortSignal; prune?: (rel: string, entry: Dirent) => boolean } = {},
  ): AsyncGenerator<WalkEntry> {
    const start = await this.existingDir(p);
    const top = await this.openDir(start.path);
    const proc = await hasProc();
    const maxDepth = opts.maxDepth ?? Infinity;
    async function* visit(via: string, real: string, rel: string, depth: number): AsyncGenerator<WalkEntry> {
      let dir: import('node:fs').Dir;
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
      yield* visit(top.via, start.path, '', 0);
    } finally {
      await top.close();
    }
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
    const base = path.basename(r.path);
    const replacing = r.exists;
    // The name opened: the target itself for a new file, a temp sibling for a replacement.
    const name = replacing ? `.${base.slice(0, 100)}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}` : base;
    // An explicit mode, or the replaced file's, is applied exactly (the umask must not narrow it).
    const exactMode = opts.mode ?? (replacing && r.stat ? r.stat.mode & 0o777 : undefined);
    const dir = await this.openDir(parent.path);
    let handle: FileHandle;
    try {
      handle = await fs.open(path.join(dir.via, name), C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, exactMode ?? 0o666);
    } catch (e) {
      await dir.close();
      throw sysError(e, r.path);
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
        throw sysError(e, r.path);
      } finally {
        await dir.close();
      }
      return { path: r.path, created: !replacing };
    };
    return { handle, path: r.path, commit, abort };
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
    for (const name of missing) {
      const dir = await this.openDir(cur);
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
    // The last created directory is opened once more: a link put in its place is refused.
    await (await this.openDir(cur)).close();
    return { path: r.path, created: true };
  }

  /** Renames or moves an entry (a link is moved as a link). Refuses to replace unless `overwrite`. */
  async rename(from: unknown, to: unknown, opts: { overwrite?: boolean } = {}): Promise<{ from: string; to: string }> {
    const src = await this.resolve(from, 'entry');
    if (!src.exists || !src.stat) throw new ToolError(`Not found: ${src.path}`, { code: 'not_found' });
    if (this.containsRoot(src.path)) throw this.denied(`cannot move ${this.label} or a directory that contains one`);
    const dst = await this.resolve(to, 'entry');
    if (dst.exists) {
      if (!opts.overwrite) throw new ToolError(`Destination already exists: ${dst.path}`, { code: 'already_exists', hint: 'Pass overwrite: true to replace it.' });
      if (this.containsRoot(dst.path)) throw this.denied(`cannot replace ${this.label} or a directory that contains one`);
      // Replacing a link replaces the link itself; still, one that leads out is refused, as the
      // caller may believe the target is written.
      if (dst.stat?.isSymbolicLink()) await this.resolve(to, 'read');
    }
    if (dst.path === src.path) return { from: src.path, to: dst.path };
    if (isInside(dst.path, src.path)) throw new ToolError('Cannot move a directory into itself', { code: 'invalid_argument' });
    const dstParent = await this.resolve(path.dirname(dst.path), 'read');
    if (!dstParent.exists) throw new ToolError(`Destination directory does not exist: ${path.dirname(dst.path)}`, { code: 'not_found' });
    const a = await this.openDir(path.dirname(src.path));
    let b: OpenDir;
    try {
      b = await this.openDir(dstParent.path);
    } catch (e) {
      await a.close();
      throw e;
    }
    try {
      const s = path.join(a.via, path.basename(src.path));
      const d = path.join(b.via, path.basename(dst.path));
      if (!opts.overwrite && !src.stat.isDirectory() && (await linkNoClobber(s, d))) {
        await fs.unlink(s);
      } else {
        if (!opts.overwrite && (await fs.lstat(d).then(() => true, () => false))) {
          throw new ToolError(`Destination already exists: ${dst.path}`, { code: 'already_exists' });
        }
        await fs.rename(s, d);
      }
    } catch (e) {
      if (errno(e) === 'EXDEV') throw new ToolError('Cannot move across file systems', { code: 'conflict', hint: 'Copy the file, then delete the original.' });
      throw sysError(e, dst.path);
    } finally {
      await a.close();
      await b.close();
    }
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
    if (this.containsRoot(r.path)) throw this.denied(`cannot delete ${this.label} or a directory that contains one`);
    const parent = await this.openDir(path.dirname(r.path));
    const name = path.basename(r.path);
    try {
      const st = await fs.lstat(path.join(parent.via, name));
      if (st.isDirectory()) {
        if (opts.recursive) await this.removeTree(parent.via, name);
        else await fs.rmdir(path.join(parent.via, name));
        return { path: r.path, type: 'directory' };
      }
      await fs.unlink(path.join(parent.via, name));
      return { path: r.path, type: st.isSymbolicLink() ? 'symlink' : 'file' };
    } catch (e) {
      throw sysError(e, r.path);
    } finally {
      await parent.close();
    }
  }

  /** Removes `name` inside the checked directory `parentVia`, depth first, never following links. */
  private async removeTree(parentVia: string, name: string): Promise<void> {
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
          if (e.isDirectory()) await this.removeTree(via, e.name);
          else
            await unlinkEntry(child).catch((err) => {
              // It became a directory since the listing.
              if (errno(err) === 'EISDIR' || errno(err) === 'EPERM') return this.removeTree(via, e.name);
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

  /** True when `p` is a root or contains one (it must not be moved or deleted). */
  private containsRoot(p: string): boolean {
    return this.rootsList.some((r) => isInside(r.real, p)) || this.configured.some((r) => isInside(r.real, p));
  }
}

/** Reads until `buf` is full or the file ends; returns the bytes read. */
async function readFull(h: FileHandle, buf: Buffer): Promise<number> {
  let n = 0;
  while (n < buf.length) {
    const { bytesRead } = await h.read(buf, n, buf.length - n, null);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n;
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

/** True when `p` is `dir` or below it (whole components only). */
export function isInside(p: string, dir: string): boolean {
  if (p === dir) return true;
  const withSep = dir.endsWith(path.sep) ? dir : dir + path.sep;
  return p.startsWith(withSep);
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p;
}

function addRoot(out: Root[], abs: string, real: string): void {
  if (!out.some((r) => r.real === real)) out.push({ real, ...(abs !== real ? { alias: abs } : {}) });
}

/** Configured roots: synchronous (start-up), every one must be an existing directory. */
function canonicalRootsSync(paths: string[]): Root[] {
  const out: Root[] = [];
  for (const raw of paths) {
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const abs = path.resolve(expandHome(trimmed));
    let real: string;
    try {
      real = realpathSync(abs);
      if (!statSync(real).isDirectory()) throw new SandboxConfigError(`allowed directory ${abs} is not a directory`);
    } catch (e) {
      if (e instanceof SandboxConfigError) throw e;
      throw new SandboxConfigError(`allowed directory ${abs} does not exist or cannot be read`);
    }
    addRoot(out, abs, real);
  }
  return out;
}

/** Roots from a client: absolute paths only; missing or non-directories are skipped. */
async function canonicalRoots(paths: string[]): Promise<Root[]> {
  const out: Root[] = [];
  for (const raw of paths) {
    if (typeof raw !== 'string' || raw.includes('\0')) continue;
    const expanded = expandHome(raw.trim());
    if (!path.isAbsolute(expanded)) continue;
    const abs = path.resolve(expanded);
    const real = await fs.realpath(abs).catch(() => undefined);
    if (!real || !(await fs.stat(real).then((s) => s.isDirectory(), () => false))) continue;
    addRoot(out, abs, real);
  }
  return out;
}

/** A root that cannot be used (servers turn it into a one-line start-up error). */
export class SandboxConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxConfigError';
  }
}
