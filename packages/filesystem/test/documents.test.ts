// read_document and read_binary_file through the SDK client (in-process and the built binary), and
// the refusal hints of the reading tools: each names a tool that accepts the file.
import * as fs from 'node:fs';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtBin, connectInProcess, type InProcess, spawnStdio, textOf } from '@bizmcp/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as corpus from '../../core/test/documents-corpus.js';
import server from '../src/server.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'bizmcp-fs-docs-')));
const root = join(base, 'root');
const outside = join(base, 'outside');
let s: InProcess;

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

beforeAll(async () => {
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(outside, { recursive: true });
  fs.writeFileSync(join(root, 'invoice.pdf'), await corpus.pdf([['Invoice 2026-001', 'Total: 1 250.00 EUR'], ['Terms: 30 days'], ['Bank details']]));
  fs.writeFileSync(join(root, 'contract.docx'), await corpus.docx());
  fs.writeFileSync(join(root, 'prices.xlsx'), await corpus.xlsx());
  fs.writeFileSync(join(root, 'review.pptx'), await corpus.pptx());
  fs.writeFileSync(join(root, 'minutes.odt'), corpus.odt());
  fs.writeFileSync(join(root, 'stock.ods'), corpus.ods());
  fs.writeFileSync(join(root, 'roadmap.odp'), corpus.odp());
  fs.writeFileSync(join(root, 'list.csv'), 'sku,qty\nA-1,4\nB-2,9\n');
  fs.writeFileSync(join(root, 'report.pdf.txt'), 'just text');
  fs.writeFileSync(join(root, 'image.png'), PNG);
  fs.writeFileSync(join(root, 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));
  fs.writeFileSync(join(root, 'renamed.txt'), await corpus.pdf([['A PDF under another name']]));
  fs.writeFileSync(join(outside, 'secret.pdf'), await corpus.pdf([['SECRET']]));
  fs.symlinkSync(join(outside, 'secret.pdf'), join(root, 'link.pdf'));
  s = await connectInProcess(server, { argv: [root] });
});
afterAll(async () => {
  await s?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

describe('read_document', () => {
  it('reads every format, detected by content', async () => {
    const cases: [string, string, string][] = [
      ['invoice.pdf', 'pdf', '--- Page 1 of 3 ---\nInvoice 2026-001\nTotal: 1 250.00 EUR'],
      ['contract.docx', 'docx', '# Service Agreement'],
      ['prices.xlsx', 'xlsx', '| 2 | Widget | 9.5 | 3 |'],
      ['review.pptx', 'pptx', 'Speaker notes:\nMention the new customers first.'],
      ['minutes.odt', 'odt', '- Budget approved'],
      ['stock.ods', 'ods', '| 2 | Bolts | 250 |'],
      ['roadmap.odp', 'odp', 'Roadmap 2027'],
      ['list.csv', 'csv', '| 3 | B-2 | 9 |'],
      ['renamed.txt', 'pdf', 'A PDF under another name'],
    ];
    for (const [file, type, text] of cases) {
      const r = await s.ok('read_document', { path: file });
      expect(r.type, file).toBe(type);
      expect(r.text, file).toContain(text);
      expect(r.path).toBe(join(root, file));
    }
  });

  it('pages, sheet and rows select part of a document; the cursor continues', async () => {
    const p = await s.ok('read_document', { path: 'invoice.pdf', pages: '2-3' });
    expect(p.text).toBe('--- Page 2 of 3 ---\nTerms: 30 days\n\n--- Page 3 of 3 ---\nBank details\n');
    const sheet = await s.ok('read_document', { path: 'prices.xlsx', sheet: 'Summary', rows: '2' });
    expect(sheet.text).toBe('## Sheet "Summary"\n\n| # | A | B |\n| --- | --- | --- |\n| 2 | Total | 3 |\n');
    const first = await s.call('read_document', { path: 'invoice.pdf', max_chars: 1000 });
    expect(first.isError).toBeFalsy();
    const whole = await s.ok('read_document', { path: 'invoice.pdf' });
    expect(whole.truncated).toBe(false);
    const bigDoc = join(root, 'long.pdf');
    fs.writeFileSync(bigDoc, await corpus.pdf(Array.from({ length: 40 }, (_, i) => [`Page ${i + 1} ${'lorem ipsum '.repeat(8)}`])));
    const a = await s.ok('read_document', { path: 'long.pdf', max_chars: 1000 });
    expect(a.truncated).toBe(true);
    expect(textOf(await s.call('read_document', { path: 'long.pdf', max_chars: 1000 }))).toContain(`call again with cursor "${a.nextCursor}"`);
    const b = await s.ok('read_document', { path: 'long.pdf', max_chars: 1000, cursor: a.nextCursor });
    expect(b.offset).toBe(1000);
    expect(a.text + b.text).toBe((await s.ok('read_document', { path: 'long.pdf', max_chars: 2000 })).text);
    expect(textOf(await s.call('read_document', { path: 'long.pdf', pages: '5-2' }))).toMatch(/Not a range/);
  });

  it('says what was left out, and include_hidden reads hidden sheets', async () => {
    const r = await s.call('read_document', { path: 'prices.xlsx' });
    expect(textOf(r)).toContain('[left out: 1 hidden sheets; include_hidden reads hidden sheets and slides]');
    const h = await s.ok('read_document', { path: 'prices.xlsx', include_hidden: true });
    expect(h.text).toContain('## Sheet "Secret" (hidden sheet)');
  });

  it('stays inside the allowed directories and refuses what it cannot read with a tool that can', async () => {
    const link = await s.call('read_document', { path: 'link.pdf' });
    expect(link.isError).toBe(true);
    expect(textOf(link)).not.toContain('SECRET');
    const escaped = await s.call('read_document', { path: join(outside, 'secret.pdf') });
    expect(escaped.isError).toBe(true);
    const bin = await s.call('read_document', { path: 'blob.bin' });
    expect(textOf(bin)).toMatch(/Not a document.*read_binary_file returns its bytes/s);
    const img = await s.call('read_document', { path: 'image.png' });
    expect(textOf(img)).toMatch(/use read_media_file/);
    const small = await connectInProcess(server, { argv: [root], env: { FS_MAX_DOCUMENT_BYTES: '100' } });
    expect(textOf(await small.call('read_document', { path: 'invoice.pdf' }))).toMatch(/too large/i);
    await small.close();
  });
});

describe('read_binary_file and the hints of the other reading tools', () => {
  it('returns any file as a base64 blob resource, capped', async () => {
    const r = await s.call('read_binary_file', { path: 'blob.bin' });
    expect(r.structuredContent).toMatchObject({ path: join(root, 'blob.bin'), size: 6, mimeType: 'application/octet-stream' });
    const res = (r.content as { type: string; resource?: { uri: string; blob: string } }[]).find((c) => c.type === 'resource');
    expect(res?.resource?.uri).toBe(pathToFileURL(join(root, 'blob.bin')).href);
    expect(Buffer.from(res?.resource?.blob ?? '', 'base64')).toEqual(Buffer.from([0, 1, 2, 3, 0, 255]));
    const capped = await connectInProcess(server, { argv: [root], env: { FS_MAX_BINARY_BYTES: '4' } });
    const big = await capped.call('read_binary_file', { path: 'blob.bin' });
    expect(big.isError).toBe(true);
    expect(textOf(big)).toMatch(/FS_MAX_BINARY_BYTES/);
    await capped.close();
  });

  it('every refusal names a tool that reads the file (no circle)', async () => {
    const accepts: Record<string, string> = {};
    for (const file of ['blob.bin', 'invoice.pdf', 'image.png', 'report.pdf.txt', 'contract.docx']) {
      for (const name of ['read_text_file', 'read_media_file']) {
        const r = await s.call(name, { path: file });
        if (!r.isError) continue;
        const next = /use (read_\w+)|(read_\w+) returns/.exec(textOf(r));
        expect(next, `${name} on ${file}: ${textOf(r)}`).not.toBeNull();
        const tool = (next?.[1] ?? next?.[2]) as string;
        expect(tool).not.toBe(name);
        const followed = await s.call(tool, { path: file });
        expect(followed.isError, `${tool} on ${file} after ${name}`).toBeFalsy();
        accepts[file] = tool;
      }
    }
    expect(accepts).toEqual({
      'blob.bin': 'read_binary_file',
      'invoice.pdf': 'read_document',
      'image.png': 'read_media_file',
      'report.pdf.txt': 'read_text_file',
      'contract.docx': 'read_document',
    });
  });
});

describe('the built binary', () => {
  it('reads every format over stdio', async () => {
    const p = await spawnStdio(builtBin('filesystem'), { args: [root] });
    for (const [file, text] of [
      ['invoice.pdf', 'Invoice 2026-001'],
      ['contract.docx', '| Licence | 1200 |'],
      ['prices.xlsx', '| 1 | Product | Price | Qty |'],
      ['review.pptx', 'Quarterly Review'],
      ['minutes.odt', '# Minutes'],
      ['stock.ods', 'Bolts'],
      ['roadmap.odp', 'Keep it short'],
      ['list.csv', 'A-1'],
    ]) {
      const r = await p.client.callTool({ name: 'read_document', arguments: { path: file } });
      expect(r.isError, `${file}: ${textOf(r as never)}`).toBeFalsy();
      expect(textOf(r as never)).toContain(text);
    }
    const bin = await p.client.callTool({ name: 'read_binary_file', arguments: { path: 'blob.bin' } });
    expect(bin.isError).toBeFalsy();
    await p.close();
    expect(p.stderr()).not.toContain('"level":50');
  });
});
