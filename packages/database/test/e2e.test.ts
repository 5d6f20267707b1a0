// The built binary end to end: PGlite with the sample data over the SDK client, the PostgreSQL
// service with raw JSON-RPC lines on stdin, configuration errors.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, procStatusMb, rawStdio, spawnStdio, textOf } from '@bizmcp/core/testing';
import { PG_URL, requirePostgres } from './helpers.js';

const bin = builtBin('database');
const dataDir = mkdtempSync(join(tmpdir(), 'bizmcp-db-e2e-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('bizmcp-database binary', () => {
  it('embedded PGlite with the sample business schema, over the SDK client', async () => {
    const s = await spawnStdio(bin, { args: ['--sample-data'], env: { BIZMCP_DATA_DIR: dataDir } });
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(['execute_query', 'list_tables', 'describe_table', 'list_schemas', 'search_objects', 'explain_query', 'sample_rows']);
    const r = await s.client.callTool({ name: 'execute_query', arguments: { sql: 'SELECT count(*) AS n FROM customers c JOIN orders o ON o.customer_id = c.id' } }, undefined, { timeout: 60_000 });
    expect((r.structuredContent as { rows: { n: string }[] }).rows[0].n).toBe('60');
    const tables = await s.client.callTool({ name: 'list_tables', arguments: {} });
    expect(textOf(tables as never)).toMatch(/public\.invoices/);
    await s.close();
  });

  it('the PostgreSQL service with raw JSON-RPC lines on stdin', async () => {
    await requirePostgres();
    const run = await rawStdio(
      bin,
      jsonLines([
        { method: 'tools/list' },
        { method: 'tools/call', params: { name: 'execute_query', arguments: { sql: 'SELECT current_setting($1) AS app', params: ['application_name'] } } },
        { method: 'tools/call', params: { name: 'execute_query', arguments: { sql: 'SELECT 1; DROP TABLE x' } } },
      ]),
      { env: { DATABASE_URL: PG_URL }, timeoutMs: 30_000 },
    );
    expect(run.code).toBe(0);
    const byId = new Map(run.messages.map((m) => [m.id, m]));
    expect(byId.get(1).result.tools).toHaveLength(7);
    expect(byId.get(2).result.structuredContent.rows[0].app).toBe('bizmcp');
    expect(byId.get(3).result.isError).toBe(true);
    expect(run.stderr).toMatch(/is a superuser/);
    expect(run.stderr).not.toContain('postgres@127.0.0.1'); // the URL (a secret) never reaches the logs
  });

  it("the SQL parser stays on V8's baseline tier: 12 queries of 1000 rows grow the process by tens of MB, not hundreds", async () => {
    await requirePostgres();
    const s = await spawnStdio(bin, { args: [PG_URL] });
    await s.client.callTool({ name: 'execute_query', arguments: { sql: 'SELECT 1' } });
    const before = procStatusMb(s.pid, 'VmRSS');
    for (let i = 0; i < 12; i++) {
      const r = await s.client.callTool({ name: 'execute_query', arguments: { sql: `SELECT g, md5(g::text) AS h FROM generate_series(1, 1000 + ${i}) g` } });
      expect((r.structuredContent as { rowCount: number }).rowCount).toBe(1000);
    }
    // the parser's largest function recompiled by the optimizing tier took 600 MB here; peak growth
    // without it: 10-20 MB
    expect(procStatusMb(s.pid, 'VmHWM') - before).toBeLessThan(80);
    await s.close();
  });

  it('closing the server shuts the embedded database down cleanly: the next start needs no recovery', async () => {
    const dir = join(dataDir, 'clean');
    for (let i = 0; i < 2; i++) {
      const s = await spawnStdio(bin, { env: { BIZMCP_DATA_DIR: dir } });
      // a call whose session reset (ROLLBACK, DISCARD ALL) is still running as the server closes
      await s.client.callTool({ name: 'list_tables', arguments: {} }, undefined, { timeout: 60_000 });
      await s.close();
      // pg_control's state (after the identifier and two versions): 1 is "shut down", 6 "in production"
      expect(readFileSync(join(dir, 'global', 'pg_control')).readUInt32LE(16)).toBe(1);
      expect(existsSync(join(dir, 'postmaster.pid'))).toBe(false);
    }
  });

  it("the SQL grammar stays on V8's baseline tier with the embedded database too: parse-heavy queries grow the process by tens of MB, not hundreds", async () => {
    const s = await spawnStdio(bin, { env: { BIZMCP_DATA_DIR: join(dataDir, 'grammar') } });
    await s.client.callTool({ name: 'list_tables', arguments: {} }, undefined, { timeout: 60_000 });
    const before = procStatusMb(s.pid, 'VmHWM');
    // 300 expressions per statement: both parsers (the read-only guard's and PGlite's) run hot
    const columns = Array.from({ length: 300 }, (_, i) => `CASE WHEN g % ${i + 2} = 0 THEN 'x${i}' ELSE upper('y${i}') END AS c${i}`);
    for (let i = 0; i < 40; i++) {
      const r = await s.client.callTool({ name: 'execute_query', arguments: { sql: `SELECT ${columns.join(', ')} FROM generate_series(1, 3) g LIMIT ${i + 1}` } });
      expect((r.structuredContent as { rowCount: number }).rowCount).toBe(Math.min(i + 1, 3));
    }
    // the optimizing compiler works on a background thread: its peak shows within a few seconds
    await new Promise((r) => setTimeout(r, 4000));
    const growth = procStatusMb(s.pid, 'VmHWM') - before;
    // measured: 600 MB for each grammar recompiled by the optimizing tier (1.25 GB peak in all);
    // without: some 80 MB
    expect(growth).toBeLessThan(200);
    await s.close();
  });

  it('--allow-write adds execute_statement; bad configuration is one line and exit 1', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }]), { args: ['--allow-write'], env: { DATABASE_URL: PG_URL } });
    expect(run.messages.find((m) => m.id === 1).result.tools.map((t: { name: string }) => t.name)).toContain('execute_statement');
    // a data directory of the test's own: the worker started early must not open the user's
    const own = { BIZMCP_DATA_DIR: join(dataDir, 'config') };
    const bad = await rawStdio(bin, '', { args: ['mysql://x'], env: own });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('bizmcp-database: the connection string must start with postgresql://');
    const ddl = await rawStdio(bin, '', { args: ['--allow-ddl'], env: own });
    expect(ddl.stderr.trim()).toBe('bizmcp-database: --allow-ddl needs --allow-write');
  });
});
