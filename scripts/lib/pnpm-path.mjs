// Where the pinned pnpm lives, and how to get it there (npm only: a fresh machine has no pnpm).
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
export const pnpmVersion = pkg.packageManager.split('@')[1].split('+')[0];
const tools = join(root, '.tools');
const bin = join(tools, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');

export function ensurePnpm() {
  if (existsSync(bin)) {
    const v = JSON.parse(readFileSync(join(tools, 'node_modules', 'pnpm', 'package.json'), 'utf8')).version;
    if (v === pnpmVersion) return bin;
  }
  process.stderr.write(`[setup] installing pnpm@${pnpmVersion} into .tools/\n`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', tools, `pnpm@${pnpmVersion}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(bin)) {
    process.stderr.write('[setup] could not install pnpm with npm\n');
    process.exit(1);
  }
  return bin;
}
