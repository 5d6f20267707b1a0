// One IMAP connection (imapflow), opened at the first call that needs it, reused by later calls,
// re-opened when the server dropped it, closed on shutdown. imapflow is imported on first use.
// A call that is cancelled or times out while a command is in flight closes the connection (IMAP
// cannot abandon a command), so the next call starts on a clean one.
import type { ToolContext } from '@bizmcp/core';
type Logger = ToolContext['log'];
import type { ImapFlow, ListResponse } from 'imapflow';
import { ToolError } from '@bizmcp/core';
import { isLoopback, requireAccount, type EmailConfig } from './config.js';

export class Imap {
  private client: ImapFlow | undefined;
  private connecting: Promise<ImapFlow> | undefined;
  private mailboxes: ListResponse[] | undefined;
  private closed = false;

  constructor(
    private readonly config: EmailConfig,
    private readonly log: Logger,
  ) {}

  private async connect(): Promise<ImapFlow> {
    const { endpoint, creds } = requireAccount(this.config, 'IMAP');
    const { ImapFlow } = await import('imapflow');
    const t = this.config.timeoutMs;
    const client = new ImapFlow({
      host: endpoint.host,
      port: endpoint.port,
      secure: endpoint.secure,
      // STARTTLS is required off loopback: a password never crosses the network in clear text.
      doSTARTTLS: endpoint.secure ? undefined : isLoopback(endpoint.host) ? undefined : true,
      auth: creds.oauth2Token ? { user: creds.user, accessToken: creds.oauth2Token } : { user: creds.user, pass: creds.password ?? '' },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: t,
      greetingTimeout: t,
      socketTimeout: Math.max(t, 60_000),
      clientInfo: { name: 'bizmcp-email', version: '0.1.0' },
    });
    client.on('error', (err: Error) => this.log.warn({ err: err.message }, 'IMAP connection error'));
    client.on('close', () => {
      if (this.client === client) {
        this.client = undefined;
        this.mailboxes = undefined;
      }
    });
    try {
      await client.connect();
    } catch (err) {
      client.close();
      throw imapError(err, `${endpoint.host}:${endpoint.port}`, creds.user);
    }
    this.log.debug({ host: endpoint.host, port: endpoint.port }, 'IMAP connected');
    return client;
  }

  /** The open connection, opening it if needed. */
  async get(): Promise<ImapFlow> {
    if (this.closed) throw new ToolError('The server is shutting down', { code: 'cancelled' });
    if (this.client?.usable) return this.client;
    this.connecting ??= this.connect().then(
      (c) => {
        this.connecting = undefined;
        this.client = c;
        return c;
      },
      (e) => {
        this.connecting = undefined;
        throw e;
      },
    );
    return this.connecting;
  }

  /** Runs `fn` with `mailbox` selected (EXAMINE when readOnly), under imapflow's mailbox lock. */
  async withMailbox<T>(mailbox: string, opts: { readOnly: boolean; signal: AbortSignal }, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
    return this.run(opts.signal, async (c) => {
      let lock;
      // Already selected: a NOOP first lets the server report mail delivered since (dovecot syncs
      // a selected mailbox between commands, so a SEARCH alone would miss it).
      const wasSelected = c.mailbox && c.mailbox.path === mailbox && Boolean(c.mailbox.readOnly) === opts.readOnly;
      try {
        lock = await c.getMailboxLock(mailbox, { readOnly: opts.readOnly });
        if (wasSelected) await c.noop();
      } catch (err) {
        throw imapError(err, undefined, undefined, mailbox);
      }
      try {
        return await fn(c);
      } finally {
        lock.release();
      }
    });
  }

  /** Runs `fn` on the connection; an abort closes the connection so no command is left behind. */
  async run<T>(signal: AbortSignal, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
    if (signal.aborted) throw signal.reason;
    const c = await this.get();
    const onAbort = () => {
      this.log.debug('IMAP call aborted: closing the connection');
      if (this.client === c) this.client = undefined;
      c.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(c);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw imapError(err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Every mailbox (LIST), cached for the life of the connection. */
  async list(signal: AbortSignal, refresh = false): Promise<ListResponse[]> {
    if (this.mailboxes && !refresh && this.client?.usable) return this.mailboxes;
    const boxes = await this.run(signal, (c) => c.list());
    this.mailboxes = boxes;
    return boxes;
  }

  /** The mailbox with a special-use flag (\Drafts, \Sent), or the configured override. */
  async specialUse(signal: AbortSignal, use: '\\Drafts' | '\\Sent'): Promise<string> {
    const override = use === '\\Drafts' ? this.config.draftsMailbox : this.config.sentMailbox;
    if (override) return override;
    const boxes = await this.list(signal);
    const found = boxes.find((b) => b.specialUse === use) ?? boxes.find((b) => b.name.toLowerCase() === use.slice(1).toLowerCase());
    if (!found) {
      const env = use === '\\Drafts' ? 'EMAIL_DRAFTS_MAILBOX' : 'EMAIL_SENT_MAILBOX';
      throw new ToolError(`The server has no mailbox marked ${use}`, { code: 'not_found', hint: `Set ${env} to the mailbox to use (list_mailboxes shows them).` });
    }
    return found.path;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    if (!c) return;
    try {
      await Promise.race([c.logout(), new Promise((r) => setTimeout(r, 800))]);
    } catch {
      /* closing anyway */
    }
    c.close();
  }
}

type ImapErr = Error & { code?: string; authenticationFailed?: boolean; responseText?: string; responseStatus?: string; serverResponseCode?: string };

/** imapflow and socket errors → ToolErrors that say what happened without secrets. */
export function imapError(err: unknown, where?: string, user?: string, mailbox?: string): unknown {
  if (err instanceof ToolError) return err;
  const e = err as ImapErr;
  if (!(e instanceof Error)) return err;
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new ToolError(`IMAP login failed${user ? ` for ${user}` : ''}${where ? ` at ${where}` : ''}: ${e.responseText ?? 'authentication failed'}`, {
      code: 'access_denied',
      hint: 'Check EMAIL_ADDRESS/EMAIL_USERNAME and EMAIL_PASSWORD (Gmail and Microsoft 365 need an app password or EMAIL_OAUTH2_TOKEN).',
    });
  }
  const net = [
    'ECONNREFUSED',
    'ENOTFOUND',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ETIMEDOUT',
    'ECONNRESET',
    'EPIPE',
    'NoConnection',
    'ClosedAfterConnectText',
    'ClosedAfterConnectTLS',
    'GREETING_TIMEOUT',
    'CONNECT_TIMEOUT',
    'EConnectionClosed',
  ];
  if ((e.code && net.includes(e.code)) || (/timeout|closed|connect/i.test(e.message) && !e.responseText)) {
    return new ToolError(`Cannot reach the IMAP server${where ? ` ${where}` : ''}: ${e.code ?? e.message}`, {
      code: 'unavailable',
      hint: 'Check IMAP_HOST, IMAP_PORT and IMAP_SECURE, and that the server is up; the next call reconnects.',
    });
  }
  if (e.responseText || e.responseStatus) {
    if (mailbox && /doesn't exist|not exist|unknown mailbox|nonexistent/i.test(e.responseText ?? '')) {
      return new ToolError(`Mailbox not found: ${mailbox}`, { code: 'not_found', hint: 'Call list_mailboxes for the exact names.' });
    }
    return new ToolError(`The IMAP server refused the command: ${e.responseText ?? e.responseStatus}`, { code: 'remote_error' });
  }
  return err;
}
