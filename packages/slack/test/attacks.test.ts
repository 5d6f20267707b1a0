// Attacks with a state oracle: each row tries to make the server write where it must not, read a
// file outside SLACK_FILE_ROOTS, or send bytes or the token to a host that is not Slack's. After
// each, what reached the fake Slack (and a bystander server standing for "elsewhere") is checked.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess, textOf } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { type FakeChannel, type FakeSlack, startFakeSlack } from './fake-slack.js';

const TOKEN = 'xoxb-7777-attacks-secret';
let fake: FakeSlack;
let s: InProcess;
/** A second server for the upload rows (upload_file is rate limited per server). */
let u: InProcess;
let general: FakeChannel;
let bots: FakeChannel;
let shared: FakeChannel;
const base = mkdtempSync(join(tmpdir(), 'bizmcp-slack-a-'));
const roots = join(base, 'root');
const outside = join(base, 'outside');
/** Requests that reached "elsewhere". */
const elsewhere: { url?: string; headers: IncomingHttpHeaders; bytes: number }[] = [];
let bystander: ReturnType<typeof createServer>;
let bystanderUrl: string;

const writes = () =>
  [
    'chat_postMessage',
    'chat_update',
    'chat_delete',
    'chat_scheduleMessage',
    'reactions_add',
    'conversations_create',
    'conversations_join',
    'files_getUploadURLExternal',
    'files_completeUploadExternal',
    'upload_bytes',
  ].reduce((n, op) => n + fake.api.calls(op).length, 0);

beforeAll(async () => {
  mkdirSync(roots);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'do not upload');
  writeFileSync(join(roots, 'ok.txt'), 'fine');
  symlinkSync(join(outside, 'secret.txt'), join(roots, 'link.txt'));
  symlinkSync(outside, join(roots, 'dirlink'));
  bystander = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      elsewhere.push({ url: req.url, headers: req.headers, bytes });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => bystander.listen(0, '127.0.0.1', r));
  bystanderUrl = `http://127.0.0.1:${(bystander.address() as AddressInfo).port}`;
  fake = await startFakeSlack();
  fake.token = TOKEN;
  general = fake.addChannel({ name: 'general' });
  bots = fake.addChannel({ name: 'bot-tests' });
  shared = fake.addChannel({ name: 'proj-shared', is_ext_shared: true });
  fake.addChannel({ name: 'bot-tests-archive' });
  const env = { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl, SLACK_ALLOWED_CHANNELS: '#bot-tests,#proj-*', SLACK_FILE_ROOTS: roots };
  s = await connectInProcess(server, { env });
  u = await connectInProcess(server, { env });
});
afterAll(async () => {
  await s.close();
  await u.close();
  await fake.close();
  await new Promise((r) => bystander.close(r));
});
afterEach(() => fake.api.assertNoViolations());

type Row = [string, string, () => Record<string, unknown>];
const rows: Row[] = [
  ['post to a channel outside the allow-list, by name', 'send_message', () => ({ channel: '#general', text: 'x' })],
  ['post to a channel outside the allow-list, by id', 'send_message', () => ({ channel: general.id, text: 'x' })],
  ['post to an allowed name’s longer sibling', 'send_message', () => ({ channel: '#bot-tests-archive', text: 'x' })],
  ['post to a look-alike name (Unicode hyphen)', 'send_message', () => ({ channel: '#bot\u2010tests', text: 'x' })],
  ['post to a Slack Connect channel whose name the allow-list matches', 'send_message', () => ({ channel: shared.id, text: 'x' })],
  ['reply in a thread of a refused channel', 'send_message', () => ({ channel: general.id, text: 'x', thread_ts: '1714557600.000100' })],
  ['react in a refused channel', 'add_reaction', () => ({ channel: general.id, timestamp: '1714557600.000100', name: 'eyes' })],
  ['schedule in a refused channel', 'schedule_message', () => ({ channel: '#general', text: 'x', post_at: new Date(Date.now() + 3600_000).toISOString() })],
  ['edit in a refused channel', 'update_message', () => ({ channel: general.id, ts: '1714557600.000100', text: 'x' })],
  ['join a refused channel', 'join_channel', () => ({ channel: '#general' })],
  ['create a channel outside the prefix', 'create_channel', () => ({ name: 'general-2' })],
  ['create a channel whose name only starts like the prefix', 'create_channel', () => ({ name: 'proj' })],
  ['create a channel with a dotted or spaced name', 'create_channel', () => ({ name: 'proj-a b' })],
  ['upload to a refused channel', 'upload_file', () => ({ channel: '#general', path: join(roots, 'ok.txt') })],
  ['upload a file outside the roots (absolute)', 'upload_file', () => ({ channel: '#bot-tests', path: join(outside, 'secret.txt') })],
  ['upload a file outside the roots (climbing ..)', 'upload_file', () => ({ channel: '#bot-tests', path: join(roots, '..', 'outside', 'secret.txt') })],
  ['upload through a symlink that leaves the roots', 'upload_file', () => ({ channel: '#bot-tests', path: join(roots, 'link.txt') })],
  ['upload through a linked directory that leaves the roots', 'upload_file', () => ({ channel: '#bot-tests', path: join(roots, 'dirlink', 'secret.txt') })],
  ['upload /etc/passwd', 'upload_file', () => ({ channel: '#bot-tests', path: '/etc/passwd' })],
];

describe('writes that must not happen', () => {
  it.each(rows)('%s: refused, nothing written at Slack', async (_what, name, args) => {
    const before = writes();
    const r = await s.call(name, args());
    expect(r.isError, textOf(r)).toBe(true);
    expect(writes()).toBe(before);
    expect(general.messages).toHaveLength(0);
    expect(shared.messages).toHaveLength(0);
    expect([...fake.channels.values()].map((c) => c.name)).not.toContain('general-2');
    expect([...fake.files.values()].some((f) => f.bytes?.toString() === 'do not upload')).toBe(false);
  });

  it('a token passed as an argument is ignored: the configured one is used', async () => {
    await s.ok('send_message', { channel: '#bot-tests', text: 'hi', token: 'xoxb-someone-else' } as never);
    expect(fake.api.calls('chat_postMessage').at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(bots.messages.at(-1)!.text).toBe('hi');
  });
});

describe('upload URLs and file URLs that are not Slack’s', () => {
  const urls: [string, () => string][] = [
    ['another local server', () => `${bystanderUrl}/upload/steal`],
    ['a public host', () => 'https://uploads.example.com/upload/v1/x'],
    ['a look-alike of files.slack.com', () => 'https://files.slack.com.example.com/upload/v1/x'],
    ['Slack’s file host over plain http', () => 'http://files.slack.com/upload/v1/x'],
    ['credentials smuggled before the host', () => `http://files.slack.com@127.0.0.1:${new URL(bystanderUrl).port}/x`],
  ];
  it.each(urls)('upload_url on %s: no bytes and no token leave, the upload is not completed', async (_what, url) => {
    fake.nextUploadUrl = url();
    const seen = elsewhere.length;
    const completes = fake.api.calls('files_completeUploadExternal').length;
    const r = await u.call('upload_file', { channel: '#bot-tests', path: join(roots, 'ok.txt') });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/not a Slack file host|not sent/);
    expect(elsewhere.length).toBe(seen);
    expect(fake.api.calls('files_completeUploadExternal').length).toBe(completes);
  });

  it('download_file whose url_private points elsewhere: the token is not sent there', async () => {
    fake.files.set('F0EVIL0001', { id: 'F0EVIL0001', name: 'x.txt', size: 3, url_private: `${bystanderUrl}/files-pri/x`, bytes: Buffer.from('abc') });
    const seen = elsewhere.length;
    const r = await u.call('download_file', { file_id: 'F0EVIL0001', path: roots });
    expect(r.isError).toBe(true);
    expect(elsewhere.length).toBe(seen);
  });

  it('the real upload sends no Authorization header to the upload URL', async () => {
    const r = await u.ok('upload_file', { channel: '#bot-tests', path: join(roots, 'ok.txt') });
    const hit = fake.api.calls('upload_bytes').at(-1)!;
    expect(hit.headers.authorization).toBeUndefined();
    expect(JSON.stringify(hit.headers)).not.toContain(TOKEN);
    expect(fake.files.get(r.fileId)?.bytes?.toString()).toBe('fine');
  });
});

describe('file hosts with the default API URL', () => {
  it('only https://files.slack.com (and GovSlack’s files host with its API URL) count as Slack file hosts', async () => {
    const { SlackApi, parseSlackConfig } = await import('../src/slack.js');
    const log = { debug() {}, warn() {}, error() {}, info() {} } as never;
    const api = new SlackApi(parseSlackConfig({ flags: {}, positionals: [], env: {} }), log);
    const ok = (u: string) => api.fileHostAllowed(new URL(u));
    expect(ok('https://files.slack.com/upload/v1/abc')).toBe(true);
    expect(ok('https://slack.com/api/chat.postMessage')).toBe(true); // the API origin itself
    for (const bad of [
      'http://files.slack.com/upload/v1/abc',
      'https://files.slack.com.evil.example/x',
      'https://evil.example/files.slack.com',
      'https://files-slack.com/x',
      'https://hooks.slack.com/x',
      'https://files.slack-gov.com/x',
    ])
      expect(ok(bad), bad).toBe(false);
    const gov = new SlackApi(parseSlackConfig({ flags: {}, positionals: [], env: { SLACK_API_URL: 'https://slack-gov.com/api/' } }), log);
    expect(gov.fileHostAllowed(new URL('https://files.slack-gov.com/upload/v1/x'))).toBe(true);
    expect(gov.fileHostAllowed(new URL('https://files.slack.com/upload/v1/x'))).toBe(false);
  });
});
