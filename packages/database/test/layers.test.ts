// Each layer of the read-only stack on its own: the parser guard, the extended protocol, the
// READ ONLY transaction, cancellation inside PostgreSQL, the privilege warning.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPglite, createPostgres, type Backend } from '../src/backend.js';
import { checkReadOnly, checkWrite, isDeniedFunction } from '../src/guard.js';
import { openTarget, PG_URL, requirePostgres, SEED, snapshot, type Target } from './helpers.js';

const S = 'bizmcp_layers';
const noop = { info() {}, warn() {}, error() {}, debug() {} } as never;
const ctl = (ms = 10_000) => ({ timeoutMs: ms, signal: new AbortController().signal });

describe('layer 1: the parser guard', () => {
  it('accepts read-only statements and returns the statement text', async () => {
    expect(await checkReadOnly('SELECT 1;')).toMatchObject({ text: 'SELECT 1', kind: 'select' });
    expect((await checkReadOnly('  VALUES (1), (2)  ')).kind).toBe('select');
    expect((await checkReadOnly('TABLE t')).kind).toBe('select');
    expect((await checkReadOnly('WITH x AS (SELECT 1) SELECT * FROM x')).kind).toBe('select');
    expect((await checkReadOnly('SHOW work_mem')).kind).toBe('show');
    expect((await checkReadOnly('EXPLAIN SELECT 1')).kind).toBe('explain');
    await expect(checkReadOnly('EXPLAIN ANALYZE SELECT 1')).rejects.toThrow(/EXPLAIN ANALYZE/);
    expect((await checkReadOnly('EXPLAIN ANALYZE SELECT 1', { allowAnalyze: true })).analyze).toBe(true);
    expect((await checkReadOnly('EXPLAIN (ANALYZE false) SELECT 1')).analyze).toBe(false);
  });

  it('refuses by kind, depth and function, with reasons', async () => {
    await expect(checkReadOnly('SELECT 1; SELECT 2')).rejects.toThrow(/2 statements/);
    await expect(checkReadOnly('DELETE FROM t')).rejects.toThrow(/DELETE is not a read-only statement/);
    await expect(checkReadOnly('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d')).rejects.toThrow(/data-modifying/);
    await expect(checkReadOnly('SELECT * FROM t FOR UPDATE')).rejects.toThrow(/locking/);
    await expect(checkReadOnly('SELECT * INTO x FROM t')).rejects.toThrow(/SELECT INTO/);
    await expect(checkReadOnly("SELECT upper(pg_catalog.PG_READ_FILE('x'))")).rejects.toThrow(/pg_catalog.pg_read_file/);
    await expect(checkReadOnly('SELEC 1')).rejects.toThrow(/syntax error/);
    await expect(checkReadOnly('   ')).rejects.toThrow(/empty/);
    for (const f of ['lo_unlink', 'dblink_connect', 'pg_advisory_xact_lock', 'pg_ls_waldir', 'set_config', 'nextval']) expect(isDeniedFunction(f), f).toBe(true);
    for (const f of ['count', 'lower', 'pg_size_pretty', 'currval', 'now']) expect(isDeniedFunction(f), f).toBe(false);
  });

  it('execute_statement accepts DML only, DDL with the flag', async () => {
    expect((await checkWrite('INSERT INTO t VALUES (1) RETURNING *', { allowDdl: false })).command).toBe('INSERT');
    await expect(checkWrite('CREATE TABLE x (a int)', { allowDdl: false })).rejects.toThrow(/--allow-ddl/);
    expect((await checkWrite('CREATE TABLE x (a int)', { allowDdl: true })).ddl).toBe(true);
    for (const sql of [
      'COMMIT',
      "COPY t FROM PROGRAM 'x'",
      'DO $$ BEGIN END $$',
      'CREATE ROLE r',
      'GRANT ALL ON t TO public',
      'SET ROLE x',
      'INSERT INTO t VALUES (1); DROP TABLE t',
      "INSERT INTO t SELECT pg_read_file('x')",
    ]) {
      await expect(checkWrite(sql, { allowDdl: true }), sql).rejects.toThrow();
    }
  });
});

describe('layers 2-5 on PostgreSQL (guard bypassed on purpose)', () => {
  let admin: pg.Client;
  let backend: Backend;
  let t: Target;
  beforeAll(async () => {
    await requirePostgres();
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(SEED(S));
    backend = await createPostgres(PG_URL, noop);
  });
  afterAll(async () => {
    await backend?.close();
    await t?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
    await admin?.end();
  });
  const count = async () => (await admin.query(`SELECT count(*)::int AS n FROM ${S}.accounts`)).rows[0].n;

  it('layer 2: statements go with the extended protocol, so two statements are refused by PostgreSQL', async () => {
    await expect(backend.read((s) => s.query(`SELECT 1; DELETE FROM ${S}.accounts`), ctl())).rejects.toThrow(/multiple commands|42601/);
    expect(await count()).toBe(50);
    // the same string through node-postgres' default (simple protocol) would have run both
    const raw = new pg.Client({ connectionString: PG_URL });
    await raw.connect();
    await raw.query('BEGIN');
    await raw.query(`SELECT 1; DELETE FROM ${S}.accounts`);
    expect((await raw.query(`SELECT count(*)::int AS n FROM ${S}.accounts`)).rows[0].n).toBe(0);
    await raw.query('ROLLBACK');
    await raw.end();
  });

  it('layer 3: a READ ONLY transaction refuses writes and is rolled back', async () => {
    await expect(backend.read((s) => s.query(`DELETE FROM ${S}.accounts`), ctl())).rejects.toMatchObject({ code: 'read_only' });
    await expect(backend.read((s) => s.query(`SELECT set_config('transaction_read_only', 'off', true)`).then(() => s.query(`DELETE FROM ${S}.accounts`)), ctl())).rejects.toThrow();
    expect(await count()).toBe(50);
    // settings changed inside never outlive the transaction
    await backend.read((s) => s.query("SELECT set_config('work_mem', '77MB', false)"), ctl());
    const after = await backend.read((s) => s.query('SHOW work_mem'), ctl());
    expect(after.rows[0].work_mem).not.toBe('77MB');
  });

  it('layer 3: session state never outlives the call (DISCARD ALL before the connection is reused)', async () => {
    await backend.read((s) => s.query('SELECT pg_advisory_lock(777001)'), ctl());
    const held = await admin.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 777001");
    expect(held.rows[0].n).toBe(0);
  });

  it('layer 3: statement_timeout is set per transaction', async () => {
    await expect(backend.read((s) => s.query('SELECT pg_sleep(5)'), ctl(300))).rejects.toMatchObject({ code: 'timeout' });
  });

  it('layer 5: cancellation stops the query inside PostgreSQL (pg_cancel_backend)', async () => {
    const ac = new AbortController();
    const p = backend.read((s) => s.query('SELECT pg_sleep(30), 424242 AS marker'), { timeoutMs: 60_000, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    const running = async () => (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%424242 AS marker%' AND pid <> pg_backend_pid()")).rows[0].n;
    expect(await running()).toBe(1);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await running()).toBe(0);
  });

  it("layer 5: a client's notifications/cancelled stops the query inside PostgreSQL", async () => {
    t ??= await openTarget('postgres', 'bizmcp_layers_warn');
    const ac = new AbortController();
    const sql = 'SELECT count(*), 515151 AS marker FROM generate_series(1, 100000000) a, generate_series(1, 100000000) b';
    // pg_stat_activity shows the FETCH from the server-side cursor, not the statement: watch the
    // server's own connections (their application_name) instead
    // client backends only, never a parallel plan's workers
    const running = async () =>
      (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND application_name = $1", [t.app])).rows[0].n;
    const until = async (want: number) => {
      let n = await running();
      for (let i = 0; i < 100 && n !== want; i++) {
        await new Promise((r) => setTimeout(r, 50));
        n = await running();
      }
      return n;
    };
    // the start-up privilege check runs on a connection of its own: let it finish first
    expect(await until(0)).toBe(0);
    const call = t.s.client.callTool({ name: 'execute_query', arguments: { sql } }, undefined, { signal: ac.signal });
    call.catch(() => {});
    expect(await until(1)).toBe(1);
    ac.abort(); // the SDK client sends notifications/cancelled
    await expect(call).rejects.toThrow();
    expect(await until(0)).toBe(0);
    // and the server keeps answering
    expect((await t.s.ok('execute_query', { sql: 'SELECT 2 AS two' })).rows[0].two).toBe(2);
  });

  it('layer 4: a superuser role is reported on stderr at start-up', async () => {
    t ??= await openTarget('postgres', 'bizmcp_layers_warn');
    await new Promise((r) => setTimeout(r, 500));
    expect(t.s.logs.join('')).toMatch(/is a superuser.*least-privilege role/);
    const before = await snapshot(t);
    expect(await snapshot(t)).toBe(before);
  });
});

describe('layers 2, 3 and 5 on PGlite (guard bypassed on purpose)', () => {
  let dir: string;
  let lite: Backend & { warm(): Promise<void> };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bizmcp-pglite-layers-'));
    lite = createPglite(dir, noop) as typeof lite;
    await lite.write(async (s) => {
      await s.query('CREATE TABLE t (id int)');
      await s.query('INSERT INTO t SELECT generate_series(1, 10)');
    }, ctl(60_000));
  });
  afterAll(async () => {
    await lite?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const count = async () => (await lite.read((s) => s.query('SELECT count(*)::int AS n FROM t'), ctl(60_000))).rows[0].n;

  it('layer 2: PGlite query() uses the extended protocol, which refuses two statements', async () => {
    await expect(lite.read((s) => s.query('SELECT 1; DELETE FROM t'), ctl())).rejects.toThrow(/multiple commands|42601/);
    expect(await count()).toBe(10);
  });

  it('layer 3: session state never outlives the call (DISCARD ALL)', async () => {
    await lite.read((s) => s.query('SELECT pg_advisory_lock(777002)'), ctl());
    const held = await lite.read((s) => s.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'"), ctl());
    expect(held.rows[0].n).toBe(0);
  });

  it('layer 3: the READ ONLY transaction refuses writes, and is rolled back', async () => {
    await expect(lite.read((s) => s.query('DELETE FROM t'), ctl())).rejects.toMatchObject({ code: 'read_only' });
    await lite.read((s) => s.query("SELECT set_config('work_mem', '77MB', false)"), ctl());
    expect((await lite.read((s) => s.query('SHOW work_mem'), ctl())).rows[0].work_mem).not.toBe('77MB');
    expect(await count()).toBe(10);
  });

  it('layer 5: a timeout or a cancellation stops the worker; the next call reopens the database', async () => {
    const runaway = 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r';
    await expect(lite.read((s) => s.query(runaway), ctl(500))).rejects.toMatchObject({ code: 'timeout' });
    expect(await count()).toBe(10);
    const ac = new AbortController();
    const p = lite.read((s) => s.query(runaway), { timeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    expect(await count()).toBe(10);
  });
});
