// A1 notation: validation, parsing and row windows, for paging Sheets reads by rows.
import { ToolError } from '@bizmcp/core';

export interface A1 {
  /** Sheet name as written by the caller, unquoted (undefined: the first sheet). */
  sheet?: string;
  /** 1-based column numbers; undefined when open. */
  startCol?: number;
  endCol?: number;
  /** 1-based row numbers; undefined when open. */
  startRow?: number;
  endRow?: number;
  /** A name without cells: a whole sheet or a named range. */
  nameOnly?: string;
}

const CELL = /^\$?([A-Za-z]{1,3})?\$?(\d{1,7})?$/;
const SHEET_QUOTED = /^'((?:[^']|'')+)'$/;
const NAME_ONLY = /^[\p{L}\p{N}_][\p{L}\p{N}_ .-]{0,99}$/u;

export function colToNumber(col: string): number {
  let n = 0;
  for (const ch of col.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

export function numberToCol(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

const bad = (range: string, why: string) =>
  new ToolError(`range "${range.slice(0, 80)}" is not valid A1 notation: ${why}.`, {
    code: 'invalid_argument',
    hint: "Write it like Sheet1!A1:D20, 'My sheet'!A:C, A2:B (first sheet), 2:10 (rows), or a sheet or named-range name alone.",
    details: { field: 'range' },
  });

function cell(s: string, range: string): { col?: number; row?: number } {
  const m = CELL.exec(s);
  if (!m || (!m[1] && !m[2])) throw bad(range, `"${s.slice(0, 20)}" is not a cell, a column or a row`);
  const col = m[1] ? colToNumber(m[1]) : undefined;
  if (col !== undefined && col > 18278) throw bad(range, 'column beyond ZZZ');
  const row = m[2] ? Number(m[2]) : undefined;
  if (row === 0) throw bad(range, 'rows start at 1');
  return { col, row };
}

/** Parses and validates a range (throws invalid_argument naming the field). */
export function parseA1(range: string): A1 {
  const r = range.trim();
  if (!r || r.length > 300) throw bad(range, 'empty or too long');
  const bang = r.lastIndexOf('!');
  let sheet: string | undefined;
  let cells = r;
  if (bang >= 0) {
    const rawSheet = r.slice(0, bang);
    cells = r.slice(bang + 1);
    const q = SHEET_QUOTED.exec(rawSheet);
    if (q) sheet = q[1].replace(/''/g, "'");
    else if (/^[^'!:]+$/.test(rawSheet)) sheet = rawSheet;
    else throw bad(range, "a sheet name with spaces or symbols must be quoted, like 'My sheet'!A1");
    if (!cells) throw bad(range, 'nothing after "!"');
  } else if (!/[:]/.test(r) && !CELL.test(r)) {
    const q = SHEET_QUOTED.exec(r);
    const name = q ? q[1].replace(/''/g, "'") : r;
    if (!q && !NAME_ONLY.test(r)) throw bad(range, 'not a cell range, a sheet name or a named range');
    return { nameOnly: name };
  }
  const [a, b, ...more] = cells.split(':');
  if (more.length) throw bad(range, 'more than one ":"');
  const s = cell(a, range);
  const e = b === undefined ? s : cell(b, range);
  if (b !== undefined && (s.col === undefined) !== (e.col === undefined) && s.row === undefined) throw bad(range, 'mixed column and row bounds');
  const out: A1 = { sheet, startCol: s.col, endCol: e.col, startRow: s.row, endRow: e.row };
  if (b === undefined) out.endRow = s.row;
  if (out.startCol && out.endCol && out.endCol < out.startCol) throw bad(range, 'the end column is before the start column');
  if (out.startRow && out.endRow && out.endRow < out.startRow) throw bad(range, 'the end row is before the start row');
  return out;
}

export const quoteSheet = (name: string) => (/^[A-Za-z0-9_]+$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`);

/** The A1 string of a window of rows [from, to] of a parsed range. */
export function windowA1(a: A1, from: number, to: number): string {
  const sheet = a.sheet !== undefined ? `${quoteSheet(a.sheet)}!` : '';
  const c1 = a.startCol ? numberToCol(a.startCol) : 'A';
  const c2 = a.endCol ? numberToCol(a.endCol) : '';
  if (!a.startCol && !a.endCol) return `${sheet}${from}:${to}`;
  return `${sheet}${c1}${from}:${c2 || numberToCol(18278)}${to}`;
}

/** Number of columns of a range, when bounded. */
export const widthOf = (a: A1) => (a.startCol && a.endCol ? a.endCol - a.startCol + 1 : undefined);
