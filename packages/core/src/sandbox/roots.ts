// The sandbox's roots and their canonical forms: configured directories canonicalised once at
// start-up (realpath; a symlinked root keeps its configured spelling as an alias), MCP roots
// (`file://` URIs parsed strictly) canonicalised and narrowed to the configured roots by
// intersection, and what is asked of the roots in force: which root holds a canonical path, whether
// a path contains a root, and the messages that name them (never a path outside the roots).
import { realpathSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolError } from '../errors.js';
import { expandHome, isInside } from './paths.js';

export interface Root {
  real: string;
  /** The spelling it was configured with, when it differs from `real` (a symlinked root). */
  alias?: string;
}

/** A root that cannot be used (servers turn it into a one-line start-up error). */
export class SandboxConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxConfigError';
  }
}

/**
 * A `file://` URI (as MCP roots send them) → an absolute path. Strict: `file://` with an empty
 * or `localhost` host, no query, no fragment, no encoded `/` or NUL. Percent-decoding happens
 * here, at the URI layer, and nowhere else in the sandbox. Throws invalid_argument.
 */
export function parseFileUri(uri: string): string {
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

function addRoot(out: Root[], abs: string, real: string): void {
  if (!out.some((r) => r.real === real)) out.push({ real, ...(abs !== real ? { alias: abs } : {}) });
}

/**
 * Configured roots: synchronous (start-up). A directory that is missing or not a directory is a
 * SandboxConfigError, unless `onSkip` is given: then it is skipped (onSkip says why) as long as
 * another one is usable, and the error names them all when none is.
 */
export function canonicalRootsSync(paths: string[], onSkip?: (problem: string) => void): Root[] {
  const out: Root[] = [];
  const problems: string[] = [];
  for (const raw of paths) {
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const abs = path.resolve(expandHome(trimmed));
    let real: string;
    try {
      real = realpathSync(abs);
      if (!statSync(real).isDirectory()) throw new SandboxConfigError(`allowed directory ${abs} is not a directory`);
    } catch (e) {
      const problem = e instanceof SandboxConfigError ? e.message : `allowed directory ${abs} does not exist or cannot be read`;
      if (!onSkip) throw new SandboxConfigError(problem);
      problems.push(problem);
      continue;
    }
    addRoot(out, abs, real);
  }
  if (problems.length && !out.length) throw new SandboxConfigError(problems.length === 1 ? problems[0] : `no usable allowed directory: ${problems.join('; ')}`);
  for (const p of problems) onSkip?.(`${p}: skipped, the others are used`);
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
    if (
      !real ||
      !(await fs.stat(real).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      continue;
    addRoot(out, abs, real);
  }
  return out;
}

/** The roots in force: the configured ones, or those a client narrowed them to. */
export class RootSet {
  private current: Root[];
  /** Increments on every set call, so a slow older call never overrides a newer one. */
  private version = 0;

  constructor(
    private readonly configured: Root[],
    /** How the roots are named in messages, e.g. "the allowed directories". */
    readonly label: string,
  ) {
    this.current = configured;
  }

  /** The roots configured at start (what a session's view narrows). */
  get configuredRoots(): Root[] {
    return this.configured;
  }

  /** The roots in force, with their configured spellings. */
  get list(): readonly Root[] {
    return this.current;
  }

  /** The current roots (canonical). */
  reals(): readonly string[] {
    return this.current.map((r) => r.real);
  }

  /**
   * Replaces the roots in force by `paths` (missing directories are skipped). With configured
   * roots, the result is the intersection: a path inside a configured root is kept, a configured
   * root inside a path is kept, anything else is dropped; the client can narrow, never widen.
   * Without configured roots the paths replace the (empty) set. When nothing usable remains (an
   * empty list, or only outside paths), the configured roots apply again. Returns the roots now in force.
   */
  async set(paths: string[]): Promise<readonly string[]> {
    const version = ++this.version;
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
    if (version === this.version) this.current = next.length ? next : this.configured;
    return this.reals();
  }

  /** The canonical root containing a canonical path, if any. */
  rootOf(real: string): string | undefined {
    let best: string | undefined;
    for (const r of this.current) if (isInside(real, r.real) && (!best || r.real.length > best.length)) best = r.real;
    return best;
  }

  /** True when `p` is a root or contains one (it must not be moved or deleted). */
  containsRoot(p: string): boolean {
    return this.current.some((r) => isInside(r.real, p)) || this.configured.some((r) => isInside(r.real, p));
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

  denied(why = `the path is outside ${this.label}`): ToolError {
    const shown = this.reals().slice(0, 5).join(', ');
    return new ToolError(`Access denied: ${why}`, {
      code: 'access_denied',
      hint: shown ? `Use a path inside ${this.label}: ${shown}.` : undefined,
    });
  }
}
