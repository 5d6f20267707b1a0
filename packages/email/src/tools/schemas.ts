// Schemas shared by the email tools.
import { z } from 'zod';
import { decodeCursor, encodeCursor, ToolError } from '@bizmcp/core';
import type { ImapFlow, SearchObject } from 'imapflow';
import { snippetOf, summarize, SUMMARY_QUERY, SUMMARY_QUERY_SNIPPET, attachmentNames, type Summary } from '../mail.js';

/** Text that goes into an IMAP command: CR, LF and NUL would end or corrupt it, so they are refused by name. */
export const imapString = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\r\n\0]*$/, 'must not contain CR, LF or NUL characters');

export const mailboxArg = imapString(500).min(1).default('INBOX').describe('Mailbox path as list_mailboxes shows it (default INBOX).');
export const uidArg = z.number().int().positive().describe('The message UID in that mailbox (from read_inbox or search_emails).');

export const personSchema = z.object({ name: z.string().optional(), address: z.string() });
export const flagsSchema = z.object({ seen: z.boolean(), flagged: z.boolean(), answered: z.boolean(), draft: z.boolean() });
export const summarySchema = z.object({
  mailbox: z.string(),
  uid: z.number(),
  messageId: z.string().optional(),
  date: z.string().optional(),
  from: z.array(personSchema),
  to: z.array(personSchema),
  subject: z.string(),
  flags: flagsSchema,
  size: z.number().optional(),
  attachments: z.array(z.string()).describe('Attachment file names.'),
  snippet: z.string().optional().describe('The start of the text body.'),
});

export const pageOutput = z.object({
  mailbox: z.string(),
  messages: z.array(summarySchema),
  total: z.number().nullable().describe('Messages matching in the mailbox (null when not counted: has_attachment filter).'),
  truncated: z.boolean(),
  nextCursor: z.string().optional().describe('Pass as cursor for the next (older) page.'),
});

interface Cursor {
  m: string;
  b: number;
  q: string;
}
const isCursor = (v: unknown): v is Cursor => typeof v === 'object' && v !== null && typeof (v as Cursor).m === 'string' && typeof (v as Cursor).b === 'number' && typeof (v as Cursor).q === 'string';

/**
 * Newest-first paging over the UIDs matching `criteria` (one UID SEARCH, then one FETCH of the
 * page only). The cursor holds the last UID shown, so new mail arriving between pages does not
 * shift or repeat anything. `needAttachment` filters on BODYSTRUCTURE in batches.
 */
export async function pageMessages(
  c: ImapFlow,
  mailbox: string,
  criteria: SearchObject,
  opts: { limit: number; cursor?: string; snippets: boolean; needAttachment?: boolean; fingerprint: string; checkAborted(): void },
): Promise<z.infer<typeof pageOutput>> {
  let before = Number.MAX_SAFE_INTEGER;
  if (opts.cursor) {
    const cur = decodeCursor(opts.cursor, isCursor);
    if (cur.m !== mailbox || cur.q !== opts.fingerprint)
      throw new ToolError('This cursor belongs to another mailbox or other filters', { code: 'invalid_argument', hint: 'Repeat the same filters with the cursor, or start again without it.' });
    before = cur.b;
  }
  const found = (await c.search(criteria, { uid: true })) || [];
  const all = found.filter((u) => u < before).sort((a, b) => b - a);
  opts.checkAborted();
  let pageUids: number[];
  let more: boolean;
  if (opts.needAttachment) {
    pageUids = [];
    let i = 0;
    while (i < all.length && pageUids.length < opts.limit) {
      const batch = all.slice(i, i + 200);
      i += batch.length;
      const withAtt = new Set<number>();
      for await (const m of c.fetch(batch, { uid: true, bodyStructure: true }, { uid: true })) if (attachmentNames(m.bodyStructure).length) withAtt.add(m.uid);
      for (const u of batch) {
        if (!withAtt.has(u)) continue;
        if (pageUids.length < opts.limit) pageUids.push(u);
        else break;
      }
      opts.checkAborted();
    }
    const last = pageUids[pageUids.length - 1];
    more = pageUids.length === opts.limit && all.some((u) => u < last);
  } else {
    pageUids = all.slice(0, opts.limit);
    more = all.length > opts.limit;
  }
  const byUid = new Map<number, Summary>();
  if (pageUids.length) {
    // snippets are parsed while the rest of the page arrives, all awaited once it has
    const snippets: Promise<void>[] = [];
    for await (const m of c.fetch(pageUids, opts.snippets ? SUMMARY_QUERY_SNIPPET : SUMMARY_QUERY, { uid: true })) {
      const s = summarize(mailbox, m);
      byUid.set(m.uid, s);
      if (opts.snippets && m.source) {
        snippets.push(
          snippetOf(m.source).then((t) => {
            s.snippet = t;
          }),
        );
      }
    }
    await Promise.all(snippets);
  }
  const messages = pageUids.map((u) => byUid.get(u)).filter((m): m is Summary => Boolean(m));
  const last = pageUids[pageUids.length - 1];
  return {
    mailbox,
    messages,
    total: opts.needAttachment ? null : found.length,
    truncated: more,
    ...(more ? { nextCursor: encodeCursor({ m: mailbox, b: last, q: opts.fingerprint }) } : {}),
  };
}

export function renderPage(r: z.infer<typeof pageOutput>): string {
  if (!r.messages.length) return `No messages in ${r.mailbox}.`;
  const lines = r.messages.map((m) => {
    const f = m.flags;
    const mark = `${f.seen ? ' ' : '*'}${f.flagged ? '!' : ' '}`;
    const from = m.from[0] ? (m.from[0].name ? `${m.from[0].name} <${m.from[0].address}>` : m.from[0].address) : '(no sender)';
    const att = m.attachments.length ? ` [${m.attachments.length} attachment(s): ${m.attachments.slice(0, 3).join(', ')}]` : '';
    return `${mark} uid ${m.uid} | ${m.date ?? '?'} | ${from} | ${m.subject || '(no subject)'}${att}${m.snippet ? `\n      ${m.snippet}` : ''}`;
  });
  const head = `${r.mailbox}: ${r.messages.length} shown${r.total !== null ? ` of ${r.total}` : ''} (newest first; * unread, ! flagged)`;
  return [head, ...lines, ...(r.nextCursor ? [`More: pass cursor "${r.nextCursor}"`] : [])].join('\n');
}
