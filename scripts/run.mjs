#!/usr/bin/env node
// The root npm scripts: `node scripts/run.mjs <task> [args…]`. Written for old Nodes too: it picks a
// Node >= 22.12 (the running one, or the pinned Node 24 that setup fetches into .tools/ when the
// running one is older; BIZMCP_NODE=22 or 24 picks that pinned major), puts that Node's directory
// first on PATH and runs every step of the task on it, so pnpm, vitest, the servers the tests spawn
// and `process.execPath` all use the same Node.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureNode, envFor, root } from './lib/node-path.mjs';

const script = (file, ...args) => [join(root, file), ...args];
const pnpm = (...args) => script('scripts/pnpm.mjs', ...args);
const tasks = {
  setup: (a) => [script('scripts/setup.mjs', ...a)],
  build: (a) => [script('scripts/setup.mjs', '--no-system'), pnpm('-r', 'build', ...a)],
  demo: (a) => [script('scripts/setup.mjs', '--demo'), pnpm('-r', 'build'), script('scripts/demo.mjs', ...a)],
  test: (a) => [script('scripts/setup.mjs'), script('scripts/check.mjs'), pnpm('-r', 'build'), pnpm('exec', 'vitest', 'run', ...a)],
  docs: (a) => [script('scripts/setup.mjs', '--no-system'), pnpm('exec', 'vitest', 'run', '--project', 'repo', 'test/generated.test.ts', ...a)],
  bench: (a) => [script('bench/run.mjs', ...a)],
  'bench:check': (a) => [script('bench/check.mjs', ...a)],
  'claude-config': (a) => [script('scripts/claude-config.mjs', ...a)],
  bundle: (a) => [script('scripts/setup.mjs', '--no-system'), pnpm('-r', 'build'), script('scripts/bundle.mjs', ...a)],
};

const [task, ...rest] = process.argv.slice(2);
if (!tasks[task]) {
  process.stderr.write(`usage: node scripts/run.mjs <${Object.keys(tasks).join('|')}> [args…]\n`);
  process.exit(2);
}
const bin = ensureNode();
const env = envFor(bin, task === 'docs' ? { ...process.env, UPDATE_GENERATED: '1' } : process.env);
const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
process.stderr.write(`[run] ${task} on Node ${version} (${bin})\n`);
for (const args of tasks[task](rest)) {
  const r = spawnSync(bin, args, { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
