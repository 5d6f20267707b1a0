// Stripe's cursor paging (limit, starting_after / ending_before, has_more) behind core's opaque
// cursors: nextCursor continues to older items, prevCursor goes back to newer ones.
import { z } from 'zod';
import { decodeCursor, encodeCursor, pageInput, pageOutput } from '@bizmcp/core';

const position = z.union([z.object({ a: z.string().min(1) }), z.object({ b: z.string().min(1) })]);

export const listInput = (what: string) => pageInput({ default: 20, max: 100, what: `${what} (newest first)` });
export const listOutput = {
  ...pageOutput,
  prevCursor: z.string().optional().describe('Pass as cursor to go back to the newer items before this page.'),
};

/** Stripe list parameters from `limit` and our cursor. */
export function listParams(args: { limit: number; cursor?: string }): { limit: number; starting_after?: string; ending_before?: string } {
  if (!args.cursor) return { limit: args.limit };
  const p = decodeCursor(args.cursor, position);
  return 'a' in p ? { limit: args.limit, starting_after: p.a } : { limit: args.limit, ending_before: p.b };
}

/** truncated/nextCursor/prevCursor from a Stripe list answer. */
export function pageOf(list: { data: { id: string }[]; has_more: boolean }, params: { starting_after?: string; ending_before?: string }) {
  const first = list.data[0]?.id;
  const last = list.data[list.data.length - 1]?.id;
  const backwards = params.ending_before !== undefined;
  const more = backwards ? Boolean(last) : list.has_more && Boolean(last);
  const newer = backwards ? list.has_more && Boolean(first) : params.starting_after !== undefined && Boolean(first);
  return {
    truncated: more,
    ...(more ? { nextCursor: encodeCursor({ a: last }) } : {}),
    ...(newer ? { prevCursor: encodeCursor({ b: first }) } : {}),
  };
}
