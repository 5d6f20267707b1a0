// The safety rules, each with an oracle on what reached the fake Google: nothing written under
// --read-only, no attendee outside the allow-list, uploads only from the sandbox roots, reads
// retried on quota errors and writes never, a timed-out append reported as unknown and not
// repeated, and no token in any result or log.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { textOf } from '@bizmcp/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGoogle, seedSheet, startFakeGoogle } from './fake-google.js';
import { connect, storeToken, tempDir } from './helpers.js';

let g: FakeGoogle;
let dir: string;
let rt: string;
let sheet: string;
const WRITE_OPS = /\.(create|insert|batchUpdate|update|append|clear|delete|patch|send|modify|trash)$/;

beforeAll(async () => {
  g = await startFakeGoogle();
  dir = tempDir();
  rt = await storeToken(g, dir);
  sheet = seedSheet(g, 'S', [['a', 'b']]);
});
afterEach(() => {
  g.assertNoViolations();
  g.reset();
});
afterAll(async () => g.close());

describe('--read-only', () => {
  it('offers no write tool, and a write call reaches nothing', async () => {
    const c = await connect(g, dir, { argv: ['--toolsets', 'all', '--read-only'] });
    const names = (await c.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('sheets_read_range');
    for (const w of ['sheets_write_range', 'sheets_append_rows', 'docs_create', 'drive_upload_file', 'calendar_create_event']) expect(names).not.toContain(w);
    const attempts: [string, Record<string, unknown>][] = [
      ['sheets_write_range', { spreadsheet_id: sheet, range: 'Data!A1', values: [['x']] }],
      ['docs_create', { title: 'x' }],
      ['calendar_create_event', { summary: 'x', start: '2031-01-01', end: '2031-01-02' }],
    ];
    for (const [name, args] of attempts)
      await c.client.callTool({ name, arguments: args }).then(
        (r) => expect(r.isError).toBe(true),
        () => undefined,
      );
    expect(g.ops().filter((o) => WRITE_OPS.test(o))).toEqual([]);
    await c.close();
  });
});

describe('attendees go only to allowed addresses', () => {
  const ev = (attendees: string[]) => ({ summary: 'Sync', start: '2031-02-01T10:00:00Z', end: '2031-02-01T11:00:00Z', attendees });
  it.each([
    ['not on the list', '@example.com', ['mallory@evil.test']],
    ['a look-alike domain', '@example.com', ['ana@exаmple.com']],
    ['a second address smuggled in', '@example.com', ['ana@example.com, mallory@evil.test']],
    ['a display name hiding another address', '@example.com', ['"ana@example.com" <mallory@evil.test>']],
    ['the allow-list unset', '', ['ana@example.com']],
  ])('refused: %s', async (_why, allowed, attendees) => {
    const c = await connect(g, dir, { env: { GOOGLE_ALLOWED_RECIPIENTS: allowed } });
    const r = await c.call('calendar_create_event', ev(attendees));
    expect(r.isError).toBe(true);
    expect(g.ops()).toEqual([]);
    await c.close();
  });

  it('allowed attendees are added without invitations unless asked', async () => {
    const c = await connect(g, dir, { env: { GOOGLE_ALLOWED_RECIPIENTS: '@example.com' } });
    await c.ok('calendar_create_event', ev(['ana@example.com']));
    await c.ok('calendar_create_event', { ...ev(['bo@example.com']), send_invitations: true });
    const sent = g.apis.calendar.calls('calendar.events.insert').map((r) => new URL(r.url, 'http://x').searchParams.get('sendUpdates'));
    expect(sent).toEqual(['none', 'all']);
    await c.close();
  });
});

describe('uploads only from the sandbox roots', () => {
  it.each([
    ['a parent escape', '../secret.txt'],
    ['an absolute path outside', '/etc/hostname'],
    ['a link out of the root', 'link.txt'],
  ])('refused: %s', async (_why, path) => {
    const root = tempDir('gw-root-');
    const outside = tempDir('gw-out-');
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
    mkdirSync(join(root, 'sub'));
    const c = await connect(g, dir, { env: { GOOGLE_FILE_ROOTS: join(root, 'sub') } });
    const r = await c.call('drive_upload_file', { path: path === 'link.txt' ? '../link.txt' : path });
    expect(r.isError).toBe(true);
    const c2 = await connect(g, dir, { env: { GOOGLE_FILE_ROOTS: root } });
    if (path === 'link.txt') expect((await c2.call('drive_upload_file', { path })).isError).toBe(true);
    expect(g.ops()).toEqual([]);
    await c.close();
    await c2.close();
  });

  it('no roots configured: the tool says what to set, and sends nothing', async () => {
    const c = await connect(g, dir);
    const r = await c.call('drive_upload_file', { path: '/etc/hostname' });
    expect(textOf(r)).toContain('GOOGLE_FILE_ROOTS');
    expect(g.ops()).toEqual([]);
    await c.close();
  });

  it('a file over GOOGLE_MAX_UPLOAD_BYTES is refused', async () => {
    const root = tempDir('gw-root-');
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(2048));
    const c = await connect(g, dir, { env: { GOOGLE_FILE_ROOTS: root, GOOGLE_MAX_UPLOAD_BYTES: '1024' } });
    expect((await c.call('drive_upload_file', { path: 'big.bin' })).isError).toBe(true);
    expect(g.ops()).toEqual([]);
    await c.close();
  });
});

describe('quota errors and unknown outcomes', () => {
  const quota = {
    status: 403,
    headers: { 'content-type': 'application/json' },
    body: { error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits', message: 'Rate Limit Exceeded' }] } },
  };
  it('a read is retried after 429 and 403 rateLimitExceeded', async () => {
    const c = await connect(g, dir);
    g.failNext('sheets.spreadsheets.values.get', 1, {
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '0' },
      body: { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } },
    });
    expect((await c.call('sheets_read_range', { spreadsheet_id: sheet, range: 'Data!A1:B1' })).isError).toBeFalsy();
    g.failNext('sheets.spreadsheets.values.get', 1, quota);
    expect((await c.call('sheets_read_range', { spreadsheet_id: sheet, range: 'Data!A1:B1' })).isError).toBeFalsy();
    expect(g.calls.map((x) => x.status)).toEqual([429, 200, 403, 200]);
    await c.close();
  });

  it('a write is not retried: one request, the error says rate limited', async () => {
    const c = await connect(g, dir);
    g.failNext('sheets.spreadsheets.values.append', 1, quota);
    const r = await c.call('sheets_append_rows', { spreadsheet_id: sheet, range: 'Data!A:B', values: [['x', 'y']] });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/rate/i);
    expect(g.ops()).toEqual(['sheets.spreadsheets.values.append']);
    await c.close();
  });

  it('an append that times out is UNKNOWN and not repeated until confirmed', async () => {
    const c = await connect(g, dir, { env: { BIZMCP_TIMEOUT_MS_SHEETS_APPEND_ROWS: '300' } });
    g.failNext('sheets.spreadsheets.values.append', 1, () => new Promise((r) => setTimeout(() => r({ status: 200, body: { updates: { updatedRange: 'Data!A2:B2' } } }), 800)));
    const args = { spreadsheet_id: sheet, range: 'Data!A:B', values: [['late', 'row']] };
    const first = await c.call('sheets_append_rows', args);
    expect(textOf(first)).toMatch(/UNKNOWN/);
    const again = await c.call('sheets_append_rows', args);
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/not repeated/);
    await new Promise((r) => setTimeout(r, 600));
    expect(g.ops().filter((o) => o.endsWith('append'))).toHaveLength(1);
    expect((await c.call('sheets_append_rows', { ...args, confirm_repeat: true })).isError).toBeFalsy();
    await c.close();
  });

  it('no token appears in results or logs', async () => {
    const c = await connect(g, dir);
    const r = await c.call('sheets_read_range', { spreadsheet_id: sheet, range: 'Data!A1:B1' });
    g.oauth.revoke(rt);
    g.oauth.expireAll();
    const bad = await c.call('sheets_read_range', { spreadsheet_id: sheet, range: 'Data!A1:B1' });
    const all = JSON.stringify([r, bad]) + c.logs.join('');
    expect(all).not.toContain(rt);
    expect(all).not.toMatch(/fake_at_/);
    await c.close();
  });
});
