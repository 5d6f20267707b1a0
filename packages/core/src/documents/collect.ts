// The output window of one extraction: text is cleaned as it is produced (the untrusted-text layer),
// only the requested window [from, from + want) is kept, and reading stops as soon as the window is
// full and one more character is known to exist.
import { countInvisible, stripInvisible } from '../untrusted.js';
import type { DocumentLimits } from './types.js';

/** An error the worker reports as it is (message, code, hint) to the caller. */
export class DocError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_argument' | 'too_large' | 'failed' | 'access_denied' = 'invalid_argument',
    readonly hint?: string,
    /** The bytes are not a format this module reads (as opposed to a damaged or refused document). */
    readonly unsupported = false,
  ) {
    super(message);
  }
}

/** Thrown inside an extractor when the window is full; caught by the worker. */
export const WINDOW_FULL = Symbol('window full');

export class Collector {
  private pos = 0;
  private readonly parts: string[] = [];
  private kept = 0;
  invisible = 0;
  readonly capped: string[] = [];
  readonly dropped: Record<string, number> = {};
  /** Cells and rows counted against the caps, all sheets together. */
  cells = 0;
  rows = 0;

  constructor(
    readonly from: number,
    readonly want: number,
    readonly limits: DocumentLimits,
  ) {}

  /** Adds text; throws WINDOW_FULL once the window is full and more text exists. */
  push(raw: string): void {
    if (!raw) return;
    const n = countInvisible(raw);
    const s = n ? stripInvisible(raw) : raw;
    this.invisible += n;
    const start = this.pos;
    this.pos += s.length;
    const end = this.from + this.want;
    if (this.pos > this.from && start < end) {
      const piece = s.slice(Math.max(0, this.from - start), Math.min(s.length, end - start));
      this.parts.push(piece);
      this.kept += piece.length;
    }
    if (this.pos > end) throw WINDOW_FULL;
  }

  cap(what: string): void {
    if (!this.capped.includes(what)) this.capped.push(what);
  }

  drop(what: string, n = 1): void {
    this.dropped[what] = (this.dropped[what] ?? 0) + n;
  }

  /** The window's text; `next` when more text exists (never splitting a surrogate pair). */
  result(full: boolean): { text: string; truncated: boolean; next?: number } {
    let text = this.parts.join('');
    if (!full) return { text, truncated: false };
    if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
    return { text, truncated: true, next: this.from + text.length };
  }

  get position(): number {
    return this.pos;
  }
}

/** A markdown table cell: one line, pipes escaped. */
export const cell = (s: string): string =>
  s
    .replace(/\r\n?|\n/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();

/** A markdown table from rows of cells; the first row is the header. */
export function table(rows: string[][]): string {
  const width = Math.max(1, ...rows.map((r) => r.length));
  const line = (r: string[]) => `| ${Array.from({ length: width }, (_, i) => cell(r[i] ?? '')).join(' | ')} |`;
  const out = [line(rows[0] ?? []), `|${' --- |'.repeat(width)}`];
  for (const r of rows.slice(1)) out.push(line(r));
  return `${out.join('\n')}\n`;
}

/** Spreadsheet column letters for a 1-based index (1 → A, 27 → AA). */
export function columnName(n: number): string {
  let s = '';
  for (let i = n; i > 0; i = Math.floor((i - 1) / 26)) s = String.fromCharCode(65 + ((i - 1) % 26)) + s;
  return s;
}
