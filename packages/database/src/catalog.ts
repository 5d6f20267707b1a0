// Catalog queries shared by the schema tools and the table resource.
import { ToolError } from '@bizmcp/core';
import type { Session } from './backend.js';

export interface TableInfo {
  schema: string;
  name: string;
  type: 'table' | 'view' | 'materialized view' | 'foreign table' | 'partitioned table';
  estimatedRows: number;
  comment?: string;
}

export const USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'";

const KIND: Record<string, TableInfo['type']> = { r: 'table', v: 'view', m: 'materialized view', f: 'foreign table', p: 'partitioned table' };

export async function listTables(s: Session, schema: string | undefined, pattern: string | undefined, limit: number, offset: number): Promise<{ tables: TableInfo[]; total: number }> {
  const r = await s.query(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, GREATEST(c.reltuples, 0)::bigint AS rows,
            obj_description(c.oid, 'pg_class') AS comment, count(*) OVER () AS total
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r','v','m','f','p') AND ${USER_SCHEMAS}
        AND ($1::text IS NULL OR n.nspname = $1) AND ($2::text IS NULL OR c.relname ILIKE $2)
      ORDER BY n.nspname, c.relname LIMIT $3 OFFSET $4`,
    [schema ?? null, pattern ?? null, limit, offset],
  );
  return {
    tables: r.rows.map((x) => ({ schema: String(x.schema), name: String(x.name), type: KIND[String(x.kind)], estimatedRows: Number(x.rows), ...(x.comment ? { comment: String(x.comment) } : {}) })),
    total: r.rows.length ? Number(r.rows[0].total) : 0,
  };
}

export interface TableDescription {
  schema: string;
  name: string;
  type: string;
  comment?: string;
  estimatedRows: number;
  columns: { name: string; type: string; nullable: boolean; default?: string; comment?: string }[];
  primaryKey: string[];
  foreignKeys: { name: string; columns: string[]; references: { schema: string; table: string; columns: string[] } }[];
  indexes: { name: string; definition: string; unique: boolean; primary: boolean }[];
}

export async function describeTable(s: Session, table: string, schema?: string): Promise<TableDescription> {
  const t = await s.query(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind, GREATEST(c.reltuples, 0)::bigint AS rows,
            obj_description(c.oid, 'pg_class') AS comment
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r','v','m','f','p')
        AND (($2::text IS NULL AND ${USER_SCHEMAS}) OR n.nspname = $2)
      ORDER BY (n.nspname = 'public') DESC, n.nspname LIMIT 1`,
    [table, schema ?? null],
  );
  if (!t.rows.length) throw new ToolError(`Table not found: ${schema ? `${schema}.` : ''}${table}`, { code: 'not_found', hint: 'Call list_tables to see the tables.' });
  const info = t.rows[0];
  const oid = Number(info.oid);
  const cols = await s.query(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
            pg_get_expr(d.adbin, d.adrelid) AS "default", col_description(a.attrelid, a.attnum) AS comment
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const cons = await s.query(
    `SELECT con.conname AS name, con.contype AS type,
            ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS columns,
            fn.nspname AS ref_schema, fc.relname AS ref_table,
            ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS ref_columns
       FROM pg_constraint con
       LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
      WHERE con.conrelid = $1 AND con.contype IN ('p', 'f') ORDER BY con.conname`,
    [oid],
  );
  const idx = await s.query(
    `SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisunique AS unique, i.indisprimary AS primary
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = $1 ORDER BY ic.relname`,
    [oid],
  );
  const arr = (v: unknown) =>
    Array.isArray(v)
      ? v.map(String)
      : typeof v === 'string'
        ? v
            .replace(/^\{|\}$/g, '')
            .split(',')
            .filter(Boolean)
        : [];
  return {
    schema: String(info.schema),
    name: String(info.name),
    type: KIND[String(info.kind)],
    ...(info.comment ? { comment: String(info.comment) } : {}),
    estimatedRows: Number(info.rows),
    columns: cols.rows.map((c) => ({
      name: String(c.name),
      type: String(c.type),
      nullable: Boolean(c.nullable),
      ...(c.default != null ? { default: String(c.default) } : {}),
      ...(c.comment ? { comment: String(c.comment) } : {}),
    })),
    primaryKey: arr(cons.rows.find((c) => c.type === 'p')?.columns),
    foreignKeys: cons.rows
      .filter((c) => c.type === 'f')
      .map((c) => ({ name: String(c.name), columns: arr(c.columns), references: { schema: String(c.ref_schema), table: String(c.ref_table), columns: arr(c.ref_columns) } })),
    indexes: idx.rows.map((i) => ({ name: String(i.name), definition: String(i.definition), unique: Boolean(i.unique), primary: Boolean(i.primary) })),
  };
}
