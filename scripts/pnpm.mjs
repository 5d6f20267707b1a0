#!/usr/bin/env node
// Runs the pinned pnpm (installed into .tools/ by scripts/setup.mjs) with the given arguments.
// Used instead of a global pnpm or corepack, which are not on a fresh machine.
import { spawnSync } from 'node:child_process';
import { ensurePnpm } from './lib/pnpm-path.mjs';

const bin = ensurePnpm();
const r = spawnSync(process.execPath, [bin, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
