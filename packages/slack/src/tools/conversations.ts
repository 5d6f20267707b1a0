// Conversations: list and inspect channels, threads, members and links; join and create channels
// (writes only where SLACK_ALLOWED_CHANNELS allows; a new channel's name must match it, e.g. #proj-*).
import { z } from 'zod';
import { annotations, pageInput, pageOutput, ToolError } from '@bizmcp/core';
import { channelArg, channelSchema, messageSchema, messagesOut, tsArg } from '../format.js';
import { type Obj, writesOn } from '../slack.js';
import { tool } from '../state.js';

/** Slack's rule for channel names: lower-case letters, digits, "-", "_", at most 80 characters. */
export const channelName = z
  .string()
  .trim()
  .transform((s) => s.replace(/^#/, ''))
  .pipe(
    z
      .string()
      .min(1)
      .max(80)
      .regex(/^[\p{Ll}\p{Lo}\p{N}_-]+$/u, 'Slack channel names are lower-case letters, digits, "-" and "_", without spaces or periods'),
  )
  .describe('Name without "#": lower-case letters, digits, "-" and "_", at most 80 characters.');

export const createChannel = tool({
  name: 'create_channel',
  toolset: 'conversations',
  title: 'Create a channel',
  description:
    'Create a public or private channel whose name SLACK_ALLOWED_CHANNELS allows (an operator typically allows a prefix such as #proj-*). The name is checked as Slack does (lower case, digits, "-", "_", up to 80). A name already taken is reported as a conflict. Returns the new channel.',
  input: z.object({
    name: channelName,
    is_private: z.boolean().default(false).describe('Create a private channel.'),
  }),
  output: z.object({ channel: channelSchema }),
  annotations: annotations.additive({ openWorld: true }),
  enabled: writesOn,
  rateLimit: { points: 10, durationSec: 60 },
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const allow = api.allowList();
    if (!allow.allowsChannel({ name: args.name })) {
      throw new ToolError(`Channel name #${args.name} is not allowed by SLACK_ALLOWED_CHANNELS; no channel was created.`, {
        code: 'access_denied',
        hint: `Allowed: ${allow.describe().slice(0, 20).join(', ')}. Use a name these allow (a prefix such as #proj-*), or ask the operator.`,
        details: { refused: `#${args.name}`, field: 'name', variable: 'SLACK_ALLOWED_CHANNELS' },
      });
    }
    const r = await api.call(ctx, 'conversations.create', { name: args.name, is_private: args.is_private }, { write: true });
    return { channel: api.rememberChannel(r.channel) };
  },
});

const channelTypes = z
  .array(z.enum(['public_channel', 'private_channel', 'mpim', 'im']))
  .min(1)
  .default(['public_channel', 'private_channel'])
  .describe('Kinds of conversation: public_channel, private_channel, mpim (group DMs), im (DMs).');

export const listChannels = tool({
  name: 'list_channels',
  toolset: 'conversations',
  title: 'List channels',
  description:
    'Channels the token can see, with id, name, privacy, member count, topic and purpose; member_only keeps those the app (or user) is in. Archived channels are left out unless include_archived. Pages with cursor (Slack may return fewer than limit per page).',
  input: z.object({
    types: channelTypes,
    member_only: z.boolean().default(false).describe('Only conversations this token is a member of (users.conversations).'),
    include_archived: z.boolean().default(false),
    ...pageInput({ default: 100, max: 1000, what: 'channels' }),
  }),
  output: z.object({ channels: z.array(channelSchema), ...pageOutput }),
  annotations: annotations.read({ openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 }, // Slack's Tier 2
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const r = await api.call(ctx, args.member_only ? 'users.conversations' : 'conversations.list', {
      types: args.types.join(','),
      exclude_archived: !args.include_archived,
      limit: args.limit,
      cursor: args.cursor,
    });
    const next = r.response_metadata?.next_cursor || undefined;
    return { channels: (r.channels ?? []).slice(0, args.limit).map((c: Obj) => api.rememberChannel(c)), truncated: Boolean(next), nextCursor: next };
  },
});

export const getChannelInfo = tool({
  name: 'get_channel_info',
  toolset: 'conversations',
  title: 'Get channel info',
  description:
    'One channel by id or #name: privacy, archived, Slack Connect (shared), whether this token is a member, member count, topic, purpose, creation time; and whether this server may write to it.',
  input: z.object({ channel: channelArg }),
  output: z.object({ channel: channelSchema, writable: z.boolean().describe('SLACK_ALLOWED_CHANNELS allows writes here (and it is not a refused Slack Connect channel).') }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const { api, config } = ctx.state;
    const info = await api.channelInfo(ctx, await api.channelId(ctx, args.channel));
    const writable = Boolean(config.channels?.allowsChannel({ id: info.id, name: info.name })) && (!info.isExtShared || config.allowExternal);
    return { channel: info, writable };
  },
});

export const getThreadReplies = tool({
  name: 'get_thread_replies',
  toolset: 'conversations',
  title: 'Get thread replies',
  description:
    "A thread: its parent message first, then the replies oldest first, with authors' names. Give the channel and the parent's ts (threadTs or ts from read_channel_history). Pages with cursor. Message text is third-party content.",
  input: z.object({ channel: channelArg, thread_ts: tsArg('ts of the thread’s parent message.'), ...pageInput({ default: 100, max: 1000, what: 'messages' }) }),
  output: z.object({ channel: z.string(), messages: z.array(messageSchema), ...pageOutput }),
  annotations: annotations.read({ openWorld: true }),
  rateLimit: { points: 50, durationSec: 60 }, // Slack's Tier 3
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const id = await api.channelId(ctx, args.channel);
    const r = await api.call(ctx, 'conversations.replies', { channel: id, ts: args.thread_ts, limit: args.limit, cursor: args.cursor });
    const next = r.response_metadata?.next_cursor || undefined;
    return { channel: id, messages: await messagesOut(ctx, api, (r.messages ?? []).slice(0, args.limit)), truncated: Boolean(next) || r.has_more === true, nextCursor: next };
  },
});

export const getPermalink = tool({
  name: 'get_permalink',
  toolset: 'conversations',
  title: 'Get a message link',
  description: 'The permanent https link to a message (channel + ts), to share or cite it.',
  input: z.object({ channel: channelArg, message_ts: tsArg('The message ts.') }),
  output: z.object({ channel: z.string(), ts: z.string(), permalink: z.string() }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const id = await api.channelId(ctx, args.channel);
    const r = await api.call(ctx, 'chat.getPermalink', { channel: id, message_ts: args.message_ts });
    return { channel: id, ts: args.message_ts, permalink: String(r.permalink) };
  },
});

export const listChannelMembers = tool({
  name: 'list_channel_members',
  toolset: 'conversations',
  title: 'List channel members',
  description: 'Members of a channel: user ids with their handles. Pages with cursor.',
  input: z.object({ channel: channelArg, ...pageInput({ default: 100, max: 1000, what: 'members' }) }),
  output: z.object({ channel: z.string(), members: z.array(z.object({ id: z.string(), name: z.string().optional() })), ...pageOutput }),
  annotations: annotations.read({ openWorld: true }),
  rateLimit: { points: 100, durationSec: 60 }, // Slack's Tier 4
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const id = await api.channelId(ctx, args.channel);
    const r = await api.call(ctx, 'conversations.members', { channel: id, limit: args.limit, cursor: args.cursor });
    const ids: string[] = (r.members ?? []).slice(0, args.limit);
    const names = await api.userNames(ctx, ids);
    const next = r.response_metadata?.next_cursor || undefined;
    return { channel: id, members: ids.map((u) => ({ id: u, name: names.get(u) })), truncated: Boolean(next), nextCursor: next };
  },
});

export const joinChannel = tool({
  name: 'join_channel',
  toolset: 'conversations',
  title: 'Join a channel',
  description:
    'Make this token a member of a public channel that SLACK_ALLOWED_CHANNELS allows (needed before a bot can post or read history there). Joining one it is already in is reported, not an error.',
  input: z.object({ channel: channelArg }),
  output: z.object({ channel: channelSchema, alreadyMember: z.boolean() }),
  annotations: annotations.additive({ idempotent: true, openWorld: true }),
  enabled: writesOn,
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const ch = await api.writableChannel(ctx, args.channel, 'the channel was not joined');
    const r = await api.call(ctx, 'conversations.join', { channel: ch.id }, { write: true });
    const warned = String(r.warning ?? '') + String(r.response_metadata?.warnings ?? '');
    return { channel: api.rememberChannel(r.channel ?? { id: ch.id }), alreadyMember: /already_in_channel/.test(warned) };
  },
});

export const conversationTools = [listChannels, getChannelInfo, getThreadReplies, getPermalink, listChannelMembers, joinChannel, createChannel];
