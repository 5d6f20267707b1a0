// Organising tools: mark_email (seen/flagged) and move_email.
import { z } from 'zod';
import { toolsFor, ToolError } from '@bizmcp/core';
import type { EmailState } from '../state.js';
import { mailboxArg } from './schemas.js';

const tool = toolsFor<EmailState>();
const uidsArg = z.array(z.number().int().positive()).min(1).max(100).describe('UIDs in that mailbox (1-100).');

export const markEmail = tool({
  name: 'mark_email',
  toolset: 'organize',
  title: 'Mark email',
  description: 'Marks messages as read/unread (seen) and/or flagged/unflagged (starred). Give at least one of seen or flagged. Reversible.',
  input: z.object({
    mailbox: mailboxArg,
    uids: uidsArg,
    seen: z.boolean().optional().describe('true: mark read; false: mark unread.'),
    flagged: z.boolean().optional().describe('true: flag (star); false: unflag.'),
  }),
  output: z.object({ mailbox: z.string(), uids: z.array(z.number()), seen: z.boolean().optional(), flagged: z.boolean().optional() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    if (args.seen === undefined && args.flagged === undefined) throw new ToolError('Give seen and/or flagged', { code: 'invalid_argument' });
    await ctx.state.imap.withMailbox(args.mailbox, { readOnly: false, signal: ctx.signal }, async (c) => {
      const range = args.uids.join(',');
      for (const [flag, on] of [['\\Seen', args.seen], ['\\Flagged', args.flagged]] as const) {
        if (on === undefined) continue;
        if (on) await c.messageFlagsAdd(range, [flag], { uid: true });
        else await c.messageFlagsRemove(range, [flag], { uid: true });
      }
    });
    return { mailbox: args.mailbox, uids: args.uids, ...(args.seen !== undefined ? { seen: args.seen } : {}), ...(args.flagged !== undefined ? { flagged: args.flagged } : {}) };
  },
});

export const moveEmail = tool({
  name: 'move_email',
  toolset: 'organize',
  title: 'Move email',
  description: 'Moves messages to another mailbox (for example Archive or Trash; list_mailboxes gives the names). Returns the new UIDs when the server reports them. Nothing is deleted permanently: a message moved by mistake can be moved back.',
  input: z.object({
    mailbox: mailboxArg,
    uids: uidsArg,
    destination: z.string().min(1).max(500).describe('Target mailbox path.'),
  }),
  output: z.object({ from: z.string(), to: z.string(), moved: z.array(z.object({ uid: z.number(), newUid: z.number().optional() })) }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(args, ctx) {
    if (args.destination === args.mailbox) throw new ToolError('The destination is the same mailbox', { code: 'invalid_argument' });
    const boxes = await ctx.state.imap.list(ctx.signal, true);
    if (!boxes.some((b) => b.path === args.destination)) throw new ToolError(`Mailbox not found: ${args.destination}`, { code: 'not_found', hint: 'Call list_mailboxes for the exact names.' });
    const res = await ctx.state.imap.withMailbox(args.mailbox, { readOnly: false, signal: ctx.signal }, (c) => c.messageMove(args.uids.join(','), args.destination, { uid: true }));
    const map = res && typeof res === 'object' ? res.uidMap : undefined;
    return { from: args.mailbox, to: args.destination, moved: args.uids.map((uid) => (map?.get(uid) ? { uid, newUid: map.get(uid) } : { uid })) };
  },
});

export const organizeTools = [markEmail, moveEmail];
