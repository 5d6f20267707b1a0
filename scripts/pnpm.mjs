#!/usr/bin/env node
// Runs the pinned pnpm (installed into .tools/ by scripts/setup.mjs) with the given arguments, on
// Node >= 22.12 (the running node, or the one setup fetched into .tools/ when that is older).
// Used instead of a global pnpm or corepack, which are not on a fresh machine.
import { runPnpm } from './lib/pnpm-path.mjs';

const r = runPnpm(process.argv.slice(2), { cwd: process.cwd() });
process.exit(r.status ?? 1);
