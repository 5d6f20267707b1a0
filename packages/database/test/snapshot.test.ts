// A new embedded database starts from the initialised snapshot the build makes
// (scripts/pglite-snapshot.mjs), written natively instead of running initdb; an existing one opens as
// it is. The binary starts the worker before the server loads, unless a PostgreSQL URL is given.
import * as fs from 'node:fs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPglite } from '../src/backend.js';
import { discardPrestarted, embeddedDataDir, extractSnapshot, prestarted, prestartPglite } from '../src/pglite-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'bizmcp-pglite-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const snapshotDir = join(import.meta.dirname, '..', 'pglite-snapshot');

function recorder() {
  const lines: string[] = [];
  const log = { info: (_o: unknown, m?: string) => lines.push(String(m)), warn() {}, error() {}, debug() {}, child: () => log } as never;
  return { log, lines };
}
const ctl = () => ({ timeoutMs: 60_000, signal: new AbortController().signal });
const mode = (p: string) => statSync(p).mode & 0o777;

/** A tar with the given entries (type '0' files, '5' directories). */
function tarOf(entries: { name: string; data?: string; type?: '0' | '5' }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 'latin1');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write(e.type ?? '0', 156, 'latin1');
    h.write('ustar\0', 257, 'latin1');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

describe('the PGlite snapshot', () => {
  it('the build made one for the installed PGlite', () => {
    expect(readdirSync(snapshotDir).filter((f) => /^pglite-\d.*\.tar$/.test(f))).toHaveLength(1);
  });

  it('a new data directory starts from it (private files), keeps what is written, and reopens as it is', { timeout: 120_000 }, async () => {
    const data = join(dir, 'db');
    const first = recorder();
    const a = createPglite(data, first.log);
    await a.write((s) => s.query('CREATE TABLE kept (v text)').then(() => s.query("INSERT INTO kept VALUES ('still here')")), ctl());
    // the settings the embedded database runs with
    expect((await a.read((s) => s.query('SHOW shared_buffers'), ctl())).rows).toEqual([{ shared_buffers: '16MB' }]);
    await a.close();
    expect(first.lines).toContain('new embedded database created from the built-in snapshot');
    expect(existsSync(join(data, 'PG_VERSION'))).toBe(true);
    expect(mode(join(data, 'PG_VERSION'))).toBe(0o600);
    expect(mode(join(data, 'global'))).toBe(0o700);
    expect(mode(join(data, 'base', '1'))).toBe(0o700);
    const again = recorder();
    const b = createPglite(data, again.log);
    const r = await b.read((s) => s.query('SELECT v FROM kept'), ctl());
    await b.close();
    expect(r.rows).toEqual([{ v: 'still here' }]);
    expect(again.lines).not.toContain('new embedded database created from the built-in snapshot');
  });

  it('an extraction cut short (no PG_VERSION yet) is redone on the next start', { timeout: 120_000 }, async () => {
    const data = join(dir, 'cut');
    const archive = readFileSync(join(snapshotDir, readdirSync(snapshotDir)[0]));
    const files = extractSnapshot(archive, data, { fs, path });
    expect(files).toBeGreaterThan(500);
    // as if the process had died before the last file: PG_VERSION missing, a catalog file torn
    rmSync(join(data, 'PG_VERSION'));
    writeFileSync(join(data, 'global', 'pg_control'), 'torn');
    const log = recorder();
    const db = createPglite(data, log.log);
    const r = await db.read((s) => s.query('SELECT count(*)::int AS n FROM pg_class'), ctl());
    await db.close();
    expect(r.rows[0].n).toBeGreaterThan(100);
    expect(log.lines).toContain('new embedded database created from the built-in snapshot');
  });

  it('an entry that climbs out of the directory is refused before anything is written', () => {
    const into = join(dir, 'hostile', 'data');
    const archive = tarOf([
      { name: 'PG_VERSION', data: '17' },
      { name: 'base/../../escaped', data: 'outside' },
    ]);
    expect(() => extractSnapshot(archive, into, { fs, path })).toThrow(/unexpected entry/);
    expect(existsSync(join(dir, 'hostile', 'escaped'))).toBe(false);
    expect(existsSync(join(into, 'PG_VERSION'))).toBe(false);
    // and an archive without PG_VERSION is not a data directory
    expect(() => extractSnapshot(tarOf([{ name: 'base', type: '5' }]), join(dir, 'empty'), { fs, path })).toThrow(/no PG_VERSION/);
  });
});

describe('a worker that ends while the database opens', () => {
  it('fails the call waiting for it instead of leaving it waiting', { timeout: 60_000 }, async () => {
    const db = createPglite(join(dir, 'closing'), recorder().log) as ReturnType<typeof createPglite> & { warm(): Promise<void> };
    const opening = db.warm(); // what the server does at start-up
    const pending = db.read((s) => s.query('SELECT 1'), ctl());
    await new Promise((r) => setTimeout(r, 20)); // the call is waiting for the database to open
    await db.close(); // the server shutting down while the database is still opening
    await expect(opening).rejects.toThrow(/stopped while opening/);
    await expect(pending).rejects.toThrow(/stopped while opening/);
  });
});

describe('the worker started before the server loads', () => {
  it('is not started when a PostgreSQL URL is on the command line or in DATABASE_URL', () => {
    prestartPglite(['postgresql://u@db/x'], {});
    expect(prestarted()).toBeUndefined();
    prestartPglite([], { DATABASE_URL: 'postgresql://u@db/x' });
    expect(prestarted()).toBeUndefined();
    prestartPglite(['--help'], {});
    expect(prestarted()).toBeUndefined();
  });

  it('waits for the configuration before writing a new data directory, then is adopted by it', { timeout: 120_000 }, async () => {
    const data = join(dir, 'early-new');
    prestartPglite([], { BIZMCP_DATA_DIR: data });
    expect(prestarted()?.opening).toBeUndefined();
    await new Promise((r) => setTimeout(r, 500)); // the worker has loaded PGlite by now
    expect(existsSync(data)).toBe(false);
    const db = createPglite(data, recorder().log);
    await db.read((s) => s.query('SELECT 1'), ctl()); // opens on first use: takes the early worker
    expect(prestarted()).toBeUndefined();
    expect(existsSync(join(data, 'PG_VERSION'))).toBe(true);
    await db.close();
  });

  it('opens an existing data directory at once; an answer that comes before the server asks is kept', { timeout: 120_000 }, async () => {
    const data = join(dir, 'early-existing');
    const first = createPglite(data, recorder().log);
    await first.write((s) => s.query('CREATE TABLE early (v int)').then(() => s.query('INSERT INTO early VALUES (7)')), ctl());
    await first.close();
    prestartPglite([], { BIZMCP_DATA_DIR: data });
    expect(prestarted()?.opening).toBe(data);
    await prestarted()?.opened; // opened: its answer came while the server was not waiting for it
    const db = createPglite(data, recorder().log);
    const r = await db.read((s) => s.query('SELECT v FROM early'), ctl());
    expect(r.rows).toEqual([{ v: 7 }]);
    expect(prestarted()).toBeUndefined();
    await db.close();
  });

  it('the configuration naming another directory stops it and opens that one', { timeout: 120_000 }, async () => {
    const guessed = join(dir, 'early-existing');
    const other = join(dir, 'early-other');
    prestartPglite([], { BIZMCP_DATA_DIR: guessed });
    expect(prestarted()?.opening).toBe(guessed);
    const db = createPglite(other, recorder().log);
    await db.write((s) => s.query('CREATE TABLE other_one (v int)'), ctl());
    const r = await db.read((s) => s.query("SELECT to_regclass('early') IS NULL AS elsewhere"), ctl());
    expect(r.rows).toEqual([{ elsewhere: true }]);
    await db.close();
  });

  it('the same directory as the configuration computes it', () => {
    const env = { HOME: '/home/u', XDG_DATA_HOME: '' };
    expect(embeddedDataDir(undefined, env)).toBe(join('/home/u', '.local', 'share', 'bizmcp', 'database'));
    expect(embeddedDataDir('  ', env)).toBe(join('/home/u', '.local', 'share', 'bizmcp', 'database'));
    expect(embeddedDataDir('/srv/db', env)).toBe('/srv/db');
  });

  it('is stopped when the configuration names a PostgreSQL URL after all', () => {
    prestartPglite([], { BIZMCP_DATA_DIR: join(dir, 'never') });
    expect(prestarted()).toBeDefined();
    discardPrestarted();
    expect(prestarted()).toBeUndefined();
  });
});
