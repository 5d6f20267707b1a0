// Users: list (paged), one by id, e-mail or handle, presence. Names and titles are third-party text.
import { z } from 'zod';
import { annotations, cleanText, pageInput, pageOutput, ToolError } from '@bizmcp/core';
import type { Obj } from '../slack.js';
import { tool } from '../state.js';

export const userSchema = z.object({
  id: z.string(),
  name: z.string().describe('Handle.'),
  realName: z.string().optional(),
  displayName: z.string().optional(),
  title: z.string().optional(),
  email: z.string().optional().describe('Only with the users:read.email scope.'),
  timezone: z.string().optional(),
  isBot: z.boolean(),
  isAdmin: z.boolean().optional(),
  deleted: z.boolean(),
  isExternal: z.boolean().optional().describe('From another organisation (Slack Connect).'),
});

const s = (v: unknown) => (typeof v === 'string' && v ? cleanText(v) : undefined);

export function userOut(u: Obj): z.infer<typeof userSchema> {
  return {
    id: String(u.id),
    name: cleanText(u.name ?? u.id),
    realName: s(u.real_name) ?? s(u.profile?.real_name),
    displayName: s(u.profile?.display_name),
    title: s(u.profile?.title),
    email: s(u.profile?.email),
    timezone: s(u.tz),
    isBot: u.is_bot === true,
    isAdmin: typeof u.is_admin === 'boolean' ? u.is_admin : undefined,
    deleted: u.deleted === true,
    isExternal: u.is_stranger === true || (typeof u.team_id === 'string' && u.is_restricted === true) ? true : undefined,
  };
}

export const listUsers = tool({
  name: 'list_users',
  toolset: 'users',
  title: 'List users',
  description: 'People (and bots) of the workspace with handle, real name, title, time zone; deleted accounts left out unless include_deleted. Pages with cursor.',
  input: z.object({ include_deleted: z.boolean().default(false), include_bots: z.boolean().default(true), ...pageInput({ default: 100, max: 1000, what: 'users' }) }),
  output: z.object({ users: z.array(userSchema), ...pageOutput }),
  annotations: annotations.read({ openWorld: true }),
  rateLimit: { points: 20, durationSec: 60 }, // Slack's Tier 2
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const r = await api.call(ctx, 'users.list', { limit: args.limit, cursor: args.cursor });
    const list: Obj[] = (r.members ?? []).slice(0, args.limit);
    for (const u of list) api.rememberUser(u);
    const next = r.response_metadata?.next_cursor || undefined;
    return {
      users: list.filter((u) => (args.include_deleted || !u.deleted) && (args.include_bots || !u.is_bot)).map(userOut),
      truncated: Boolean(next),
      nextCursor: next,
    };
  },
});

export const getUser = tool({
  name: 'get_user',
  toolset: 'users',
  title: 'Get a user',
  description: 'One person by user id (U…), e-mail address (needs users:read.email) or handle (@ada; looked up in the user list, at most 20 000 users).',
  input: z.object({ user: z.string().trim().min(1).max(254).describe('U0123ABCD, ada@example.com or @ada.') }),
  output: z.object({ user: userSchema }),
  annotations: annotations.read({ openWorld: true }),
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const q = args.user;
    if (/^[UW][A-Z0-9]{6,20}$/.test(q)) {
      const r = await api.call(ctx, 'users.info', { user: q });
      api.rememberUser(r.user);
      return { user: userOut(r.user) };
    }
    if (q.includes('@') && !q.startsWith('@')) {
      const r = await api.call(ctx, 'users.lookupByEmail', { email: q });
      api.rememberUser(r.user);
      return { user: userOut(r.user) };
    }
    const handle = q.replace(/^@/, '').toLowerCase();
    let cursor: string | undefined;
    for (let p = 0; p < 20; p++) {
      const r = await api.call(ctx, 'users.list', { limit: 1000, cursor });
      for (const u of r.members ?? []) {
        api.rememberUser(u);
        if (String(u.name).toLowerCase() === handle || String(u.profile?.display_name ?? '').toLowerCase() === handle) return { user: userOut(u) };
      }
      cursor = r.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    throw new ToolError(`No user with the handle @${handle} was found.`, { code: 'not_found', hint: 'Try the user id (U…) or their e-mail address.', details: { field: 'user' } });
  },
});

export const getUserPresence = tool({
  name: 'get_user_presence',
  toolset: 'users',
  title: 'Get user presence',
  description: 'Whether a user (id U…) is active or away right now.',
  input: z.object({
    user: z
      .string()
      .trim()
      .regex(/^[UW][A-Z0-9]{6,20}$/, 'a user id (U…)'),
  }),
  output: z.object({ user: z.string(), name: z.string().optional(), presence: z.string(), online: z.boolean().optional() }),
  annotations: annotations.read({ openWorld: true }),
  rateLimit: { points: 50, durationSec: 60 }, // Slack's Tier 3
  run: async (args, ctx) => {
    const { api } = ctx.state;
    const [r, name] = await Promise.all([api.call(ctx, 'users.getPresence', { user: args.user }), api.userName(ctx, args.user)]);
    return { user: args.user, name, presence: String(r.presence ?? 'unknown'), online: typeof r.online === 'boolean' ? r.online : undefined };
  },
});

export const userTools = [listUsers, getUser, getUserPresence];
