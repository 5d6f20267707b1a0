// Failures and awkward mail: wrong passwords, servers down, a send whose outcome is unclear,
// the send rate limit, non-UTF-8 and malformed messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess, textOf, type InProcess } from '@bizmcp/core/testing';
import server from '../src/server.js';
import { freePort } from './helpers/dovecot.js';
import { ALICE, BOB, rawMessage, startWorld, type World } from './helpers/world.js';

let world: World;
const clients: InProcess[] = [];

const latin1 = (s: string) => Buffer.from(s, 'latin1');

beforeAll(async () => {
  world = await startWorld({
    prefill(d) {
      d.deliver(
        ALICE.user,
        rawMessage({
          subject: '=?ISO-8859-1?Q?Caf=E9_cr=E8me?=',
          contentType: 'text/plain; charset=ISO-8859-1',
          headers: ['Content-Transfer-Encoding: 8bit'],
          body: latin1("Un café à la crème, s'il vous plaît.\r\n"),
        }),
      );
      d.deliver(
        ALICE.user,
        rawMessage({ subject: 'cp1252 quotes', contentType: 'text/plain; charset=windows-1252', body: Buffer.from([0x93, 0x51, 0x75, 0x6f, 0x74, 0x65, 0x64, 0x94, 0x20, 0x80, 0x35, 0x0d, 0x0a]) }),
      );
      d.deliver(
        ALICE.user,
        rawMessage({ subject: '=?Shift_JIS?B?k/qWe4zq?=', contentType: 'text/plain; charset=Shift_JIS', body: Buffer.from([0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd, 0x0d, 0x0a]) }),
      );
      d.deliver(
        ALICE.user,
        Buffer.concat([latin1('From: Ren\xe9 <rene@example.test>\r\nSubject: raw 8bit \xe9t\xe9 no charset\r\nMessage-ID: <raw8@example.test>\r\n\r\n'), latin1('body \xe9\xe8\xff\r\n')]),
      );
      d.deliver(ALICE.user, Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x02, 0x0d, 0x0a, 0x80, 0x81, 0x0d, 0x0a, 0x0d, 0x0a, 0x41]));
      d.deliver(
        ALICE.user,
        rawMessage({
          subject: 'broken multipart',
          contentType: 'multipart/mixed; boundary="XYZ"',
          body: '--XYZ\r\nContent-Type: text/plain\r\n\r\nvisible part\r\n--XYZ\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="a.pdf"\r\n\r\n%%%not base64%%%\r\n',
        }),
      );
      d.deliver(ALICE.user, Buffer.from(`Subject: header soup\r\nThis line has no colon\r\nX-Long: ${'a'.repeat(20_000)}\r\nFrom: <<<>>>\r\nTo: ,,,@@@\r\nDate: not a date\r\n\r\nsoup body\r\n`));
      d.deliver(
        ALICE.user,
        rawMessage({ subject: 'html only', contentType: 'text/html; charset=utf-8', body: '<html><body><h1>Title</h1><p>Para <b>bold</b></p><script>var x=1</script></body></html>' }),
      );
    },
  });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await world?.close();
});

async function client(env: Record<string, string>) {
  const c = await connectInProcess(server, { env });
  clients.push(c);
  return c;
}

describe('authentication failures and servers down', () => {
  it('a wrong password is a clear IMAP login error', async () => {
    const c = await client(world.env({ ...ALICE, password: 'wrong' }));
    const r = await c.call('read_inbox', {});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/IMAP login failed for alice@example.test/);
    expect(textOf(r)).not.toContain('wrong');
  });

  it('a wrong password is a clear SMTP login error and nothing is sent', async () => {
    const c = await client(world.env({ ...ALICE, password: 'wrong' }, { EMAIL_SEND_MODE: 'send' }));
    const before = world.smtp.dataReceived;
    const r = await c.call('send_email', { to: [BOB.user], subject: 's', text: 't' });
    expect(textOf(r)).toMatch(/SMTP login failed for alice@example.test.*Nothing was sent/s);
    expect(world.smtp.dataReceived).toBe(before);
  });

  it('IMAP and SMTP servers that are down give clear errors, and the next call recovers', async () => {
    const dead = await freePort();
    const c = await client(world.env(ALICE, { IMAP_PORT: String(dead), SMTP_PORT: String(dead), EMAIL_SEND_MODE: 'send' }));
    const r = await c.call('read_inbox', {});
    expect(textOf(r)).toMatch(new RegExp(`Cannot reach the IMAP server 127.0.0.1:${dead}: ECONNREFUSED`));
    const s = await c.call('send_email', { to: [BOB.user], subject: 's', text: 't' });
    expect(textOf(s)).toMatch(new RegExp(`Cannot reach the SMTP server 127.0.0.1:${dead}.*Nothing was sent`, 's'));
  });

  it('closes the IMAP connection on shutdown (LOGOUT)', async () => {
    const c = await connectInProcess(server, { env: world.env(BOB) });
    await c.ok('list_mailboxes', { counts: false });
    const before = (world.dovecot.log().match(/imap\(bob@example\.test\).*Logged out/g) ?? []).length;
    await c.close();
    for (let i = 0; i < 40 && (world.dovecot.log().match(/imap\(bob@example\.test\).*Logged out/g) ?? []).length === before; i++) await new Promise((r) => setTimeout(r, 50));
    expect((world.dovecot.log().match(/imap\(bob@example\.test\).*Logged out/g) ?? []).length).toBe(before + 1);
  });

  it('reconnects after the IMAP connection was dropped', async () => {
    const c = await client(world.env(ALICE));
    await c.ok('read_inbox', { limit: 1 });
    const imap = (c.server.state as { imap: { get(): Promise<{ close(): void }> } }).imap;
    (await imap.get()).close();
    expect((await c.ok('read_inbox', { limit: 1 })).messages).toHaveLength(1);
  });
});

describe('sending', () => {
  it('logs in to SMTP with an OAuth2 access token (XOAUTH2), and a bad token is a clear error', async () => {
    const { startSmtp } = await import('./helpers/mail-servers.mjs');
    const smtp = await startSmtp(world.dovecot, [{ ...ALICE, token: 'ya29.test-token' }]);
    try {
      const env = { ...world.env(ALICE, { EMAIL_SEND_MODE: 'send', EMAIL_SAVE_SENT: 'false', SMTP_PORT: String(smtp.port), EMAIL_OAUTH2_TOKEN: 'ya29.test-token' }) };
      delete (env as Record<string, string>).EMAIL_PASSWORD;
      const c = await client(env);
      expect((await c.ok('send_email', { to: [BOB.user], subject: 'oauth', text: 't' })).status).toBe('sent');
      expect(smtp.deliveries).toHaveLength(1);
      const bad = await client({ ...env, EMAIL_OAUTH2_TOKEN: 'expired' });
      const r = await bad.call('send_email', { to: [BOB.user], subject: 'oauth', text: 't' });
      expect(textOf(r)).toMatch(/SMTP login failed.*Nothing was sent/s);
      expect(textOf(r)).not.toContain('expired');
      expect(smtp.deliveries).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });

  it('an unanswered DATA is reported as UNCLEAR and never retried', async () => {
    const c = await client(world.env(ALICE, { EMAIL_SEND_MODE: 'send', EMAIL_TIMEOUT_MS: '1500' }));
    const before = { data: world.smtp.dataReceived, delivered: world.smtp.deliveries.length, sent: world.dovecot.counts(ALICE.user).Sent ?? 0 };
    world.smtp.hang = true;
    try {
      const r = await c.call('send_email', { to: [BOB.user], subject: 'maybe', text: 't' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/^UNCLEAR: the message was transmitted/);
      expect(textOf(r)).toMatch(/NOT retried/);
      expect((r._meta as Record<string, { details: { outcome: string } }>)['bizmcp/error'].details.outcome).toBe('unclear');
      await new Promise((res) => setTimeout(res, 2000));
      expect(world.smtp.dataReceived).toBe(before.data + 1); // exactly one transmission
      expect(world.dovecot.counts(ALICE.user).Sent ?? 0).toBe(before.sent);
      // the same message again is refused until the caller confirms it checked
      world.smtp.hang = false;
      const again = await c.call('send_email', { to: [BOB.user], subject: 'maybe', text: 't' });
      expect(textOf(again)).toMatch(/The same send_email call .* ended with an UNKNOWN outcome \(unclear\); it was not repeated/);
      expect(textOf(again)).toMatch(/confirm_resend: true/);
      expect(world.smtp.dataReceived).toBe(before.data + 1);
      const other = await c.call('send_email', { to: [BOB.user], subject: 'something else', text: 't' });
      expect(other.isError).toBeFalsy();
      const confirmed = await c.ok('send_email', { to: [BOB.user], subject: 'maybe', text: 't', confirm_resend: true });
      expect(confirmed.status).toBe('sent');
      expect(world.smtp.dataReceived).toBe(before.data + 3);
    } finally {
      world.smtp.hang = false;
    }
  });

  it('sends are rate-limited through core', async () => {
    const c = await client(world.env(ALICE, { BIZMCP_RATE_LIMIT_SEND_EMAIL: '2/60' }));
    expect((await c.call('send_email', { to: [BOB.user], subject: '1', text: 't' })).isError).toBeFalsy();
    expect((await c.call('send_email', { to: [BOB.user], subject: '2', text: 't' })).isError).toBeFalsy();
    const r = await c.call('send_email', { to: [BOB.user], subject: '3', text: 't' });
    expect(textOf(r)).toMatch(/Rate limit reached for send_email/);
  });

  it('refuses attachments without EMAIL_ATTACHMENT_DIR and paths outside it', async () => {
    const c = await client(world.env(ALICE));
    expect(textOf(await c.call('send_email', { to: [BOB.user], subject: 's', text: 't', attachments: [{ path: '/etc/passwd' }] }))).toMatch(/EMAIL_ATTACHMENT_DIR is not set/);
    const c2 = await client(world.env(ALICE, { EMAIL_ATTACHMENT_DIR: world.dovecot.dir + '/run' }));
    const drafts = world.dovecot.counts(ALICE.user).Drafts ?? 0;
    expect(textOf(await c2.call('send_email', { to: [BOB.user], subject: 's', text: 't', attachments: [{ path: '/etc/passwd' }] }))).toMatch(/Access denied/);
    expect(textOf(await c2.call('send_email', { to: [BOB.user], subject: 's', text: 't', attachments: [{ path: '../passwd' }] }))).toMatch(/Access denied/);
    expect(world.dovecot.counts(ALICE.user).Drafts ?? 0).toBe(drafts);
  });
});

describe('non-UTF-8 and malformed messages', () => {
  it('lists every message, decodes legacy charsets, and survives garbage', async () => {
    const c = await client(world.env(ALICE));
    const page = await c.ok('read_inbox', { limit: 50 });
    expect(page.messages.length).toBe(8);
    const subjects = page.messages.map((m: { subject: string }) => m.subject);
    expect(subjects).toContain('Café crème');
    expect(subjects).toContain('日本語');
    const read = async (subject: string) => c.ok('get_email', { uid: page.messages.find((m: { subject: string }) => m.subject === subject).uid });
    expect((await read('Café crème')).text).toContain("Un café à la crème, s'il vous plaît.");
    expect((await read('cp1252 quotes')).text).toContain('\u201cQuoted\u201d \u20ac5');
    expect((await read('日本語')).text).toContain('こんにちは');
    const html = await read('html only');
    expect(html.htmlConvertedToText).toBe(true);
    expect(html.text).toMatch(/TITLE|Title/);
    expect(html.text).toContain('Para bold');
    expect(html.text).not.toContain('var x');
    const broken = await read('broken multipart');
    expect(broken.text).toContain('visible part');
    // every message can be opened without an error, whatever it holds
    for (const m of page.messages) {
      const r = await c.call('get_email', { uid: m.uid });
      expect(r.isError, m.subject).toBeFalsy();
    }
    expect((await c.ok('search_emails', { body: 'soup' })).messages).toHaveLength(1);
  });

  it('pages a long body with start_index', async () => {
    const c = await client(world.env(ALICE));
    const long = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n');
    world.dovecot.deliver(ALICE.user, rawMessage({ subject: 'long body', body: long }));
    const uid = (await c.ok('search_emails', { subject: 'long body' })).messages[0].uid;
    let start = 0;
    let text = '';
    for (let i = 0; i < 20; i++) {
      const r = await c.ok('get_email', { uid, start_index: start, max_chars: 5000 });
      text += r.text;
      if (!r.truncated) break;
      start = r.nextStartIndex;
    }
    expect(text.trim()).toBe(long.trim());
  });
});

describe('test helper', () => {
  it('fails loudly with the install command when dovecot is missing', async () => {
    const { startDovecot } = await import('./helpers/dovecot.js');
    await expect(startDovecot({ users: [ALICE], bin: '/nonexistent/dovecot' })).rejects.toThrow(
      /dovecot is missing \(\/nonexistent\/dovecot\).*apt-get install -y --no-install-recommends dovecot-imapd/,
    );
  });
});
