// The path rules of a platform, as explicit inputs: how paths are spelled (separators, drive letters,
// UNC shares, device prefixes), which names the system rewrites or treats specially, and how two
// names compare (case, Unicode normalisation). The sandbox uses the rules of the platform it runs
// on; the tests run every platform's rules here, so that macOS and Windows decisions are checked on
// Linux too (packages/core/test/platform-paths.test.ts).
import * as path from 'node:path';

export interface PathRules {
  name: 'linux' | 'darwin' | 'win32';
  /** path.posix or path.win32. */
  path: path.PlatformPath;
  /** Names equal up to case are the same entry (APFS and NTFS by default). */
  caseInsensitive: boolean;
  /** Names equal up to Unicode normalisation are the same entry (APFS). */
  normalisationInsensitive: boolean;
}

export const PLATFORM_RULES: Record<PathRules['name'], PathRules> = {
  linux: { name: 'linux', path: path.posix, caseInsensitive: false, normalisationInsensitive: false },
  darwin: { name: 'darwin', path: path.posix, caseInsensitive: true, normalisationInsensitive: true },
  win32: { name: 'win32', path: path.win32, caseInsensitive: true, normalisationInsensitive: false },
};

/** The rules of the platform this process runs on. */
export const hostRules: PathRules = process.platform === 'win32' ? PLATFORM_RULES.win32 : process.platform === 'darwin' ? PLATFORM_RULES.darwin : PLATFORM_RULES.linux;

/** The form under which two paths compare equal under `rules`. */
export function compareKey(rules: PathRules, p: string): string {
  let k = rules.normalisationInsensitive ? p.normalize('NFC') : p;
  if (rules.caseInsensitive) k = k.toLowerCase();
  return k;
}

/** True when `p` is `dir` or below it, by whole components, as `rules` compare names. */
export function insideUnder(rules: PathRules, p: string, dir: string): boolean {
  const a = rules.caseInsensitive || rules.normalisationInsensitive ? compareKey(rules, p) : p;
  const b = rules.caseInsensitive || rules.normalisationInsensitive ? compareKey(rules, dir) : dir;
  if (a === b) return true;
  const sep = rules.path.sep;
  return a.startsWith(b.endsWith(sep) ? b : b + sep);
}

const WIN_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/**
 * Why a raw request path is refused under `rules` before it is resolved, or undefined. On Windows:
 * device and verbatim prefixes (`\\?\`, `\\.\`), drive-relative paths (`C:foo`), alternate data
 * streams (`file.txt:hidden`), reserved device names (`CON`, `NUL`, `COM1`, also with an extension),
 * names the system rewrites (trailing dots or spaces: `secret.txt.` opens `secret.txt`) and 8.3
 * short names (`PROGRA~1`: their long names are what the roots know).
 */
export function refusedSpelling(rules: PathRules, input: string): string | undefined {
  if (rules.name !== 'win32') return undefined;
  if (/^[\\/]{2}[?.][\\/]/.test(input) || /^[\\/]{2}\?\?[\\/]/.test(input)) return 'device and verbatim paths (\\\\?\\, \\\\.\\) are not accepted';
  if (/^[a-zA-Z]:(?![\\/])/.test(input)) return 'a drive-relative path (C:name) depends on a hidden per-drive directory: give the full path';
  const body = input.replace(/^[a-zA-Z]:/, '');
  for (const c of body.split(/[\\/]+/)) {
    if (c === '' || c === '.' || c === '..') continue;
    if (c.includes(':')) return `"${c}": alternate data streams (name:stream) are not accepted`;
    if (/[. ]$/.test(c)) return `"${c}": Windows drops trailing dots and spaces from names, so this would reach another file`;
    if (WIN_RESERVED.test(c.replace(/[ .]+$/, ''))) return `"${c}" is a reserved device name on Windows`;
    if (/~[0-9]+(\.[^.]*)?$/.test(c)) return `"${c}" looks like an 8.3 short name: use the long name`;
    if (/[<>"|?*\u0000-\u001f]/.test(c)) return `"${c}" contains a character Windows does not allow in names`;
  }
  return undefined;
}

/**
 * The sandbox's lexical decision for a request under `rules`: refused (and why), or the resolved
 * absolute path and the root it falls under (the longest matching root), or outside.
 * `roots` are canonical absolute paths in the platform's spelling.
 */
export function decide(rules: PathRules, roots: readonly string[], input: string): { refused: string } | { path: string; root: string | undefined } {
  const why = refusedSpelling(rules, input);
  if (why) return { refused: why };
  const p = rules.path;
  if (!p.isAbsolute(input)) return { refused: 'not an absolute path' };
  const abs = p.resolve(input);
  let best: string | undefined;
  for (const r of roots) if (insideUnder(rules, abs, r) && (!best || r.length > best.length)) best = r;
  return { path: abs, root: best };
}
