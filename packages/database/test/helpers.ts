// Test fixtures: the PostgreSQL service (a dedicated schema per test file, connected as a
// superuser: the worst case) and an embedded PGlite database in a temp directory, both seeded with
// the same attack target, plus the state oracle.
import { mkdirSync, mkdtempSync, chmodSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connectInProcess, type InProcess } from '@bizmcp/core/testing';
import type { Backend } from '../src/backend.js';
import server from '../src/server.js';
import type { DbState } from '../src/state.js';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export async function requirePostgres(): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
  } catch (e) {
    throw new Error(`These tests need the PostgreSQL service at ${PG_URL} (trust auth, database test): ${(e as Error).message}`);
  }
}

export const SEED = (schema: string) => `
  DROP SCHEMA IF EXISTS ${schema} CASCADE;
  CREATE SCHEMA ${schema};
  CREATE TABLE ${schema}.accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL, opened date, big bigint, blob bytea, meta jsonb);
  COMMENT ON TABLE ${schema}.accounts IS 'Money';
  INSERT INTO ${schema}.accounts SELECT g, 'owner ' || g, g * 10.5, DATE '2026-01-01' + g, 9007199254740993 + g, decode(repeat('ab', 2000), 'hex'), jsonb_build_object('n', g) FROM generate_series(1, 50) g;
  CREATE SEQUENCE ${schema}.seq1;
  CREATE INDEX accounts_owner_idx ON ${schema}.accounts(owner);
  CREATE TABLE ${schema}.transfers (id int PRIMARY KEY, account_id int REFERENCES ${schema}.accounts(id), amount numeric);
`;

export interface Target {
  name: 'postgres' | 'pglite';
  /** application_name of the server's own connections (PostgreSQL), so the oracle can watch them. */
  app: string;
  s: InProcess<DbState>;
  schema: string;
  watchDir: string;
  /** Trusted queries for the oracle (bypass the tools). */
  oracle(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function openTarget(name: 'postgres' | 'pglite', schema: string, env: Record<string, string> = {}, argv: string[] = []): Promise<Target> {
  const watchDir = mkdtempSync(join(tmpdir(), 'bizmcp-db-watch-'));
  chmodSync(watchDir, 0o777);
  let dataDir: string | undefined;
  let admin: pg.Client | undefined;
  if (name === 'postgres') {
    await requirePostgres();
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(SEED(schema));
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'bizmcp-pglite-'));
    mkdirSync(dataDir, { recursive: true });
  }
  // the URL's application_name wins over the server's default 'bizmcp': each test file's server
  // connections are then told apart from the others' in pg_stat_activity
  const app = `bizmcp_${schema}`;
  const s = await connectInProcess<DbState>(server, {
    argv: [...argv, ...(name === 'postgres' ? [`${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${app}`] : [])],
    env: { ...(dataDir ? { BIZMCP_DATA_DIR: dataDir } : {}), ...env },
  });
  const backend: Backend = await s.server.state.backend();
  const oracle = async (sql: string, params: unknown[] = []) =>
    admin ? (await admin.query(sql, params)).rows : (await backend.write((x) => x.query(sql, params), { timeoutMs: 60_000, signal: new AbortController().signal })).rows;
  if (name === 'postgres') {
    // the server's start-up work (its check of the role's privileges, the first use of its pool)
    // is over before a test takes its first snapshot, which counts the server's busy connections:
    // a call leaves its connection idle after DISCARD ALL
    for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const [{ busy, done }] = await oracle(
        `SELECT count(*) FILTER (WHERE state <> 'idle')::int AS busy, count(*) FILTER (WHERE state = 'idle' AND query = 'DISCARD ALL')::int AS done
           FROM pg_stat_activity WHERE application_name = $1`,
        [app],
      );
      if (busy === 0 && done > 0) break;
    }
  }
  if (name === 'pglite') {
    await backend.write(
      async (x) => {
        for (const stmt of SEED(schema)
          .split(/;\s*\n/)
          .map((q) => q.trim())
          .filter(Boolean))
          await x.query(stmt);
      },
      { timeoutMs: 60_000, signal: new AbortController().signal },
    );
  }
  return {
    name,
    app,
    s,
    schema,
    watchDir,
    oracle: async (sql, params) => oracle(sql, params),
    close: async () => {
      await s.close();
      if (admin) {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
        await admin.end();
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      rmSync(watchDir, { recursive: true, force: true });
    },
  };
}

/** Everything an attack could change: table contents, relations, sequences, large objects, files, locks. */
export async function snapshot(t: Target): Promise<string> {
  const q = async (sql: string) => JSON.stringify(await t.oracle(sql));
  const parts = [
    await q(`SELECT md5(string_agg(a::text, '|' ORDER BY id)) AS h, count(*)::int AS n FROM ${t.schema}.accounts a`),
    await q(`SELECT count(*)::int AS n FROM ${t.schema}.transfers`),
    await q(`SELECT string_agg(relname, ',' ORDER BY relname) AS rels FROM pg_class WHERE relnamespace = '${t.schema}'::regnamespace`),
    await q(`SELECT last_value::text, is_called FROM ${t.schema}.seq1`),
    await q(`SELECT count(*)::int AS los FROM pg_largeobject_metadata`),
    await q(`SELECT count(*)::int AS advisory FROM pg_locks WHERE locktype = 'advisory'`),
    await q(`SELECT count(*)::int AS temp FROM pg_class WHERE relpersistence = 't'`),
    await q(`SELECT count(*)::int AS slots FROM pg_replication_slots`),
    await q(`SELECT count(*)::int AS prepared FROM pg_prepared_xacts`),
    await q(`SELECT count(*)::int AS role_settings FROM pg_db_role_setting`),
    await q(`SELECT string_agg(extname, ',' ORDER BY extname) AS extensions FROM pg_extension`),
    await q(`SELECT count(*)::int AS evil_roles FROM pg_roles WHERE rolname LIKE 'bizmcp_evil%'`),
    await q(`SELECT count(*)::int AS functions FROM pg_proc WHERE pronamespace = '${t.schema}'::regnamespace`),
    JSON.stringify(readdirSync(t.watchDir).sort()),
  ];
  if (t.name === 'postgres') {
    // the server's own backends: none busy or left in a transaction, none holding any lock, and
    // ALTER SYSTEM wrote nothing to postgresql.auto.conf
    parts.push(
      await q(`SELECT count(*)::int AS busy FROM pg_stat_activity WHERE application_name = '${t.app}' AND state <> 'idle'`),
      await q(`SELECT count(*)::int AS held FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = '${t.app}'`),
      await q(`SELECT count(*)::int AS auto_conf FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'`),
    );
  }
  return parts.join('\n');
}

/** The snapshot once it equals `expected`, or after 5 s the last one seen (for asynchronous clean-up). */
export async function settledSnapshot(t: Target, expected: string): Promise<string> {
  const end = Date.now() + 5000;
  for (;;) {
    const now = await snapshot(t);
    if (now === expected || Date.now() > end) return now;
    await new Promise((r) => setTimeout(r, 100));
  }
}
