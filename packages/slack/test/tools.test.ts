// The Slack tools through a real MCP client, the official SDK pointed at a stateful fake Slack whose
// every request is checked against Slack's Web API contract.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { neutraliseBlocks, neutraliseText, parseSlackConfig, toSlackTs } from '../src/slack.js';
import { type FakeChannel, type FakeSlack, startFakeSlack } from './fake-slack.js';

const TOKEN = 'xoxb-1111-2222-fakebottoken';
let fake: FakeSlack;
let general: FakeChannel;
let bots: FakeChannel;
let shared: FakeChannel;
const roots = mkdtempSync(join(tmpdir(), 'bizmcp-slack-'));
const open = (env: Record<string, string> = {}, argv: string[] = []) =>
  connectInProcess(server, { argv, env: { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl, SLACK_ALLOWED_CHANNELS: '#bot-tests,#proj-*,#shared-ops', SLACK_FILE_ROOTS: roots, ...env } });
const count = (op: string) => fake.api.calls(op).length;

beforeAll(async () => {
  fake = await startFakeSlack();
  fake.token = TOKEN;
  general = fake.addChannel({ name: 'general' });
  bots = fake.addChannel({ name: 'bot-tests' });
  fake.addChannel({ name: 'secret', is_private: true });
  shared = fake.addChannel({ name: 'shared-ops', is_ext_shared: true });
});
afterAll(() => fake.close());
afterEach(() => fake.api.assertNoViolations());

describe('configuration and start-up', () => {
  it('starts without calling Slack; without a token it lists its tools and names the variables at the first call', async () => {
    const before = fake.api.requests.requests.length;
    const s = await connectInProcess(server, { env: { SLACK_API_URL: fake.apiUrl, SLACK_ALLOWED_CHANNELS: '*' } });
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['send_message', 'read_channel_history', 'create_channel', 'add_reaction', 'upload_file']));
    const r = await s.call('read_channel_history', { channel: general.id });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/SLACK_BOT_TOKEN/);
    expect(fake.api.requests.requests.length).toBe(before);
    await s.close();
  });

  it('writes are off unless SLACK_ALLOWED_CHANNELS is set; --read-only removes them', async () => {
    const off = await connectInProcess(server, { env: { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl } });
    const names = (await off.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('read_channel_history');
    for (const w of ['send_message', 'create_channel', 'add_reaction', 'upload_file']) expect(names).not.toContain(w);
    await off.close();
    const ro = await open({}, ['--read-only']);
    const roNames = (await ro.client.listTools()).tools.map((t) => t.name);
    expect(roNames).toContain('read_channel_history');
    expect(roNames).not.toContain('send_message');
    await ro.close();
  });

  it('a bad allow-list entry or API URL stops the server naming the variable', () => {
    const args = (env: Record<string, string>) => ({ flags: {}, positionals: [], env });
    expect(() => parseSlackConfig(args({ SLACK_ALLOWED_CHANNELS: 'ana@example.com' }))).toThrow(/SLACK_ALLOWED_CHANNELS/);
    expect(() => parseSlackConfig(args({ SLACK_API_URL: 'http://user:pw@x/api/' }))).toThrow(/SLACK_API_URL/);
    const c = parseSlackConfig(args({ SLACK_BOT_TOKEN: 'xoxb-a', SLACK_USER_TOKEN: 'xoxp-b', SLACK_API_URL: 'http://127.0.0.1:9/api' }));
    expect(c).toMatchObject({ token: 'xoxp-b', tokenVar: 'SLACK_USER_TOKEN', apiUrl: 'http://127.0.0.1:9/api/', channels: undefined });
  });

  it('times and broadcast mentions', () => {
    expect(toSlackTs('1714557600.000100', 'oldest')).toBe('1714557600.000100');
    expect(toSlackTs('2024-05-01T10:00:00Z', 'oldest')).toBe('1714557600.000000');
    expect(() => toSlackTs('yesterday-ish', 'oldest')).toThrow(/oldest/);
    expect(neutraliseText('hi <!here> and <!channel|channel>, @everyone; mail a@channel.com')).toEqual({ text: 'hi ＠here and ＠channel, ＠everyone; mail a@channel.com', count: 3 });
    const b = neutraliseBlocks([
      {
        type: 'rich_text',
        elements: [
          {
            type: 'rich_text_section',
            elements: [
              { type: 'broadcast', range: 'here' },
              { type: 'text', text: ' <!channel>' },
            ],
          },
        ],
      },
    ]);
    expect(b.count).toBe(2);
    expect(JSON.stringify(b.blocks)).not.toMatch(/broadcast|<!channel>/);
  });
});

describe('the five core tools', () => {
  let s: InProcess;
  beforeAll(async () => {
    s = await open();
  });
  afterAll(() => s.close());

  it('send_message posts to an allowed channel by #name or id, in a thread, with auth.test done once', async () => {
    const a = await s.ok('send_message', { channel: '#bot-tests', text: 'hello *team*' });
    expect(a).toMatchObject({ channel: bots.id, channelName: 'bot-tests', neutralisedMentions: 0 });
    const sent = fake.api.calls('chat_postMessage').at(-1)!;
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent.body).toMatchObject({ channel: bots.id, text: 'hello *team*' });
    const reply = await s.ok('send_message', { channel: bots.id, text: 'in thread', thread_ts: a.ts });
    expect(reply.threadTs).toBe(a.ts);
    expect(bots.messages.at(-1)).toMatchObject({ thread_ts: a.ts, text: 'in thread' });
    expect(bots.messages.at(-1)!.subtype).toBeUndefined();
    expect(count('auth_test')).toBe(1);
  });

  it('send_message neutralises broadcast mentions in text and blocks', async () => {
    const r = await s.ok('send_message', { channel: '#bot-tests', text: '<!channel> ping', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '@here look' } }] });
    expect(r.neutralisedMentions).toBe(2);
    const last = bots.messages.at(-1)!;
    expect(last.text).toBe('＠channel ping');
    expect(JSON.stringify(last.blocks)).not.toMatch(/@here|<!/);
    const allowed = await open({ SLACK_ALLOW_BROADCAST: '1' });
    await allowed.ok('send_message', { channel: '#bot-tests', text: '<!here> ok' });
    expect(bots.messages.at(-1)!.text).toBe('<!here> ok');
    await allowed.close();
  });

  it('send_message refuses a channel outside the allow-list and a Slack Connect channel, before posting', async () => {
    const before = count('chat_postMessage');
    const r = await s.call('send_message', { channel: '#general', text: 'x' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/#general.*not allowed by SLACK_ALLOWED_CHANNELS/);
    const ext = await s.call('send_message', { channel: shared.id, text: 'x' });
    expect(textOf(ext)).toMatch(/Slack Connect/);
    expect(count('chat_postMessage')).toBe(before);
  });

  it('send_message that times out is reported as unknown and not repeated until confirmed', async () => {
    const slow = await open({ BIZMCP_TIMEOUT_MS_SEND_MESSAGE: '400' });
    fake.delay('chat_postMessage', 900);
    const args = { channel: '#bot-tests', text: 'maybe once' };
    const first = await slow.call('send_message', args);
    expect(first.isError).toBe(true);
    expect(textOf(first)).toMatch(/UNKNOWN|timed out|time/i);
    fake.delay('chat_postMessage', 0);
    await new Promise((r) => setTimeout(r, 700));
    const n = count('chat_postMessage');
    const again = await slow.call('send_message', args);
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/UNKNOWN outcome|not repeated/);
    expect(count('chat_postMessage')).toBe(n);
    await slow.ok('send_message', { ...args, confirm_repeat: true });
    expect(count('chat_postMessage')).toBe(n + 1);
    await slow.close();
  });

  it('read_channel_history: names beside ids, ISO bounds, cursor paging, invisible text removed', async () => {
    const ada = fake.addUser({ name: 'ada' });
    const c = fake.addChannel({ name: 'history' });
    for (let i = 0; i < 5; i++) fake.addMessage(c.id, { ts: `17145576${10 + i}.000100`, user: ada.id, text: `msg ${i}\u200B` });
    const p1 = await s.ok('read_channel_history', { channel: '#history', limit: 2 });
    expect(p1.messages.map((m: { text: string }) => m.text)).toEqual(['msg 4', 'msg 3']);
    expect(p1.messages[0]).toMatchObject({ user: ada.id, userName: 'ada', time: '2024-05-01T10:00:14.000Z' });
    expect(p1).toMatchObject({ channel: c.id, channelName: 'history', truncated: true });
    const p2 = await s.ok('read_channel_history', { channel: c.id, limit: 2, cursor: p1.nextCursor });
    expect(p2.messages.map((m: { text: string }) => m.text)).toEqual(['msg 2', 'msg 1']);
    const ranged = await s.ok('read_channel_history', { channel: c.id, oldest: '2024-05-01T10:00:11Z', latest: '1714557613.000100' });
    expect(ranged.messages.map((m: { text: string }) => m.text)).toEqual(['msg 2', 'msg 1']);
    expect(fake.api.calls('conversations_history').at(-1)!.body).toMatchObject({ oldest: '1714557611.000000' });
    const usersInfo = count('users_info');
    await s.ok('read_channel_history', { channel: c.id });
    expect(count('users_info')).toBe(usersInfo);
  });

  it('read_channel_history: Slack errors keep their code; a 429 is retried after Retry-After', async () => {
    const r = await s.call('read_channel_history', { channel: 'C0NOPE0000' });
    expect(textOf(r)).toMatch(/channel_not_found/);
    fake.failNext('conversations_history', { status: 429, headers: { 'retry-after': '1' } });
    const before = count('conversations_history');
    await s.ok('read_channel_history', { channel: general.id, limit: 1 });
    expect(count('conversations_history')).toBe(before + 2);
    fake.failNext('conversations_history', 'missing_scope', { needed: 'channels:history', provided: 'chat:write' });
    const m = await s.call('read_channel_history', { channel: general.id });
    expect(textOf(m)).toMatch(/channels:history/);
  });

  it('create_channel: only names the allow-list allows, validated as Slack does; a taken name is a conflict', async () => {
    const made = await s.ok('create_channel', { name: '#proj-apollo', is_private: true });
    expect(made.channel).toMatchObject({ name: 'proj-apollo', isPrivate: true });
    expect(fake.channels.get(made.channel.id)?.name).toBe('proj-apollo');
    const before = count('conversations_create');
    expect(textOf(await s.call('create_channel', { name: 'random' }))).toMatch(/not allowed by SLACK_ALLOWED_CHANNELS/);
    expect(textOf(await s.call('create_channel', { name: 'Proj Apollo' }))).toMatch(/lower-case/);
    expect(count('conversations_create')).toBe(before);
    const taken = await s.call('create_channel', { name: 'proj-apollo' });
    expect(textOf(taken)).toMatch(/name_taken/);
  });

  it('add_reaction: allowed channels only; a repeat says it is already there', async () => {
    const m = fake.addMessage(bots.id, { user: fake.me, text: 'react to me' });
    expect(await s.ok('add_reaction', { channel: bots.id, timestamp: m.ts, name: ':thumbsup:' })).toMatchObject({ alreadyThere: false, name: 'thumbsup' });
    expect(await s.ok('add_reaction', { channel: bots.id, timestamp: m.ts, name: 'thumbsup' })).toMatchObject({ alreadyThere: true });
    expect(m.reactions).toEqual([{ name: 'thumbsup', users: [fake.me], count: 1 }]);
    const g = fake.addMessage(general.id, { user: fake.me, text: 'no' });
    const before = count('reactions_add');
    expect((await s.call('add_reaction', { channel: general.id, timestamp: g.ts, name: 'eyes' })).isError).toBe(true);
    expect(count('reactions_add')).toBe(before);
  });

  it('upload_file: from inside the roots, two-step upload, bytes sent without the token', async () => {
    const file = join(roots, 'report.txt');
    writeFileSync(file, 'quarterly numbers\n');
    const r = await s.ok('upload_file', { channel: '#bot-tests', path: file, title: 'Report', initial_comment: 'here <!everyone>' });
    expect(r).toMatchObject({ name: 'report.txt', bytes: 18, channel: bots.id, neutralisedMentions: 1 });
    const f = fake.files.get(r.fileId)!;
    expect(f.bytes?.toString()).toBe('quarterly numbers\n');
    expect(f.uploadHeaders.authorization).toBeUndefined();
    expect(JSON.stringify(f.uploadHeaders)).not.toContain(TOKEN);
    expect(f.channels).toEqual([bots.id]);
    expect(bots.messages.at(-1)).toMatchObject({ text: 'here ＠everyone', files: [{ id: r.fileId }] });
    expect(fake.api.calls('files_completeUploadExternal').at(-1)!.body).toMatchObject({ channel_id: bots.id });
  });

  it('upload_file without SLACK_FILE_ROOTS names the variable', async () => {
    const none = await open({ SLACK_FILE_ROOTS: '' });
    expect(textOf(await none.call('upload_file', { channel: '#bot-tests', path: '/etc/hostname' }))).toMatch(/SLACK_FILE_ROOTS/);
    await none.close();
  });
});
