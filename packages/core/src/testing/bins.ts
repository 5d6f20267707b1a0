// The built binary a test spawns: `packages/<pkg>/dist/<file>` from the repository root, or a clear
// failure saying how to build it; and its memory as /proc reports it.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file is packages/core/src/testing/bins.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');

/**
 * Absolute path of a package's built file, `dist/index.js` by default. `pkg` is the folder name
 * (`database`) or the package name (`@bizmcp/database`). Throws when the file is not there.
 */
export function builtBin(pkg: string, file = 'index.js'): string {
  const dir = pkg.replace(/^@bizmcp\//, '');
  const bin = join(REPO_ROOT, 'packages', dir, 'dist', file);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (npm test builds every package; or node scripts/pnpm.mjs --filter @bizmcp/${dir} build)`);
  return bin;
}

/** A memory field of a running process's /proc status (VmRSS, VmHWM...), in MB (Linux). */
export function procStatusMb(pid: number | undefined, field: string): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kb) / 1024;
}
