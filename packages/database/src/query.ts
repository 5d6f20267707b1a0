// Running read-only queries with bounded results: the statement is checked (guard.ts), declared as
// a server-side cursor inside the read-only transaction, and fetched in batches until the row cap
// or the byte cap; one extra row tells whether more exist. The next page re-runs the statement
// and skips the rows already returned with MOVE (inside PostgreSQL, nothing is transferred).
import { decodeCursor, encodeCursor, ToolError } from '@bizmcp/core';
import type { Backend, Field, Session } from './backend.js';
import { checkReadOnly, type Checked } from './guard.js';

export type Param = string | number | boolean | null;

export interface Column {
  name: string;
  type: string;
}

export interface Page {
  columns: Column[];
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
  /** Pass back as `cursor` to get the next rows. */
  nextCursor?: string;
}

export interface Limits {
  maxRows: number;
  maxBytes: number;
  timeoutMs: number;
  signal: AbortSignal;
}

const BYTEA_PREVIEW = 1024;
/** Longer text values are cut (the model can read the rest with substring() in SQL). */
export const MAX_TEXT_CHARS = 100_000;
const BATCH = 200;
const FIRST_BATCH = 50;

// Names of common types; others are looked up in pg_type once.
const TYPE_NAMES: Record<number, string> = {
  16: 'boolean',
  17: 'bytea',
  18: 'char',
  19: 'name',
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  26: 'oid',
  114: 'json',
  700: 'real',
  701: 'double precision',
  1042: 'character',
  1043: 'character varying',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp without time zone',
  1184: 'timestamp with time zone',
  1186: 'interval',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
  1000: 'boolean[]',
  1007: 'integer[]',
  1009: 'text[]',
  1016: 'bigint[]',
  2249: 'record',
  705: 'unknown',
};

export async function typeNames(s: Session, fields: Field[]): Promise<Column[]> {
  const unknown = [...new Set(fields.map((f) => f.dataTypeID).filter((id) => !(id in TYPE_NAMES)))];
  if (unknown.length) {
    const r = await s.query('SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::oid[])', [unknown]);
    for (const row of r.rows) TYPE_NAMES[Number(row.oid)] = String(row.name);
  }
  return fields.map((f) => ({ name: f.name, type: TYPE_NAMES[f.dataTypeID] ?? `oid ${f.dataTypeID}` }));
}

/** JSON-safe values: bigint and numeric as strings, dates ISO 8601, bytea as truncated base64. */
export function toJson(value: unknown, typeId: number): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeId === 20 && typeof value === 'number') return String(value); // int8 always as a string
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return String(value);
    return typeId === 1082 ? value.toISOString().slice(0, 10) : value.toISOString();
  }
  if (value instanceof Uint8Array) {
    const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return b.length > BYTEA_PREVIEW ? `base64:${b.subarray(0, BYTEA_PREVIEW).toString('base64')}… (${b.length} bytes)` : `base64:${b.toString('base64')}`;
  }
  if (typeof value === 'string' && (typeId === 1114 || typeId === 1184) && value.includes(' ')) return value.replace(' ', 'T');
  if (typeof value === 'string' && value.length > MAX_TEXT_CHARS) return `${value.slice(0, MAX_TEXT_CHARS)}… (${value.length} characters; read the rest with substring())`;
  if (Array.isArray(value)) return value.map((v) => toJson(v, 0));
  if (typeof value === 'object') return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  return value;
}

function convertRows(fields: Field[], rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const f of fields) out[f.name] = toJson(row[f.name], f.dataTypeID);
    return out;
  });
}

interface CursorState {
  sql: string;
  params: Param[];
  offset: number;
}
const isCursorState = (v: unknown): v is CursorState =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as CursorState).sql === 'string' &&
  Array.isArray((v as CursorState).params) &&
  Number.isInteger((v as CursorState).offset) &&
  (v as CursorState).offset >= 0;

export function readCursor(cursor: string): CursorState {
  return decodeCursor(cursor, isCursorState);
}

/** Checks and runs one read-only statement, returning one bounded page. */
export async function runReadQuery(backend: Backend, sql: string, params: Param[], offset: number, limits: Limits, checked?: Checked): Promise<Page> {
  const c = checked ?? (await checkReadOnly(sql));
  return backend.read(async (s) => {
    if (c.kind !== 'select') {
      // SHOW and EXPLAIN return a few rows: no cursor needed (and DECLARE does not accept them)
      const r = await s.query(c.text, params);
      const columns = await typeNames(s, r.fields);
      const rows = convertRows(r.fields, r.rows.slice(0, limits.maxRows));
      return { columns, rows, rowCount: rows.length, truncated: r.rows.length > limits.maxRows };
    }
    await s.query(`DECLARE bizmcp_cursor NO SCROLL CURSOR FOR ${c.text}`, params);
    if (offset > 0) await s.query(`MOVE FORWARD ${Math.floor(offset)} IN bizmcp_cursor`);
    const rows: Record<string, unknown>[] = [];
    let fields: Field[] = [];
    let bytes = 0;
    let truncated = false;
    for (;;) {
      // Batches sized from the rows seen so far, so that one FETCH stays near the byte budget left
      // (wide rows are fetched a few at a time).
      const perRow = rows.length ? bytes / rows.length : 0;
      const budget = perRow ? Math.max(1, Math.ceil((limits.maxBytes - bytes) / perRow) + 1) : FIRST_BATCH;
      const want = Math.min(BATCH, budget, limits.maxRows - rows.length);
      if (want <= 0) break;
      const r = await s.query(`FETCH FORWARD ${want} FROM bizmcp_cursor`);
      if (!fields.length) fields = r.fields;
      for (const row of convertRows(r.fields, r.rows)) {
        const size = JSON.stringify(row).length;
        if (bytes + size > limits.maxBytes && rows.length > 0) {
          truncated = true;
          break;
        }
        rows.push(row);
        bytes += size;
      }
      if (truncated || r.rows.length < want) break;
      if (limits.signal.aborted) break;
    }
    if (!truncated && rows.length >= limits.maxRows) {
      const more = await s.query('FETCH FORWARD 1 FROM bizmcp_cursor');
      if (!fields.length) fields = more.fields;
      truncated = more.rows.length > 0;
    }
    if (!fields.length) {
      const empty = await s.query('FETCH FORWARD 0 FROM bizmcp_cursor');
      fields = empty.fields;
    }
    const columns = await typeNames(s, fields);
    const page: Page = { columns, rows, rowCount: rows.length, truncated };
    if (truncated) page.nextCursor = encodeCursor({ sql, params, offset: offset + rows.length } satisfies CursorState);
    return page;
  }, limits);
}

/** Double-quotes an identifier for SQL (the only way user-chosen names enter built SQL). */
export function quoteIdent(name: string): string {
  if (!name || name.includes('\0')) throw new ToolError('Invalid identifier', { code: 'invalid_argument' });
  return `"${name.replace(/"/g, '""')}"`;
}
