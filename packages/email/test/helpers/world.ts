// A small mail world for the tests: dovecot (IMAP store) + an smtp-server that authenticates the
// same users and delivers every accepted message into the recipients' INBOX on disk, recording
// each delivery (the oracle for "nothing was sent").
import { startDovecot, startSmtp, type Dovecot, type Smtp, type StartOptions } from './mail-servers.mjs';

export type { Delivery, Smtp } from './mail-servers.mjs';

export const ALICE = { user: 'alice@example.test', password: 'alice-pw-1' };
export const BOB = { user: 'bob@example.test', password: 'bob-pw-2' };

export interface World {
  dovecot: Dovecot;
  smtp: Smtp;
  env(user: { user: string; password: string }, extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startWorld(opts: { users?: { user: string; password: string }[]; prefill?: StartOptions['prefill'] } = {}): Promise<World> {
  const users = opts.users ?? [ALICE, BOB];
  const dovecot = await startDovecot({ users, prefill: opts.prefill });
  const smtp = await startSmtp(dovecot, users);
  return {
    dovecot,
    smtp,
    env: (u, extra = {}) => ({
      EMAIL_ADDRESS: u.user,
      EMAIL_PASSWORD: u.password,
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: String(dovecot.port),
      IMAP_SECURE: 'false',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_SECURE: 'false',
      ...extra,
    }),
    async close() {
      await smtp.close();
      await dovecot.stop();
    },
  };
}

/** A raw RFC 5322 message for prefilling mailboxes. */
export function rawMessage(o: { from?: string; to?: string; subject?: string; body?: string | Buffer; date?: Date; messageId?: string; headers?: string[]; contentType?: string }): Buffer {
  const head = [
    `From: ${o.from ?? 'Carol <carol@example.test>'}`,
    `To: ${o.to ?? ALICE.user}`,
    `Subject: ${o.subject ?? 'hello'}`,
    `Date: ${(o.date ?? new Date('2024-05-01T10:00:00Z')).toUTCString()}`,
    `Message-ID: ${o.messageId ?? `<${Math.random().toString(36).slice(2)}@example.test>`}`,
    'MIME-Version: 1.0',
    `Content-Type: ${o.contentType ?? 'text/plain; charset=utf-8'}`,
    ...(o.headers ?? []),
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body ?? 'Hi Alice,\r\nsee you soon.\r\n')]);
}
