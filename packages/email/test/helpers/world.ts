// A small mail world for the tests: dovecot (IMAP store) + an smtp-server that authenticates the
// same users and delivers every accepted message into the recipients' INBOX on disk, recording
// each delivery (the oracle for "nothing was sent").
import { SMTPServer } from 'smtp-server';
import { startDovecot, type Dovecot, type StartOptions } from './dovecot.js';

export const ALICE = { user: 'alice@example.test', password: 'alice-pw-1' };
export const BOB = { user: 'bob@example.test', password: 'bob-pw-2' };

export interface Delivery {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface Smtp {
  port: number;
  deliveries: Delivery[];
  /** DATA commands whose body arrived (also counts bodies never answered in hang mode). */
  dataReceived: number;
  /** When true, accepted bodies are never answered (the client times out after DATA). */
  hang: boolean;
  close(): Promise<void>;
}

export async function startSmtp(dovecot: Pick<Dovecot, 'deliver'> | undefined, users: { user: string; password: string }[]): Promise<Smtp> {
  const state: Smtp = { port: 0, deliveries: [], dataReceived: 0, hang: false, close: async () => {} };
  const local = new Set(users.map((u) => u.user));
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    banner: 'bizmcp test smtp',
    onAuth(auth, _session, cb) {
      const u = users.find((x) => x.user === auth.username && x.password === auth.password);
      if (!u) return cb(new Error('Invalid username or password'));
      cb(null, { user: u.user });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.dataReceived++;
        if (state.hang) return; // never answer: the client's outcome is unclear
        const raw = Buffer.concat(chunks);
        const to = session.envelope.rcptTo.map((r) => r.address);
        state.deliveries.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to, raw });
        for (const r of to) if (dovecot && local.has(r)) dovecot.deliver(r, raw);
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.server.address() as { port: number }).port;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

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
