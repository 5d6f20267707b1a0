// Demo plan: with Debian's dovecot available, a local IMAP store (dovecot on a free port) and an
// SMTP server that delivers into it, both started here; Ana's server runs in EMAIL_SEND_MODE=send
// with a recipient allow-list, so the demo shows a real send, the mail arriving, a threaded reply
// saved as a draft, and a refused recipient. Without dovecot it shows the message that names the
// variables to set.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DOVECOT = process.env.DOVECOT_BIN ?? '/usr/sbin/dovecot';
const ANA = { user: 'ana@example.test', password: 'demo-pw-ana' };
const BEN = { user: 'ben@example.test', password: 'demo-pw-ben' };

export default {
  async prepare() {
    if (!existsSync(DOVECOT) || process.getuid?.() !== 0) {
      return {
        note: 'no local IMAP server (dovecot-imapd not installed, or not root): showing the unconfigured server; `npm run setup` as root on Debian installs it',
        env: {},
        calls: [
          { name: 'read_inbox', arguments: {}, expectError: true },
          { name: 'send_email', arguments: { to: ['ben@example.com'], subject: 'Hi', text: 'Hello' }, expectError: true },
        ],
      };
    }
    const { startDovecot, startSmtp } = await import('./test/helpers/mail-servers.mjs');
    const dovecot = await startDovecot({
      users: [ANA, BEN],
      prefill(d) {
        d.deliver(
          ANA.user,
          [
            'From: Ben Ortiz <ben@example.test>',
            'To: ana@example.test',
            'Subject: Contract renewal',
            'Date: Mon, 3 Nov 2025 09:12:00 +0000',
            'Message-ID: <renewal-1@example.test>',
            'Content-Type: text/plain; charset=utf-8',
            '',
            'Hi Ana, can you confirm the renewal terms by Friday?\u200B\u{E0049}\u{E0047}\u{E004E}',
            '',
          ].join('\r\n'),
        );
      },
    });
    const smtp = await startSmtp(dovecot, [ANA, BEN]);
    const files = mkdtempSync(join(tmpdir(), 'bizmcp-email-demo-'));
    writeFileSync(join(files, 'terms.txt'), 'Renewal terms: 12 months, same price.\n');
    return {
      note: `local dovecot on 127.0.0.1:${dovecot.port} and SMTP on 127.0.0.1:${smtp.port}; EMAIL_SEND_MODE=send, allow-list @example.test`,
      env: {
        EMAIL_ADDRESS: ANA.user,
        EMAIL_PASSWORD: ANA.password,
        EMAIL_DISPLAY_NAME: 'Ana Lima',
        IMAP_HOST: '127.0.0.1',
        IMAP_PORT: String(dovecot.port),
        IMAP_SECURE: 'false',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_SECURE: 'false',
        EMAIL_SEND_MODE: 'send',
        EMAIL_ALLOWED_RECIPIENTS: '@example.test',
        EMAIL_ATTACHMENT_DIR: files,
      },
      calls: [
        { name: 'list_mailboxes' },
        { name: 'read_inbox', arguments: { limit: 5 } },
        { name: 'get_email', arguments: { uid: 1 } },
        { name: 'create_draft', arguments: { reply_to: { mailbox: 'INBOX', uid: 1 }, text: 'Hi Ben, confirmed: 12 months, same price.' } },
        { name: 'send_email', arguments: { to: ['Ana Lima <ana@example.test>'], subject: 'Note to self: renewal', text: 'Terms attached.', attachments: [{ path: 'terms.txt' }] } },
        { name: 'search_emails', arguments: { subject: 'renewal', has_attachment: true } },
        { name: 'read_inbox', arguments: { mailbox: 'Drafts' } },
        { name: 'send_email', arguments: { to: ['"ben@example.test" <mallory@evil.test>'], subject: 'x', text: 'y' }, expectError: true },
      ],
      cleanup: async () => {
        await smtp.close();
        await dovecot.stop();
        rmSync(files, { recursive: true, force: true });
      },
    };
  },
};
