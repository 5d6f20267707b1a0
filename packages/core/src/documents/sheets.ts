// Workbooks and CSV as markdown tables: one table per sheet under a "## Sheet" heading, a first
// column with the row number (the numbers `rows` takes), columns named by letter. Read row by row
// (exceljs's streaming reader for .xlsx) with caps on sheets, rows scanned and cells.
// Lost: formulas (their last computed value is shown), formatting, charts, images, comments,
// merged-cell layout. Hidden sheets are left out unless asked for; hidden rows are marked.
import { Readable } from 'node:stream';
import { zipSync } from 'fflate';
import { type Collector, cell, columnName } from './collect.js';
import type { Range, SheetInfo } from './types.js';
import { relationships, walkXml } from './xml.js';
import { readZip, utf8 } from './zip.js';

/** Writes the rows of one sheet as a markdown table, the header from the first batch's width. */
export class SheetWriter {
  private batch: string[][] = [];
  private width = 0;
  private started = false;

  constructor(
    private readonly out: Collector,
    private readonly title: string,
  ) {}

  row(n: number, cells: string[], hidden = false): void {
    this.batch.push([hidden ? `${n} (hidden)` : String(n), ...cells]);
    if (this.batch.length >= 200) this.flush();
  }

  flush(): void {
    let text = '';
    if (!this.started) {
      this.width = Math.max(1, ...this.batch.map((r) => r.length - 1));
      const letters = Array.from({ length: this.width }, (_, i) => columnName(i + 1));
      text = `${this.out.position === 0 ? '' : '\n'}## ${this.title}\n\n| # | ${letters.join(' | ')} |\n|${' --- |'.repeat(this.width + 1)}\n`;
      this.started = true;
    }
    for (const r of this.batch) text += `| ${r.map(cell).join(' | ')} |\n`;
    this.batch = [];
    if (text) this.out.push(text);
  }

  end(empty: string): void {
    if (this.batch.length || this.started) this.flush();
    else this.out.push(`${this.out.position === 0 ? '' : '\n'}## ${this.title}\n\n${empty}\n`);
  }
}

/** Counts a row against the caps; false when reading must stop. */
function count(out: Collector, cells: number): boolean {
  out.rows++;
  out.cells += cells;
  if (out.rows > out.limits.maxRows) {
    out.cap(`rows: at most ${out.limits.maxRows} rows are scanned per call (empty ones included); ask for a row range`);
    return false;
  }
  if (out.cells > out.limits.maxCells) {
    out.cap(`cells: at most ${out.limits.maxCells} non-empty cells are read per call; ask for a row range or one sheet`);
    return false;
  }
  return true;
}

const inRange = (n: number, r: Range | undefined) => !r || (n >= r.from && (r.to === undefined || n <= r.to));
const past = (n: number, r: Range | undefined) => r?.to !== undefined && n > r.to;

function show(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return '';
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.richText)) return o.richText.map((t: { text?: string }) => t.text ?? '').join('');
    if ('formula' in o || 'sharedFormula' in o) return show(o.result);
    if ('text' in o) return show(o.text);
    if ('error' in o) return String(o.error);
  }
  return '';
}

interface SheetChoice {
  sheet?: string | number;
  rows?: Range;
  includeHidden: boolean;
}

const chosen = (c: SheetChoice, name: string, index: number) => c.sheet === undefined || (typeof c.sheet === 'number' ? c.sheet === index : c.sheet.trim().toLowerCase() === name.trim().toLowerCase());

/** Sheet name → its part's path in the package, from workbook.xml and its relationships. */
function sheetPaths(workbook: string, rels: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!workbook || !rels) return out;
  const targets = relationships(rels, 'xl');
  walkXml(
    workbook,
    {
      open(name, a) {
        if (name !== 'sheet') return;
        const t = targets.get(a['r:id'] ?? '');
        if (t && a.name) out.set(a.name, t.target);
      },
    },
    'workbook',
  );
  return out;
}

/** The parts exceljs's streaming reader must have seen before any worksheet, in this order. */
const WORKBOOK_PARTS = ['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/styles.xml'];

/**
 * A package whose worksheets come before `xl/workbook.xml` (the ZIP order is free: some writers
 * put it last) makes exceljs's streaming reader fail ("reading 'sheets'"): such a package is
 * rewritten with the workbook parts first and compressed again at level 1 (stored, the million-row
 * test sheet ran the worker out of its 256 MB heap). Others are returned as they are. The rewrite
 * inflates the package a second time; it happens only for that order.
 */
function workbookFirst(bytes: Uint8Array, names: string[], cap: number): Uint8Array {
  const firstSheet = names.findIndex((n) => n.startsWith('xl/worksheets/'));
  const workbook = names.indexOf('xl/workbook.xml');
  if (firstSheet === -1 || (workbook !== -1 && workbook < firstSheet)) return bytes;
  const all = readZip(bytes, cap, () => true).files;
  const ordered: Record<string, Uint8Array> = {};
  for (const n of WORKBOOK_PARTS) {
    const f = all.get(n);
    if (f) ordered[n] = f;
  }
  for (const n of names) if (!(n in ordered) && all.has(n)) ordered[n] = all.get(n) as Uint8Array;
  return zipSync(ordered, { level: 1 });
}

export async function readXlsx(bytes: Uint8Array, out: Collector, choice: SheetChoice): Promise<SheetInfo[]> {
  // The whole package is inflated once with the cap before exceljs sees it (a lying ZIP stops here);
  // on the way, the rows marked hidden are noted (exceljs's streaming reader does not report them).
  const hiddenRows = new Map<string, Set<number>>();
  const tails = new Map<string, string>();
  const zip = readZip(
    bytes,
    out.limits.maxInflatedBytes,
    (n) => n === 'xl/workbook.xml' || n === 'xl/_rels/workbook.xml.rels',
    () => true,
    (name, chunk) => {
      if (!name.startsWith('xl/worksheets/') || !name.endsWith('.xml')) return;
      const text = (tails.get(name) ?? '') + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
      const cut = text.lastIndexOf('<');
      tails.set(name, text.slice(cut));
      for (const m of text.slice(0, cut).matchAll(/<row\b[^>]*>/g)) {
        if (!/\shidden="(?:1|true)"/.test(m[0])) continue;
        const r = /\sr="(\d+)"/.exec(m[0]);
        if (!r) continue;
        let set = hiddenRows.get(name);
        if (!set) hiddenRows.set(name, (set = new Set()));
        set.add(Number(r[1]));
      }
    },
  );
  const sheetFiles = sheetPaths(utf8(zip.files.get('xl/workbook.xml')), utf8(zip.files.get('xl/_rels/workbook.xml.rels')));
  const input = workbookFirst(bytes, zip.names, out.limits.maxInflatedBytes);
  const ExcelJS = (await import('exceljs')).default;
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([Buffer.from(input.buffer, input.byteOffset, input.byteLength)]), {
    entries: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
  });
  const sheets: SheetInfo[] = [];
  let read = 0;
  let stop = false;
  for await (const ws of reader as AsyncIterable<{ name: string; state?: string } & AsyncIterable<unknown>>) {
    const name = ws.name;
    const hidden = ws.state === 'hidden' || ws.state === 'veryHidden';
    const info: SheetInfo = { name, hidden, read: false };
    sheets.push(info);
    if (!chosen(choice, name, sheets.length)) continue;
    if (hidden && !choice.includeHidden) {
      out.drop('hidden sheets');
      continue;
    }
    if (++read > out.limits.maxSheets) {
      out.cap(`sheets: at most ${out.limits.maxSheets} sheets are read per call; name one with sheet`);
      stop = true;
      break;
    }
    info.read = true;
    const w = new SheetWriter(out, `Sheet "${name}"${hidden ? ' (hidden sheet)' : ''}`);
    const hiddenHere = hiddenRows.get(sheetFiles.get(name) ?? '');
    for await (const r of ws as AsyncIterable<{ number: number; values: unknown[] }>) {
      const values = Array.isArray(r.values) ? r.values : [];
      const cells: string[] = [];
      let filled = 0;
      for (let c = 1; c < values.length; c++) {
        const s = show(values[c]);
        cells.push(s);
        if (s) filled++;
      }
      if (!count(out, filled)) {
        stop = true;
        break;
      }
      if (past(r.number, choice.rows)) break;
      if (!filled || !inRange(r.number, choice.rows)) continue;
      while (cells.length && !cells[cells.length - 1]) cells.pop();
      w.row(r.number, cells, hiddenHere?.has(r.number) === true);
    }
    w.end(choice.rows ? '(no values in these rows)' : '(empty sheet)');
    // A cap ends the reading here: the rest of the package is not parsed (nor its sheets listed).
    if (stop) break;
  }
  if (choice.sheet !== undefined && !sheets.some((s) => s.read) && !stop) {
    const names = sheets.map((s) => `"${s.name}"${s.hidden ? ' (hidden)' : ''}`).join(', ');
    const { DocError } = await import('./collect.js');
    throw new DocError(`No sheet ${typeof choice.sheet === 'number' ? `number ${choice.sheet}` : `"${choice.sheet}"`} to read; the workbook has ${names}`);
  }
  return sheets;
}

/** Decodes text bytes: UTF-8 (BOM dropped) or UTF-16 with a BOM. */
export function decodeText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b[0] === 0xfe && b[1] === 0xff) return new TextDecoder('utf-16be').decode(b.subarray(2));
  return new TextDecoder('utf-8').decode(b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b);
}

/** The delimiter (comma, semicolon, tab) that splits the first lines most consistently. */
function delimiter(text: string): string {
  const lines = text.slice(0, 20_000).split(/\r?\n/).slice(0, 20).filter(Boolean);
  let best = ',';
  let bestScore = -1;
  for (const d of [',', ';', '\t', '|']) {
    const counts = lines.map((l) => l.split(d).length - 1);
    const min = Math.min(...counts);
    const score = min > 0 ? min * 10 + (counts.every((c) => c === counts[0]) ? 5 : 0) : 0;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

const QUOTED = /"([^"]*(?:""[^"]*)*)"/y;

/** CSV (RFC 4180 quoting, delimiter detected) as one markdown table. */
export function readCsv(bytes: Uint8Array, out: Collector, rows: Range | undefined): void {
  const text = decodeText(bytes);
  const d = delimiter(text);
  const w = new SheetWriter(out, 'Table');
  let n = 0;
  let row: string[] = [];
  let field = '';
  let i = 0;
  const endRow = (): boolean => {
    row.push(field);
    field = '';
    n++;
    const filled = row.filter(Boolean).length;
    const r = row;
    row = [];
    if (!count(out, filled)) return false;
    if (past(n, rows)) return false;
    if (filled && inRange(n, rows)) w.row(n, r);
    return true;
  };
  const special = new RegExp(`[\r\n${d === '\t' ? '\\t' : d === '|' ? '\\|' : d}]`, 'g');
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"' && field === '') {
      QUOTED.lastIndex = i;
      const m = QUOTED.exec(text);
      field = m ? m[1].replace(/""/g, '"') : text.slice(i + 1);
      i = m ? QUOTED.lastIndex : text.length;
      continue;
    }
    if (ch === d) {
      row.push(field);
      field = '';
      i++;
      continue;
    }
    if (ch === '\n' || ch === '\r') {
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      if (!endRow()) break;
      continue;
    }
    special.lastIndex = i;
    const m = special.exec(text);
    const stop = m ? m.index : text.length;
    field += text.slice(i, stop);
    i = stop;
  }
  if (field || row.length) endRow();
  w.end('(empty)');
}
