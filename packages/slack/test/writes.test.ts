// The other writes (edit, delete, remove a reaction, schedule) and download_file through a real MCP
// client against the fake Slack, with what reached the fake as the oracle.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { type FakeChannel, type FakeSlack, startFakeSlack } from './fake-slack.js';

const TOKEN = 'xoxb-5555-writes';
let fake: FakeSlack;
let bots: FakeChannel;
let s: InProcess;
const roots = mkdtempSync(join(tmpdir(), 'bizmcp-slack-w-'));
const count = (op: string) => fake.api.calls(op).length;

beforeAll(async () => {
  fake = await startFakeSlack();
  fake.token = TOKEN;
  bots = fake.addChannel({ name: 'bot-tests' });
  s = await connectInProcess(server, { env: { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl, SLACK_ALLOWED_CHANNELS: '#bot-tests', SLACK_FILE_ROOTS: roots } });
});
afterAll(async () => {
  await s.close();
  await fake.close();
});
afterEach(() => fake.api.assertNoViolations());

describe('edit and delete only what this token posted', () => {
  it('update_message edits its own message, neutralises mentions, refuses someone else’s', async () => {
    const { ts } = await s.ok('send_message', { channel: '#bot-tests', text: 'draft' });
    expect(await s.ok('update_message', { channel: '#bot-tests', ts, text: 'final <!here>' })).toMatchObject({ neutralisedMentions: 1, channelName: 'bot-tests' });
    expect(bots.messages.find((m) => m.ts === ts)).toMatchObject({ text: 'final ＠here', edited: expect.anything() });
    const theirs = fake.addMessage(bots.id, { user: 'UOTHER0001', text: 'mine, not yours' });
    const before = count('chat_update');
    const r = await s.call('update_message', { channel: bots.id, ts: theirs.ts, text: 'hacked' });
    expect(textOf(r)).toMatch(/not posted by this server's token/);
    expect(count('chat_update')).toBe(before);
    expect(theirs.text).toBe('mine, not yours');
  });

  it('delete_message deletes its own message only', async () => {
    const { ts } = await s.ok('send_message', { channel: '#bot-tests', text: 'to delete' });
    expect(await s.ok('delete_message', { channel: bots.id, ts })).toMatchObject({ deleted: true, channelName: 'bot-tests' });
    expect(bots.messages.some((m) => m.ts === ts)).toBe(false);
    const theirs = fake.addMessage(bots.id, { user: 'UOTHER0001', text: 'keep' });
    const before = count('chat_delete');
    expect((await s.call('delete_message', { channel: bots.id, ts: theirs.ts })).isError).toBe(true);
    expect(count('chat_delete')).toBe(before);
    expect(bots.messages.some((m) => m.ts === theirs.ts)).toBe(true);
  });

  it('remove_reaction removes its own reaction; a missing one is reported', async () => {
    const { ts } = await s.ok('send_message', { channel: '#bot-tests', text: 'react' });
    await s.ok('add_reaction', { channel: bots.id, timestamp: ts, name: 'eyes' });
    expect(await s.ok('remove_reaction', { channel: bots.id, timestamp: ts, name: 'eyes' })).toMatchObject({ wasThere: true });
    expect(await s.ok('remove_reaction', { channel: bots.id, timestamp: ts, name: 'eyes' })).toMatchObject({ wasThere: false });
  });
});

describe('scheduled messages', () => {
  it('schedule_message takes an ISO time, refuses the past; list_scheduled_messages shows it', async () => {
    const at = new Date(Date.now() + 3600_000).toISOString();
    const r = await s.ok('schedule_message', { channel: '#bot-tests', post_at: at, text: 'later @channel' });
    expect(r).toMatchObject({ channel: bots.id, channelName: 'bot-tests', neutralisedMentions: 1 });
    expect(fake.scheduled.at(-1)).toMatchObject({ channel_id: bots.id, text: 'later ＠channel' });
    expect(textOf(await s.call('schedule_message', { channel: '#bot-tests', post_at: '2001-01-01T00:00:00Z', text: 'x' }))).toMatch(/past/);
    const list = await s.ok('list_scheduled_messages', { channel: '#bot-tests' });
    expect(list.scheduled).toEqual([expect.objectContaining({ id: r.scheduledMessageId, channel: bots.id, channelName: 'bot-tests', text: 'later ＠channel' })]);
  });
});

describe('download_file', () => {
  it('saves a Slack file into the roots with the token sent only to the Slack host; never overwrites unless asked', async () => {
    const up = join(roots, 'up.csv');
    writeFileSync(up, 'a,b\n1,2\n');
    const { fileId } = await s.ok('upload_file', { channel: '#bot-tests', path: up });
    const dir = join(roots, 'downloads');
    mkdirSync(dir);
    const got = await s.ok('download_file', { file_id: fileId, path: dir });
    expect(got).toMatchObject({ name: 'up.csv', bytes: 8 });
    expect(readFileSync(got.path, 'utf8')).toBe('a,b\n1,2\n');
    expect(fake.api.calls('file_bytes').at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect((await s.call('download_file', { file_id: fileId, path: up })).isError).toBe(true);
    const again = await s.ok('download_file', { file_id: fileId, path: join(roots, 'copy.csv') });
    expect(existsSync(again.path)).toBe(true);
    expect(textOf(await s.call('download_file', { file_id: fileId, path: '/tmp/outside-slack-roots.csv' }))).toMatch(/outside|not allowed|allowed director/i);
    expect(existsSync('/tmp/outside-slack-roots.csv')).toBe(false);
  });
});
