// Recipient allow-list and strict address parsing, attacked. The oracle after every attempt: no
// SMTP transaction reached the server and no mailbox of either user gained a message (drafts and
// Sent copies included).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { AllowList, parseAddress } from '../src/addresses.js';
import { ALICE, BOB, rawMessage, startWorld, type World } from './helpers/world.js';

let world: World;
const clients: InProcess[] = [];
const ALLOW = 'bob@example.test,@partner.test';

beforeAll(async () => {
  world = await startWorld({
    prefill(d) {
      d.deliver(ALICE.user, rawMessage({ subject: 'Reply-To trap', from: 'Bob <bob@example.test>', headers: ['Reply-To: Mallory <mallory@bad.test>'], messageId: '<trap@example.test>' }));
      d.deliver(ALICE.user, rawMessage({ subject: 'Reply-all trap', from: 'Bob <bob@example.test>', to: 'alice@example.test, eve@bad.test', messageId: '<trap2@example.test>' }));
      d.deliver(ALICE.user, rawMessage({ subject: 'Weird sender', from: '"x" <"evil@bad.test"@partner.test>', messageId: '<trap3@example.test>' }));
      d.deliver(
        ALICE.user,
        rawMessage({
          subject: 'Traversal attachment',
          contentType: 'multipart/mixed; boundary="B"',
          body: '--B\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="../../../../tmp/evil\u200b.sh"\r\nContent-Transfer-Encoding: base64\r\n\r\nZWNobyBwd25lZAo=\r\n--B--\r\n',
        }),
      );
    },
  });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await world?.close();
});

async function as(mode: 'send' | 'draft') {
  const c = await connectInProcess(server, { env: world.env(ALICE, { EMAIL_SEND_MODE: mode, EMAIL_ALLOWED_RECIPIENTS: ALLOW, BIZMCP_RATE_LIMIT_SEND_EMAIL: '1000/60' }) });
  clients.push(c);
  return c;
}

const snapshot = () => JSON.stringify({ d: world.smtp.deliveries.length, data: world.smtp.dataReceived, a: world.dovecot.counts(ALICE.user), b: world.dovecot.counts(BOB.user) });

// Each string is given as one recipient; every one must be refused.
const TRICKS: [string, string][] = [
  ['outside address', 'evil@bad.test'],
  ['quoted display name holding an allowed address', '"bob@example.test" <evil@bad.test>'],
  ['unquoted display name holding an allowed address', 'bob@example.test <evil@bad.test>'],
  ['allowed address as the name of an allowed one', 'evil@bad.test <bob@example.test>'],
  ['two addresses with a comma', 'bob@example.test, evil@bad.test'],
  ['two addresses with a semicolon', 'bob@example.test;evil@bad.test'],
  ['named pair with a comma', 'Bob <bob@example.test>, Eve <evil@bad.test>'],
  ['quoted local part with an @', '"evil@bad.test"@partner.test'],
  ['quoted local part', '"bob"@example.test'],
  ['trailing comment', 'bob@example.test(evil@bad.test)'],
  ['leading comment', '(bob@example.test) evil@bad.test'],
  ['comment inside the domain', 'evil@bad.test(.partner.test)'],
  ['encoded-word display name', '=?utf-8?q?bob=40example.test?= <evil@bad.test>'],
  ['encoded-word local part', '=?utf-8?b?ZXZpbEBiYWQudGVzdA==?=@partner.test'],
  ['angle brackets first, address after', '<bob@example.test> evil@bad.test'],
  ['address after the closing bracket', 'Bob <bob@example.test>evil@bad.test'],
  ['second bracket pair', '<evil@bad.test> <bob@example.test>'],
  ['stray closing bracket', 'bob@example.test>evil@bad.test'],
  ['source route', '<@partner.test:evil@bad.test>'],
  ['percent relay hack', 'evil%bad.test@partner.test'],
  ['bang path', 'bad.test!evil@partner.test'],
  ['IP literal', 'evil@[127.0.0.1]'],
  ['header injection', 'bob@example.test\r\nBcc: evil@bad.test'],
  ['NUL byte', 'evil@bad.test\u0000@partner.test'],
  ['two @', 'evil@bad.test@partner.test'],
  ['allowed domain as a prefix', 'evil@partner.test.bad.test'],
  ['subdomain of an allowed domain', 'evil@mail.partner.test'],
  ['Cyrillic look-alike domain', 'bob@ex\u0430mple.test'],
  ['fullwidth at sign', 'bob\uFF20example.test'],
  ['group syntax', 'friends: evil@bad.test;'],
  ['backslash escape', 'bob\\@example.test <evil@bad.test>'],
  ['trailing dot domain', 'evil@partner.test.'],
  ['unbalanced quote', '"Bob <evil@bad.test>'],
  ['zero-width space inside', 'bob@exam\u200bple.test'],
];

describe('strict address parser', () => {
  it('accepts plain and named addresses, normalising the domain', () => {
    expect(parseAddress('Bob <bob@Example.TEST>')).toMatchObject({ address: 'bob@example.test', name: 'Bob' });
    expect(parseAddress('"Lima, Ana" <ana@partner.test>')).toMatchObject({ address: 'ana@partner.test', name: 'Lima, Ana' });
    expect(parseAddress('first.last+tag@sub.partner.test').address).toBe('first.last+tag@sub.partner.test');
    expect(parseAddress('bob@bücher.test').domain).toBe('xn--bcher-kva.test');
  });
  it.each(TRICKS)('%s is either refused or parses to something the allow-list refuses', (_name, input) => {
    const allow = new AllowList(ALLOW.split(','));
    let ok: boolean;
    try {
      ok = allow.allows(parseAddress(input));
    } catch {
      ok = false;
    }
    expect(ok).toBe(false);
  });
});

describe('attachments stay in the attachment directory', () => {
  it('an attachment named with ../ lands inside; save_as outside is refused and creates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bizmcp-email-att-'));
    const outside = mkdtempSync(join(tmpdir(), 'bizmcp-email-out-'));
    try {
      const c = await connectInProcess(server, { env: world.env(ALICE, { EMAIL_ATTACHMENT_DIR: dir }) });
      clients.push(c);
      const uid = (await c.ok('search_emails', { subject: 'Traversal attachment' })).messages[0].uid;
      const full = await c.ok('get_email', { uid });
      expect(full.attachments[0].filename).toBe('../../../../tmp/evil.sh'); // shown as is (invisible characters stripped) …
      const r = await c.ok('download_attachment', { uid, index: 0 });
      expect(r.path).toBe(join(dir, 'evil.sh')); // … saved as one plain name inside the directory
      expect(readFileSync(r.path, 'utf8')).toBe('echo pwned\n');
      for (const save_as of [join(outside, 'x.sh'), '../x.sh', `../${outside.split('/').pop()}/x.sh`, '/etc/cron.d/x']) {
        const bad = await c.call('download_attachment', { uid, index: 0, save_as });
        expect(bad.isError, save_as).toBe(true);
        expect(textOf(bad)).toMatch(/Access denied/);
      }
      expect(readdirSync(outside)).toEqual([]);
      expect(readdirSync(dir)).toEqual(['evil.sh']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('allow-list refusals leave nothing anywhere', () => {
  for (const mode of ['send', 'draft'] as const) {
    it(`send_email in ${mode} mode: every trick in to, cc and bcc is refused with nothing sent or saved`, async () => {
      const c = await as(mode);
      const before = snapshot();
      for (const [, input] of TRICKS) {
        for (const field of ['to', 'cc', 'bcc']) {
          const r = await c.call('send_email', { to: field === 'to' ? [input] : ['bob@example.test'], [field === 'to' ? 'cc' : field]: field === 'to' ? [] : [input], subject: 'attack', text: 'x' });
          expect(r.isError, `${field}: ${JSON.stringify(input)}`).toBe(true);
          expect(textOf(r)).toMatch(/not an accepted address|not allowed by EMAIL_ALLOWED_RECIPIENTS/);
        }
        const d = await c.call('create_draft', { to: [input], subject: 'attack', text: 'x' });
        expect(d.isError, `draft: ${JSON.stringify(input)}`).toBe(true);
      }
      expect(snapshot()).toBe(before);
    });
  }

  it('names the offending address', async () => {
    const c = await as('send');
    const r = await c.call('send_email', { to: ['bob@example.test'], bcc: ['Eve <evil@bad.test>'], subject: 's', text: 't' });
    expect(textOf(r)).toContain('evil@bad.test (bcc) is not allowed');
  });

  it('replies and forwards obey the list: Reply-To and reply-all traps are refused', async () => {
    for (const mode of ['send', 'draft'] as const) {
      const c = await as(mode);
      const before = snapshot();
      const uid = async (s: string) => (await c.ok('search_emails', { subject: s })).messages[0].uid as number;
      const r1 = await c.call('reply_to_email', { uid: await uid('Reply-To trap'), text: 'ok' });
      expect(textOf(r1)).toContain('mallory@bad.test (to) is not allowed');
      const r2 = await c.call('reply_to_email', { uid: await uid('Reply-all trap'), text: 'ok', reply_all: true });
      expect(textOf(r2)).toContain('eve@bad.test (cc) is not allowed');
      const r3 = await c.call('create_draft', { reply_to: { mailbox: 'INBOX', uid: await uid('Reply-To trap') }, text: 'ok' });
      expect(r3.isError).toBe(true);
      const r4 = await c.call('reply_to_email', { uid: await uid('Weird sender'), text: 'ok' });
      expect(r4.isError).toBe(true);
      const r5 = await c.call('forward_email', { uid: await uid('Reply-To trap'), to: ['evil@bad.test'] });
      expect(textOf(r5)).toContain('evil@bad.test (to) is not allowed');
      expect(snapshot()).toBe(before);
    }
  });

  it('allowed recipients still go through (positive control)', async () => {
    const c = await as('send');
    const before = world.smtp.deliveries.length;
    const r = await c.ok('send_email', { to: ['Bob <BOB@example.test>'], cc: ['anyone@partner.test'], subject: 'fine', text: 'ok' });
    expect(r.status).toBe('sent');
    expect(world.smtp.deliveries.length).toBe(before + 1);
    expect(world.smtp.deliveries.at(-1)!.to.sort()).toEqual(['BOB@example.test', 'anyone@partner.test']);
    const ok = await c.ok('reply_to_email', { uid: (await c.ok('search_emails', { subject: 'Reply-all trap' })).messages[0].uid, text: 'only Bob' });
    expect(ok.to).toEqual(['bob@example.test']);
  });

  it('a bad allow-list entry stops the server at start', async () => {
    await expect(connectInProcess(server, { env: { EMAIL_ALLOWED_RECIPIENTS: 'bob@example.test,"x"@y.test' } })).rejects.toThrow(/EMAIL_ALLOWED_RECIPIENTS/);
    await expect(connectInProcess(server, { env: { EMAIL_SEND_MODE: 'yes' } })).rejects.toThrow(/EMAIL_SEND_MODE/);
  });
});
