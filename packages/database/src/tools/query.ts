// SQL tools: read-only queries with bounded pages, plans, and (with --allow-write) statements.
import { z } from 'zod';
import { annotations, ToolError } from '@bizmcp/core';
import { checkReadOnly, checkWrite } from '../guard.js';
import { readCursor, runReadQuery, typeNames, toJson, type Param } from '../query.js';
import { statementTimeout, tool, type DbConfig } from '../state.js';

const param = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const columns = z.array(z.object({ name: z.string(), type: z.string() }));
const pageOutput = z.object({
  columns,
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: z.boolean(),
  nextCursor: z.string().optional().describe('Pass as cursor to execute_query for the next rows'),
});

export const executeQuery = tool({
  name: 'execute_query',
  toolset: 'query',
  title: 'Run a read-only SQL query',
  description:
    'Run ONE read-only SQL statement (SELECT, WITH … SELECT, VALUES, TABLE, SHOW, EXPLAIN) and get columns with their types and rows as JSON (bigint and numeric as strings, dates ISO 8601, bytea as truncated base64). Use $1, $2… placeholders with `params` for values. Results stop at max_rows (default 1000) or about 1 MB: then truncated is true and nextCursor fetches the next page (call again with only `cursor`). Anything that writes, locks, or calls side-effect functions is refused, and the statement runs in a read-only transaction that is always rolled back.',
  input: z.object({
    sql: z.string().min(1).max(100_000).optional().describe('The SQL statement'),
    params: z.array(param).max(1000).default([]).describe('Values for $1, $2…'),
    max_rows: z.number().int().min(1).max(10_000).optional().describe('Row cap for this page (default DB_MAX_ROWS, 1000)'),
    cursor: z.string().max(200_000).optional().describe('nextCursor from a previous page (instead of sql)'),
  }),
  output: pageOutput,
  annotations: annotations.read(),
  timeoutMs: 30_000,
  text: renderPage,
  run: async (args, ctx) => {
    let sql = args.sql;
    let params: Param[] = args.params;
    let offset = 0;
    if (args.cursor) {
      const c = readCursor(args.cursor);
      ({ sql, params, offset } = c);
    }
    if (!sql) throw new ToolError('sql: required (or pass cursor)', { code: 'invalid_argument' });
    const { maxRows, maxBytes } = ctx.state.config;
    return runReadQuery(await ctx.state.backend(), sql, params, offset, { maxRows: args.max_rows ?? maxRows, maxBytes, timeoutMs: statementTimeout(ctx), signal: ctx.signal });
  },
});

/** A compact text table (tab-separated) for the model; the JSON rows are in structuredContent. */
export function renderPage(p: { columns: { name: string; type: string }[]; rows: Record<string, unknown>[]; truncated: boolean; nextCursor?: string }): string {
  const cell = (v: unknown) => (v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/[\t\n]/g, ' ');
  const lines = [p.columns.map((c) => `${c.name} (${c.type})`).join('\t'), ...p.rows.map((r) => p.columns.map((c) => cell(r[c.name])).join('\t'))];
  lines.push(`(${p.rows.length} row${p.rows.length === 1 ? '' : 's'}${p.truncated ? `; more rows: call again with cursor "${p.nextCursor}"` : ''})`);
  return lines.join('\n');
}

export const explainQuery = tool({
  name: 'explain_query',
  toolset: 'query',
  title: 'Explain a query plan',
  description:
    "Show PostgreSQL's plan for a read-only statement, as text and as JSON. With analyze: true the statement is actually run (inside a read-only transaction that is rolled back) to report real timings and row counts; only statements the read-only guard accepts can be analyzed.",
  input: z.object({
    sql: z.string().min(1).max(100_000),
    params: z.array(param).max(1000).default([]),
    analyze: z.boolean().default(false),
  }),
  output: z.object({ text: z.string(), plan: z.unknown() }),
  annotations: annotations.read(),
  text: (r) => r.text,
  run: async ({ sql, params, analyze }, ctx) => {
    const checked = await checkReadOnly(sql);
    if (checked.kind !== 'select') throw new ToolError('Only SELECT-like statements can be explained', { code: 'invalid_argument' });
    const backend = await ctx.state.backend();
    const opts = analyze ? 'ANALYZE, BUFFERS, ' : '';
    return backend.read(
      async (s) => {
        const textPlan = await s.query(`EXPLAIN (${opts}FORMAT TEXT) ${checked.text}`, params);
        const jsonPlan = await s.query(`EXPLAIN (${opts}FORMAT JSON) ${checked.text}`, params);
        const first = jsonPlan.rows[0] ?? {};
        const raw = Object.values(first)[0];
        return { text: textPlan.rows.map((r) => String(Object.values(r)[0])).join('\n'), plan: typeof raw === 'string' ? JSON.parse(raw) : raw };
      },
      { timeoutMs: statementTimeout(ctx), signal: ctx.signal },
    );
  },
});

export const executeStatement = tool({
  name: 'execute_statement',
  toolset: 'write',
  enabled: (config: DbConfig) => config.allowWrite,
  title: 'Run a data-changing SQL statement',
  description:
    'Run ONE INSERT, UPDATE, DELETE or MERGE (and DDL only when the server was started with --allow-ddl) in its own transaction, committed when it succeeds. Returns the number of affected rows and, with RETURNING, up to 100 returned rows. Transaction control, COPY, DO, CALL, SET and multiple statements are refused. Only registered when the server runs with --allow-write.',
  input: z.object({ sql: z.string().min(1).max(100_000), params: z.array(param).max(1000).default([]) }),
  output: z.object({ command: z.string(), affectedRows: z.number(), columns, rows: z.array(z.record(z.string(), z.unknown())), truncated: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  rateLimit: { points: 60, durationSec: 60 },
  run: async ({ sql, params }, ctx) => {
    const checked = await checkWrite(sql, { allowDdl: ctx.state.config.allowDdl });
    const backend = await ctx.state.backend();
    return backend.write(
      async (s) => {
        const r = await s.query(checked.text, params);
        const cols = await typeNames(s, r.fields);
        const rows = r.rows.slice(0, 100).map((row) => Object.fromEntries(r.fields.map((f) => [f.name, toJson(row[f.name], f.dataTypeID)])));
        return { command: checked.command, affectedRows: r.affectedRows ?? 0, columns: cols, rows, truncated: r.rows.length > 100 };
      },
      { timeoutMs: statementTimeout(ctx), signal: ctx.signal },
    );
  },
});
