// Reading and organising fixes, each against a real mailbox: an HTML body next to a text/plain
// attachment, per-UID truth from move_email and mark_email, CR/LF/NUL and impossible dates refused
// as validation errors, and a message nested thousands of MIME levels deep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { ALICE, BOB, rawMessage, startWorld, type World } from './helpers/world.js';

let world: World;
let alice: InProcess;

function deepMessage(levels: number): Buffer {
  let body = '';
  for (let i = 1; i < levels; i++) body += `--b${i - 1}\r\nContent-Type: multipart/mixed; boundary="b${i}"\r\n\r\n`;
  body += `--b${levels - 1}\r\nContent-Type: text/plain\r\n\r\nbottom of the nest\r\n`;
  for (let i = levels - 1; i >= 0; i--) body += `--b${i}--\r\n`;
  return rawMessage({ subject: 'Deep nest', contentType: 'multipart/mixed; boundary="b0"', body, messageId: '<deep@example.test>' });
}

beforeAll(async () => {
  world = await startWorld({
    prefill(d) {
      d.deliver(
        ALICE.user,
        rawMessage({
          subject: 'Html with text attachment',
          contentType: 'multipart/mixed; boundary="M"',
          body: '--M\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The visible <b>html</b> body.</p><p style="display:none">HIDDEN-ATT</p>\r\n--M\r\nContent-Type: text/plain; name="notes.txt"\r\nContent-Disposition: attachment; filename="notes.txt"\r\n\r\nnotes in the attachment\r\n--M--\r\n',
        }),
      );
      d.deliver(
        ALICE.user,
        rawMessage({
          subject: 'Bypass attempt',
          contentType: 'text/html; charset=utf-8',
          body: '<p>Please note content-type: text/plain is mentioned here.</p><div style="display:none">HIDDEN-BYPASS</div>',
        }),
      );
      d.deliver(ALICE.user, rawMessage({ subject: 'Plain body', body: 'A plain body mentioning content-type: text/plain.\r\n' }));
      d.deliver(ALICE.user, rawMessage({ subject: 'Mover one', messageId: '<m1@example.test>' }));
      d.deliver(ALICE.user, rawMessage({ subject: 'Mover two', messageId: '<m2@example.test>' }));
      d.deliver(ALICE.user, deepMessage(3000));
      d.deliver(
        ALICE.user,
        rawMessage({
          subject: 'Deep html',
          contentType: 'text/html; charset=utf-8',
          body: `<p>Top line.</p><p style="display:none">HIDDEN-DEEP</p>${'<div>'.repeat(20_000)}bottom${'</div>'.repeat(20_000)}`,
        }),
      );
    },
  });
  alice = await connectInProcess(server, { env: world.env(ALICE) });
});

afterAll(async () => {
  await alice?.close();
  await world?.close();
});

const uidOf = async (subject: string, mailbox = 'INBOX') => (await alice.ok('search_emails', { mailbox, subject })).messages[0]?.uid as number | undefined;

describe('bodies', () => {
  it('an HTML-only message with a text/plain attachment keeps its visible body', async () => {
    const uid = await uidOf('Html with text attachment');
    const m = await alice.ok('get_email', { uid });
    expect(m.text).toContain('The visible html body.');
    expect(m.text).not.toContain('HIDDEN-ATT');
    expect(m.text).not.toContain('notes in the attachment');
    expect(m.htmlConvertedToText).toBe(true);
    expect(m.hiddenRemoved).toBe(1);
    expect(m.attachments.map((a: { filename: string }) => a.filename)).toEqual(['notes.txt']);
    const s = (await alice.ok('search_emails', { subject: 'Html with text attachment' })).messages[0];
    expect(s.snippet).toContain('The visible html body.');
    expect(s.snippet).not.toContain('HIDDEN-ATT');
  });
  it('an HTML-only message that mentions content-type: text/plain is still filtered (get_email and snippets)', async () => {
    const m = await alice.ok('get_email', { uid: await uidOf('Bypass attempt') });
    expect(m.text).toContain('content-type: text/plain is mentioned here.');
    expect(m.text).not.toContain('HIDDEN-BYPASS');
    expect(m.hiddenRemoved).toBe(1);
    for (const page of [await alice.ok('read_inbox', { limit: 100 }), await alice.ok('search_emails', { subject: 'Bypass attempt' })]) {
      const s = page.messages.find((x: { subject: string }) => x.subject === 'Bypass attempt');
      expect(s.snippet).toContain('content-type: text/plain');
      expect(s.snippet).not.toContain('HIDDEN-BYPASS');
    }
  });
  it('a text/plain body is read as it is', async () => {
    const m = await alice.ok('get_email', { uid: await uidOf('Plain body') });
    expect(m.text).toContain('content-type: text/plain');
    expect(m.htmlConvertedToText).toBe(false);
  });
});

describe('move_email and mark_email report per UID', () => {
  it('mark_email: marks what exists, lists what does not, and refuses when nothing exists', async () => {
    const uid = (await uidOf('Mover one'))!;
    const r = await alice.ok('mark_email', { uids: [uid, 999_998], flagged: true });
    expect(r.uids).toEqual([uid]);
    expect(r.notFound).toEqual([999_998]);
    expect((await alice.ok('search_emails', { subject: 'Mover one' })).messages[0].flags.flagged).toBe(true);
    const none = await alice.call('mark_email', { uids: [999_999], seen: true });
    expect(none.isError).toBe(true);
    expect(textOf(none)).toMatch(/No message with uid 999999 in INBOX: nothing changed/);
  });
  it('move_email: moves what exists, lists what does not, and refuses when nothing exists', async () => {
    const before = world.dovecot.counts(ALICE.user);
    const none = await alice.call('move_email', { uids: [999_999], destination: 'Archive' });
    expect(none.isError).toBe(true);
    expect(textOf(none)).toMatch(/No message with uid 999999 in INBOX: nothing changed/);
    expect(world.dovecot.counts(ALICE.user)).toEqual(before);
    const uid = (await uidOf('Mover two'))!;
    const r = await alice.ok('move_email', { uids: [uid, 999_999], destination: 'Archive' });
    expect(r.moved).toHaveLength(1);
    expect(r.moved[0].uid).toBe(uid);
    expect(r.moved[0].newUid).toBeGreaterThan(0);
    expect(r.notFound).toEqual([999_999]);
    expect(await uidOf('Mover two', 'Archive')).toBe(r.moved[0].newUid);
    expect(await uidOf('Mover two')).toBeUndefined();
  });
});

describe('validation', () => {
  const refused = async (tool: string, args: Record<string, unknown>, field: string) => {
    const r = await alice.call(tool, args);
    expect(r.isError).toBe(true);
    const t = textOf(r);
    expect(t).not.toMatch(/Internal error|error id/i);
    expect(t).toContain(field);
    return t;
  };
  it.each([
    ['search_emails', { subject: 'a\r\nb' }, 'subject'],
    ['search_emails', { from: 'x\ny' }, 'from'],
    ['search_emails', { text: 'nul\u0000here' }, 'text'],
    ['search_emails', { body: 'cr\rhere' }, 'body'],
    ['search_emails', { mailbox: 'INBOX\r\nA1 DELETE INBOX' }, 'mailbox'],
    ['read_inbox', { mailbox: 'INBOX\u0000' }, 'mailbox'],
    ['get_email', { mailbox: 'INBOX\n', uid: 1 }, 'mailbox'],
    ['move_email', { uids: [1], destination: 'Archive\r\nX' }, 'destination'],
    ['mark_email', { mailbox: 'A\rB', uids: [1], seen: true }, 'mailbox'],
  ])('%s refuses CR/LF/NUL: %j', async (tool, args, field) => {
    expect(await refused(tool, args, field)).toMatch(/CR, LF or NUL/);
  });
  it.each([
    [{ since: '2024-02-31' }, 'since'],
    [{ before: '9999-99-99' }, 'before'],
    [{ since: '2023-02-29' }, 'since'],
    [{ before: '2024-13-01' }, 'before'],
  ])('search_emails refuses an impossible date: %j', async (args, field) => {
    expect(await refused('search_emails', args, field)).toMatch(/not a real calendar date/);
  });
  it('a real leap day is accepted', async () => {
    expect((await alice.ok('search_emails', { since: '2024-02-29' })).messages.length).toBeGreaterThan(0);
  });
});

describe('deep nesting', () => {
  it('an HTML body nested 20 000 elements deep is still read, hidden parts removed', async () => {
    const m = await alice.ok('get_email', { uid: await uidOf('Deep html') });
    expect(m.text).toContain('Top line.');
    expect(m.text).not.toContain('HIDDEN-DEEP');
    expect(m.hiddenRemoved).toBe(1);
  });

  it('a message nested 3000 MIME levels deep stays listed, and get_email / forward_email say it is too deeply nested', async () => {
    const uid = await uidOf('Deep nest');
    expect(uid).toBeGreaterThan(0);
    const listed = await alice.ok('read_inbox', { limit: 100 });
    expect(listed.messages.some((m: { subject: string }) => m.subject === 'Deep nest')).toBe(true);
    const r = await alice.call('get_email', { uid });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/too deeply nested/);
    expect(textOf(r)).not.toMatch(/child nodes/i);
    const before = world.dovecot.counts(ALICE.user);
    const f = await alice.call('forward_email', { uid, to: [BOB.user] });
    expect(f.isError).toBe(true);
    expect(textOf(f)).toMatch(/too deeply nested/);
    expect(world.dovecot.counts(ALICE.user)).toEqual(before);
  });
});
