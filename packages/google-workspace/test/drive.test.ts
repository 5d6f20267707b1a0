// The Drive toolset beyond list and upload: search (query checked before sending), metadata,
// reading as text, downloads into the sandbox, folders, moves, shares (allow-list, public links
// refused by default) and trash; each against the fake, with an oracle on what reached it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { textOf } from '@bizmcp/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkDriveQuery } from '../src/drive-query.js';
import { driveCreateFolder, driveDownloadFile, driveGetFile, driveMoveFile, driveReadFile, driveSearch, driveShareFile, driveTrashFile, driveUploadFile } from '../src/tools/drive.js';
import { type FakeGoogle, startFakeGoogle } from './fake-google.js';
import { connect, storeToken, tempDir, tinyPdf } from './helpers.js';

let g: FakeGoogle;
let dir: string;
let root: string;
let c: Awaited<ReturnType<typeof connect>>;
const put = (f: Record<string, unknown>) => {
  const file = { kind: 'drive#file', parents: ['root'], trashed: false, modifiedTime: new Date().toISOString(), ...f };
  g.files.set(String(f.id), file);
  return file;
};

beforeAll(async () => {
  g = await startFakeGoogle();
  dir = tempDir();
  root = tempDir('gw-dl-');
  await storeToken(g, dir);
  c = await connect(g, dir, { env: { GOOGLE_FILE_ROOTS: root, GOOGLE_ALLOWED_RECIPIENTS: '@example.com', GOOGLE_MAX_TEXT_CHARS: '1000' } });
  put({ id: 'docA1', name: 'Budget notes', mimeType: 'application/vnd.google-apps.document', exports: { 'text/plain': 'Budget for Q3\nline two', 'application/pdf': '%PDF-1.7 fake' } });
  put({ id: 'sheetA1', name: 'Budget 2025', mimeType: 'application/vnd.google-apps.spreadsheet', exports: { 'text/csv': 'a,b\n1,2\n' } });
  put({ id: 'txtA1', name: 'long.txt', mimeType: 'text/plain', content: 'x'.repeat(2500), size: '2500' });
  put({ id: 'binA1', name: 'photo.png', mimeType: 'image/png', content: 'PNGDATA', size: '7' });
  put({ id: 'oldA1', name: 'Budget old', mimeType: 'text/plain', trashed: true, content: 'old' });
});
afterEach(() => {
  g.assertNoViolations();
  g.reset();
});
afterAll(async () => {
  await c.close();
  await g.close();
});

describe('drive_search', () => {
  it('sends a checked query, leaves trashed files out, pages', async () => {
    const r = await c.ok(driveSearch, { query: "name contains 'Budget'" });
    expect(r.files.map((f) => f.id).sort()).toEqual(['docA1', 'sheetA1']);
    const sent = new URL(g.apis.drive.calls('drive.files.list')[0].url, 'http://x').searchParams;
    expect(sent.get('q')).toBe("(name contains 'Budget') and trashed = false");
    expect(sent.get('supportsAllDrives')).toBe('true');
    const t = await c.ok(driveSearch, { query: "name contains 'Budget' and trashed = true" });
    expect(t.files.map((f) => f.id)).toEqual(['oldA1']);
  });

  it.each([
    ["name contains 'x", /not closed/],
    ['name contains x', /quoted value/],
    ["title contains 'x'", /not a field/],
    ["(name = 'a' or name = 'b'", /parenthesis/],
    ["trashed = 'no'", /true or false/],
    ["'abc' in title", /"in" takes/],
    ["name contains 'a' ; drop", /unexpected/],
  ])('refuses %s before sending', async (query, why) => {
    const r = await c.call('drive_search', { query });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(why);
    expect(g.calls).toHaveLength(0);
  });

  it('accepts the documented forms', () => {
    for (const q of [
      "'ROOT_ID' in parents and not trashed = true",
      "(mimeType = 'application/pdf' or fullText contains 'it\\'s') and modifiedTime > '2025-01-01T00:00:00'",
      "'ana@example.com' in owners and starred = true",
    ])
      expect(checkDriveQuery(q)).toBe(q);
  });
});

describe('metadata and reading', () => {
  it('drive_get_file gives metadata without content', async () => {
    const r = await c.ok(driveGetFile, { file_id: 'binA1' });
    expect(r.file).toMatchObject({ id: 'binA1', name: 'photo.png', mimeType: 'image/png', size: 7 });
  });

  it('reads a Google Doc as text, a Sheet as CSV, a text file paged', async () => {
    const d = await c.ok(driveReadFile, { file_id: 'docA1' });
    expect(d).toMatchObject({ as: 'text/plain', text: 'Budget for Q3\nline two', truncated: false });
    const s = await c.ok(driveReadFile, { file_id: 'sheetA1' });
    expect(s).toMatchObject({ as: 'text/csv', text: 'a,b\n1,2\n' });
    const t = await c.ok(driveReadFile, { file_id: 'txtA1' });
    expect(t.text).toHaveLength(1000);
    expect(t.nextStartIndex).toBe(1000);
    const t2 = await c.ok(driveReadFile, { file_id: 'txtA1', start_index: 2000 });
    expect(t2.text).toHaveLength(500);
    expect(t2.truncated).toBe(false);
  });

  it('reads a PDF through core’s document extraction, paged with a cursor', async () => {
    put({ id: 'pdfA1', name: 'invoice.pdf', mimeType: 'application/pdf', content: tinyPdf(['Invoice 42', 'Total due: 1250 EUR']).toString('latin1') });
    const r = await c.ok(driveReadFile, { file_id: 'pdfA1' });
    expect(r.as).toBe('application/pdf');
    expect(r.text).toContain('Invoice 42');
    expect(r.text).toContain('Total due: 1250 EUR');
    expect(r.pages).toBe(1);
    const small = await c.ok(driveReadFile, { file_id: 'pdfA1', max_chars: 100 });
    expect(small.truncated === false || typeof small.nextCursor === 'string').toBe(true);
  });

  it('does not read binary files as text, and says what to use', async () => {
    const r = await c.call('drive_read_file', { file_id: 'binA1' });
    expect(textOf(r)).toMatch(/drive_download_file/);
    expect(g.ops()).toEqual(['drive.files.get']);
  });
});

describe('downloads into the sandbox', () => {
  it('saves a binary file and an exported Doc; an existing file is kept unless overwrite', async () => {
    const b = await c.ok(driveDownloadFile, { file_id: 'binA1', path: '.' });
    expect(readFileSync(b.path, 'utf8')).toBe('PNGDATA');
    const d = await c.ok(driveDownloadFile, { file_id: 'docA1', path: '.', export_format: 'pdf' });
    expect(d.path.endsWith('Budget notes.pdf')).toBe(true);
    expect(readFileSync(join(root, 'Budget notes.pdf'), 'utf8')).toBe('%PDF-1.7 fake');
    expect((await c.call('drive_download_file', { file_id: 'binA1', path: '.' })).isError).toBe(true);
    expect((await c.call('drive_download_file', { file_id: 'binA1', path: '.', overwrite: true })).isError).toBeFalsy();
  });

  it('refuses a path outside the roots and a format the type has not', async () => {
    const r = await c.call('drive_download_file', { file_id: 'binA1', path: '../escape.png' });
    expect(r.isError).toBe(true);
    const f = await c.call('drive_download_file', { file_id: 'sheetA1', path: '.', export_format: 'docx' });
    expect(textOf(f)).toMatch(/xlsx, csv/);
  });
});

describe('writes', () => {
  it('creates a folder, moves a file into it, trashes it', async () => {
    const f = await c.ok(driveCreateFolder, { name: 'Archive' });
    expect(f.folder.mimeType).toBe('application/vnd.google-apps.folder');
    const m = await c.ok(driveMoveFile, { file_id: 'binA1', folder_id: f.folder.id, new_name: 'photo-2025.png' });
    expect(m.file.parents).toEqual([f.folder.id]);
    expect(m.file.name).toBe('photo-2025.png');
    const upd = new URL(g.apis.drive.calls('drive.files.update')[0].url, 'http://x').searchParams;
    expect(upd.get('removeParents')).toBe('root');
    const t = await c.ok(driveTrashFile, { file_id: 'binA1' });
    expect(t.file.trashed).toBe(true);
  });

  it('shares with allowed addresses only, quietly unless notify', async () => {
    const ok = await c.ok(driveShareFile, { file_id: 'docA1', role: 'commenter', email: 'bo@example.com' });
    expect(ok).toMatchObject({ role: 'commenter', type: 'user', emailAddress: 'bo@example.com' });
    expect(new URL(g.apis.drive.calls('drive.permissions.create')[0].url, 'http://x').searchParams.get('sendNotificationEmail')).toBe('false');
    g.reset();
    for (const email of ['eve@evil.test', 'bo@example.com.evil.test', 'Bo <eve@evil.test>']) {
      const r = await c.call('drive_share_file', { file_id: 'docA1', role: 'writer', email });
      expect(r.isError, email).toBe(true);
    }
    const pub = await c.call('drive_share_file', { file_id: 'docA1', role: 'reader', anyone_with_link: true });
    expect(textOf(pub)).toMatch(/GOOGLE_ALLOW_PUBLIC_SHARING/);
    expect(g.ops()).toEqual([]);
  });

  it('public links only with GOOGLE_ALLOW_PUBLIC_SHARING=1, and never as writer', async () => {
    const p = await connect(g, dir, { env: { GOOGLE_ALLOW_PUBLIC_SHARING: '1' } });
    expect((await p.call('drive_share_file', { file_id: 'docA1', role: 'writer', anyone_with_link: true })).isError).toBe(true);
    const r = await p.ok(driveShareFile, { file_id: 'docA1', role: 'reader', anyone_with_link: true });
    expect(r.type).toBe('anyone');
    await p.close();
  });
});

describe('resumable uploads', () => {
  it('sends a large file in chunks to the session (no token there) and resumes after a failed chunk without resending it', async () => {
    const up = await connect(g, dir, { env: { GOOGLE_FILE_ROOTS: root, GOOGLE_RESUMABLE_ABOVE_BYTES: '300000', GOOGLE_UPLOAD_CHUNK_BYTES: '262144' } });
    const bytes = Buffer.alloc(700_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = 97 + (i % 26);
    writeFileSync(join(root, 'big.txt'), bytes);
    g.failChunks(1);
    const r = await up.ok(driveUploadFile, { path: 'big.txt', folder_id: 'root' });
    expect(r).toMatchObject({ resumable: true, bytes: 700_000, resumed: 1 });
    expect(g.files.get(r.file.id)!.content).toBe(bytes.toString('latin1'));
    const puts = g.apis.drive.calls('drive.resumable.put');
    expect(puts.every((p) => p.headers.authorization === undefined)).toBe(true);
    const chunkBytes = puts.reduce((n, p) => n + (p.rawBody?.length ?? 0), 0);
    expect(chunkBytes).toBe(700_000); // the failed chunk was held by the session and not sent again
    const init = g.apis.drive.calls('drive.files.create').at(-1)!;
    expect(init.url).toContain('uploadType=resumable');
    expect(init.headers['x-upload-content-length']).toBe('700000');
    await up.close();
  });

  it('a chunk size that is not a multiple of 256 KiB stops the server with one line', async () => {
    await expect(connect(g, dir, { env: { GOOGLE_UPLOAD_CHUNK_BYTES: '300000' } })).rejects.toThrow(/multiple of 262144/);
  });
});
