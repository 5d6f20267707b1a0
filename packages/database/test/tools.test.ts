// The database tools through the SDK client, on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '@bizmcp/core/testing';
import { openTarget, type Target } from './helpers.js';

const S = 'bizmcp_tools';

for (const backend of ['postgres', 'pglite'] as const) {
  describe(`database tools on ${backend}`, () => {
    let t: Target;
    let w: Target;
    beforeAll(async () => {
      t = await openTarget(backend, S, { DB_MAX_ROWS: '20' });
    });
    afterAll(async () => {
      await t?.close();
      await w?.close();
    });

    it('execute_query: typed columns, JSON-safe values, parameters', async () => {
      const r = await t.s.ok('execute_query', { sql: `SELECT id, balance, opened, big, blob, meta, now() AS ts FROM ${S}.accounts WHERE id = $1`, params: [3] });
      expect(r.columns.map((c: { type: string }) => c.type)).toEqual(['integer', 'numeric', 'date', 'bigint', 'bytea', 'jsonb', 'timestamp with time zone']);
      const row = r.rows[0];
      expect(row).toMatchObject({ id: 3, balance: '31.50', opened: '2026-01-04', big: '9007199254740996', meta: { n: 3 } });
      expect(row.blob).toMatch(/^base64:.*… \(2000 bytes\)$/);
      expect(row.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      expect(textOf(await t.s.call('execute_query', { sql: 'SELECT 1 AS one' }))).toContain('one (integer)\n1\n(1 row)');
      // a huge text value is cut, and says how to read the rest
      const long = (await t.s.ok('execute_query', { sql: "SELECT repeat('x', 250000) AS v" })).rows[0].v as string;
      expect(long.startsWith('x'.repeat(100_000) + '… (250000 characters')).toBe(true);
      expect(long.length).toBeLessThan(100_100);
    });

    it('execute_query pages with a cursor and never loses or repeats rows', async () => {
      const seen: number[] = [];
      let page = await t.s.ok('execute_query', { sql: `SELECT id FROM ${S}.accounts ORDER BY id` });
      seen.push(...page.rows.map((r: { id: number }) => r.id));
      expect(page).toMatchObject({ rowCount: 20, truncated: true });
      while (page.nextCursor) {
        page = await t.s.ok('execute_query', { cursor: page.nextCursor });
        seen.push(...page.rows.map((r: { id: number }) => r.id));
      }
      expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const capped = await t.s.ok('execute_query', { sql: `SELECT id FROM ${S}.accounts`, max_rows: 50 });
      expect(capped).toMatchObject({ rowCount: 50, truncated: false });
      expect(textOf(await t.s.call('execute_query', { cursor: 'garbage' }))).toMatch(/Invalid cursor/);
    });

    it('execute_query stops at the byte cap', async () => {
      const small = await openTarget(backend, `${S}_bytes`, { DB_MAX_BYTES: '5000' });
      const r = await small.s.ok('execute_query', { sql: `SELECT * FROM ${S}_bytes.accounts` });
      expect(r.truncated).toBe(true);
      expect(r.rowCount).toBeLessThan(5);
      await small.close();
    });

    it('SHOW and EXPLAIN, errors with their SQLSTATE', async () => {
      expect((await t.s.ok('execute_query', { sql: 'SHOW search_path' })).rows.length).toBe(1);
      const plan = await t.s.ok('explain_query', { sql: `SELECT * FROM ${S}.accounts WHERE owner = $1`, params: ['owner 1'] });
      expect(plan.text).toMatch(/Scan/);
      expect(Array.isArray(plan.plan)).toBe(true);
      const analyzed = await t.s.ok('explain_query', { sql: `SELECT count(*) FROM ${S}.accounts`, analyze: true });
      expect(analyzed.text).toMatch(/actual time/);
      expect(textOf(await t.s.call('explain_query', { sql: `DELETE FROM ${S}.accounts`, analyze: true }))).toMatch(/Refused/);
      expect(textOf(await t.s.call('execute_query', { sql: 'SELECT * FROM no_such_table' }))).toMatch(/PostgreSQL error 42P01/);
    });

    it('list_schemas, list_tables, describe_table, search_objects, sample_rows', async () => {
      expect((await t.s.ok('list_schemas')).schemas.map((x: { name: string }) => x.name)).toContain(S);
      const tables = await t.s.ok('list_tables', { schema: S });
      expect(tables.tables.map((x: { name: string }) => x.name)).toEqual(['accounts', 'transfers']);
      const none = await t.s.call('list_tables', { schema: S, pattern: '%no_such_table%' });
      expect(none.isError).toBeFalsy();
      expect(textOf(none)).toMatch(/^No tables or views/);
      const d = await t.s.ok('describe_table', { table: 'accounts', schema: S });
      expect(d).toMatchObject({ name: 'accounts', comment: 'Money', primaryKey: ['id'] });
      expect(d.columns.find((c: { name: string }) => c.name === 'owner')).toMatchObject({ type: 'text', nullable: false });
      expect(d.indexes.map((i: { name: string }) => i.name)).toContain('accounts_owner_idx');
      const fk = (await t.s.ok('describe_table', { table: 'transfers', schema: S })).foreignKeys[0];
      expect(fk).toMatchObject({ columns: ['account_id'], references: { table: 'accounts', columns: ['id'] } });
      expect(textOf(await t.s.call('describe_table', { table: 'nope' }))).toMatch(/Table not found/);
      const found = await t.s.ok('search_objects', { pattern: 'owner' });
      expect(found.objects.map((o: { type: string; name: string }) => `${o.type}:${o.name}`)).toEqual(expect.arrayContaining(['column:owner', 'index:accounts_owner_idx']));
      const sample = await t.s.ok('sample_rows', { table: 'accounts', schema: S, limit: 3 });
      expect(sample.rowCount).toBe(3);
      expect(textOf(await t.s.call('sample_rows', { table: 'accounts"; DROP TABLE x; --', schema: S }))).toMatch(/42P01/);
    });

    it('table resources and prompts', async () => {
      const { resourceTemplates } = await t.s.client.listResourceTemplates();
      expect(resourceTemplates[0].uriTemplate).toBe('postgres-schema://{schema}/{table}');
      const res = await t.s.client.readResource({ uri: `postgres-schema://${S}/accounts` });
      expect(JSON.parse((res.contents[0] as { text: string }).text).primaryKey).toEqual(['id']);
      const listed = await t.s.client.listResources();
      expect(listed.resources.map((r) => r.name)).toContain(`${S}.accounts`);
      const { prompts } = await t.s.client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(['analyze_data', 'explore_database']);
      const p = await t.s.client.getPrompt({ name: 'analyze_data', arguments: { data_source: `${S}.accounts` } });
      expect((p.messages[0].content as { text: string }).text).toContain(`${S}.accounts`);
    });

    it('--allow-write registers execute_statement; DDL needs --allow-ddl', async () => {
      w = await openTarget(backend, `${S}_w`, {}, ['--allow-write']);
      const r = await w.s.ok('execute_statement', { sql: `UPDATE ${S}_w.accounts SET balance = 0 WHERE id <= $1 RETURNING id`, params: [3] });
      expect(r).toMatchObject({ command: 'UPDATE', affectedRows: 3 });
      expect(r.rows.map((x: { id: number }) => x.id).sort()).toEqual([1, 2, 3]);
      const check = await w.oracle(`SELECT count(*)::int AS n FROM ${S}_w.accounts WHERE balance = 0`);
      expect(check[0].n).toBe(3);
      expect(textOf(await w.s.call('execute_statement', { sql: `DROP TABLE ${S}_w.transfers` }))).toMatch(/--allow-ddl/);
      expect(textOf(await w.s.call('execute_statement', { sql: `SELECT 1` }))).toMatch(/execute_query/);
      // a failing statement commits nothing
      expect((await w.s.call('execute_statement', { sql: `INSERT INTO ${S}_w.transfers VALUES (1, 999, 1)` })).isError).toBe(true);
      expect((await w.oracle(`SELECT count(*)::int AS n FROM ${S}_w.transfers`))[0].n).toBe(0);
      const tools = (await w.s.client.listTools()).tools;
      expect(tools.find((x) => x.name === 'execute_statement')?.annotations?.destructiveHint).toBe(true);
      expect(tools.filter((x) => x.annotations?.readOnlyHint).length).toBe(7);
    });
  });
}
