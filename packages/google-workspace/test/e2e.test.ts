// The built binary over stdio: the SDK client against the fake Google, and raw JSON-RPC lines.
import { builtBin, jsonLines, rawStdio, spawnStdio } from '@bizmcp/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGoogle, oauthEnv, seedSheet, startFakeGoogle } from './fake-google.js';
import { storeToken, tempDir, tinyPdf } from './helpers.js';

const bin = builtBin('google-workspace');
let g: FakeGoogle;
let dir: string;
let sheet: string;

beforeAll(async () => {
  g = await startFakeGoogle();
  dir = tempDir();
  await storeToken(g, dir);
  sheet = seedSheet(g, 'E2E', [
    ['k', 'v'],
    ['a', 1],
  ]);
});
afterAll(async () => g.close());

describe('bizmcp-google-workspace binary', () => {
  it('lists its default toolsets, reads a sheet, survives a token expiry, writes an event', async () => {
    const s = await spawnStdio(bin, { env: { ...oauthEnv(g, dir), GOOGLE_ALLOWED_RECIPIENTS: '@example.com' } });
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['sheets_read_range', 'docs_create', 'drive_list_files', 'calendar_create_event']));
    const r = await s.client.callTool({ name: 'sheets_read_range', arguments: { spreadsheet_id: sheet, range: 'Data!A1:B2' } });
    expect(r.isError, JSON.stringify(r)).toBeFalsy();
    expect((r.structuredContent as { values: unknown[][] }).values).toEqual([
      ['k', 'v'],
      ['a', 1],
    ]);
    g.oauth.expireAll();
    const again = await s.client.callTool({ name: 'sheets_read_range', arguments: { spreadsheet_id: sheet, range: 'Data!A1:B2' } });
    expect(again.isError).toBeFalsy();
    const ev = await s.client.callTool({
      name: 'calendar_create_event',
      arguments: { summary: 'e2e', start: '2031-06-01T10:00', end: '2031-06-01T11:00', time_zone: 'Europe/Paris', attendees: ['ana@example.com'] },
    });
    expect(ev.isError, JSON.stringify(ev)).toBeFalsy();
    expect(s.stderr()).not.toContain('fake_rt_');
    await s.close();
    g.assertNoViolations();
  });

  it('loads nodemailer and html-to-text from dist/: a threaded Gmail draft and an HTML message read as text', async () => {
    g.mail.set('msg9001', {
      id: 'msg9001',
      threadId: 'thr9001',
      labelIds: ['INBOX'],
      from: 'ana@example.com',
      to: 'me@example.com',
      subject: 'Hello',
      date: 'Mon, 3 Mar 2031 10:00:00 +0000',
      messageId: '<x1@example.com>',
      html: '<h1>Hi</h1><p>See <b>below</b></p><span style="display:none">hidden</span>',
    });
    const s = await spawnStdio(bin, { args: ['--toolsets', 'gmail'], env: { ...oauthEnv(g, dir), GOOGLE_ALLOWED_RECIPIENTS: '@example.com' } });
    const m = await s.client.callTool({ name: 'gmail_get_message', arguments: { message_id: 'msg9001' } });
    expect(m.isError, JSON.stringify(m)).toBeFalsy();
    const body = (m.structuredContent as { message: { body: string } }).message.body;
    expect(body).toContain('See below');
    expect(body).not.toContain('hidden');
    const d = await s.client.callTool({ name: 'gmail_create_draft', arguments: { to: ['ana@example.com'], body: 'Thanks', reply_to_message_id: 'msg9001' } });
    expect(d.isError, JSON.stringify(d)).toBeFalsy();
    const draft = g.mail.get((d.structuredContent as { messageId: string }).messageId)!;
    expect(draft.headers['in-reply-to']).toBe('<x1@example.com>');
    await s.close();
    g.assertNoViolations();
  });

  it('reads a PDF from Drive through the documents worker shipped beside the bundle', async () => {
    g.files.set('pdfE2E1', {
      kind: 'drive#file',
      id: 'pdfE2E1',
      name: 'q3.pdf',
      mimeType: 'application/pdf',
      parents: ['root'],
      trashed: false,
      content: tinyPdf(['Quarterly report', 'Revenue up 12%']).toString('latin1'),
    });
    const s = await spawnStdio(bin, { env: oauthEnv(g, dir) });
    const r = await s.client.callTool({ name: 'drive_read_file', arguments: { file_id: 'pdfE2E1' } });
    expect(r.isError, JSON.stringify(r)).toBeFalsy();
    expect((r.structuredContent as { text: string }).text).toContain('Revenue up 12%');
    await s.close();
  });

  it('answers piped JSON-RPC lines before it exits, with nothing but protocol on stdout', async () => {
    const run = await rawStdio(bin, jsonLines([{ method: 'tools/list' }, { method: 'tools/call', params: { name: 'sheets_get_info', arguments: { spreadsheet_id: sheet } } }]), {
      env: oauthEnv(g, dir),
    });
    expect(run.code).toBe(0);
    expect(run.messages.map((m) => m.id)).toEqual([0, 1, 2]);
    expect(run.messages[0].result.serverInfo.name).toBe('bizmcp-google-workspace');
    expect(run.messages[2].result.structuredContent.title).toBe('E2E');
  });

  it('--help names the auth subcommand and the toolsets; a bad setting is one line', async () => {
    const help = await rawStdio(bin, '', { args: ['--help'] });
    expect(help.stderr).toContain('auth');
    expect(help.stderr).toContain('GOOGLE_IMPERSONATE_USER');
    const bad = await rawStdio(bin, '', { env: { GOOGLE_IMPERSONATE_USER: 'not-an-address' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
