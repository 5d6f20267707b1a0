// bizmcp-database vs the archived @modelcontextprotocol/server-postgres, side by side in one run:
// `SELECT * FROM big` on a 1 000 000-row table (time to the first page, peak RSS growth), and
// start-up to `initialize` answered (with a URL; ours also with embedded PGlite); and the embedded
// database's first `list_tables` right after `initialize`, on a new and on an existing data
// directory, against the floor of a bare Node process opening PGlite and running one query.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { fmt, lower, median, quick, RawServer, reportRatios, sized, startup, table } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ours = join(import.meta.dirname, '..', 'packages/database/dist/index.js');
const ref = require.resolve('@modelcontextprotocol/server-postgres/dist/index.js');

// The short run (BENCH_QUICK=1) reads its own table of 100 000 rows, so the full one is kept.
const TABLE = quick ? 'bizmcp_bench.big_quick' : 'bizmcp_bench.big';
const ROWS = sized(1_000_000, 100_000);
const rowsLabel = quick ? '100 000' : '1 000 000';

const admin = new pg.Client({ connectionString: URL });
await admin.connect();
const have = await admin.query('SELECT to_regclass($1) IS NOT NULL AS ok', [TABLE]);
if (!have.rows[0].ok) {
  console.log(`creating ${TABLE} (${rowsLabel} rows)…`);
  await admin.query('CREATE SCHEMA IF NOT EXISTS bizmcp_bench');
  await admin.query(
    `CREATE TABLE ${TABLE} AS SELECT g AS id, 'customer ' || g AS name, (g % 1000) * 1.25 AS amount, now() - (g || ' minutes')::interval AS created FROM generate_series(1, ${ROWS}) g`,
  );
  await admin.query(`ANALYZE ${TABLE}`);
}
await admin.end();

const dataDir = mkdtempSync(join(tmpdir(), 'bizmcp-bench-pglite-'));
const make = {
  'bizmcp (URL)': () => new RawServer(process.execPath, [ours, URL], { LOG_LEVEL: 'error' }),
  'bizmcp (PGlite)': () => new RawServer(process.execPath, [ours], { LOG_LEVEL: 'error', BIZMCP_DATA_DIR: dataDir }),
  'reference (URL)': () => new RawServer(process.execPath, [ref, URL]),
};

const rows = [];
for (const [name, m] of Object.entries(make)) {
  const st = await startup(m);
  const row = { server: name, 'start-up ms': fmt(st.ms), 'idle RSS MB': fmt(st.rssMb), _st: st.ms };
  if (name !== 'bizmcp (PGlite)') {
    const s = m();
    await s.start();
    await s.call(name.startsWith('bizmcp') ? 'execute_query' : 'query', { sql: 'SELECT 1' }); // connect the pool
    await new Promise((r) => setTimeout(r, 300));
    const base = s.rssMb();
    // The short run times bizmcp's query 3 times (median): its first page alone (some 50 ms) swings 2x.
    const times = [];
    let r;
    for (let i = 0; i < (quick && name.startsWith('bizmcp') ? 3 : 1); i++) {
      const t0 = performance.now();
      r = await s.call(name.startsWith('bizmcp') ? 'execute_query' : 'query', { sql: `SELECT * FROM ${TABLE}` }, { timeout: 600_000 });
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    const peak = s.peakRssMb();
    const text = r.content?.[0]?.text ?? '';
    const returned = r.structuredContent?.rowCount ?? (text.startsWith('[') ? JSON.parse(text).length : '?');
    Object.assign(row, {
      'SELECT * big: ms': fmt(ms, 0),
      'rows returned': returned,
      'RSS growth MB': fmt(peak - base, 0),
      'response kB': fmt(JSON.stringify(r).length / 1024, 0),
      _ms: ms,
      _grow: peak - base,
      _bytes: JSON.stringify(r).length,
    });
    await s.stop();
  }
  rows.push(row);
}
rmSync(dataDir, { recursive: true, force: true });

// The embedded database's first call. bizmcp: spawn, initialize, then list_tables at once (ms after
// the initialize answer, and from spawn). Floor: a bare Node process that imports PGlite, opens the
// same existing directory with its defaults and runs SELECT 1 (ms from spawn).
const pgliteEntry = createRequire(ours).resolve('@electric-sql/pglite');
const bare = (dir) =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const code = `const { PGlite } = await import(${JSON.stringify(pathToFileURL(pgliteEntry).href)}); const db = await PGlite.create(${JSON.stringify(dir)}); await db.query('SELECT 1'); process.stdout.write('ok'); await db.close();`;
    const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let ms;
    c.stdout.once('data', () => (ms = performance.now() - t0));
    // resolved once it has exited: closing its database must not overlap the next measurement
    c.once('exit', (code) => (code || ms === undefined ? reject(new Error(`bare PGlite exited ${code}`)) : resolve(ms)));
  });
const firstCall = async (dir) => {
  const s = new RawServer(process.execPath, [ours], { LOG_LEVEL: 'error', BIZMCP_DATA_DIR: dir });
  const t0 = performance.now();
  await s.start();
  const t1 = performance.now();
  const r = await s.call('list_tables', {});
  const t2 = performance.now();
  if (r.isError) throw new Error(`list_tables failed: ${JSON.stringify(r.content)}`);
  await s.stop();
  return { afterInit: t2 - t1, fromSpawn: t2 - t0 };
};
const fresh = [];
const existing = [];
const floor = [];
for (let i = 0; i < sized(5, 3); i++) {
  const dir = mkdtempSync(join(tmpdir(), 'bizmcp-bench-first-'));
  fresh.push(await firstCall(join(dir, 'db')));
  existing.push(await firstCall(join(dir, 'db')));
  floor.push(await bare(join(dir, 'db')));
  rmSync(dir, { recursive: true, force: true });
}
const first = {
  fresh: median(fresh.map((x) => x.afterInit)),
  existing: median(existing.map((x) => x.afterInit)),
  existingFromSpawn: median(existing.map((x) => x.fromSpawn)),
  floor: median(floor),
};

console.log(`\nDatabase (${new Date().toISOString().slice(0, 10)}, ${process.version}, PostgreSQL service on 127.0.0.1, ${rowsLabel}-row table)\n`);
console.log(table(rows, ['server', 'start-up ms', 'idle RSS MB', 'SELECT * big: ms', 'rows returned', 'RSS growth MB', 'response kB']));
const [url, lite, r] = rows;
console.log(
  `\nfirst page: ${url._ms.toFixed(0)} ms (target < 150), RSS growth ${url._grow.toFixed(0)} MB (target < 50); the reference loads every row: ${r._ms.toFixed(0)} ms, +${r._grow.toFixed(0)} MB`,
);
console.log(`start-up vs reference: URL ${(url._st / r._st).toFixed(2)}x, PGlite ${(lite._st / r._st).toFixed(2)}x (target <= 0.6)`);
console.log(
  `\nembedded database, first list_tables after initialize (median of ${fresh.length}): new directory ${first.fresh.toFixed(0)} ms (target <= 1500), existing ${first.existing.toFixed(0)} ms (target <= 300)` +
    `\nexisting directory from spawn: bizmcp ${first.existingFromSpawn.toFixed(0)} ms, bare Node + PGlite opening it and running SELECT 1 ${first.floor.toFixed(0)} ms (${(first.existingFromSpawn / first.floor).toFixed(2)}x)`,
);
reportRatios({
  'PGlite first list_tables from spawn (existing directory), bizmcp / bare PGlite process': lower(first.existingFromSpawn / first.floor),
  'start-up (URL), bizmcp / reference': lower(url._st / r._st),
  'start-up (PGlite), bizmcp / reference': lower(lite._st / r._st),
  'SELECT * on the big table, bizmcp first page / reference whole result (time)': lower(url._ms / r._ms),
  'SELECT * on the big table, RSS growth, bizmcp / reference': lower(url._grow / r._grow),
  'SELECT * on the big table, response size, bizmcp / reference': lower(url._bytes / r._bytes),
});
