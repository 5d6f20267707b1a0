// The embedded database's worker thread, kept apart from the rest of the server so the binary can
// start it before anything else loads (index.ts): the worker imports PGlite, compiles its WASM
// module and reads its file-system bundle while the main thread is still loading, and opens an
// existing data directory at once (a new one once the configuration is known).
import { existsSync, readFileSync } from 'node:fs';
import * as module from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
// the one module of core it needs: the whole of core would load before the worker starts
import { bizmcpDataDir } from '@bizmcp/core/places';

/**
 * PostgreSQL settings the embedded database runs with. shared_buffers: PostgreSQL's default of
 * 128 MB is zeroed at every start (half of PGlite's opening time here); 16 MB holds the catalogs and
 * a working set, and the operating system's page cache keeps the rest of the files. (4 MB opened
 * 20-45 ms sooner but made queries on a 5 MB table 1.5-15x slower.)
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

/** The flags that decide, as a WebAssembly function compiles, whether the optimizing tier may
 * recompile it later (see compileGate). */
const TIER_FLAGS = ['wasm-tier-up', 'wasm-dynamic-tiering'];

/**
 * Turns the optimizing tier off (`flags`: TIER_FLAGS, and more for a whole module) for the
 * WebAssembly functions compiled until `tierUpAgain`. The
 * main thread and PGlite's worker may do so at the same time: `count` (shared between them) holds
 * how many are in such a stretch, and only the last one out turns it back on. Parameters only: it
 * also runs inside the worker, from its source text.
 */
export function tierUpOff(count: Int32Array, set: (flag: string) => void, flags: readonly string[]): void {
  Atomics.add(count, 0, 1);
  for (const f of flags) set(`--no-${f}`);
}

/** Ends a stretch begun by `tierUpOff`. */
export function tierUpAgain(count: Int32Array, set: (flag: string) => void, flags: readonly string[]): void {
  if (Atomics.sub(count, 0, 1) !== 1) return;
  for (const f of flags) set(`--${f}`);
  // a stretch begun by the other thread while these were turned back on
  if (Atomics.load(count, 0) > 0) for (const f of flags) set(`--no-${f}`);
}

/** How many threads of this process are in a `tierUpOff` stretch (shared with PGlite's workers). */
const tierStretches = new Int32Array(new SharedArrayBuffer(4));

// Kept as a string so it runs the same from the sources (tests) and from the bundle. It reads and
// compiles PGlite's WASM module while it imports PGlite, opens the database on the first { open }
// message, then runs one statement per message.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const extractSnapshot = ${extractSnapshot.toString()};
const dist = path.dirname(require('node:url').fileURLToPath(workerData.pgliteUrl));
const setFlags = require('node:v8').setFlagsFromString;
// the main thread's compile cache (core's entry.ts), for PGlite's JavaScript: importing it 21 ms sooner
if (workerData.compileCache) require('node:module').enableCompileCache?.(workerData.compileCache);
// The files PGlite would read itself, read at once, each in one read in the thread pool: that thread
// takes their page faults (9 + 6 MB, some 40 ms here), and this one, busy importing PGlite, is not
// waited for between chunks as fs.readFile does (the module's read ended 50-120 ms later). The
// module is compiled once it is read and PGlite imported (compiling copies it on this thread), at
// once (workerData.compile) or once the SQL parser's module has compiled ({ compile } message; see
// compileGate).
const readWhole = (file) =>
  new Promise((resolve, reject) => {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.allocUnsafeSlow(fs.fstatSync(fd).size);
    const from = (at) =>
      fs.read(fd, buf, at, buf.length - at, at, (e, n) => {
        if (!e && n > 0 && at + n < buf.length) return from(at + n);
        fs.closeSync(fd);
        if (e) reject(e);
        else if (at + n < buf.length) reject(new Error(file + ' was cut short'));
        else resolve(buf);
      });
    from(0);
  });
const imported = import(workerData.pgliteUrl);
let compileNow;
const allowed = workerData.compile ? undefined : new Promise((r) => (compileNow = r));
const wasm = Promise.all([readWhole(path.join(dist, 'pglite.wasm')), allowed, imported]).then(([b]) => {
  // each function is validated when it is first compiled instead of all of them now (66 -> 48 ms;
  // most are never called)
  setFlags('--wasm-lazy-validation');
  return WebAssembly.compile(b);
}).catch(() => undefined);
// Read once the module has compiled: read at once, its faults took CPU from the main thread, which
// answered initialize 20-25 ms later. Handed over as its own ArrayBuffer: through a Blob (PGlite's
// type) the 6 MB took 60-90 ms to copy.
const bundle = wasm.then(() => readWhole(path.join(dist, 'pglite.data'))).then((b) => b.buffer).catch(() => undefined);
// The SQL grammar compiles without V8's optimizing tier (see compileGate): the first statement
// parsed, an empty one before PGlite's own first query, runs with the flags off.
const tierFlags = ${JSON.stringify(TIER_FLAGS)};
const tierUpOff = ${tierUpOff.toString()};
const tierUpAgain = ${tierUpAgain.toString()};
let grammarCompiled = false;
const prepared = Promise.all([
  imported.then(({ PGlite }) => class extends PGlite {
    async _initArrayTypes(...args) {
      if (!grammarCompiled) {
        grammarCompiled = true;
        tierUpOff(workerData.tierStretches, setFlags, tierFlags);
        try { await this.exec(';'); } finally { tierUpAgain(workerData.tierStretches, setFlags, tierFlags); }
      }
      return super._initArrayTypes(...args);
    }
  }),
  wasm,
  bundle,
]);
prepared.catch(() => {});
let db;
parentPort.on('message', async (m) => {
  if (m.compile) return compileNow?.();
  if (m.open) {
    try {
      const [PGlite, wasm, bundle] = await prepared;
      const { dataDir, snapshot, settings } = m.open;
      // a new data directory starts from the initialised snapshot made at build time, when there is one
      const fresh = !!snapshot && !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
      if (fresh) extractSnapshot(fs.readFileSync(snapshot), dataDir, { fs, path });
      db = new PGlite(dataDir, {
        startParams: [...PGlite.defaultStartParams, ...settings.flatMap((s) => ['-c', s])],
        ...(wasm ? { pgliteWasmModule: wasm } : {}),
        ...(bundle ? { fsBundle: { arrayBuffer: async () => bundle } } : {}),
      });
      await db.waitReady;
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

/** PGlite's entry file, resolved once (each worker and each opening needs it). */
let entry: string | undefined;
const pgliteEntry = (): string => (entry ??= module.createRequire(import.meta.url).resolve('@electric-sql/pglite'));

/** The initialised empty data directory made at build time (scripts/pglite-snapshot.mjs), if any. */
function snapshotFor(): string | undefined {
  try {
    // its package.json is not exported: found above the resolved entry
    let at = dirname(pgliteEntry());
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

/**
 * Where the embedded database lives: BIZMCP_DATA_DIR when set, else the bizmcp data directory +
 * /database. The configuration and the early start both use it.
 */
export function embeddedDataDir(setting: string | undefined, env: NodeJS.ProcessEnv): string {
  return setting?.trim() ? setting : join(bizmcpDataDir({ env, home: env.HOME || homedir() }), 'database');
}

/** A worker and its database opening: `opened` settles with the worker's first answer. */
export interface Opening {
  worker: Worker;
  dataDir: string;
  /** Resolves once the database is open (fromSnapshot: a new directory was written); rejects with the
   * worker's error, or with `stoppedWhileOpening` when the worker ends first. */
  opened: Promise<{ fromSnapshot: boolean }>;
}

/** The reason `opened` rejects with when the worker ends before the database is open. */
export const stoppedWhileOpening = 'stopped while opening';

/**
 * V8 reads process-wide flags when it compiles a WebAssembly function (at a module's compilation, or
 * at the function's first call when compilation is lazy): whether that function may later be
 * recompiled by the optimizing tier when it runs hot. PostgreSQL's SQL grammar is one function of
 * some 100 kB, in the SQL parser's module and in PGlite's: V8's optimizing compiler took 450 ms to
 * 2 s and 200-600 MB of memory on it (for parses that take microseconds), on a background thread
 * during the first calls. Neither needs that tier for it:
 * - With a PostgreSQL URL, the parser's module is compiled whole without it.
 * - PGlite needs it elsewhere (its queries ran 1.7-2x slower without it), and its functions compile
 *   at their first call, at any time: its worker parses an empty statement with these flags off
 *   before its first query, so only the functions that parse compile without the tier. The
 *   embedded case loads the parser's module as usual and makes its first call (a parse) the same way.
 *   That call is short (the grammar's baseline compilation, some 20 ms), but a PGlite function that
 *   compiles for the first time in those milliseconds on the worker's thread compiles without the
 *   tier too (it stays correct, only slower). Making PGlite wait for the parser instead cost
 *   85-120 ms on the embedded database's first call (the parser's loading needs the main thread,
 *   busy loading the server at that time).
 */
const compileGate = {
  /** A worker has been told to compile PGlite: the parser's module compiles as usual. */
  pgliteStarted: false,
  /** Set while the parser's module compiles without the optimizing tier. */
  withoutTierUp: undefined as Promise<unknown> | undefined,
};

/**
 * Runs `load` (which compiles a WebAssembly module) with V8's optimizing tier turned off for what it
 * compiles, the flags restored when it settles; once PGlite code may be running, only the functions
 * that `firstCall` (synchronous) compiles are.
 */
export function compileWithoutTierUp<T>(load: () => Promise<T>, firstCall: (loaded: T) => void): Promise<T> {
  if (compileGate.pgliteStarted)
    return load().then((loaded) => {
      tierUpOff(tierStretches, setFlagsFromString, TIER_FLAGS);
      try {
        firstCall(loaded);
      } catch {
        // only a warm-up: the module works without it (its grammar may then be recompiled)
      } finally {
        tierUpAgain(tierStretches, setFlagsFromString, TIER_FLAGS);
      }
      return loaded;
    });
  // the whole module, compiled at once (no function is left to compile at its first call)
  const flags = [...TIER_FLAGS, 'wasm-lazy-compilation'];
  tierUpOff(tierStretches, setFlagsFromString, flags);
  const loading = (async () => {
    try {
      return await load();
    } finally {
      tierUpAgain(tierStretches, setFlagsFromString, flags);
      compileGate.withoutTierUp = undefined;
    }
  })();
  compileGate.withoutTierUp = loading;
  return loading;
}

function spawn(): Worker {
  const pending = compileGate.withoutTierUp;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      pgliteUrl: pathToFileURL(pgliteEntry()).href,
      compile: !pending,
      tierStretches,
      compileCache: (module as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.(),
    },
  });
  const go = () => {
    compileGate.pgliteStarted = true;
    worker.postMessage({ compile: true });
  };
  if (pending) void pending.then(go, go);
  else compileGate.pgliteStarted = true;
  return worker;
}

function open(worker: Worker, dataDir: string): Opening {
  worker.postMessage({ open: { dataDir, snapshot: snapshotFor(), settings: PGLITE_SETTINGS } });
  // listened to from the message on, so an answer that comes before anyone waits for it is kept
  const opened = new Promise<{ fromSnapshot: boolean }>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean; fromSnapshot?: boolean; fatal?: string }) => {
      if (!m.ready && !m.fatal) return;
      worker.off('message', onMessage).off('exit', onExit);
      if (m.ready) resolve({ fromSnapshot: Boolean(m.fromSnapshot) });
      else reject(new Error(m.fatal));
    };
    const onExit = () => {
      worker.off('message', onMessage);
      reject(new Error(stoppedWhileOpening));
    };
    worker.on('message', onMessage).once('exit', onExit);
  });
  opened.catch(() => {});
  return { worker, dataDir, opened };
}

interface Early {
  worker: Worker;
  opening?: Opening;
}
let early: Early | undefined;

/**
 * Starts the worker before the server has loaded (the binary's first step), unless the command line
 * or the environment names a PostgreSQL URL. When the embedded database's directory exists, the
 * worker opens it at once: the configuration then adopts it (`openPgliteWorker`), or stops it
 * (`discardPrestarted`) if it says otherwise. A new directory is only written once the configuration
 * is known. The worker does not keep the process alive until it is adopted.
 */
export function prestartPglite(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): void {
  if (early || !embeddedLikely(argv, env)) return;
  try {
    const worker = spawn();
    const e: Early = { worker };
    early = e;
    worker.unref();
    worker.on('error', () => {}); // an exception before it is adopted ends it: see 'exit'
    worker.once('exit', () => {
      if (early === e) early = undefined; // a worker that died waiting is not handed out
    });
    const dataDir = embeddedDataDir(env.BIZMCP_DATA_DIR, env);
    if (existsSync(join(dataDir, 'PG_VERSION'))) e.opening = open(worker, dataDir);
  } catch {
    early = undefined;
  }
}

/** Whether the command line and the environment leave the embedded database to be opened: no
 * PostgreSQL URL, and not asked for help or the version. */
function embeddedLikely(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (env.DATABASE_URL) return false;
  return !argv.some((a) => /^postgres(ql)?:\/\//.test(a) || a === '--help' || a === '-h' || a === '--version');
}

/** The worker started early, if it is waiting to be used: the directory it is opening, if any, and
 * when that is done. */
export const prestarted = (): { opening?: string; opened?: Opening['opened'] } | undefined => (early ? { opening: early.opening?.dataDir, opened: early.opening?.opened } : undefined);

/** Stops a worker started early that the configuration does not use. */
export function discardPrestarted(): void {
  void early?.worker.terminate();
  early = undefined;
}

/** A worker opening `dataDir`: the one started early when there is one (already opening it, or told
 * to now), else a new one. */
export function openPgliteWorker(dataDir: string): Opening {
  const e = early;
  early = undefined;
  if (e?.opening && e.opening.dataDir !== dataDir)
    void e.worker.terminate(); // opening another directory
  else if (e) {
    e.worker.ref();
    return e.opening ?? open(e.worker, dataDir);
  }
  return open(spawn(), dataDir);
}
