// get_attachment_text: attachments sent through SMTP into dovecot, read as text in-process and
// through the built binary; the format comes from the bytes, not the name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtBin, connectInProcess, type InProcess, spawnStdio, textOf } from '@bizmcp/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as corpus from '../../core/test/documents-corpus.js';
import server from '../src/server.js';
import { ALICE, BOB, startWorld, type World } from './helpers/world.js';

let world: World;
let files: string;
let bob: InProcess;
let uid: number;

const ATTACHED = ['invoice.pdf', 'contract.docx', 'prices.xlsx', 'review.pptx', 'minutes.odt', 'not-a.pdf', 'disguised.bin'];

beforeAll(async () => {
  world = await startWorld();
  files = mkdtempSync(join(tmpdir(), 'bizmcp-email-docs-'));
  writeFileSync(join(files, 'invoice.pdf'), await corpus.pdf([['Invoice 2026-001', 'Total: 1 250.00 EUR'], ['Terms: 30 days']]));
  writeFileSync(join(files, 'contract.docx'), await corpus.docx());
  writeFileSync(join(files, 'prices.xlsx'), await corpus.xlsx());
  writeFileSync(join(files, 'review.pptx'), await corpus.pptx());
  writeFileSync(join(files, 'minutes.odt'), corpus.odt());
  writeFileSync(join(files, 'not-a.pdf'), Buffer.from([0, 1, 2, 3, 0, 255, 7]));
  writeFileSync(join(files, 'disguised.bin'), await corpus.pdf([['A PDF sent as .bin']]));
  const alice = await connectInProcess(server, { env: world.env(ALICE, { EMAIL_SEND_MODE: 'send', EMAIL_ATTACHMENT_DIR: files }) });
  await alice.ok('send_email', { to: [BOB.user], subject: 'Documents for review', text: 'See attached.', attachments: ATTACHED.map((path) => ({ path })) });
  await alice.close();
  bob = await connectInProcess(server, { env: world.env(BOB) });
  uid = (await bob.ok('search_emails', { subject: 'Documents for review' })).messages[0].uid;
});

afterAll(async () => {
  await bob?.close();
  await world?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

describe('get_attachment_text', () => {
  it('reads each document attachment without EMAIL_ATTACHMENT_DIR', async () => {
    const full = await bob.ok('get_email', { uid });
    expect(full.attachments.map((a: { filename: string }) => a.filename)).toEqual(ATTACHED);
    const expected: Record<number, [string, string]> = {
      0: ['pdf', '--- Page 1 of 2 ---\nInvoice 2026-001\nTotal: 1 250.00 EUR'],
      1: ['docx', '| Licence | 1200 |'],
      2: ['xlsx', '| 2 | Widget | 9.5 | 3 |'],
      3: ['pptx', 'Speaker notes:\nMention the new customers first.'],
      4: ['odt', '# Minutes'],
      6: ['pdf', 'A PDF sent as .bin'],
    };
    for (const [index, [type, text]] of Object.entries(expected)) {
      const r = await bob.ok('get_attachment_text', { uid, index: Number(index) });
      expect(r.type, ATTACHED[Number(index)]).toBe(type);
      expect(r.text).toContain(text);
      expect(r.filename).toBe(ATTACHED[Number(index)]);
    }
    const docx = await bob.call('get_attachment_text', { uid, index: 1 });
    expect(textOf(docx)).not.toContain('IGNORE');
    const page = await bob.ok('get_attachment_text', { uid, index: 0, pages: '2' });
    expect(page.text).toBe('--- Page 2 of 2 ---\nTerms: 30 days\n');
  });

  it('refuses what is not a document, a missing index and an oversized attachment', async () => {
    const bin = await bob.call('get_attachment_text', { uid, index: 5 });
    expect(bin.isError).toBe(true);
    expect(textOf(bin)).toMatch(/Not a document.*download_attachment saves it/s);
    expect(textOf(await bob.call('get_attachment_text', { uid, index: 9 }))).toMatch(/no attachment #9 \(it has 7\)/);
    const small = await connectInProcess(server, { env: world.env(BOB, { EMAIL_MAX_ATTACHMENT_BYTES: '100' }) });
    expect(textOf(await small.call('get_attachment_text', { uid, index: 0 }))).toMatch(/over the 100-byte limit/);
    await small.close();
  });

  it('works through the built binary over stdio', async () => {
    const p = await spawnStdio(builtBin('email'), { env: world.env(BOB) });
    try {
      for (const [index, text] of [
        [0, 'Invoice 2026-001'],
        [1, '# Service Agreement'],
        [2, '## Sheet "Prices"'],
        [3, 'Quarterly Review'],
        [4, 'Budget approved'],
      ] as const) {
        const r = await p.client.callTool({ name: 'get_attachment_text', arguments: { uid, index } });
        expect(r.isError, textOf(r as never)).toBeFalsy();
        expect(textOf(r as never)).toContain(text);
      }
    } finally {
      await p.close();
    }
  });
});
