// A 10 000-message mailbox: paging newest first with cursors, unread and subject filters, the
// attachment filter, and no repeats or gaps across pages. (Latency is measured by bench/email.mjs.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, type InProcess } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { BULK, bulkMessages } from './helpers/bulk.js';
import { startWorld, type World } from './helpers/world.js';

const N = 10_000;
let world: World;
let c: InProcess;

beforeAll(async () => {
  world = await startWorld({
    users: [BULK],
    prefill(d) {
      // maildir files are read in name order: seen flags from the file name (":2,S")
      let i = 0;
      const all = [...bulkMessages(N)];
      d.writeMany(
        BULK.user,
        all.filter((_, k) => k % 10 !== 0),
        { seen: true },
      );
      i = d.writeMany(
        BULK.user,
        all.filter((_, k) => k % 10 === 0),
        { seen: false },
      );
      expect(i).toBe(N / 10);
    },
  });
  c = await connectInProcess(server, { env: world.env(BULK) });
});

afterAll(async () => {
  await c?.close();
  await world?.close();
});

describe('10 000-message mailbox', () => {
  it('pages newest first with cursors, without repeats or gaps', async () => {
    const first = await c.ok('read_inbox', { limit: 100 });
    expect(first.total).toBe(N);
    expect(first.messages).toHaveLength(100);
    expect(first.truncated).toBe(true);
    const seen = new Set<number>();
    let page = first;
    for (let p = 0; p < 5; p++) {
      const uids = page.messages.map((m: { uid: number }) => m.uid);
      expect(uids).toEqual([...uids].sort((a, b) => b - a));
      for (const u of uids) {
        expect(seen.has(u)).toBe(false);
        seen.add(u);
      }
      page = await c.ok('read_inbox', { limit: 100, cursor: page.nextCursor });
    }
    const sorted = [...seen].sort((a, b) => b - a);
    expect(sorted[0] - sorted[sorted.length - 1]).toBe(499); // contiguous: no gaps
    expect(first.messages[0].snippet).toMatch(/^Body of message \d+ from the bulk generator\.$/);
  });

  it('goes to the last page', async () => {
    let cursor: string | undefined;
    let pages = 0;
    let last;
    do {
      last = await c.ok('read_inbox', { limit: 100, snippets: false, ...(cursor ? { cursor } : {}) });
      cursor = last.nextCursor;
      pages++;
    } while (cursor && pages < 200);
    expect(pages).toBe(N / 100);
    expect(last.truncated).toBe(false);
  });

  it('filters unread, by subject, and by attachment', async () => {
    const unread = await c.ok('read_inbox', { unread_only: true, limit: 10 });
    expect(unread.total).toBe(N / 10);
    expect(unread.messages.every((m: { flags: { seen: boolean } }) => !m.flags.seen)).toBe(true);
    const inv = await c.ok('search_emails', { subject: 'Invoice', limit: 100 });
    expect(inv.total).toBe(N / 100);
    expect(inv.messages.every((m: { subject: string }) => m.subject.startsWith('Invoice'))).toBe(true);
    const att = await c.ok('search_emails', { has_attachment: true, limit: 20 });
    expect(att.messages).toHaveLength(20);
    expect(att.messages.every((m: { attachments: string[] }) => /^data-\d+\.csv$/.test(m.attachments[0]))).toBe(true);
    const next = await c.ok('search_emails', { has_attachment: true, limit: 20, cursor: att.nextCursor });
    expect(next.messages[0].uid).toBeLessThan(att.messages[19].uid);
    const body = await c.ok('search_emails', { body: 'message 4242', limit: 5 });
    expect(body.messages.map((m: { subject: string }) => m.subject)).toContain('Message 4242');
    const bad = await c.call('search_emails', { subject: 'Message', cursor: att.nextCursor });
    expect(bad.isError).toBe(true);
  });
});
