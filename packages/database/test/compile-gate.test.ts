// The SQL parser's module compiles with V8's optimizing tier turned off (pglite-worker.ts says why);
// the flags are process-wide and read when each function compiles, so a PGlite worker must not
// compile anything while that lasts. Its own file: the gate only applies before any PGlite worker
// of the process has started compiling.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { compileWithoutTierUp, openPgliteWorker, tierUpAgain, tierUpOff } from '../src/pglite-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'bizmcp-compile-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a PGlite worker started while the parser compiles opens only once that is done', { timeout: 120_000 }, async () => {
  let release!: () => void;
  const loading = compileWithoutTierUp(
    () => new Promise<string>((resolve) => (release = () => resolve('parser'))),
    () => {},
  );
  const opening = openPgliteWorker(join(dir, 'db'));
  let opened = false;
  void opening.opened.then(() => (opened = true));
  // PGlite opens a new directory in about a second here; held back, it has not opened after 4 s
  await new Promise((r) => setTimeout(r, 4000));
  expect(opened).toBe(false);
  release();
  expect(await loading).toBe('parser');
  await expect(opening.opened).resolves.toEqual({ fromSnapshot: true });
  await opening.worker.terminate();
});

it('the optimizing tier comes back on only when the last of two overlapping stretches ends', () => {
  const count = new Int32Array(new SharedArrayBuffer(4));
  const flags = ['wasm-tier-up', 'wasm-dynamic-tiering'];
  const state = new Map<string, boolean>();
  const set = (flag: string) => state.set(flag.replace(/^--(no-)?/, ''), !flag.startsWith('--no-'));
  const on = () => flags.every((f) => state.get(f) === true);
  const off = () => flags.every((f) => state.get(f) === false);
  tierUpOff(count, set, flags); // the main thread's first parse
  tierUpOff(count, set, flags); // PGlite's worker, at the same time
  tierUpAgain(count, set, flags);
  expect(off()).toBe(true); // the worker's parse is not over
  tierUpAgain(count, set, flags);
  expect(on()).toBe(true);
  expect(count[0]).toBe(0);
  // the other thread begins a stretch while the last one out turns the flags back on: off again
  tierUpOff(count, set, flags);
  const racing = (flag: string) => {
    set(flag);
    if (flag === '--wasm-dynamic-tiering' && count[0] === 0) Atomics.add(count, 0, 1);
  };
  tierUpAgain(count, racing, flags);
  expect(off()).toBe(true);
});

it('once a PGlite worker has started, a first call that throws leaves the module usable', async () => {
  // after the first test of this file, which started a worker
  const loaded = await compileWithoutTierUp(
    async () => 'parser',
    () => {
      throw new Error('not a statement');
    },
  );
  expect(loaded).toBe('parser');
});
