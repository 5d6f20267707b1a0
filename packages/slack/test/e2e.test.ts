// The built binary over stdio against the fake Slack: the SDK client, and raw JSON-RPC lines on stdin.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, jsonLines, rawStdio, spawnStdio } from '@bizmcp/core/testing';
import { type FakeChannel, type FakeSlack, startFakeSlack } from './fake-slack.js';

const bin = builtBin('slack');
const TOKEN = 'xoxb-9999-8888-e2etoken';
let fake: FakeSlack;
let bots: FakeChannel;

beforeAll(async () => {
  fake = await startFakeSlack();
  bots = fake.addChannel({ name: 'bot-tests' });
  fake.addChannel({ name: 'general' });
});
afterAll(() => fake.close());

describe('bizmcp-slack binary', () => {
  it('starts without calling Slack, posts to an allowed channel, reads it back, and never logs the token', async () => {
    const s = await spawnStdio(bin, { env: { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl, SLACK_ALLOWED_CHANNELS: '#bot-tests', LOG_LEVEL: 'debug' } });
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['send_message', 'read_channel_history', 'create_channel', 'add_reaction', 'upload_file']));
    expect(fake.api.requests.requests).toHaveLength(0);
    const sent = await s.client.callTool({ name: 'send_message', arguments: { channel: '#bot-tests', text: 'from the binary <!here>' } });
    expect(sent.isError, s.stderr()).toBeFalsy();
    expect(bots.messages.at(-1)!.text).toBe('from the binary ＠here');
    const read = await s.client.callTool({ name: 'read_channel_history', arguments: { channel: bots.id, limit: 5 } });
    expect((read.structuredContent as { messages: { text: string; userName?: string }[] }).messages[0]).toMatchObject({ text: 'from the binary ＠here', userName: 'bizbot' });
    const refused = await s.client.callTool({ name: 'send_message', arguments: { channel: '#general', text: 'no' } });
    expect(refused.isError).toBe(true);
    await s.close();
    expect(s.stderr()).not.toContain(TOKEN);
    fake.api.assertNoViolations();
  });

  it('uploads a file from SLACK_FILE_ROOTS and reacts, through the bundled net guard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bizmcp-slack-e2e-'));
    writeFileSync(join(dir, 'notes.md'), '# notes\n');
    const s = await spawnStdio(bin, { env: { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl, SLACK_ALLOWED_CHANNELS: '#bot-tests,#proj-*', SLACK_FILE_ROOTS: dir } });
    const up = await s.client.callTool({ name: 'upload_file', arguments: { channel: '#bot-tests', path: join(dir, 'notes.md') } });
    expect(up.isError, JSON.stringify(up.content)).toBeFalsy();
    const { fileId } = up.structuredContent as { fileId: string };
    expect(fake.files.get(fileId)?.bytes?.toString()).toBe('# notes\n');
    expect(fake.api.calls('upload_bytes').at(-1)!.headers.authorization).toBeUndefined();
    const outside = await s.client.callTool({ name: 'upload_file', arguments: { channel: '#bot-tests', path: '/etc/hostname' } });
    expect(outside.isError).toBe(true);
    const ts = bots.messages.at(-1)!.ts;
    const r = await s.client.callTool({ name: 'add_reaction', arguments: { channel: bots.id, timestamp: ts, name: 'eyes' } });
    expect(r.isError).toBeFalsy();
    const made = await s.client.callTool({ name: 'create_channel', arguments: { name: 'proj-e2e' } });
    expect((made.structuredContent as { channel: { name: string } }).channel.name).toBe('proj-e2e');
    await s.close();
    expect(s.stderr()).not.toContain(TOKEN);
    fake.api.assertNoViolations();
  });

  it('answers piped JSON-RPC lines before it exits, with nothing but protocol on stdout', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }, { method: 'tools/call', params: { name: 'read_channel_history', arguments: { channel: '#bot-tests', limit: 1 } } }]), {
      env: { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl },
    });
    expect(run.code).toBe(0);
    expect(run.messages.map((m) => m.id)).toEqual([0, 1, 2]);
    expect(run.messages[0].result.serverInfo.name).toBe('bizmcp-slack');
    expect(run.messages[2].result.structuredContent).toMatchObject({ channel: bots.id, messages: [expect.objectContaining({ ts: expect.any(String) })] });
    fake.api.assertNoViolations();
  });

  it('without a token it still starts and the call names SLACK_BOT_TOKEN', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/call', params: { name: 'read_channel_history', arguments: { channel: bots.id } } }]), { env: { SLACK_API_URL: fake.apiUrl } });
    expect(run.code).toBe(0);
    expect(run.messages[1].result.isError).toBe(true);
    expect(JSON.stringify(run.messages[1].result.content)).toContain('SLACK_BOT_TOKEN');
  });
});
