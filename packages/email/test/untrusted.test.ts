// The shared untrusted-text table (core/test/fixtures/untrusted-cases.ts) through the built binary
// over stdio, against a real IMAP mailbox: each case is an HTML-only message; what it hides must not
// reach get_email or the read_inbox snippets, and its visible text must. Invisible characters are
// also put into the metadata: subject, sender name, attachment file name and content type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, spawnStdio, textOf, type Spawned } from '@bizmcp/core/testing';
import { caseDocument, UNTRUSTED_CASES, type UntrustedCase } from '../../core/test/fixtures/untrusted-cases.js';
import { ALICE, rawMessage, startWorld, type World } from './helpers/world.js';

const bin = builtBin('email');
let world: World;
let alice: Spawned;
const uidOf = new Map<string, number>();
const summaries = new Map<string, any>();

const b64 = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
const charOf = (c: UntrustedCase) => c.absent[0];

/** The case as a message: HTML only; invisible-character cases also carry the character in every header field and in an attachment. */
function messageOf(c: UntrustedCase): Buffer {
  const html = caseDocument(c);
  if (c.kind !== 'invisible-char') return rawMessage({ subject: `Case ${c.id}`, contentType: 'text/html; charset=utf-8', body: Buffer.from(html), messageId: `<case-${c.id}@example.test>` });
  const ch = charOf(c);
  const fileName = encodeURIComponent(`in${ch}voice-${c.id}.txt`);
  const body = [
    '--B',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    '--B',
    `Content-Type: text/plain; charset=utf-8; name*=UTF-8''${fileName}`,
    `Content-Disposition: attachment; filename*=UTF-8''${fileName}`,
    '',
    `attachment of ${c.id}`,
    '--B--',
    '',
  ].join('\r\n');
  return rawMessage({
    subject: b64(`Case ${c.id} Pay${ch}ment`),
    from: `${b64(`Mal${ch}lory`)} <mallory@example.test>`,
    contentType: 'multipart/mixed; boundary="B"',
    body: Buffer.from(body),
    messageId: `<case-${c.id}@example.test>`,
  });
}

beforeAll(async () => {
  world = await startWorld({ prefill: (d) => UNTRUSTED_CASES.forEach((c) => d.deliver(ALICE.user, messageOf(c))) });
  alice = await spawnStdio(bin, { env: world.env(ALICE) });
  let cursor: string | undefined;
  do {
    const r = await alice.client.callTool({ name: 'read_inbox', arguments: { limit: 100, ...(cursor ? { cursor } : {}) } });
    if (r.isError) throw new Error(textOf(r as never));
    const page = r.structuredContent as { messages: { uid: number; subject: string }[]; nextCursor?: string };
    for (const m of page.messages) {
      const id = /^Case (\w+)/.exec(m.subject)?.[1];
      if (id) {
        uidOf.set(id, m.uid);
        summaries.set(id, m);
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
}, 120_000);

afterAll(async () => {
  await alice?.close();
  await world?.close();
});

describe('shared untrusted-text table through bizmcp-email (IMAP)', () => {
  it('every case is in the mailbox', () => expect(uidOf.size).toBe(UNTRUSTED_CASES.length));
  for (const c of UNTRUSTED_CASES) {
    it(`${c.kind} ${c.id}`, async () => {
      const r = await alice.client.callTool({ name: 'get_email', arguments: { uid: uidOf.get(c.id) } });
      expect(r.isError, textOf(r as never)).toBeFalsy();
      const m = r.structuredContent as any;
      const all = [m.text, textOf(r as never), summaries.get(c.id).snippet ?? ''];
      for (const text of all) for (const a of c.absent) expect(text).not.toContain(a);
      for (const p of c.present) expect(m.text).toContain(p);
      expect(m.htmlConvertedToText).toBe(true);
      if (c.kind === 'hidden-html') expect(m.hiddenRemoved).toBeGreaterThan(0);
      else expect(m.hiddenRemoved).toBe(0);
      if (c.kind === 'invisible-char') {
        const ch = charOf(c);
        const s = summaries.get(c.id);
        expect(m.subject).toBe(`Case ${c.id} Payment`);
        expect(s.subject).toBe(`Case ${c.id} Payment`);
        expect(m.from[0].name).toBe('Mallory');
        expect(s.from[0].name).toBe('Mallory');
        expect(m.attachments.map((a: { filename: string }) => a.filename)).toEqual([`invoice-${c.id}.txt`]);
        expect(s.attachments).toEqual([`invoice-${c.id}.txt`]);
        expect(JSON.stringify(r)).not.toContain(JSON.stringify(ch).slice(1, -1));
        expect(JSON.stringify(r)).not.toContain(ch);
      }
    });
  }
});
