// The read-only attack suite, through a real MCP client, against the PostgreSQL service (as a
// superuser) and against PGlite, with a state oracle: table checksums, relations, sequences, large
// objects, advisory locks, temp tables and files in a watched directory before and after each
// attack, plus a victim backend that must survive.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '@bizmcp/core/testing';
import { openTarget, PG_URL, settledSnapshot, snapshot, type Target } from './helpers.js';

const S = 'bizmcp_attack';

const attacks = (watch: string, victimPid: number): [string, string][] => [
  ['multi-statement with COMMIT', `SELECT 1; COMMIT; DROP TABLE ${S}.accounts`],
  ['leading COMMIT', `COMMIT; DELETE FROM ${S}.accounts`],
  ['END then DELETE', `END; DELETE FROM ${S}.accounts`],
  ['ROLLBACK then DELETE', `ROLLBACK; DELETE FROM ${S}.accounts`],
  ['SET TRANSACTION READ WRITE then DELETE', `SET TRANSACTION READ WRITE; DELETE FROM ${S}.accounts`],
  ['SET TRANSACTION READ WRITE alone', 'SET TRANSACTION READ WRITE'],
  ['BEGIN READ WRITE', 'BEGIN READ WRITE'],
  ['set_config transaction_read_only off', "SELECT set_config('transaction_read_only', 'off', true)"],
  ['set_config default_transaction_read_only (step 1 of 2)', "SELECT set_config('default_transaction_read_only', 'off', false)"],
  ['DELETE after the two-step (step 2 of 2)', `DELETE FROM ${S}.accounts`],
  ['DO block', `DO $$ BEGIN DELETE FROM ${S}.accounts; END $$`],
  ['COPY TO PROGRAM', `COPY ${S}.accounts TO PROGRAM 'touch ${watch}/pwned'`],
  ['COPY TO file', `COPY ${S}.accounts TO '${watch}/out.csv'`],
  ['COPY query TO file', `COPY (SELECT 1) TO '${watch}/out2.csv'`],
  ['lo_import', "SELECT lo_import('/etc/hostname')"],
  ['lo_from_bytea', "SELECT lo_from_bytea(0, 'x'::bytea)"],
  ['lo_create', 'SELECT lo_create(0)'],
  ['dblink_exec', `SELECT dblink_exec('dbname=test', 'DELETE FROM ${S}.accounts')`],
  ['pg_terminate_backend', `SELECT pg_terminate_backend(${victimPid})`],
  ['pg_cancel_backend', `SELECT pg_cancel_backend(${victimPid})`],
  ['pg_reload_conf', 'SELECT pg_reload_conf()'],
  ['advisory lock', 'SELECT pg_advisory_lock(4242)'],
  ['schema-qualified advisory lock', 'SELECT pg_catalog.pg_try_advisory_lock(4243)'],
  ['FOR UPDATE', `SELECT * FROM ${S}.accounts FOR UPDATE`],
  ['FOR SHARE NOWAIT in a subquery', `SELECT * FROM (SELECT * FROM ${S}.accounts FOR SHARE NOWAIT) x`],
  ['LOCK TABLE', `LOCK TABLE ${S}.accounts IN ACCESS EXCLUSIVE MODE`],
  ['data-modifying CTE DELETE', `WITH d AS (DELETE FROM ${S}.accounts RETURNING *) SELECT count(*) FROM d`],
  ['data-modifying CTE UPDATE', `WITH u AS (UPDATE ${S}.accounts SET balance = 0 RETURNING 1) SELECT count(*) FROM u`],
  ['data-modifying CTE INSERT nested', `SELECT * FROM (WITH i AS (INSERT INTO ${S}.transfers VALUES (1, 1, 1) RETURNING *) SELECT * FROM i) x`],
  ['EXPLAIN ANALYZE DELETE', `EXPLAIN ANALYZE DELETE FROM ${S}.accounts`],
  ['EXPLAIN (ANALYZE) DELETE', `EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM ${S}.accounts`],
  ['EXPLAIN DELETE', `EXPLAIN DELETE FROM ${S}.accounts`],
  ['PREPARE', `PREPARE p1 AS DELETE FROM ${S}.accounts`],
  ['EXECUTE', 'EXECUTE p1'],
  ['SELECT INTO', `SELECT * INTO ${S}.stolen FROM ${S}.accounts`],
  ['CREATE TEMP TABLE', 'CREATE TEMP TABLE tt AS SELECT 1'],
  ['NOTIFY', "NOTIFY ch, 'x'"],
  ['pg_notify', "SELECT pg_notify('ch', 'x')"],
  ['nextval', `SELECT nextval('${S}.seq1')`],
  ['setval', `SELECT setval('${S}.seq1', 100)`],
  ['txid_current', 'SELECT txid_current()'],
  ['lexer: -- comment ended by \\r', `SELECT 1 --\r; DELETE FROM ${S}.accounts`],
  ["lexer: E'\\'' string", `SELECT E'\\''; DELETE FROM ${S}.accounts; --'`],
  ['lexer: nested comments', `SELECT 1 /* /* */ ; DELETE FROM ${S}.accounts; /* */ */`],
  ['lexer: dollar quotes', `SELECT $$a$$; DELETE FROM ${S}.accounts; SELECT $$b$$`],
  ['lexer: tagged dollar quote', `SELECT $x$ $$ $x$; DELETE FROM ${S}.accounts`],
  ['lexer: trailing --', `DELETE FROM ${S}.accounts --`],
  ['pg_read_file', "SELECT pg_read_file('/etc/hostname')"],
  ['pg_ls_dir in FROM', "SELECT * FROM pg_ls_dir('.')"],
  ['query_to_xml runs dynamic SQL', `SELECT query_to_xml('DELETE FROM ${S}.accounts RETURNING 1', true, true, '')`],
  ['TRUNCATE', `TRUNCATE ${S}.accounts`],
  ['DROP TABLE', `DROP TABLE ${S}.accounts`],
  ['ALTER SYSTEM', "ALTER SYSTEM SET work_mem = '1GB'"],
  ['VACUUM', `VACUUM ${S}.accounts`],
  ['SET ROLE', 'SET ROLE postgres'],
  ['RESET ALL', 'RESET ALL'],
  ['CALL', 'CALL some_procedure()'],
  ['LISTEN', 'LISTEN ch'],
  ['pg_sleep(600)', 'SELECT pg_sleep(600)'],
  // SQL hidden in a string, run by a function the parser cannot look into
  ['ts_stat runs SQL from a string (reads a file)', "SELECT word FROM ts_stat('SELECT to_tsvector(pg_read_file(''/etc/hostname''))')"],
  ['ts_rewrite runs SQL from a string', "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, to_tsquery(pg_read_file(''/etc/hostname''))')"],
  ['crosstab runs SQL from a string', `SELECT * FROM crosstab('DELETE FROM ${S}.accounts RETURNING 1, 1, 1') AS t(a int, b int)`],
  ['U& escaped function name', 'SELECT U&"pg\\005fread_file"(\'/etc/hostname\')'],
  ['side-effect function in an EXISTS subquery', 'SELECT 1 WHERE EXISTS (SELECT pg_advisory_lock(4244))'],
  ['set_config in a LATERAL subquery', `SELECT * FROM ${S}.accounts, LATERAL (SELECT set_config('transaction_read_only', 'off', true)) x`],
  ['ROWS FROM pg_ls_dir', "SELECT * FROM ROWS FROM (pg_ls_dir('.'))"],
  ['lo_export into the watched directory', `SELECT lo_export(lo_from_bytea(0, 'x'::bytea), '${watch}/lo.bin')`],
  ['create a replication slot', "SELECT pg_create_physical_replication_slot('bizmcp_evil_slot')"],
  ['copy a replication slot', "SELECT pg_copy_physical_replication_slot('a', 'bizmcp_evil_slot')"],
  ['PREPARE TRANSACTION', "PREPARE TRANSACTION 'bizmcp_evil'"],
  ['SET SESSION CHARACTERISTICS READ WRITE', 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE'],
  ['CREATE ROLE superuser', 'CREATE ROLE bizmcp_evil SUPERUSER LOGIN'],
  ['ALTER ROLE SET read_only off', 'ALTER ROLE CURRENT_USER SET default_transaction_read_only = off'],
  ['GRANT', `GRANT ALL ON ${S}.accounts TO PUBLIC`],
  ['CREATE EXTENSION dblink', 'CREATE EXTENSION IF NOT EXISTS dblink'],
  ['CREATE FUNCTION', `CREATE FUNCTION ${S}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`],
  ['lexer: a leading comment hides DELETE', `/* SELECT */ DELETE FROM ${S}.accounts`],
  ['lexer: backslash before a quote', `SELECT 'a\\'; DELETE FROM ${S}.accounts; --'`],
  ['lexer: DELETE after a -- comment ended by a newline', `SELECT 1 -- ; \n; DELETE FROM ${S}.accounts`],
];

// Lexer tricks that really are one harmless statement once comments are read as PostgreSQL reads them.
const HARMLESS = new Set(['lexer: nested comments']);

// Statements the guard accepts but that never finish: stopped by the timeout (1.5 s here).
const runaway: [string, string][] = [
  ['infinite recursive CTE', 'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t'],
  ['huge cross join', 'SELECT count(*) FROM generate_series(1, 100000000) a, generate_series(1, 100000000) b'],
];

for (const backend of ['postgres', 'pglite'] as const) {
  describe(`read-only attack suite on ${backend}`, () => {
    let t: Target;
    let victim: pg.Client | undefined;
    let victimPid = 0;

    beforeAll(async () => {
      t = await openTarget(backend, S, { BIZMCP_TIMEOUT_MS_EXECUTE_QUERY: '1500' });
      if (backend === 'postgres') {
        victim = new pg.Client({ connectionString: PG_URL });
        await victim.connect();
        victimPid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      }
    });
    afterAll(async () => {
      await victim?.end().catch(() => {});
      await t?.close();
    });

    it('has at least 40 attacks', () => expect(attacks('/x', 1).length).toBeGreaterThanOrEqual(40));

    for (const [name] of attacks('WATCH', 0)) {
      it(name, async () => {
        const real = attacks(t.watchDir, victimPid).find(([n]) => n === name)![1];
        const before = await snapshot(t);
        const r = await t.s.call('execute_query', { sql: real });
        if (HARMLESS.has(name) && !r.isError) {
          // the parser sees one harmless statement (everything else is inside a comment)
          expect((r.structuredContent as { rows: unknown[] }).rows).toEqual([{ '?column?': 1 }]);
        } else expect(r.isError, `accepted: ${textOf(r)}`).toBe(true);
        expect(await snapshot(t)).toBe(before);
        if (victim) expect((await victim.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
      });
    }

    for (const [name, sql] of runaway) {
      it(`${name} is stopped by the timeout`, async () => {
        const before = await snapshot(t);
        const r = await t.s.call('execute_query', { sql });
        expect(r.isError).toBe(true);
        expect(textOf(r)).toMatch(/timed out|took longer|canceling statement/);
        // the answer comes at the timeout; the cancelled backend is closed a moment later
        expect(await settledSnapshot(t, before)).toBe(before);
        if (backend === 'postgres') {
          // the query was cancelled inside PostgreSQL, not only abandoned
          // (pg_stat_activity shows the FETCH from the server-side cursor: watch the server's own
          // connections by their application_name)
          const active = await t.oracle("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND application_name = $1", [t.app]);
          expect(active[0].n).toBe(0);
        }
      });
    }

    it('execute_statement does not exist without --allow-write', async () => {
      await expect(t.s.client.callTool({ name: 'execute_statement', arguments: { sql: `DELETE FROM ${S}.accounts` } })).rejects.toThrow(/Unknown tool/);
    });

    it('the server still works after all of it', async () => {
      const r = await t.s.ok('execute_query', { sql: `SELECT count(*) AS n FROM ${S}.accounts` });
      expect(r.rows[0].n).toBe('50');
    });
  });
}
