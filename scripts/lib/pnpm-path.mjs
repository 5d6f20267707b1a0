// Where the pinned pnpm lives, and how to get it there (npm only: a fresh machine has no pnpm).
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureNode, envFor, root } from './node-path.mjs';

export { root };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
export const pnpmVersion = pkg.packageManager.split('@')[1].split('+')[0];
const tools = join(root, '.tools');
const dir = join(tools, 'node_modules', 'pnpm');
const bin = join(dir, 'bin', 'pnpm.cjs');

export function ensurePnpm(env = process.env) {
  if (existsSync(bin)) {
    const v = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    if (v === pnpmVersion) return bin;
  }
  process.stderr.write(`[setup] installing pnpm@${pnpmVersion} into .tools/\n`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', tools, `pnpm@${pnpmVersion}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  if (r.status !== 0 || !existsSync(bin)) {
    process.stderr.write('[setup] could not install pnpm with npm\n');
    process.exit(1);
  }
  return bin;
}

/** Runs the pinned pnpm on the project's Node (see node-path.mjs) with `args`; returns spawnSync's result. */
export function runPnpm(args, options = {}) {
  const node = options.node ?? ensureNode();
  const env = envFor(node, options.env ?? process.env);
  const pnpm = ensurePnpm(env);
  return spawnSync(node, [pnpm, ...args], { cwd: root, stdio: 'inherit', ...options, env });
}
