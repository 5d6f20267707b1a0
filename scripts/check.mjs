#!/usr/bin/env node
// The repository's static checks, run by `npm test` before the build: the type-check of every
// package and its tests (scripts/typecheck.mjs: tsc -b) and Biome (lint + format check, biome.json).
// Both always run so one pass shows every problem; the exit code is non-zero when either fails.
// Output goes to stderr. `npm run format` applies Biome's formatting and safe fixes.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));
const biome = join(dirname(require.resolve('@biomejs/biome/package.json')), 'bin', 'biome');

const steps = [
  ['typecheck', [join(root, 'scripts', 'typecheck.mjs')]],
  ['lint', [biome, 'check', '--colors=off', '--diagnostic-level=warn', '.']],
];

const failed = [];
for (const [name, args] of steps) {
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 2, 2] });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) failed.push(name);
  process.stderr.write(`check: ${name} ${r.status === 0 ? 'ok' : 'FAILED'} (${secs} s)\n`);
}
if (failed.length) {
  process.stderr.write(`check: failed: ${failed.join(', ')}${failed.includes('lint') ? ' (npm run format fixes formatting)' : ''}\n`);
  process.exit(1);
}
