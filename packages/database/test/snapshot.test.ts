// A new embedded database starts from the initialised snapshot the build makes
// (scripts/pglite-snapshot.mjs) instead of running initdb; an existing one opens as it is.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPglite } from '../src/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'bizmcp-pglite-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder() {
  const lines: string[] = [];
  const log = { info: (_o: unknown, m?: string) => lines.push(String(m)), warn() {}, error() {}, debug() {}, child: () => log } as never;
  return { log, lines };
}
const ctl = () => ({ timeoutMs: 60_000, signal: new AbortController().signal });

describe('the PGlite snapshot', () => {
  it('the build made one for the installed PGlite', () => {
    expect(readdirSync(join(import.meta.dirname, '..', 'pglite-snapshot')).filter((f) => /^pglite-\d.*\.tar\.gz$/.test(f))).toHaveLength(1);
  });

  it('a new data directory starts from it, keeps what is written, and reopens as it is', { timeout: 120_000 }, async () => {
    const data = join(dir, 'db');
    const first = recorder();
    const a = createPglite(data, first.log);
    await a.write((s) => s.query('CREATE TABLE kept (v text)').then(() => s.query("INSERT INTO kept VALUES ('still here')")), ctl());
    await a.close();
    expect(first.lines).toContain('new embedded database created from the built-in snapshot');
    expect(existsSync(join(data, 'PG_VERSION'))).toBe(true);
    const again = recorder();
    const b = createPglite(data, again.log);
    const r = await b.read((s) => s.query('SELECT v FROM kept'), ctl());
    await b.close();
    expect(r.rows).toEqual([{ v: 'still here' }]);
    expect(again.lines).not.toContain('new embedded database created from the built-in snapshot');
  });
});
