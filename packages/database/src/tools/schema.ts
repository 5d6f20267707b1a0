// Schema tools: schemas, tables, one table in detail, object search, sample rows.
import { z } from 'zod';
import { annotations, type ToolContext } from '@bizmcp/core';
import { describeTable, listTables, USER_SCHEMAS } from '../catalog.js';
import { quoteIdent, runReadQuery } from '../query.js';
import { renderPage } from './query.js';
import type { Session } from '../backend.js';
import { statementTimeout, tool, type DbState } from '../state.js';

const ro = annotations.read();
const read = async <T>(ctx: ToolContext<DbState>, fn: (s: Session) => Promise<T>) => (await ctx.state.backend()).read(fn, { timeoutMs: statementTimeout(ctx), signal: ctx.signal });

export const listSchemas = tool({
  name: 'list_schemas',
  toolset: 'schema',
  title: 'List schemas',
  description: 'The user schemas of the database (system schemas left out) with their number of tables and views and their comments.',
  input: z.object({}),
  output: z.object({ schemas: z.array(z.object({ name: z.string(), tables: z.number(), comment: z.string().optional() })) }),
  annotations: ro,
  timeoutMs: 15_000,
  run: async (_a, ctx) =>
    read(ctx, async (s) => {
      const r = await s.query(
        `SELECT n.nspname AS name, count(c.oid)::int AS tables, obj_description(n.oid, 'pg_namespace') AS comment
           FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r','v','m','f','p')
          WHERE ${USER_SCHEMAS} GROUP BY n.oid, n.nspname ORDER BY n.nspname LIMIT 1000`,
      );
      return { schemas: r.rows.map((x) => ({ name: String(x.name), tables: Number(x.tables), ...(x.comment ? { comment: String(x.comment) } : {}) })) };
    }),
});

export const listTablesTool = tool({
  name: 'list_tables',
  toolset: 'schema',
  title: 'List tables',
  description:
    'Tables and views of the user schemas (or of one schema), with their kind, estimated row count and comment. Optional ILIKE pattern on the name ("%order%"). At most `limit` (default 200) with offset.',
  input: z.object({
    schema: z.string().max(200).optional(),
    pattern: z.string().max(200).optional().describe('ILIKE pattern, e.g. %invoice%'),
    limit: z.number().int().min(1).max(2000).default(200),
    offset: z.number().int().min(0).default(0),
  }),
  output: z.object({
    tables: z.array(z.object({ schema: z.string(), name: z.string(), type: z.string(), estimatedRows: z.number(), comment: z.string().optional() })),
    total: z.number(),
    truncated: z.boolean(),
    nextOffset: z.number().optional(),
  }),
  annotations: ro,
  timeoutMs: 15_000,
  text: (r) =>
    r.tables.length
      ? r.tables.map((t) => `${t.schema}.${t.name} (${t.type}, ~${t.estimatedRows} rows)${t.comment ? ` — ${t.comment}` : ''}`).join('\n') + (r.truncated ? `\n[more: offset ${r.nextOffset}]` : '')
      : r.total > 0
        ? `No tables past this offset (${r.total} in all)`
        : 'No tables or views: none in the user schemas, or none matching the schema or pattern given.',
  run: async ({ schema, pattern, limit, offset }, ctx) =>
    read(ctx, async (s) => {
      const { tables, total } = await listTables(s, schema, pattern, limit, offset);
      const end = offset + tables.length;
      return { tables, total, truncated: end < total, ...(end < total ? { nextOffset: end } : {}) };
    }),
});

export const describeTableTool = tool({
  name: 'describe_table',
  toolset: 'schema',
  title: 'Describe a table',
  description: 'Columns (type, nullability, default, comment), primary key, foreign keys, indexes, comment and approximate row count of one table or view. Without a schema, public is preferred.',
  input: z.object({ table: z.string().min(1).max(200), schema: z.string().max(200).optional() }),
  output: z.object({
    schema: z.string(),
    name: z.string(),
    type: z.string(),
    comment: z.string().optional(),
    estimatedRows: z.number(),
    columns: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean(), default: z.string().optional(), comment: z.string().optional() })),
    primaryKey: z.array(z.string()),
    foreignKeys: z.array(z.object({ name: z.string(), columns: z.array(z.string()), references: z.object({ schema: z.string(), table: z.string(), columns: z.array(z.string()) }) })),
    indexes: z.array(z.object({ name: z.string(), definition: z.string(), unique: z.boolean(), primary: z.boolean() })),
  }),
  annotations: ro,
  timeoutMs: 15_000,
  run: async ({ table, schema }, ctx) => read(ctx, (s) => describeTable(s, table, schema)),
});

const OBJECT_TYPES = ['table', 'view', 'column', 'function', 'index'] as const;

export const searchObjects = tool({
  name: 'search_objects',
  toolset: 'schema',
  title: 'Search database objects',
  description:
    'Find tables, views, columns, functions and indexes whose name matches an ILIKE pattern ("%customer%"), in the user schemas. detail: "names" (just names), "summary" (with types/owners), or "full" (with definitions). At most `limit` results (default 100).',
  input: z.object({
    pattern: z.string().min(1).max(200).describe('ILIKE pattern; plain text is wrapped in %…%'),
    types: z
      .array(z.enum(OBJECT_TYPES))
      .min(1)
      .default([...OBJECT_TYPES]),
    detail: z.enum(['names', 'summary', 'full']).default('summary'),
    limit: z.number().int().min(1).max(1000).default(100),
  }),
  output: z.object({
    objects: z.array(z.object({ type: z.enum(OBJECT_TYPES), schema: z.string(), name: z.string(), table: z.string().optional(), detail: z.string().optional() })),
    truncated: z.boolean(),
  }),
  annotations: ro,
  timeoutMs: 15_000,
  text: (r) => r.objects.map((o) => `${o.type} ${o.schema}.${o.table ? `${o.table}.` : ''}${o.name}${o.detail ? `: ${o.detail}` : ''}`).join('\n') || 'No objects match',
  run: async ({ pattern, types, detail, limit }, ctx) =>
    read(ctx, async (s) => {
      const like = /[%_]/.test(pattern) ? pattern : `%${pattern}%`;
      const full = detail === 'full';
      const parts: string[] = [];
      if (types.includes('table') || types.includes('view'))
        parts.push(`SELECT CASE WHEN c.relkind = 'v' OR c.relkind = 'm' THEN 'view' ELSE 'table' END AS type, n.nspname AS schema, c.relname AS name, NULL AS tbl,
                  ${full ? "CASE WHEN c.relkind IN ('v','m') THEN pg_get_viewdef(c.oid) ELSE obj_description(c.oid, 'pg_class') END" : 'pg_get_userbyid(c.relowner)'} AS detail
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','v','m','f','p') AND ${USER_SCHEMAS} AND c.relname ILIKE $1`);
      if (types.includes('column'))
        parts.push(`SELECT 'column', n.nspname, a.attname, c.relname, format_type(a.atttypid, a.atttypmod)
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','v','m','f','p') AND ${USER_SCHEMAS} AND a.attname ILIKE $1`);
      if (types.includes('function'))
        parts.push(`SELECT 'function', n.nspname, p.proname, NULL, ${full ? 'pg_get_functiondef(p.oid)' : "pg_get_function_identity_arguments(p.oid) || ' → ' || format_type(p.prorettype, NULL)"}
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMAS} AND p.prokind IN ('f','p') AND p.proname ILIKE $1`);
      if (types.includes('index'))
        parts.push(`SELECT 'index', n.nspname, ic.relname, tc.relname, ${full ? 'pg_get_indexdef(i.indexrelid)' : "CASE WHEN i.indisunique THEN 'unique' ELSE '' END"}
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
            WHERE ${USER_SCHEMAS} AND ic.relname ILIKE $1`);
      const r = await s.query(`SELECT * FROM (${parts.join(' UNION ALL ')}) o ORDER BY 1, 2, 4 NULLS FIRST, 3 LIMIT $2`, [like, limit + 1]);
      let rows = r.rows.map((x) => {
        const v = Object.values(x);
        return {
          type: v[0] as (typeof OBJECT_TYPES)[number],
          schema: String(v[1]),
          name: String(v[2]),
          ...(v[3] ? { table: String(v[3]) } : {}),
          ...(detail !== 'names' && v[4] ? { detail: String(v[4]) } : {}),
        };
      });
      rows = rows.filter((o) => types.includes(o.type));
      return { objects: rows.slice(0, limit), truncated: rows.length > limit };
    }),
});

export const sampleRows = tool({
  name: 'sample_rows',
  toolset: 'schema',
  title: 'Sample rows of a table',
  description: 'The first rows of a table or view (up to 100, default 10), to see what its data looks like. Same row format as execute_query.',
  input: z.object({ table: z.string().min(1).max(200), schema: z.string().max(200).default('public'), limit: z.number().int().min(1).max(100).default(10) }),
  output: z.object({ columns: z.array(z.object({ name: z.string(), type: z.string() })), rows: z.array(z.record(z.string(), z.unknown())), rowCount: z.number(), truncated: z.boolean() }),
  annotations: ro,
  timeoutMs: 15_000,
  text: renderPage,
  run: async ({ table, schema, limit }, ctx) => {
    const sql = `SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(table)} LIMIT ${limit}`;
    const page = await runReadQuery(await ctx.state.backend(), sql, [], 0, { maxRows: limit, maxBytes: ctx.state.config.maxBytes, timeoutMs: statementTimeout(ctx), signal: ctx.signal });
    return { columns: page.columns, rows: page.rows, rowCount: page.rowCount, truncated: page.truncated };
  },
});
