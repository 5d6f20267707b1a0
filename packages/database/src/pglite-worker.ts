// The embedded database's worker thread, kept apart from the rest of the server so the binary can
// start it before anything else loads (index.ts): the worker imports PGlite, compiles its WASM
// module and reads its file-system bundle while the main thread is still loading, then waits for
// the data directory (sent once the configuration is known) and opens it.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * PostgreSQL settings the embedded database runs with. shared_buffers: PostgreSQL's default of
 * 128 MB is zeroed at every start (half of PGlite's opening time here); 16 MB holds the catalogs and
 * a working set, and the operating system's page cache keeps the rest of the files.
 */
export const PGLITE_SETTINGS = ['shared_buffers=16MB'];

/**
 * Writes the files of a tar archive (the build's snapshot) into `dir`: directories 0700, files
 * 0600, PG_VERSION last (a directory without it is a new one: an interrupted extraction is redone
 * on the next start). Uncompressed: inflating its 40 MB took longer than writing its 970 files.
 * The modules are parameters because the function also runs inside the worker, from its source
 * text.
 */
export function extractSnapshot(archive: Uint8Array, dir: string, m: { fs: typeof import('node:fs'); path: typeof import('node:path') }): number {
  const tar = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const text = (at: number, len: number) => {
    const end = tar.indexOf(0, at);
    return tar.toString('latin1', at, end === -1 || end > at + len ? at + len : end);
  };
  let last: { to: string; data: Uint8Array } | undefined;
  let files = 0;
  for (let at = 0; at + 512 <= tar.length; ) {
    if (tar[at] === 0) break; // the end-of-archive blocks
    const prefix = tar.toString('latin1', at + 257, at + 262) === 'ustar' ? text(at + 345, 155) : '';
    const name = (prefix ? `${prefix}/` : '') + text(at, 100);
    const size = Number.parseInt(text(at + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(tar[at + 156] || 48);
    const parts = name.split('/').filter((p) => p && p !== '.');
    if (parts.some((p) => p === '..') || !Number.isFinite(size)) throw new Error(`unexpected entry in the database snapshot: ${name}`);
    const to = m.path.join(dir, ...parts);
    const data = tar.subarray(at + 512, at + 512 + size);
    if (type === '5') m.fs.mkdirSync(to, { recursive: true, mode: 0o700 });
    else if (type === '0') {
      m.fs.mkdirSync(m.path.dirname(to), { recursive: true, mode: 0o700 });
      if (parts.length === 1 && parts[0] === 'PG_VERSION') last = { to, data };
      else m.fs.writeFileSync(to, data, { mode: 0o600 });
      files++;
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  if (!last) throw new Error('the database snapshot has no PG_VERSION');
  m.fs.writeFileSync(last.to, last.data, { mode: 0o600 });
  return files;
}

// Kept as a string so it runs the same from the sources (tests) and from the bundle. It prepares
// PGlite at once and opens the database on the first { open } message; then one statement per
// message.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const extractSnapshot = ${extractSnapshot.toString()};
const prepared = (async () => {
  const { PGlite } = await import(workerData.pgliteUrl);
  const dist = path.dirname(require('node:url').fileURLToPath(workerData.pgliteUrl));
  // compiled and read while the main thread loads; the same files PGlite would read itself
  const [wasm, bundle] = await Promise.all([
    fs.promises.readFile(path.join(dist, 'pglite.wasm')).then((b) => WebAssembly.compile(b)).catch(() => undefined),
    fs.promises.readFile(path.join(dist, 'pglite.data')).catch(() => undefined),
  ]);
  return { PGlite, wasm, bundle };
})();
prepared.catch(() => {});
let db;
parentPort.on('message', async (m) => {
  if (m.open) {
    try {
      const { PGlite, wasm, bundle } = await prepared;
      const { dataDir, snapshot, settings } = m.open;
      // a new data directory starts from the initialised snapshot made at build time, when there is one
      const fresh = !!snapshot && !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
      if (fresh) extractSnapshot(fs.readFileSync(snapshot), dataDir, { fs, path });
      db = await PGlite.create(dataDir, {
        startParams: [...PGlite.defaultStartParams, ...settings.flatMap((s) => ['-c', s])],
        ...(wasm ? { pgliteWasmModule: wasm } : {}),
        ...(bundle ? { fsBundle: new Blob([bundle]) } : {}),
      });
      parentPort.postMessage({ ready: true, fromSnapshot: fresh });
    } catch (e) {
      parentPort.postMessage({ fatal: String((e && e.stack) || e) });
    }
    return;
  }
  if (m.close) { if (db) await db.close(); parentPort.postMessage({ closed: true }); return; }
  try {
    const r = await db.query(m.sql, m.params);
    parentPort.postMessage({ id: m.id, fields: r.fields, rows: r.rows, affectedRows: r.affectedRows });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: e.message, code: e.code, position: e.position } });
  }
});
`;

/** The initialised empty data directory made at build time (scripts/pglite-snapshot.mjs), if any. */
function snapshotFor(req: NodeRequire): string | undefined {
  try {
    // its package.json is not exported: found above the resolved entry
    let at = dirname(req.resolve('@electric-sql/pglite'));
    while (!existsSync(join(at, 'package.json')) || JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')).name !== '@electric-sql/pglite') {
      if (dirname(at) === at) return undefined;
      at = dirname(at);
    }
    const { version } = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { version: string };
    const dir = dirname(fileURLToPath(import.meta.url));
    // beside the package's dist/ and src/ (the build writes it there; npm packs it)
    const f = join(dir, '..', 'pglite-snapshot', `pglite-${version}.tar`);
    if (existsSync(f)) return f;
  } catch {
    // no snapshot: initdb runs
  }
  return undefined;
}

function spawn(): Worker {
  const req = createRequire(import.meta.url);
  return new Worker(WORKER_SOURCE, { eval: true, workerData: { pgliteUrl: pathToFileURL(req.resolve('@electric-sql/pglite')).href } });
}

let early: Worker | undefined;

/**
 * Starts the worker before the server has loaded (the binary's first step), unless the command line
 * or the environment names a PostgreSQL URL: the database is then embedded unless a configuration
 * says otherwise, in which case `discardPrestarted()` stops it. It does not keep the process alive.
 */
export function prestartPglite(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): void {
  if (early || env.DATABASE_URL) return;
  if (argv.some((a) => /^postgres(ql)?:\/\//.test(a) || a === '--help' || a === '-h' || a === '--version')) return;
  try {
    const w = spawn();
    early = w;
    w.unref();
    w.on('error', () => {}); // an exception before it is adopted ends it: see 'exit'
    w.once('exit', () => {
      if (early === w) early = undefined; // a worker that died waiting is not handed out
    });
  } catch {
    early = undefined;
  }
}

/** Whether a worker started early is waiting to be used. */
export const isPrestarted = (): boolean => early !== undefined;

/** Stops a worker started early that the configuration does not use. */
export function discardPrestarted(): void {
  void early?.terminate();
  early = undefined;
}

/** A worker opening `dataDir`: the one started early when there is one, else a new one. */
export function openPgliteWorker(dataDir: string): Worker {
  const w = early ?? spawn();
  early = undefined;
  w.ref();
  w.postMessage({ open: { dataDir, snapshot: snapshotFor(createRequire(import.meta.url)), settings: PGLITE_SETTINGS } });
  return w;
}
