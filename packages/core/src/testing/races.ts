// Race helpers for attack tests: a swapper that runs in its own Node process, so it really runs in
// parallel with the code under test (an in-process swapper only interleaves at the event loop's
// turns, which synchronous checks never give it).
import { spawn } from 'node:child_process';

/**
 * Runs `body` (JavaScript, with `fs`, `path`, `args`, `swaps` (a counter to increment) and `hold()`
 * (a random 0-1 ms pause) in scope) in a loop in a separate Node process for `ms` milliseconds;
 * resolves with the number of swaps counted.
 */
export function inChildProcess(body: string, args: Record<string, string>, ms: number): Promise<number> {
  const script = `
    const fs = require('node:fs'); const path = require('node:path');
    const args = JSON.parse(process.argv[1]); const end = Date.now() + ${ms}; let swaps = 0;
    const cell = new Int32Array(new SharedArrayBuffer(4));
    const hold = () => Atomics.wait(cell, 0, 0, Math.random());
    while (Date.now() < end) { ${body} }
    process.stdout.write(String(swaps));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`swapper exited with ${code}`))));
  });
}

/**
 * One swap for inChildProcess, args `{ dir, parked, target }`: the directory `dir` moves to a
 * parking place (`parked` + a counter, a new one each time), a symlink to `target` takes its name,
 * then the directory comes back. A step that loses against the code under test (which may
 * recreate the name meanwhile) is skipped. Each state is held for a random 0-1 ms, so the swaps
 * fall at every point of the operations.
 */
export const SWAP_DIR_FOR_LINK = `
  const parked = args.parked + '-' + swaps;
  try {
    fs.renameSync(args.dir, parked);
    swaps++;
    try { fs.symlinkSync(args.target, args.dir); } catch {}
    hold();
    try { fs.unlinkSync(args.dir); } catch {}
    fs.renameSync(parked, args.dir);
  } catch {}
  hold();`;
