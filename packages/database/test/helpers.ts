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
  const s = await connectInProcess<DbState>(server, {
    argv: [...argv, ...(name === 'postgres' ? [PG_URL] : [])],
    env: { ...(dataDir ? { BIZMCP_DATA_DIR: dataDir } : {}), ...env },
  });
  const backend: Backend = await s.server.state.backend();
  const oracle = async (sql: string, params: unknown[] = []) =>
    admin ? (await admin.query(sql, params)).rows : (await backend.write((x) => x.query(sql, params), { timeoutMs: 60_000, signal: new AbortController().signal })).rows;
  if (name === 'pglite') {
    await backend.write(
      async (x) => {
        for (const stmt of SEED(schema).split(/;\s*\n/).map((q) => q.trim()).filter(Boolean)) await x.query(stmt);
      },
      { timeoutMs: 60_000, signal: new AbortController().signal },
    );
  }
  return {
    name,
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
    JSON.stringify(readdirSync(t.watchDir).sort()),
  ];
  return parts.join('\n');
}
