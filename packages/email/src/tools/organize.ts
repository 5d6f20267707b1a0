// Organising tools: mark_email (seen/flagged) and move_email.
import { z } from 'zod';
import { toolsFor, ToolError } from '@bizmcp/core';
import type { ImapFlow } from 'imapflow';
import type { EmailState } from '../state.js';
import { imapString, mailboxArg } from './schemas.js';

const tool = toolsFor<EmailState>();
const uidsArg = z.array(z.number().int().positive()).min(1).max(100).describe('UIDs in that mailbox (1-100).');

/** The UIDs of `uids` that exist in the selected mailbox (one UID SEARCH), in the caller's order. */
async function existing(c: ImapFlow, uids: number[]): Promise<{ found: number[]; notFound: number[] }> {
  const unique = [...new Set(uids)];
  const hits = new Set((await c.search({ uid: unique.join(',') }, { uid: true })) || []);
  return { found: unique.filter((u) => hits.has(u)), notFound: unique.filter((u) => !hits.has(u)) };
}

const noneFound = (mailbox: string, uids: number[]) =>
  new ToolError(`No message with uid ${uids.join(', ')} in ${mailbox}: nothing changed`, {
    code: 'not_found',
    hint: 'UIDs come from read_inbox or search_emails for the same mailbox; a moved message gets a new UID in its new mailbox.',
  });

export const markEmail = tool({
  name: 'mark_email',
  toolset: 'organize',
  title: 'Mark email',
  description:
    'Marks messages as read/unread (seen) and/or flagged/unflagged (starred). Give at least one of seen or flagged. Reversible. Returns the UIDs marked and, separately, those not found in the mailbox.',
  input: z.object({
    mailbox: mailboxArg,
    uids: uidsArg,
    seen: z.boolean().optional().describe('true: mark read; false: mark unread.'),
    flagged: z.boolean().optional().describe('true: flag (star); false: unflag.'),
  }),
  output: z.object({
    mailbox: z.string(),
    uids: z.array(z.number()).describe('UIDs that were marked.'),
    notFound: z.array(z.number()).describe('UIDs with no message in the mailbox (nothing done for them).'),
    seen: z.boolean().optional(),
    flagged: z.boolean().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    if (args.seen === undefined && args.flagged === undefined) throw new ToolError('Give seen and/or flagged', { code: 'invalid_argument' });
    const { found, notFound } = await ctx.state.imap.withMailbox(args.mailbox, { readOnly: false, signal: ctx.signal }, async (c) => {
      const which = await existing(c, args.uids);
      if (!which.found.length) throw noneFound(args.mailbox, which.notFound);
      const range = which.found.join(',');
      for (const [flag, on] of [
        ['\\Seen', args.seen],
        ['\\Flagged', args.flagged],
      ] as const) {
        if (on === undefined) continue;
        if (on) await c.messageFlagsAdd(range, [flag], { uid: true });
        else await c.messageFlagsRemove(range, [flag], { uid: true });
      }
      return which;
    });
    return { mailbox: args.mailbox, uids: found, notFound, ...(args.seen !== undefined ? { seen: args.seen } : {}), ...(args.flagged !== undefined ? { flagged: args.flagged } : {}) };
  },
});

export const moveEmail = tool({
  name: 'move_email',
  toolset: 'organize',
  title: 'Move email',
  description:
    'Moves messages to another mailbox (for example Archive or Trash; list_mailboxes gives the names). Returns the new UIDs when the server reports them. Nothing is deleted permanently: a message moved by mistake can be moved back.',
  input: z.object({
    mailbox: mailboxArg,
    uids: uidsArg,
    destination: imapString(500).min(1).describe('Target mailbox path.'),
  }),
  output: z.object({
    from: z.string(),
    to: z.string(),
    moved: z.array(z.object({ uid: z.number(), newUid: z.number().optional() })).describe('Messages moved, with their new UID when the server reports it.'),
    notFound: z.array(z.number()).describe('UIDs with no message in the source mailbox (nothing moved for them).'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(args, ctx) {
    if (args.destination === args.mailbox) throw new ToolError('The destination is the same mailbox', { code: 'invalid_argument' });
    const boxes = await ctx.state.imap.list(ctx.signal, true);
    if (!boxes.some((b) => b.path === args.destination)) throw new ToolError(`Mailbox not found: ${args.destination}`, { code: 'not_found', hint: 'Call list_mailboxes for the exact names.' });
    const { found, notFound, map } = await ctx.state.imap.withMailbox(args.mailbox, { readOnly: false, signal: ctx.signal }, async (c) => {
      const which = await existing(c, args.uids);
      if (!which.found.length) throw noneFound(args.mailbox, which.notFound);
      const res = await c.messageMove(which.found.join(','), args.destination, { uid: true });
      return { ...which, map: res && typeof res === 'object' ? res.uidMap : undefined };
    });
    return { from: args.mailbox, to: args.destination, moved: found.map((uid) => (map?.get(uid) ? { uid, newUid: map.get(uid) } : { uid })), notFound };
  },
});

export const organizeTools = [markEmail, moveEmail];
