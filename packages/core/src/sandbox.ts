// The sandbox: path allow-listing for every server that touches local files.
//
// How a request path is checked:
//   1. refused outright: non-strings, empty, NUL bytes, `file:` URIs, > 4096 bytes or > 1024
//      components (nothing is decoded: `%2e%2e` is a file name, not `..`);
//   2. made absolute (relative paths start at the first root) and normalised lexically;
//   3. matched against the roots by whole components (`/data-evil` never matches `/data`), under
//      either spelling of a root (as configured, or its realpath when it goes through a symlink);
//   4. walked from the root down with lstat: a symbolic link is resolved (realpath) and must land
//      inside a root; dangling and looping links are refused; the walk goes on from the target.
// How it is used: operations open the checked parent directory (O_DIRECTORY|O_NOFOLLOW), check the
// opened directory's real path through /proc/self/fd, and reach the leaf through that descriptor
// (`/proc/self/fd/N/leaf`, which acts like openat) with O_NOFOLLOW. A directory swapped for a
// symlink between the check and the use is therefore caught. On systems without /proc (macOS,
// Windows) the same checks run on paths, with a post-open check of the file's real path.
import { constants as C, lstatSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
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
const HAS_PROC = process.platform === 'linux';
const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;
const O_DIRECTORY = C.O_DIRECTORY ?? 0;

export interface Resolved {
  /** Canonical absolute path (inside a root). */
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

export type ResolveMode =
  /** Follow a final symlink (it must stay inside the roots): for reading and writing contents. */
  | 'follow'
  /** Do not follow the final component: for deleting, renaming or describing the entry itself. */
  | 'entry';

interface Root {
  real: string;
  /** The spelling it was configured with, when it differs from `real` (a symlinked root). */
  alias?: string;
}

const denied = (why = 'Access denied: the path is outside the allowed directories') =>
  new ToolError(why, { code: 'access_denied', hint: 'Call list_allowed_directories to see where files may be read and written.' });

export class Sandbox {
  private rootsList: Root[];
  private readonly configured: Root[];

  private constructor(roots: Root[]) {
    this.configured = roots;
    this.rootsList = roots;
  }

  /** Canonicalises the given directories (realpath, once); a missing one is a SandboxConfigError
   *  naming it. Synchronous so a server's `setup` can build its sandbox at start-up. */
  static create(paths: string[]): Sandbox {
    return new Sandbox(canonicalRoots(paths));
  }

  /**
   * Sandbox.create for a server's configuration: an unusable directory becomes a ConfigError (one
   * line on stderr, exit 1), prefixed with the setting's name when given.
   */
  static fromConfig(paths: string[], setting?: string): Sandbox {
    try {
      return Sandbox.create(paths);
    } catch (e) {
      if (e instanceof SandboxConfigError) throw new ConfigError(setting ? `${setting}: ${e.message}` : e.message);
      throw e;
    }
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
   * Applies MCP roots sent by the client (`file://` URIs). With configured roots, only client roots
   * inside them are kept (narrowing); without, the client roots replace the empty set. An empty or
   * unusable list falls back to the configured roots. Returns the roots now in force.
   */
  async setRootsFromUris(uris: string[]): Promise<readonly string[]> {
    const dirs: string[] = [];
    for (const u of uris) {
      try {
        const url = new URL(u);
        if (url.protocol !== 'file:' || (url.host && url.host !== 'localhost')) continue;
        dirs.push(fileURLToPath(url));
      } catch {
        /* not a file URI: ignored */
      }
    }
    const candidates = canonicalRoots(dirs, { skipMissing: true }).filter((r) => {
      if (!this.configured.length) return true;
      return this.configured.some((c) => isInside(r.real, c.real));
    });
    this.rootsList = candidates.length ? candidates : this.configured;
    return this.roots();
  }

  // ---------------------------------------------------------------- resolution

  /** Checks a request path and returns its canonical form. Throws access_denied when it escapes. */
  async resolve(input: unknown, mode: ResolveMode = 'follow'): Promise<Resolved> {
    if (!this.rootsList.length) {
      throw new ToolError('No allowed directories are configured', {
        code: 'access_denied',
        hint: 'Start the server with directories as arguments or in ALLOWED_PATHS, or use a client that provides MCP roots.',
      });
    }
    const lexical = this.lexical(input);
    const match = this.matchRoot(lexical);
    if (!match) throw denied();
    const { root, rest } = match;
    // Fast path: one realpath of the whole path (or of its parent, for an entry). If it lands inside
    // a root, the result is the same as the walk below would give; if anything is missing or
    // outside, the walk decides (and explains).
    const fast = await this.fastResolve(path.join(root.real, rest), mode);
    if (fast) return fast;
    let cur = root.real;
    let curRoot = root.real;
    const parts = rest ? rest.split(path.sep) : [];
    for (let i = 0; i < parts.length; i++) {
      const next = path.join(cur, parts[i]);
      const isLast = i === parts.length - 1;
      let st: Stats;
      try {
        st = await fs.lstat(next);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENOENT') {
          const remaining = path.join(next, ...parts.slice(i + 1));
          return { path: remaining, root: curRoot, exists: false };
        }
        if (err.code === 'ENOTDIR') throw new ToolError(`Not a directory: ${this.display(cur)}`, { code: 'invalid_argument' });
        throw systemErrorToToolError(err, this.display(next)) ?? err;
      }
      if (st.isSymbolicLink() && !(isLast && mode === 'entry')) {
        let target: string;
        try {
          target = await fs.realpath(next);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') throw denied('Access denied: the path goes through a symbolic link whose target does not exist');
          if (code === 'ELOOP') throw denied('Access denied: the path goes through a loop of symbolic links');
          throw denied();
        }
        const inRoot = this.rootOf(target);
        if (!inRoot) throw denied('Access denied: the path goes through a symbolic link that leads outside the allowed directories');
        cur = target;
        curRoot = inRoot;
        if (isLast) return { path: cur, root: inRoot, exists: true, stat: await fs.lstat(cur) };
        continue;
      }
      cur = next;
      if (isLast) return { path: cur, root: curRoot, exists: true, stat: st };
      if (!st.isDirectory()) throw new ToolError(`Not a directory: ${this.display(cur)}`, { code: 'invalid_argument' });
    }
    return { path: cur, root: curRoot, exists: true, stat: await fs.lstat(cur) };
  }

  /**
   * Synchronous on purpose: realpath(3) and lstat(2) on a local file system take microseconds,
   * while a thread-pool round trip each costs tens; metadata-heavy calls (get_file_info, many small
   * reads) are several times faster this way.
   */
  private async fastResolve(abs: string, mode: ResolveMode): Promise<Resolved | undefined> {
    try {
      if (mode === 'entry') {
        const parent = realpathSync.native(path.dirname(abs));
        const entry = path.join(parent, path.basename(abs));
        const root = this.rootOf(entry);
        if (!root || !this.rootOf(parent)) return undefined;
        return { path: entry, root, exists: true, stat: lstatSync(entry) };
      }
      const real = realpathSync.native(abs);
      const root = this.rootOf(real);
      if (!root) return undefined;
      return { path: real, root, exists: true, stat: lstatSync(real) };
    } catch {
      return undefined;
    }
  }

  /** Validates the raw input and returns a normalised absolute path (no I/O). */
  private lexical(input: unknown): string {
    if (typeof input !== 'string') throw new ToolError('The path must be a string', { code: 'invalid_argument' });
    if (input.length === 0 || input.trim() === '') throw new ToolError('The path is empty', { code: 'invalid_argument' });
    if (input.includes('\0')) throw new ToolError('The path contains a NUL byte', { code: 'invalid_argument' });
    if (Buffer.byteLength(input) > MAX_PATH_BYTES) throw new ToolError(`The path is longer than ${MAX_PATH_BYTES} bytes`, { code: 'invalid_argument' });
    if (/^file:/i.test(input)) throw new ToolError('Pass a file system path, not a file: URI', { code: 'invalid_argument' });
    let p = input;
    if (p === '~' || p.startsWith('~/')) p = path.join(homedir(), p.slice(1));
    let count = 0;
    for (let i = 0; i < p.length && count <= MAX_COMPONENTS; i++) if (p[i] === '/' || p[i] === path.sep) count++;
    if (count > MAX_COMPONENTS) throw new ToolError(`The path has more than ${MAX_COMPONENTS} components`, { code: 'invalid_argument' });
    return path.isAbsolute(p) ? path.resolve(p) : path.resolve(this.rootsList[0].real, p);
  }

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

  /** The canonical root containing a canonical path, if any. */
  rootOf(real: string): string | undefined {
    let best: string | undefined;
    for (const r of this.rootsList) if (isInside(real, r.real) && (!best || r.real.length > best.length)) best = r.real;
    return best;
  }

  /** A path for messages: canonical paths inside the roots are shown as they are. */
  display(real: string): string {
    return this.rootOf(real) ? real : '(outside the allowed directories)';
  }

  // ---------------------------------------------------------------- descriptors

  /**
   * Opens the directory `dir` (canonical, inside a root) without following a final symlink and
   * checks where the descriptor really points. Returns a path prefix that reaches entries through
   * the descriptor (Linux) or the checked path (elsewhere), and a close function.
   */
  private async openDir(dir: string): Promise<{ via: string; close(): Promise<void> }> {
    if (!HAS_PROC) {
      const real = await fs.realpath(dir).catch(() => dir);
      if (!this.rootOf(real)) throw denied();
      return { via: real, close: async () => {} };
    }
    let h: FileHandle;
    try {
      h = await fs.open(dir, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ELOOP' || err.code === 'ENOTDIR') throw denied('Access denied: a directory on the path was replaced by a link');
      throw systemErrorToToolError(err, this.display(dir)) ?? err;
    }
    const where = await fs.readlink(`/proc/self/fd/${h.fd}`).catch(() => '');
    if (!where || !this.rootOf(where)) {
      await h.close();
      throw denied('Access denied: a directory on the path now leads outside the allowed directories');
    }
    return { via: `/proc/self/fd/${h.fd}`, close: () => h.close() };
  }

  /** Checks that an open file really lies inside the roots. */
  private async checkHandle(h: FileHandle, fallbackPath: string): Promise<void> {
    const where = HAS_PROC ? await fs.readlink(`/proc/self/fd/${h.fd}`).catch(() => '') : await fs.realpath(fallbackPath).catch(() => '');
    if (!where || !this.rootOf(where.replace(/ \(deleted\)$/, ''))) {
      await h.close();
      throw denied('Access denied: the file now lies outside the allowed directories');
    }
  }

  // ---------------------------------------------------------------- operations

  /** Opens an existing file for reading. The caller closes the handle. */
  async openRead(p: unknown): Promise<{ handle: FileHandle; path: string; stat: Stats }> {
    const r = await this.resolve(p, 'follow');
    if (!r.exists) throw new ToolError(`Not found: ${this.display(r.path)}`, { code: 'not_found' });
    if (r.stat?.isDirectory()) throw new ToolError(`Is a directory: ${r.path}`, { code: 'invalid_argument', hint: 'Use list_directory for directories.' });
    const dir = await this.openDir(path.dirname(r.path));
    let h: FileHandle;
    try {
      h = await fs.open(path.join(dir.via, path.basename(r.path)), C.O_RDONLY | O_NOFOLLOW);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ELOOP') throw denied('Access denied: the file was replaced by a link');
      throw systemErrorToToolError(err, r.path) ?? err;
    } finally {
      await dir.close();
    }
    if (!HAS_PROC) await this.checkHandle(h, r.path);
    const stat = await h.stat();
    if (!stat.isFile()) {
      await h.close();
      throw new ToolError(`Not a regular file: ${r.path}`, { code: 'invalid_argument' });
    }
    return { handle: h, path: r.path, stat };
  }

  /** Reads a whole file, refusing files over `maxBytes`. */
  async readFile(p: unknown, opts: { maxBytes?: number } = {}): Promise<{ data: Buffer; path: string; stat: Stats }> {
    const { handle, path: real, stat } = await this.openRead(p);
    try {
      const max = opts.maxBytes ?? 50 * 1024 * 1024;
      if (stat.size > max) {
        throw new ToolError(`File too large: ${stat.size} bytes (limit ${max})`, { code: 'too_large', hint: 'Read it in parts (offset/limit, head or tail).' });
      }
      return { data: await handle.readFile(), path: real, stat };
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes a file. New files are created exclusively (O_EXCL|O_NOFOLLOW); an existing file is
   * replaced only with `overwrite`, through a temp file in the same directory renamed over it.
   * Files with other hard links are refused (writing would change a file that also lives elsewhere).
   */
  async writeFile(p: unknown, data: string | Uint8Array, opts: { overwrite?: boolean; mode?: number } = {}): Promise<{ path: string; created: boolean }> {
    const w = await this.openWrite(p, opts);
    try {
      await w.handle.writeFile(data);
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w.commit();
  }

  /**
   * Opens a file for writing in the way writeFile does, for streaming writers (downloads,
   * attachments). Call `commit()` to publish it or `abort()` to discard it.
   */
  async openWrite(p: unknown, opts: { overwrite?: boolean; mode?: number } = {}): Promise<{ handle: FileHandle; path: string; commit(): Promise<{ path: string; created: boolean }>; abort(): Promise<void> }> {
    const r = await this.resolve(p, 'follow');
    if (r.exists) {
      if (r.stat?.isDirectory()) throw new ToolError(`Is a directory: ${r.path}`, { code: 'invalid_argument' });
      if (!opts.overwrite) throw new ToolError(`Already exists: ${r.path}`, { code: 'already_exists', hint: 'Pass overwrite: true to replace it, or choose another name.' });
      if (r.stat && r.stat.nlink > 1) throw denied('Access denied: the file has other hard links, so writing it would change files elsewhere');
    }
    const dirPath = path.dirname(r.path);
    const parent = await this.resolve(dirPath, 'follow');
    if (!parent.exists) throw new ToolError(`Parent directory does not exist: ${this.display(dirPath)}`, { code: 'not_found', hint: 'Create it first with create_directory.' });
    if (!parent.stat?.isDirectory()) throw new ToolError(`Not a directory: ${dirPath}`, { code: 'invalid_argument' });
    const base = path.basename(r.path);
    const tmpName = `.${base.slice(0, 100)}.${randomBytes(6).toString('hex')}.bizmcp-tmp`;
    const dir = await this.openDir(parent.path);
    let handle: FileHandle;
    try {
      handle = await fs.open(path.join(dir.via, tmpName), C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, opts.mode ?? 0o644);
    } catch (e) {
      await dir.close();
      throw systemErrorToToolError(e as NodeJS.ErrnoException, r.path) ?? e;
    }
    let done = false;
    const abort = async () => {
      if (done) return;
      done = true;
      await handle.close().catch(() => {});
      await fs.unlink(path.join(dir.via, tmpName)).catch(() => {});
      await dir.close();
    };
    const commit = async () => {
      if (done) throw new Error('already committed or aborted');
      done = true;
      await handle.close();
      const tmp = path.join(dir.via, tmpName);
      const target = path.join(dir.via, base);
      try {
        if (opts.overwrite && r.exists) {
          await fs.rename(tmp, target);
        } else {
          // link() fails with EEXIST when the name exists: creation without overwrite is atomic.
          await fs.link(tmp, target);
          await fs.unlink(tmp);
        }
      } catch (e) {
        await fs.unlink(tmp).catch(() => {});
        throw systemErrorToToolError(e as NodeJS.ErrnoException, r.path) ?? e;
      } finally {
        await dir.close();
      }
      return { path: r.path, created: !r.exists };
    };
    return { handle, path: r.path, commit, abort };
  }

  /** Creates a directory (and its missing parents with `recursive`). */
  async mkdir(p: unknown, opts: { recursive?: boolean } = {}): Promise<{ path: string; created: boolean }> {
    const r = await this.resolve(p, 'follow');
    if (r.exists) {
      if (r.stat?.isDirectory()) {
        if (opts.recursive) return { path: r.path, created: false };
        throw new ToolError(`Already exists: ${r.path}`, { code: 'already_exists' });
      }
      throw new ToolError(`Exists and is not a directory: ${r.path}`, { code: 'conflict' });
    }
    // Create each missing component through a checked descriptor of its parent.
    const root = r.root;
    const rel = path.relative(root, r.path).split(path.sep);
    let cur = root;
    for (let i = 0; i < rel.length; i++) {
      const next = path.join(cur, rel[i]);
      const st = await fs.lstat(next).catch(() => undefined);
      if (st) {
        if (st.isSymbolicLink()) {
          const again = await this.resolve(next, 'follow');
          cur = again.path;
          continue;
        }
        if (!st.isDirectory()) throw new ToolError(`Not a directory: ${next}`, { code: 'invalid_argument' });
        cur = next;
        continue;
      }
      if (!opts.recursive && i < rel.length - 1) throw new ToolError(`Parent directory does not exist: ${path.dirname(r.path)}`, { code: 'not_found', hint: 'Pass recursive: true to create missing parents.' });
      const dir = await this.openDir(cur);
      try {
        await fs.mkdir(path.join(dir.via, rel[i]));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw systemErrorToToolError(e as NodeJS.ErrnoException, next) ?? e;
      } finally {
        await dir.close();
      }
      cur = next;
    }
    return { path: r.path, created: true };
  }

  /** Lists a directory (entries are not followed). */
  async readdir(p: unknown): Promise<{ path: string; entries: Dirent[] }> {
    const r = await this.resolve(p, 'follow');
    if (!r.exists) throw new ToolError(`Not found: ${this.display(r.path)}`, { code: 'not_found' });
    if (!r.stat?.isDirectory()) throw new ToolError(`Not a directory: ${r.path}`, { code: 'invalid_argument' });
    const dir = await this.openDir(r.path);
    try {
      return { path: r.path, entries: await fs.readdir(dir.via, { withFileTypes: true }) };
    } finally {
      await dir.close();
    }
  }

  /** Opens a directory for streaming iteration through a checked descriptor. */
  async opendir(p: unknown): Promise<{ path: string; dir: AsyncIterable<Dirent>; close(): Promise<void> }> {
    const r = await this.resolve(p, 'follow');
    if (!r.exists) throw new ToolError(`Not found: ${this.display(r.path)}`, { code: 'not_found' });
    if (!r.stat?.isDirectory()) throw new ToolError(`Not a directory: ${r.path}`, { code: 'invalid_argument' });
    const d = await this.openDir(r.path);
    const it = await fs.opendir(d.via, { bufferSize: 256 });
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
    const start = await this.resolve(p, 'follow');
    if (!start.exists) throw new ToolError(`Not found: ${this.display(start.path)}`, { code: 'not_found' });
    if (!start.stat?.isDirectory()) throw new ToolError(`Not a directory: ${start.path}`, { code: 'invalid_argument' });
    const top = await this.openDir(start.path);
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
              yield* visit(HAS_PROC ? `/proc/self/fd/${h.fd}` : childReal, childReal, childRel, depth + 1);
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

  /** stat of the target (follow) or of the entry itself. */
  async stat(p: unknown, mode: ResolveMode = 'follow'): Promise<{ path: string; stat: Stats }> {
    const r = await this.resolve(p, mode);
    if (!r.exists || !r.stat) throw new ToolError(`Not found: ${this.display(r.path)}`, { code: 'not_found' });
    return { path: r.path, stat: r.stat };
  }

  /** Renames or moves an entry (a symlink is moved as a link). Refuses to replace unless `overwrite`. */
  async rename(from: unknown, to: unknown, opts: { overwrite?: boolean } = {}): Promise<{ from: string; to: string }> {
    const src = await this.resolve(from, 'entry');
    if (!src.exists) throw new ToolError(`Not found: ${this.display(src.path)}`, { code: 'not_found' });
    if (src.path === src.root) throw denied('Access denied: an allowed directory itself cannot be moved');
    const dst = await this.resolve(to, 'entry');
    if (dst.exists) {
      if (!opts.overwrite) throw new ToolError(`Destination already exists: ${dst.path}`, { code: 'already_exists', hint: 'Pass overwrite: true to replace it.' });
      if (dst.stat?.isSymbolicLink()) await this.resolve(to, 'follow'); // a link out of the roots is never replaced blindly
    }
    if (isInside(dst.path, src.path) && dst.path !== src.path) throw new ToolError('Cannot move a directory into itself', { code: 'invalid_argument' });
    const dstParent = await this.resolve(path.dirname(dst.path), 'follow');
    if (!dstParent.exists) throw new ToolError(`Destination directory does not exist: ${path.dirname(dst.path)}`, { code: 'not_found' });
    const a = await this.openDir(path.dirname(src.path));
    const b = await this.openDir(dstParent.path);
    try {
      const s = path.join(a.via, path.basename(src.path));
      const d = path.join(b.via, path.basename(dst.path));
      if (!opts.overwrite && src.stat && !src.stat.isDirectory()) {
        // no-clobber move of a file: link then unlink, atomic against a concurrent creation
        await fs.link(s, d);
        await fs.unlink(s);
      } else {
        if (!opts.overwrite && (await fs.lstat(d).then(() => true, () => false))) throw new ToolError(`Destination already exists: ${dst.path}`, { code: 'already_exists' });
        await fs.rename(s, d);
      }
    } catch (e) {
      if (e instanceof ToolError) throw e;
      throw systemErrorToToolError(e as NodeJS.ErrnoException, dst.path) ?? e;
    } finally {
      await a.close();
      await b.close();
    }
    return { from: src.path, to: dst.path };
  }

  /** Copies a regular file. Refuses to replace unless `overwrite`. */
  async copyFile(from: unknown, to: unknown, opts: { overwrite?: boolean } = {}): Promise<{ from: string; to: string; bytes: number }> {
    const src = await this.openRead(from);
    try {
      const w = await this.openWrite(to, { overwrite: opts.overwrite, mode: src.stat.mode & 0o777 });
      let bytes = 0;
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (;;) {
          const { bytesRead } = await src.handle.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          await w.handle.write(buf, 0, bytesRead);
          bytes += bytesRead;
        }
      } catch (e) {
        await w.abort();
        throw e;
      }
      const done = await w.commit();
      return { from: src.path, to: done.path, bytes };
    } finally {
      await src.handle.close();
    }
  }

  /** Deletes a file, a symlink (the link, never its target) or, with `recursive`, a directory tree. */
  async remove(p: unknown, opts: { recursive?: boolean } = {}): Promise<{ path: string; type: 'file' | 'directory' | 'symlink' }> {
    const r = await this.resolve(p, 'entry');
    if (!r.exists || !r.stat) throw new ToolError(`Not found: ${this.display(r.path)}`, { code: 'not_found' });
    if (this.rootsList.some((x) => x.real === r.path)) throw denied('Access denied: an allowed directory itself cannot be deleted');
    const parent = await this.openDir(path.dirname(r.path));
    const target = path.join(parent.via, path.basename(r.path));
    try {
      if (r.stat.isDirectory()) {
        if (opts.recursive) await fs.rm(target, { recursive: true, force: false });
        else await fs.rmdir(target);
        return { path: r.path, type: 'directory' };
      }
      await fs.unlink(target);
      return { path: r.path, type: r.stat.isSymbolicLink() ? 'symlink' : 'file' };
    } catch (e) {
      throw systemErrorToToolError(e as NodeJS.ErrnoException, r.path) ?? e;
    } finally {
      await parent.close();
    }
  }
}

/** True when `p` is `dir` or below it (whole components only). */
export function isInside(p: string, dir: string): boolean {
  if (p === dir) return true;
  const withSep = dir.endsWith(path.sep) ? dir : dir + path.sep;
  return p.startsWith(withSep);
}

function canonicalRoots(paths: string[], opts: { skipMissing?: boolean } = {}): Root[] {
  const out: Root[] = [];
  for (const raw of paths) {
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const expanded = trimmed === '~' || trimmed.startsWith('~/') ? path.join(homedir(), trimmed.slice(1)) : trimmed;
    const abs = path.resolve(expanded);
    let real: string;
    try {
      real = realpathSync(abs);
      const st = statSync(real);
      if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (e) {
      if (opts.skipMissing) continue;
      const code = (e as NodeJS.ErrnoException).code;
      throw new SandboxConfigError(`allowed directory ${abs} ${code === 'ENOTDIR' ? 'is not a directory' : 'does not exist or cannot be read'}`);
    }
    if (!out.some((r) => r.real === real)) out.push({ real, ...(abs !== real ? { alias: abs } : {}) });
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
