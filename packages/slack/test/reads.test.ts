// The read tools (conversations, users, search) through a real MCP client against the fake Slack:
// cursors, names beside ids resolved lazily, Slack errors, user-token-only search.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { type FakeChannel, type FakeSlack, startFakeSlack } from './fake-slack.js';

const BOT = 'xoxb-3333-reads';
const USER = 'xoxp-4444-reads';
let fake: FakeSlack;
let general: FakeChannel;
let s: InProcess;
let ada: Record<string, any>;
const open = (env: Record<string, string> = {}) => connectInProcess(server, { env: { SLACK_BOT_TOKEN: BOT, SLACK_API_URL: fake.apiUrl, SLACK_ALLOWED_CHANNELS: '#general', ...env } });
const count = (op: string) => fake.api.calls(op).length;

beforeAll(async () => {
  fake = await startFakeSlack();
  ada = fake.addUser({ name: 'ada', profile: { email: 'ada@example.com', title: 'Analyst\u200B' } });
  fake.addUser({ name: 'grace', deleted: true });
  general = fake.addChannel({ name: 'general', topic: { value: 'all hands' }, members: [fake.me, ada.id] });
  fake.addChannel({ name: 'random', members: [ada.id] });
  fake.addChannel({ name: 'old', is_archived: true });
  fake.addChannel({ name: 'hidden', is_private: true });
  s = await open();
});
afterAll(async () => {
  await s.close();
  await fake.close();
});
afterEach(() => fake.api.assertNoViolations());

describe('conversations', () => {
  it('list_channels pages with the cursor, leaves archived ones out, member_only through users.conversations', async () => {
    const p1 = await s.ok('list_channels', { limit: 2 });
    expect(p1.channels.map((c: { name: string }) => c.name)).toEqual(['general', 'random']);
    expect(p1.truncated).toBe(true);
    const p2 = await s.ok('list_channels', { limit: 2, cursor: p1.nextCursor });
    expect(p2.channels.map((c: { name: string }) => c.name)).toEqual(['hidden']);
    expect(p2.truncated).toBe(false);
    const withArchived = await s.ok('list_channels', { include_archived: true, types: ['public_channel'] });
    expect(withArchived.channels.map((c: { name: string }) => c.name)).toContain('old');
    const mine = await s.ok('list_channels', { member_only: true });
    expect(mine.channels.map((c: { name: string }) => c.name)).toEqual(['general', 'hidden']);
  });

  it('get_channel_info by #name says whether the server may write there', async () => {
    expect(await s.ok('get_channel_info', { channel: '#general' })).toMatchObject({ channel: { id: general.id, topic: 'all hands', numMembers: 2, isMember: true }, writable: true });
    expect(await s.ok('get_channel_info', { channel: '#random' })).toMatchObject({ writable: false });
    expect(textOf(await s.call('get_channel_info', { channel: '#nowhere' }))).toMatch(/No channel named #nowhere/);
  });

  it('get_thread_replies, get_permalink, list_channel_members', async () => {
    const parent = fake.addMessage(general.id, { user: ada.id, text: 'question?' });
    fake.addMessage(general.id, { user: fake.me, text: 'answer', thread_ts: parent.ts });
    parent.thread_ts = parent.ts;
    const t = await s.ok('get_thread_replies', { channel: general.id, thread_ts: parent.ts });
    expect(t.messages.map((m: { text: string; userName: string }) => [m.text, m.userName])).toEqual([
      ['question?', 'ada'],
      ['answer', 'bizbot'],
    ]);
    expect((await s.ok('get_permalink', { channel: '#general', message_ts: parent.ts })).permalink).toMatch(/^https:\/\/fake-workspace\.slack\.com\/archives\//);
    const m = await s.ok('list_channel_members', { channel: general.id, limit: 1 });
    expect(m).toMatchObject({ members: [{ id: fake.me, name: 'bizbot' }], truncated: true });
    const m2 = await s.ok('list_channel_members', { channel: general.id, limit: 1, cursor: m.nextCursor });
    expect(m2.members).toEqual([{ id: ada.id, name: 'ada' }]);
  });

  it('join_channel: only allowed channels', async () => {
    const before = count('conversations_join');
    expect((await s.call('join_channel', { channel: '#random' })).isError).toBe(true);
    expect(count('conversations_join')).toBe(before);
    expect(await s.ok('join_channel', { channel: '#general' })).toMatchObject({ alreadyMember: true });
  });
});

describe('users', () => {
  it('list_users pages and leaves deleted accounts out; get_user by id, e-mail and handle; presence', async () => {
    const all = await s.ok('list_users', {});
    expect(all.users.map((u: { name: string }) => u.name)).toEqual(['bizbot', 'ada']);
    const p = await s.ok('list_users', { limit: 1, include_deleted: true });
    expect(p.truncated).toBe(true);
    expect((await s.ok('get_user', { user: ada.id })).user).toMatchObject({ name: 'ada', title: 'Analyst', email: 'ada@example.com' });
    expect((await s.ok('get_user', { user: 'ADA@example.com' })).user.id).toBe(ada.id);
    expect((await s.ok('get_user', { user: '@ada' })).user.id).toBe(ada.id);
    expect(textOf(await s.call('get_user', { user: '@nobody' }))).toMatch(/No user with the handle @nobody/);
    expect(await s.ok('get_user_presence', { user: ada.id })).toMatchObject({ user: ada.id, name: 'ada', presence: 'away' });
  });

  it('a missing scope names the scope to grant', async () => {
    fake.scopes.delete('users:read.email');
    const r = await s.call('get_user', { user: 'ada@example.com' });
    expect(textOf(r)).toMatch(/users:read\.email/);
    fake.scopes.add('users:read.email');
  });
});

describe('search', () => {
  it('needs a user token: with a bot token it says so without calling Slack', async () => {
    const before = count('search_messages');
    expect(textOf(await s.call('search_messages', { query: 'answer' }))).toMatch(/user token.*SLACK_USER_TOKEN|SLACK_USER_TOKEN/s);
    expect(count('search_messages')).toBe(before);
  });

  it('search_messages passes modifiers through and pages; search_files finds by name', async () => {
    const u = await open({ SLACK_USER_TOKEN: USER });
    for (let i = 0; i < 3; i++) fake.addMessage(general.id, { user: ada.id, text: `needle ${i}` });
    const p1 = await u.ok('search_messages', { query: 'needle in:#general', limit: 2 });
    expect(fake.api.calls('search_messages').at(-1)!.body).toMatchObject({ query: 'needle in:#general', count: '2', page: '1' });
    expect(p1).toMatchObject({ total: 3, truncated: true });
    expect(p1.matches[0]).toMatchObject({ channel: general.id, channelName: 'general', userName: 'ada' });
    const p2 = await u.ok('search_messages', { query: 'needle in:#general', limit: 2, cursor: p1.nextCursor });
    expect(p2.matches).toHaveLength(1);
    expect(p2.truncated).toBe(false);
    fake.files.set('F0SEARCH01', { id: 'F0SEARCH01', name: 'budget.xlsx', size: 10, created: 1714557600 });
    expect((await u.ok('search_files', { query: 'budget' })).files).toEqual([expect.objectContaining({ id: 'F0SEARCH01', name: 'budget.xlsx' })]);
    expect(textOf(await u.call('search_messages', { query: 'x', cursor: 'garbage' }))).toMatch(/Invalid cursor/);
    await u.close();
  });
});
