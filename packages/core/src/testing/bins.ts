// The built binary a test spawns: `packages/<pkg>/dist/<file>` from the repository root, or a clear
// failure saying how to build it.
import { existsSync } from 'node:fs';
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
