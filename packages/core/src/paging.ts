// Paging: every list or read is bounded and says when it stopped early. The same argument and result
// fields everywhere (`limit`, `cursor` in; `truncated`, `nextCursor` out), and opaque cursors that a
// model passes back unchanged: the server's own position, encoded, checked when it comes back.
import { z } from 'zod';
import { ToolError } from './errors.js';

/** Input fields: `limit` (1..max, default) and an optional `cursor` from a previous page. */
export function pageInput(o: { default: number; max: number; what?: string }) {
  return {
    limit: z
      .number()
      .int()
      .min(1)
      .max(o.max)
      .default(o.default)
      .describe(`How many ${o.what ?? 'items'} to return (at most ${o.max}).`),
    cursor: z.string().max(4096).optional().describe('nextCursor from the previous page, unchanged; omit for the first page.'),
  };
}

/** Output fields: `truncated` (more exist) and `nextCursor` (pass it back to continue). */
export const pageOutput = {
  truncated: z.boolean().describe('true when more items exist than were returned.'),
  nextCursor: z.string().optional().describe('Pass as cursor to get the next page (present when truncated).'),
};

/** A page result from the items fetched (ask for `limit + 1` to learn whether more exist). */
export function page<T>(items: T[], limit: number, next: (last: T) => unknown): { items: T[]; truncated: boolean; nextCursor?: string } {
  if (items.length <= limit) return { items, truncated: false };
  const kept = items.slice(0, limit);
  return { items: kept, truncated: true, nextCursor: encodeCursor(next(kept[kept.length - 1])) };
}

/** An opaque cursor: the position as base64url JSON. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a cursor, checked by a zod schema or a type guard; a bad one is an invalid_argument error. */
export function decodeCursor<T>(cursor: string, check: z.ZodType<T> | ((v: unknown) => v is T)): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const ok = typeof check === 'function' ? check(raw) : check.safeParse(raw).success;
  if (!ok) throw new ToolError('Invalid cursor: not one this tool returned', { code: 'invalid_argument', hint: 'Pass nextCursor from the previous result unchanged, or omit cursor to start again.' });
  return typeof check === 'function' ? (raw as T) : (check as z.ZodType<T>).parse(raw);
}
