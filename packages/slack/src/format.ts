// How Slack objects are shown: ids with names beside them, every third-party string through core's
// untrusted-text layer, times in ISO beside Slack's ts.
import { z } from 'zod';
import { cleanDeep, cleanText } from '@bizmcp/core';
import { type Obj, type SlackApi, tsToIso } from './slack.js';

type Ctx = Parameters<SlackApi['userNames']>[0];

export const messageSchema = z.object({
  ts: z.string().describe('Slack timestamp: the message id within its channel.'),
  time: z.string().optional().describe('The ts as an ISO date-time.'),
  user: z.string().optional(),
  userName: z.string().optional(),
  botId: z.string().optional(),
  subtype: z.string().optional(),
  text: z.string(),
  threadTs: z.string().optional(),
  replyCount: z.number().optional(),
  edited: z.boolean().optional(),
  reactions: z.array(z.object({ name: z.string(), count: z.number() })).optional(),
  files: z.array(z.object({ id: z.string(), name: z.string().optional(), size: z.number().optional() })).optional(),
  attachments: z.array(z.object({ title: z.string().optional(), text: z.string().optional(), url: z.string().optional() })).optional(),
});
export type MessageOut = z.infer<typeof messageSchema>;

export const channelSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  isPrivate: z.boolean(),
  isIm: z.boolean(),
  isMpim: z.boolean(),
  isExtShared: z.boolean().describe('A Slack Connect channel, shared with another organisation.'),
  isArchived: z.boolean(),
  isMember: z.boolean().optional(),
  topic: z.string().optional(),
  purpose: z.string().optional(),
  numMembers: z.number().optional(),
  created: z.string().optional(),
});

export function messageOut(m: Obj, names: Map<string, string>): MessageOut {
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    ts: String(m.ts),
    time: tsToIso(m.ts),
    user: str(m.user),
    userName: m.user ? names.get(m.user) : undefined,
    botId: str(m.bot_id),
    subtype: str(m.subtype),
    text: cleanText(m.text ?? ''),
    threadTs: str(m.thread_ts),
    replyCount: typeof m.reply_count === 'number' ? m.reply_count : undefined,
    edited: m.edited ? true : undefined,
    reactions: Array.isArray(m.reactions) ? m.reactions.map((r: Obj) => ({ name: cleanText(r.name), count: Number(r.count ?? 0) })) : undefined,
    files: Array.isArray(m.files) ? m.files.map((f: Obj) => ({ id: String(f.id), name: f.name ? cleanText(f.name) : undefined, size: typeof f.size === 'number' ? f.size : undefined })) : undefined,
    attachments: Array.isArray(m.attachments)
      ? m.attachments.slice(0, 10).map((a: Obj) => cleanDeep({ title: str(a.title), text: str(a.text) ?? str(a.fallback), url: str(a.title_link) ?? str(a.from_url) }))
      : undefined,
  };
}

/** Messages with their authors' names (resolved lazily, cached). */
export async function messagesOut(ctx: Ctx, api: SlackApi, list: Obj[]): Promise<MessageOut[]> {
  const names = await api.userNames(
    ctx,
    list.map((m) => m.user),
  );
  return list.map((m) => messageOut(m, names));
}

/** Channel argument: an id or a #name. */
export const channelArg = z.string().trim().min(1).max(82).describe('Channel id (C0123ABCD, G…, D…) or name (#general).');
export const tsArg = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,12}\.\d{1,6}$/, 'a Slack timestamp such as 1714557600.000100')
    .describe(what);
export const confirmRepeat = {
  confirm_repeat: z.boolean().default(false).describe('Only after a call ended with an UNKNOWN outcome and you checked in the channel that it did not take effect: true to send it again.'),
};
