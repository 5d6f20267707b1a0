// Sending one already-built message over SMTP (nodemailer's SMTPConnection, imported on first use).
//
// The outcome is one of three: sent (the server took the message: 250 after DATA), not sent (the
// failure came before the message body left: connection, TLS, login, envelope, or a definite 4xx/5xx
// answer to the data), or UNCLEAR: the body was handed over and then the connection timed out or
// dropped before the server answered. An unclear send is reported as such and never retried here:
// retrying could deliver the same mail twice.
import { Readable } from 'node:stream';
import { ToolError } from '@bizmcp/core';
import { isLoopback, requireAccount, type EmailConfig } from './config.js';

export interface SendResult {
  accepted: string[];
  rejected: string[];
  response: string;
}

export class UnclearSend extends ToolError {}

type SmtpErr = Error & { code?: string; responseCode?: number; response?: string; command?: string; rejected?: string[] };

export async function smtpSend(config: EmailConfig, envelope: { from: string; to: string[] }, raw: Buffer, signal: AbortSignal, messageId: string): Promise<SendResult> {
  const { endpoint, creds } = requireAccount(config, 'SMTP');
  const { default: SMTPConnection } = await import('nodemailer/lib/smtp-connection');
  const t = config.timeoutMs;
  const conn = new SMTPConnection({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    requireTLS: !endpoint.secure && !isLoopback(endpoint.host),
    connectionTimeout: t,
    greetingTimeout: t,
    socketTimeout: t,
    name: config.address?.split('@')[1],
    logger: false,
  } as ConstructorParameters<typeof SMTPConnection>[0]);
  const where = `${endpoint.host}:${endpoint.port}`;
  // The body stream records when SMTPConnection starts reading it: only after the server's 354.
  let bodyStarted = false;
  let offset = 0;
  const body = new Readable({
    read(size) {
      bodyStarted = true;
      if (offset >= raw.length) return void this.push(null);
      const end = Math.min(raw.length, offset + Math.max(size, 64 * 1024));
      this.push(raw.subarray(offset, end));
      offset = end;
    },
  });
  // Errors arrive as 'error' events (connecting) or through the callbacks (commands): the current
  // step rejects on whichever comes first.
  let failStep: ((e: Error) => void) | undefined;
  conn.on('error', (e: Error) => failStep?.(e));
  const step = <T>(fn: (done: (err?: Error | null, v?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      failStep = reject;
      fn((err, v) => (err ? reject(err) : resolve(v as T)));
    });
  const onAbort = () => conn.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await step<void>((done) => conn.connect(() => done()));
    if (creds.oauth2Token) {
      const token = creds.oauth2Token;
      await step<void>((done) =>
        conn.login(
          {
            user: creds.user,
            method: 'XOAUTH2',
            oauth2: {
              getToken: (_renew: boolean, cb: (e: Error | null, t?: string) => void) => cb(null, token),
              buildXOAuth2Token: (tok: string) => Buffer.from(`user=${creds.user}\x01auth=Bearer ${tok}\x01\x01`).toString('base64'),
            },
          } as never,
          (err?: Error | null) => done(err),
        ),
      );
    } else if (creds.password) {
      await step<void>((done) => conn.login({ user: creds.user, pass: creds.password! } as never, (err?: Error | null) => done(err)));
    }
    const info = await step<{ accepted?: string[]; rejected?: string[]; response?: string }>((done) => conn.send(envelope, body, (err: Error | null, i?: unknown) => done(err, i as never)));
    failStep = undefined;
    try {
      conn.quit();
    } catch {
      /* the message is already taken */
    }
    return { accepted: info.accepted ?? [], rejected: info.rejected ?? [], response: String(info.response ?? '') };
  } catch (err) {
    conn.close();
    if (signal.aborted && bodyStarted) throw unclear(where, messageId, 'the call was cancelled or timed out');
    if (signal.aborted) throw signal.reason;
    const e = err as SmtpErr;
    if (bodyStarted && !(e.responseCode && e.responseCode >= 400)) throw unclear(where, messageId, e.code ?? e.message);
    throw smtpError(e, where, creds.user);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function unclear(where: string, messageId: string, why: string) {
  return new UnclearSend(
    `UNCLEAR: the message was transmitted to ${where} but the server did not confirm it (${why}). It may or may not have been delivered, and it was NOT retried, so that no duplicate is sent.`,
    {
      code: 'failed',
      hint: `Do not send it again blindly: check the Sent mailbox or ask a recipient for Message-ID ${messageId} first.`,
      details: { outcome: 'unclear', messageId },
    },
  );
}

function smtpError(e: SmtpErr, where: string, user: string): ToolError {
  const details = { outcome: 'not_sent' };
  if (e.code === 'EAUTH') {
    return new ToolError(`SMTP login failed for ${user} at ${where}: ${e.response ?? e.message}. Nothing was sent.`, {
      code: 'access_denied',
      hint: 'Check EMAIL_ADDRESS/EMAIL_USERNAME and EMAIL_PASSWORD (Gmail and Microsoft 365 need an app password or EMAIL_OAUTH2_TOKEN).',
      details,
    });
  }
  if (e.code === 'EENVELOPE') {
    return new ToolError(`The SMTP server refused the recipients: ${e.response ?? e.message}. Nothing was sent.`, { code: 'remote_error', details: { ...details, rejected: e.rejected } });
  }
  if (e.code === 'EMESSAGE' || (e.responseCode && e.responseCode >= 400)) {
    return new ToolError(`The SMTP server refused the message: ${e.response ?? e.message}. Nothing was sent.`, { code: 'remote_error', details });
  }
  if (e.code === 'ETLS') {
    return new ToolError(`TLS with the SMTP server ${where} failed: ${e.message}. Nothing was sent.`, {
      code: 'unavailable',
      hint: 'Check SMTP_PORT and SMTP_SECURE (465: true, 587: false with STARTTLS).',
      details,
    });
  }
  return new ToolError(`Cannot reach the SMTP server ${where}: ${e.code ?? e.message}. Nothing was sent.`, {
    code: 'unavailable',
    hint: 'Check SMTP_HOST, SMTP_PORT and SMTP_SECURE, and that the server is up.',
    details,
  });
}
