// What every tool that hands a document's text to a model shares: the arguments (pages, sheet,
// rows, hidden content, window size, cursor), the output fields, and the text shown to the model.
import { z } from 'zod';
import { ToolError } from '../errors.js';
import type { DocumentText, ExtractOptions } from './index.js';
import type { Range } from './types.js';

const rangeArg = (what: string) =>
  z
    .string()
    .regex(/^\s*\d+\s*(-\s*\d*\s*)?$/, `Use N, N-M or N- (${what} are numbered from 1)`)
    .optional();

/** Input fields of a document-reading tool (snake_case, like every tool argument). */
export const documentArgs = {
  pages: rangeArg('pages').describe('PDF pages or presentation slides to read: "3", "2-5" or "10-" (numbered from 1). Default: all, up to the page cap.'),
  sheet: z
    .union([z.string().min(1).max(200), z.number().int().min(1)])
    .optional()
    .describe('Workbook only: the one sheet to read, by name or by position (1 = first). Default: every visible sheet.'),
  rows: rangeArg('rows').describe('Workbook or CSV only: the rows to read, "100-200" (the numbers in the # column). Default: all, up to the row cap.'),
  include_hidden: z.boolean().default(false).describe('Also read hidden sheets and hidden slides (marked as hidden). Hidden Word text is never read.'),
  max_chars: z.number().int().min(1000).max(200_000).default(40_000).describe('Characters of text to return in this call; the rest comes with nextCursor.'),
  cursor: z.string().max(4096).optional().describe('nextCursor from the previous call on the same document with the same pages/sheet/rows, unchanged.'),
};

export interface DocumentArgs {
  pages?: string;
  sheet?: string | number;
  rows?: string;
  include_hidden?: boolean;
  max_chars?: number;
  cursor?: string;
}

/** Output fields of a document-reading tool. */
export const documentOutput = {
  type: z.string().describe('Detected format: pdf, docx, xlsx, pptx, odt, ods, odp, csv or text'),
  mediaType: z.string(),
  text: z.string().describe('The text, as markdown: page/slide markers, headings, lists, tables (one per sheet)'),
  offset: z.number().describe('Character offset of this text in the whole document text'),
  truncated: z.boolean().describe('More text follows: call again with nextCursor'),
  nextCursor: z.string().optional(),
  pages: z.number().optional().describe('Pages (PDF) or slides (presentation) in the document'),
  sheets: z.array(z.object({ name: z.string(), hidden: z.boolean(), read: z.boolean() })).optional(),
  capped: z.array(z.string()).describe('Caps reached: the text stops there, for the reason given'),
  dropped: z.record(z.string(), z.number()).describe('Hidden content left out, by kind'),
  invisibleRemoved: z.number().describe('Invisible characters removed from the text'),
};

export function parseRange(s: string | undefined): Range | undefined {
  if (s === undefined) return undefined;
  const m = /^\s*(\d+)\s*(-\s*(\d*)\s*)?$/.exec(s);
  if (!m) throw new ToolError(`Not a range: "${s}"`, { code: 'invalid_argument', hint: 'Use N, N-M or N-.' });
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : m[3] ? Number(m[3]) : undefined;
  if (from < 1 || (to !== undefined && to < from)) throw new ToolError(`Not a range: "${s}"`, { code: 'invalid_argument', hint: 'Numbers start at 1; the second is not below the first.' });
  return { from, ...(to === undefined ? {} : { to }) };
}

/** ExtractOptions from a tool's arguments and context. */
export function documentOptions(args: DocumentArgs, ctx: { signal: AbortSignal; deadline: number }, hint?: string): ExtractOptions {
  return {
    signal: ctx.signal,
    deadline: ctx.deadline,
    maxChars: args.max_chars ?? 40_000,
    ...(args.cursor ? { cursor: args.cursor } : {}),
    ...(args.pages ? { pages: parseRange(args.pages) } : {}),
    ...(args.rows ? { rows: parseRange(args.rows) } : {}),
    ...(args.sheet !== undefined ? { sheet: args.sheet } : {}),
    includeHidden: !!args.include_hidden,
    ...(hint ? { hint } : {}),
  };
}

/** The text a model reads: the document's text, then one line per thing it should know. */
export function documentText(r: Pick<DocumentText, 'text' | 'truncated' | 'nextCursor' | 'capped' | 'dropped'>, heading?: string): string {
  const notes: string[] = [];
  if (r.truncated) notes.push(`[more text follows: call again with cursor "${r.nextCursor}"]`);
  for (const c of r.capped) notes.push(`[stopped at a cap: ${c}]`);
  const dropped = Object.entries(r.dropped).map(([k, n]) => `${n} ${k}`);
  if (dropped.length) notes.push(`[left out: ${dropped.join(', ')}${r.dropped['hidden sheets'] || r.dropped['hidden slides'] ? '; include_hidden reads hidden sheets and slides' : ''}]`);
  return `${heading ? `${heading}\n\n` : ''}${r.text}${notes.length ? `\n${notes.join('\n')}` : ''}`;
}
