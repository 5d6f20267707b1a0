// A stateful local Slack Web API for the tests: core's startFakeApi checks every request against
// Slack's Swagger document (test/fixtures/slack_web_openapi_v2_without_examples.json, 2021); the
// handlers keep channels, messages, threads, reactions, files, users and scheduled messages in
// memory, page with response_metadata.next_cursor, answer ok:false errors as Slack does
// (channel_not_found, not_in_channel, missing_scope with `needed`, name_taken, …) and can answer a
// method with 429 + Retry-After.
//
// The document predates the two-step upload (files.getUploadURLExternal,
// files.completeUploadExternal) and search.files: those are added as extra operations following
// Slack's current method documentation; the upload URL itself (POST of the raw bytes) is served here
// under /upload/{file_id}. Newer response fields follow the response samples in
// ../shared/specs/slack/samples and Slack's documentation.
import { join } from 'node:path';
import { type ExtraOperation, type FakeApi, type FakeHandler, type FakeResponse, startFakeApi } from '@bizmcp/core/testing';

type Obj = Record<string, any>;
export const CONTRACT = join(import.meta.dirname, 'fixtures', 'slack_web_openapi_v2_without_examples.json');

const EXTRA: ExtraOperation[] = [
  {
    id: 'files_getUploadURLExternal',
    method: 'POST',
    path: '/api/files.getUploadURLExternal',
    contentTypes: ['application/x-www-form-urlencoded', 'application/json'],
    params: [
      { name: 'filename', in: 'formData', required: true, schema: { type: 'string' } },
      { name: 'length', in: 'formData', required: true, schema: { type: 'integer' } },
      { name: 'alt_txt', in: 'formData', schema: { type: 'string' } },
      { name: 'snippet_type', in: 'formData', schema: { type: 'string' } },
    ],
  },
  {
    id: 'files_completeUploadExternal',
    method: 'POST',
    path: '/api/files.completeUploadExternal',
    contentTypes: ['application/x-www-form-urlencoded', 'application/json'],
    params: [
      { name: 'files', in: 'formData', required: true, schema: { type: 'string' } },
      { name: 'channel_id', in: 'formData', schema: { type: 'string' } },
      { name: 'channels', in: 'formData', schema: { type: 'string' } },
      { name: 'initial_comment', in: 'formData', schema: { type: 'string' } },
      { name: 'thread_ts', in: 'formData', schema: { type: 'string' } },
    ],
  },
  {
    id: 'search_files',
    method: 'POST',
    path: '/api/search.files',
    contentTypes: ['application/x-www-form-urlencoded', 'application/json'],
    params: [
      { name: 'query', in: 'formData', required: true, schema: { type: 'string' } },
      { name: 'count', in: 'formData', schema: { type: 'integer' } },
      { name: 'page', in: 'formData', schema: { type: 'integer' } },
      { name: 'sort', in: 'formData', schema: { type: 'string' } },
      { name: 'sort_dir', in: 'formData', schema: { type: 'string' } },
    ],
  },
  { id: 'upload_bytes', method: 'POST', path: '/upload/{file_id}', contentTypes: ['application/octet-stream'], params: [{ name: 'file_id', in: 'path', required: true, schema: { type: 'string' } }] },
  {
    id: 'file_bytes',
    method: 'GET',
    path: '/files-pri/{file_id}/{name}',
    params: [
      { name: 'file_id', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
    ],
  },
];

export interface FakeChannel extends Obj {
  id: string;
  name: string;
  members: string[];
  messages: Obj[];
}

export interface FakeSlack {
  api: FakeApi;
  url: string;
  /** What SLACK_API_URL should be. */
  apiUrl: string;
  channels: Map<string, FakeChannel>;
  users: Map<string, Obj>;
  files: Map<string, Obj & { bytes?: Buffer }>;
  scheduled: Obj[];
  /** The bot's user id (auth.test). */
  me: string;
  addChannel(c: Partial<FakeChannel> & { name: string }): FakeChannel;
  addUser(u: Partial<Obj> & { name: string }): Obj;
  addMessage(channel: string, m: Partial<Obj>): Obj;
  /** Makes the next call of a method fail: ok:false with `error` (and extra fields), or an HTTP status. */
  failNext(operation: string, error: string | { status: number; headers?: Record<string, string> }, extra?: Obj): void;
  /** Delays the answers of an operation (ms). */
  delay(operation: string, ms: number): void;
  /** The upload_url handed out next (to test a URL on another host). */
  nextUploadUrl?: string;
  /** Scopes granted (missing_scope when a method needs another). */
  scopes: Set<string>;
  /** The token file downloads must carry. */
  token?: string;
  close(): Promise<void>;
}

export async function startFakeSlack(opts: { me?: string } = {}): Promise<FakeSlack> {
  let seq = 0;
  let clock = 1_714_557_600;
  const nextTs = () => `${clock++}.${String(++seq).padStart(6, '0')}`;
  const id = (p: string) => `${p}${String(++seq).padStart(9, '0')}`;
  const me = opts.me ?? 'UBOT000001';
  const channels = new Map<string, FakeChannel>();
  const users = new Map<string, Obj>();
  const files = new Map<string, Obj & { bytes?: Buffer }>();
  const scheduled: Obj[] = [];
  const failures = new Map<string, { error: string | { status: number; headers?: Record<string, string> }; extra?: Obj }>();
  const delays = new Map<string, number>();
  const scopes = new Set([
    'channels:read',
    'channels:history',
    'groups:read',
    'groups:history',
    'chat:write',
    'reactions:write',
    'reactions:read',
    'channels:manage',
    'groups:write',
    'files:write',
    'files:read',
    'users:read',
    'users:read.email',
    'channels:join',
    'search:read',
  ]);
  users.set(me, { id: me, name: 'bizbot', real_name: 'Biz Bot', is_bot: true, profile: { real_name: 'Biz Bot', email: undefined } });

  const okJson = (body: Obj) => ({ status: 200, body: { ok: true, ...body }, headers: { 'content-type': 'application/json', 'x-slack-req-id': `req${++seq}` } });
  const bad = (error: string, extra: Obj = {}) => ({ status: 200, body: { ok: false, error, ...extra }, headers: { 'content-type': 'application/json' } });
  const chan = (cid: unknown) => (typeof cid === 'string' ? channels.get(cid) : undefined);
  const need = (scope: string) => (scopes.has(scope) ? undefined : bad('missing_scope', { needed: scope, provided: [...scopes].join(',') }));
  const pageOf = <T>(all: T[], q: Obj, max = 1000) => {
    const limit = Math.max(1, Math.min(max, Number(q.limit ?? 100)));
    const start = q.cursor
      ? Number(
          Buffer.from(String(q.cursor), 'base64')
            .toString()
            .replace(/^next:/, ''),
        )
      : 0;
    const items = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return { items, more, meta: { next_cursor: more ? Buffer.from(`next:${start + limit}`).toString('base64') : '' } };
  };
  const chanView = (c: FakeChannel) => {
    const { members: _m, messages: _x, ...rest } = c;
    return { ...rest, is_member: c.members.includes(me), num_members: c.members.length };
  };

  const wrap =
    (op: string, h: FakeHandler): FakeHandler =>
    async (req, res) => {
      const d = delays.get(op);
      if (d) await new Promise((r) => setTimeout(r, d));
      const f = failures.get(op);
      if (f) {
        failures.delete(op);
        if (typeof f.error === 'string') return bad(f.error, f.extra);
        return {
          status: f.error.status,
          body: { ok: false, error: f.error.status === 429 ? 'ratelimited' : 'internal_error' },
          headers: { 'content-type': 'application/json', ...(f.error.headers ?? {}) },
        };
      }
      return h(req, res);
    };

  const routes: Record<string, FakeHandler> = {
    auth_test: () => okJson({ url: 'https://fake-workspace.slack.com/', team: 'Fake Workspace', user: 'bizbot', team_id: 'T0FAKE0001', user_id: me, bot_id: 'B0FAKE0001' }),
    conversations_info: (req) => {
      const c = chan(req.body.channel);
      return c ? okJson({ channel: chanView(c) }) : bad('channel_not_found');
    },
    conversations_list: (req) => {
      const types = String(req.body.types ?? 'public_channel').split(',');
      const all = [...channels.values()].filter(
        (c) =>
          (!(req.body.exclude_archived === 'true' || req.body.exclude_archived === true) || !c.is_archived) &&
          ((types.includes('public_channel') && !c.is_private && !c.is_im && !c.is_mpim) ||
            (types.includes('private_channel') && c.is_private) ||
            (types.includes('im') && c.is_im) ||
            (types.includes('mpim') && c.is_mpim)),
      );
      const p = pageOf(all, req.body);
      return okJson({ channels: p.items.map(chanView), response_metadata: p.meta });
    },
    users_conversations: (req) => {
      const types = String(req.body.types ?? 'public_channel').split(',');
      const archivedOut = req.body.exclude_archived === 'true' || req.body.exclude_archived === true;
      const all = [...channels.values()].filter(
        (c) =>
          c.members.includes(me) &&
          (!archivedOut || !c.is_archived) &&
          (c.is_private ? types.includes('private_channel') : c.is_im ? types.includes('im') : c.is_mpim ? types.includes('mpim') : types.includes('public_channel')),
      );
      const p = pageOf(all, req.body);
      return okJson({ channels: p.items.map(chanView), response_metadata: p.meta });
    },
    conversations_history: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      if (!c.members.includes(me) && c.is_private) return bad('not_in_channel');
      const oldest = req.body.oldest ? Number(req.body.oldest) : -Infinity;
      const latest = req.body.latest ? Number(req.body.latest) : Infinity;
      const incl = req.body.inclusive === 'true' || req.body.inclusive === true;
      const all = c.messages
        .filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast')
        .filter((m) => (incl ? Number(m.ts) >= oldest && Number(m.ts) <= latest : Number(m.ts) > oldest && Number(m.ts) < latest))
        .slice()
        .reverse();
      const p = pageOf(all, req.body, 999);
      return okJson({ messages: p.items, has_more: p.more, response_metadata: p.meta });
    },
    conversations_replies: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      const ts = String(req.body.ts);
      const all = c.messages.filter((m) => m.ts === ts || m.thread_ts === ts);
      if (!all.length) return bad('thread_not_found');
      const p = pageOf(all, req.body);
      return okJson({ messages: p.items, has_more: p.more, response_metadata: p.meta });
    },
    chat_postMessage: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      if (!c.members.includes(me)) return bad('not_in_channel');
      if (c.is_archived) return bad('is_archived');
      const blocks = typeof req.body.blocks === 'string' ? JSON.parse(req.body.blocks) : req.body.blocks;
      const m: Obj = { type: 'message', ts: nextTs(), user: me, bot_id: 'B0FAKE0001', text: req.body.text ?? '', ...(blocks ? { blocks } : {}) };
      if (req.body.thread_ts) {
        const parent = c.messages.find((x) => x.ts === req.body.thread_ts);
        if (!parent) return bad('thread_not_found');
        m.thread_ts = String(req.body.thread_ts);
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        if (req.body.reply_broadcast === 'true' || req.body.reply_broadcast === true) m.subtype = 'thread_broadcast';
      }
      c.messages.push(m);
      return okJson({ channel: c.id, ts: m.ts, message: m });
    },
    chat_update: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      const m = c.messages.find((x) => x.ts === req.body.ts);
      if (!m) return bad('message_not_found');
      if (m.user !== me) return bad('cant_update_message');
      if (req.body.text !== undefined) m.text = req.body.text;
      if (req.body.blocks !== undefined) m.blocks = typeof req.body.blocks === 'string' ? JSON.parse(req.body.blocks) : req.body.blocks;
      m.edited = { user: me, ts: nextTs() };
      return okJson({ channel: c.id, ts: m.ts, text: m.text });
    },
    chat_delete: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      const i = c.messages.findIndex((x) => x.ts === req.body.ts);
      if (i < 0) return bad('message_not_found');
      if (c.messages[i].user !== me) return bad('cant_delete_message');
      c.messages.splice(i, 1);
      return okJson({ channel: c.id, ts: req.body.ts });
    },
    chat_getPermalink: (req) => {
      const c = chan(req.body.channel ?? req.query.channel);
      const ts = String(req.body.message_ts ?? req.query.message_ts);
      if (!c) return bad('channel_not_found');
      if (!c.messages.some((m) => m.ts === ts)) return bad('message_not_found');
      return okJson({ channel: c.id, permalink: `https://fake-workspace.slack.com/archives/${c.id}/p${ts.replace('.', '')}` });
    },
    chat_scheduleMessage: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      const at = Number(req.body.post_at);
      if (!(at > clock)) return bad('time_in_past');
      const s = { id: id('Q'), channel_id: c.id, post_at: at, date_created: clock, text: req.body.text ?? '' };
      scheduled.push(s);
      return okJson({ channel: c.id, scheduled_message_id: s.id, post_at: at, message: { text: s.text } });
    },
    chat_scheduledMessages_list: (req) => {
      const all = scheduled.filter((s) => !req.body.channel || s.channel_id === req.body.channel);
      const p = pageOf(all, req.body);
      return okJson({ scheduled_messages: p.items, response_metadata: p.meta });
    },
    reactions_add: (req) => {
      const miss = need('reactions:write');
      if (miss) return miss;
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      const m = c.messages.find((x) => x.ts === req.body.timestamp);
      if (!m) return bad('message_not_found');
      m.reactions ??= [];
      let r = m.reactions.find((x: Obj) => x.name === req.body.name);
      if (r?.users.includes(me)) return bad('already_reacted');
      if (!r) m.reactions.push((r = { name: req.body.name, users: [], count: 0 }));
      r.users.push(me);
      r.count++;
      return okJson({});
    },
    reactions_remove: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      const m = c.messages.find((x) => x.ts === req.body.timestamp);
      if (!m) return bad('message_not_found');
      const r = m.reactions?.find((x: Obj) => x.name === req.body.name && x.users.includes(me));
      if (!r) return bad('no_reaction');
      r.users = r.users.filter((u: string) => u !== me);
      r.count--;
      m.reactions = m.reactions.filter((x: Obj) => x.count > 0);
      return okJson({});
    },
    conversations_create: (req) => {
      const name = String(req.body.name ?? '');
      if (!/^[a-z0-9_-]{1,80}$/.test(name)) return bad('invalid_name_specials');
      if ([...channels.values()].some((c) => c.name === name)) return bad('name_taken');
      const c = addChannel({ name, is_private: req.body.is_private === 'true' || req.body.is_private === true, creator: me });
      return okJson({ channel: chanView(c) });
    },
    conversations_join: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      if (c.is_private) return bad('method_not_supported_for_channel_type');
      const already = c.members.includes(me);
      if (!already) c.members.push(me);
      return okJson({ channel: chanView(c), ...(already ? { warning: 'already_in_channel' } : {}) });
    },
    conversations_members: (req) => {
      const c = chan(req.body.channel);
      if (!c) return bad('channel_not_found');
      const p = pageOf(c.members, req.body);
      return okJson({ members: p.items, response_metadata: p.meta });
    },
    users_info: (req) => {
      const u = users.get(String(req.body.user));
      return u ? okJson({ user: u }) : bad('user_not_found');
    },
    users_list: (req) => {
      const p = pageOf([...users.values()], req.body);
      return okJson({ members: p.items, response_metadata: p.meta });
    },
    users_lookupByEmail: (req) => {
      const miss = need('users:read.email');
      if (miss) return miss;
      const u = [...users.values()].find((x) => x.profile?.email?.toLowerCase() === String(req.body.email).toLowerCase());
      return u ? okJson({ user: u }) : bad('users_not_found');
    },
    users_getPresence: (req) => {
      const u = users.get(String(req.body.user));
      return u ? okJson({ presence: u.presence ?? 'away', online: u.presence === 'active' }) : bad('user_not_found');
    },
    search_messages: (req) => {
      if (!String(req.headers.authorization).startsWith('Bearer xoxp-')) return bad('not_allowed_token_type');
      const q = String(req.body.query).toLowerCase();
      const matches: Obj[] = [];
      for (const c of channels.values())
        for (const m of c.messages)
          if (
            String(m.text)
              .toLowerCase()
              .includes(q.replace(/\s*in:#\S+/, '').trim())
          )
            matches.push({ ...m, channel: { id: c.id, name: c.name }, permalink: `https://x/${c.id}/${m.ts}` });
      const count = Number(req.body.count ?? 20);
      const page = Number(req.body.page ?? 1);
      return okJson({
        query: req.body.query,
        messages: { total: matches.length, matches: matches.slice((page - 1) * count, page * count), paging: { count, total: matches.length, page, pages: Math.ceil(matches.length / count) } },
      });
    },
    search_files: (req) => {
      if (!String(req.headers.authorization).startsWith('Bearer xoxp-')) return bad('not_allowed_token_type');
      const q = String(req.body.query).toLowerCase();
      const matches = [...files.values()].filter((f) => String(f.name).toLowerCase().includes(q)).map(({ bytes: _b, ...f }) => f);
      const count = Number(req.body.count ?? 20);
      const page = Number(req.body.page ?? 1);
      return okJson({
        files: { total: matches.length, matches: matches.slice((page - 1) * count, page * count), paging: { count, total: matches.length, page, pages: Math.ceil(matches.length / count) } },
      });
    },
    files_info: (req) => {
      const f = files.get(String(req.body.file));
      if (!f) return bad('file_not_found');
      const { bytes: _b, ...rest } = f;
      return okJson({ file: rest });
    },
    files_getUploadURLExternal: (req) => {
      const fid = id('F');
      files.set(fid, { id: fid, name: String(req.body.filename), size: Number(req.body.length), pending: true });
      const url = fake.nextUploadUrl ?? `${base}/upload/${fid}`;
      fake.nextUploadUrl = undefined;
      return okJson({ upload_url: url, file_id: fid });
    },
    upload_bytes: (req): FakeResponse => {
      const f = files.get(req.params.file_id);
      if (!f) return { status: 404, body: 'no such upload' };
      f.bytes = req.rawBody;
      f.uploadHeaders = req.headers;
      return { status: 200, body: `OK - ${req.rawBody.length}`, headers: { 'content-type': 'text/plain' } };
    },
    files_completeUploadExternal: (req) => {
      const list = JSON.parse(String(req.body.files));
      const out: Obj[] = [];
      for (const e of list) {
        const f = files.get(e.id);
        if (!f?.bytes) return bad('file_not_found');
        if (f.bytes.length !== f.size) return bad('file_upload_size_mismatch');
        f.pending = false;
        f.title = e.title ?? f.name;
        f.url_private = `${base}/files-pri/${f.id}/${encodeURIComponent(f.name)}`;
        f.url_private_download = f.url_private;
        if (req.body.channel_id) {
          const c = chan(req.body.channel_id);
          if (!c) return bad('channel_not_found');
          f.channels = [c.id];
          c.messages.push({
            type: 'message',
            ts: nextTs(),
            user: me,
            text: req.body.initial_comment ?? '',
            files: [{ id: f.id, name: f.name, size: f.size }],
            ...(req.body.thread_ts ? { thread_ts: req.body.thread_ts } : {}),
          });
        }
        out.push({ id: f.id, title: f.title });
      }
      return okJson({ files: out });
    },
    file_bytes: (req): FakeResponse => {
      const f = files.get(req.params.file_id);
      if (!f?.bytes) return { status: 404, body: 'not found' };
      if (req.headers.authorization !== `Bearer ${fake.token}`) return { status: 302, headers: { location: 'https://fake-workspace.slack.com/?redir=login' } };
      return { status: 200, body: f.bytes, headers: { 'content-type': 'application/octet-stream' } };
    },
  };

  const api = await startFakeApi({ contract: CONTRACT, extraOperations: EXTRA, routes: Object.fromEntries(Object.entries(routes).map(([k, h]) => [k, wrap(k, h)])) });
  const base = api.url;

  function addChannel(c: Partial<FakeChannel> & { name: string }): FakeChannel {
    const ch: FakeChannel = {
      id: c.id ?? (c.is_private ? id('G') : id('C')),
      is_channel: !c.is_private,
      is_private: false,
      is_archived: false,
      is_ext_shared: false,
      created: clock,
      topic: { value: '' },
      purpose: { value: '' },
      ...c,
      members: c.members ?? [me],
      messages: c.messages ?? [],
    };
    channels.set(ch.id, ch);
    return ch;
  }

  const fake: FakeSlack = {
    api,
    url: base,
    apiUrl: `${base}/api/`,
    channels,
    users,
    files,
    scheduled,
    me,
    scopes,
    addChannel,
    addUser(u) {
      const user = { id: u.id ?? id('U'), real_name: u.name, profile: { real_name: u.name, ...(u.profile ?? {}) }, ...u };
      users.set(user.id, user);
      return user;
    },
    addMessage(cid, m) {
      const c = channels.get(cid)!;
      const msg = { type: 'message', ts: m.ts ?? nextTs(), text: '', ...m };
      c.messages.push(msg);
      c.messages.sort((a, b) => Number(a.ts) - Number(b.ts));
      return msg;
    },
    failNext(op, error, extra) {
      failures.set(op, { error, extra });
    },
    delay(op, ms) {
      delays.set(op, ms);
    },
    close: () => api.close(),
  };
  return fake;
}
