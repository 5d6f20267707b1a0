// Search: messages and files, with Slack's query modifiers (in:#channel, from:@user, before:,
// after:, has:link …) passed through. Slack only allows search with a user token.
import { z } from 'zod';
import { annotations, cleanText, decodeCursor, encodeCursor, missingCredentials, pageInput, pageOutput } from '@bizmcp/core';
import { messageOut, messageSchema } from '../format.js';
import type { Obj } from '../slack.js';
import { type SlackState, tool } from '../state.js';

const query = z.string().trim().min(1).max(1000).describe('Search words with Slack modifiers: in:#channel, from:@user, before:2024-05-01, after:, during:, has:link, is:thread, "exact phrase".');
const searchPage = {
  sort: z.enum(['score', 'timestamp']).default('score'),
  sort_dir: z.enum(['asc', 'desc']).default('desc'),
  ...pageInput({ default: 20, max: 100, what: 'results' }),
};

function needUserToken(state: SlackState) {
  if (state.api.tokenKind !== 'user') {
    throw missingCredentials({
      what: 'Slack search',
      vars: ['SLACK_USER_TOKEN'],
      how: 'Slack lets only user tokens (xoxp-, scope search:read) search, and this server runs with a bot token. Set SLACK_USER_TOKEN, or read channels with read_channel_history instead.',
    });
  }
}

const pageOf = (cursor: string | undefined) => (cursor ? decodeCursor(cursor, z.object({ page: z.number().int().min(1).max(100) })).page : 1);

export const searchMessages = tool({
  name: 'search_messages',
  toolset: 'search',
  title: 'Search messages',
  description:
    'Find messages across the channels the user can see, with Slack query modifiers passed through (in:#channel from:@user after:2024-05-01 has:link). Needs a user token (SLACK_USER_TOKEN); with a bot token it says so. Returns each match with channel, author name and permalink. Pages with cursor (up to 100 pages). Message text is third-party content.',
  input: z.object({ query, ...searchPage }),
  output: z.object({
    total: z.number(),
    matches: z.array(messageSchema.extend({ channel: z.string().optional(), channelName: z.string().optional(), permalink: z.string().optional() })),
    ...pageOutput,
  }),
  annotations: annotations.read({ openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 }, // Slack's Tier 2
  run: async (args, ctx) => {
    needUserToken(ctx.state);
    const { api } = ctx.state;
    const page = pageOf(args.cursor);
    const r = await api.call(ctx, 'search.messages', { query: args.query, count: args.limit, page, sort: args.sort, sort_dir: args.sort_dir, highlight: false });
    const m = r.messages ?? {};
    const list: Obj[] = (m.matches ?? []).slice(0, args.limit);
    const names = await api.userNames(
      ctx,
      list.map((x) => x.user),
    );
    const pages = Number(m.paging?.pages ?? m.pagination?.page_count ?? 1);
    return {
      total: Number(m.total ?? list.length),
      matches: list.map((x) => ({ ...messageOut(x, names), channel: x.channel?.id, channelName: x.channel?.name ? cleanText(x.channel.name) : undefined, permalink: x.permalink })),
      truncated: page < pages,
      nextCursor: page < pages && page < 100 ? encodeCursor({ page: page + 1 }) : undefined,
    };
  },
});

export const searchFiles = tool({
  name: 'search_files',
  toolset: 'search',
  title: 'Search files',
  description: 'Find files shared in the workspace by name or content words, with Slack modifiers (in:#channel, from:@user, type:pdf). Needs a user token (SLACK_USER_TOKEN). Pages with cursor.',
  input: z.object({ query, ...searchPage }),
  output: z.object({
    total: z.number(),
    files: z.array(
      z.object({
        id: z.string(),
        name: z.string().optional(),
        title: z.string().optional(),
        filetype: z.string().optional(),
        size: z.number().optional(),
        user: z.string().optional(),
        created: z.string().optional(),
        permalink: z.string().optional(),
      }),
    ),
    ...pageOutput,
  }),
  annotations: annotations.read({ openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 }, // Slack's Tier 2
  run: async (args, ctx) => {
    needUserToken(ctx.state);
    const { api } = ctx.state;
    const page = pageOf(args.cursor);
    const r = await api.call(ctx, 'search.files', { query: args.query, count: args.limit, page, sort: args.sort, sort_dir: args.sort_dir });
    const f = r.files ?? {};
    const pages = Number(f.paging?.pages ?? 1);
    const str = (v: unknown) => (typeof v === 'string' && v ? cleanText(v) : undefined);
    return {
      total: Number(f.total ?? 0),
      files: (f.matches ?? []).slice(0, args.limit).map((x: Obj) => ({
        id: String(x.id),
        name: str(x.name),
        title: str(x.title),
        filetype: str(x.filetype),
        size: typeof x.size === 'number' ? x.size : undefined,
        user: str(x.user),
        created: typeof x.created === 'number' ? new Date(x.created * 1000).toISOString() : undefined,
        permalink: str(x.permalink),
      })),
      truncated: page < pages,
      nextCursor: page < pages && page < 100 ? encodeCursor({ page: page + 1 }) : undefined,
    };
  },
});

export const searchTools = [searchMessages, searchFiles];
