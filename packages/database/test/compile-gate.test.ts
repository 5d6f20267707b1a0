// The SQL parser's module compiles with V8's optimizing tier turned off (pglite-worker.ts says why);
// the flags are process-wide and read when each function compiles, so a PGlite worker must not
// compile anything while that lasts. Its own file: the gate only applies before any PGlite worker
// of the process has started compiling.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { compileWithoutTierUp, openPgliteWorker } from '../src/pglite-worker.js';

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
