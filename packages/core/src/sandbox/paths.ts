// Pure path resolution for the sandbox, string-level and without I/O: the checks on a raw request
// path (refused inputs, size bounds), `~` expansion, making it absolute and normalising it
// lexically, and matching the result against the roots by whole components under either spelling
// of a root. The lstat walk that follows (links, intents) is the façade's (../sandbox.ts).
import { homedir } from 'node:os';
import * as path from 'node:path';
import { ToolError } from '../errors.js';
import { hostRules, insideUnder, refusedSpelling } from './platform.js';
import type { Root } from './roots.js';

const MAX_PATH_BYTES = 4096;
const MAX_COMPONENTS = 1024;

/** True when `p` is `dir` or below it (whole components only, names compared as this platform does). */
export function isInside(p: string, dir: string): boolean {
  return insideUnder(hostRules, p, dir);
}

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p;
}

/**
 * Validates the raw input and returns a normalised absolute path (bounded work); a relative path
 * starts at `base` (the first root).
 */
export function lexical(input: unknown, base: string): string {
  if (typeof input !== 'string') throw new ToolError('The path must be a string', { code: 'invalid_argument' });
  if (input.trim() === '') throw new ToolError('The path is empty', { code: 'invalid_argument' });
  if (input.length > MAX_PATH_BYTES || Buffer.byteLength(input) > MAX_PATH_BYTES) {
    throw new ToolError(`The path is longer than ${MAX_PATH_BYTES} bytes`, { code: 'invalid_argument' });
  }
  if (input.includes('\0')) throw new ToolError('The path contains a NUL byte', { code: 'invalid_argument' });
  if (/^file:/i.test(input)) throw new ToolError('Pass a file system path, not a file: URI', { code: 'invalid_argument' });
  const spelling = refusedSpelling(hostRules, input);
  if (spelling) throw new ToolError(`Refused path: ${spelling}`, { code: 'invalid_argument' });
  let components = 0;
  for (let i = 0; i < input.length; i++) if (input[i] === '/' || input[i] === path.sep) components++;
  if (components > MAX_COMPONENTS) throw new ToolError(`The path has more than ${MAX_COMPONENTS} components`, { code: 'invalid_argument' });
  const p = expandHome(input);
  return path.isAbsolute(p) ? path.resolve(p) : path.resolve(base, p);
}

/** The root (and the rest of the path below it) for a normalised absolute path, by whole components. */
export function matchRoot(roots: readonly Root[], abs: string): { root: Root; rest: string } | undefined {
  let best: { root: Root; rest: string; len: number } | undefined;
  for (const r of roots) {
    for (const spelling of r.alias ? [r.real, r.alias] : [r.real]) {
      if (isInside(abs, spelling) && (!best || spelling.length > best.len)) {
        best = { root: r, rest: restBelow(spelling, abs), len: spelling.length };
      }
    }
  }
  return best;
}

/** `abs` relative to `dir`, which it is inside of (possibly only up to case or normalisation). */
function restBelow(dir: string, abs: string): string {
  if (abs === dir) return '';
  // `abs` is normalised and below `dir` by whole components: what follows `dir` and its separator
  if (abs.startsWith(dir)) return abs.slice(dir.endsWith(path.sep) ? dir.length : dir.length + 1);
  const skip = dir.split(path.sep).filter(Boolean).length;
  return abs.split(path.sep).filter(Boolean).slice(skip).join(path.sep);
}
