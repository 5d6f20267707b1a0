// Configuration from the environment only. Nothing here is required for the server to start: a
// tool that needs a missing setting answers with the variables to set. A setting that is present
// but wrong (a bad port, an unknown send mode, an allow-list entry that is not an address) stops
// the server at start: a misread safety setting must never be silently ignored.
import { ConfigError, envNumber, ToolError, type EnvSpec } from '@bizmcp/core';
import { AllowList, parseAddrSpec } from './addresses.js';

export interface Endpoint {
  host: string;
  port: number;
  /** TLS from the first byte (993/465); otherwise STARTTLS, required unless the host is loopback. */
  secure: boolean;
}

export interface EmailConfig {
  address?: string;
  displayName?: string;
  username?: string;
  password?: string;
  oauth2Token?: string;
  imap?: Endpoint;
  smtp?: Endpoint;
  sendMode: 'draft' | 'send';
  allow?: AllowList;
  attachmentDir?: string;
  maxAttachmentBytes: number;
  maxMessageBytes: number;
  saveSent: boolean;
  draftsMailbox?: string;
  sentMailbox?: string;
  timeoutMs: number;
}

export const ENV: Record<string, EnvSpec> = {
  EMAIL_ADDRESS: { description: 'Your address: the From of what is sent, and the login name unless EMAIL_USERNAME is set.', example: 'ana@example.com' },
  EMAIL_USERNAME: { description: 'Login name when it differs from EMAIL_ADDRESS.' },
  EMAIL_DISPLAY_NAME: { description: 'Display name in the From header.', example: 'Ana Lima' },
  EMAIL_PASSWORD: { description: 'Password or app password (IMAP and SMTP).', secret: true },
  EMAIL_OAUTH2_TOKEN: { description: 'OAuth2 access token (XOAUTH2), instead of EMAIL_PASSWORD (Gmail, Microsoft 365).', secret: true },
  IMAP_HOST: { description: 'IMAP server host.', example: 'imap.gmail.com' },
  IMAP_PORT: { description: 'IMAP port (default 993 when IMAP_SECURE, else 143).', example: '993' },
  IMAP_SECURE: { description: 'TLS from the start (true, default) or STARTTLS (false; required unless the host is loopback).', default: 'true' },
  SMTP_HOST: { description: 'SMTP server host (only needed with EMAIL_SEND_MODE=send).', example: 'smtp.gmail.com' },
  SMTP_PORT: { description: 'SMTP port (default 465 when SMTP_SECURE, else 587).', example: '465' },
  SMTP_SECURE: { description: 'TLS from the start (true, default) or STARTTLS (false; required unless the host is loopback).', default: 'true' },
  EMAIL_SEND_MODE: { description: 'draft (default): send_email, reply_to_email and forward_email save drafts for a person to send; send: they really send over SMTP.', default: 'draft' },
  EMAIL_ALLOWED_RECIPIENTS: { description: 'Comma-separated addresses, @domain and @*.domain (subdomains) entries, or * for anyone; any other recipient refuses the whole message (drafts too).', example: 'ana@example.com,@example.com' },
  EMAIL_ATTACHMENT_DIR: { description: 'The only directory attachments are read from (send) and saved into (download_attachment).', example: '/home/ana/mail-files' },
  EMAIL_MAX_ATTACHMENT_BYTES: { description: 'Largest attachment sent or downloaded, and largest total of a message\'s attachments.', default: '26214400' },
  EMAIL_MAX_MESSAGE_BYTES: { description: 'Largest message get_email or download_attachment will fetch.', default: '52428800' },
  EMAIL_SAVE_SENT: { description: 'Append a copy of each sent message to the Sent mailbox (set false for Gmail, which keeps its own copy).', default: 'true' },
  EMAIL_DRAFTS_MAILBOX: { description: 'Drafts mailbox when the server does not mark one with the \\Drafts special-use flag.' },
  EMAIL_SENT_MAILBOX: { description: 'Sent mailbox when the server does not mark one with the \\Sent special-use flag.' },
  EMAIL_TIMEOUT_MS: { description: 'Network timeout of IMAP and SMTP operations (connect, greeting, idle socket).', default: '20000' },
};

const bool = (env: NodeJS.ProcessEnv, name: string, dflt: boolean) => {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${name} must be true or false, not "${v}"`);
};

const int = (env: NodeJS.ProcessEnv, name: string, dflt: number, min = 1) => envNumber(env, name, dflt, { min, integer: true });

function endpoint(env: NodeJS.ProcessEnv, kind: 'IMAP' | 'SMTP'): Endpoint | undefined {
  const host = env[`${kind}_HOST`]?.trim();
  if (!host) return undefined;
  const secure = bool(env, `${kind}_SECURE`, true);
  const dflt = kind === 'IMAP' ? (secure ? 993 : 143) : secure ? 465 : 587;
  const port = int(env, `${kind}_PORT`, dflt);
  if (port > 65535) throw new ConfigError(`${kind}_PORT must be a port number (1-65535), got "${port}"`);
  return { host, port, secure };
}

export function parseEmailConfig(env: NodeJS.ProcessEnv): EmailConfig {
  let address: string | undefined;
  if (env.EMAIL_ADDRESS) {
    try {
      address = parseAddrSpec(env.EMAIL_ADDRESS.trim()).address;
    } catch (e) {
      throw new ConfigError(`EMAIL_ADDRESS: ${(e as Error).message}`);
    }
  }
  const mode = (env.EMAIL_SEND_MODE ?? 'draft').trim().toLowerCase() || 'draft';
  if (mode !== 'draft' && mode !== 'send') throw new ConfigError(`EMAIL_SEND_MODE must be "draft" or "send", not "${env.EMAIL_SEND_MODE}"`);
  let allow: AllowList | undefined;
  if (env.EMAIL_ALLOWED_RECIPIENTS !== undefined && env.EMAIL_ALLOWED_RECIPIENTS.trim() !== '') {
    // A bad entry throws ConfigError naming the variable and the entry.
    allow = new AllowList(env.EMAIL_ALLOWED_RECIPIENTS.split(','));
  }
  return {
    address,
    displayName: env.EMAIL_DISPLAY_NAME?.replace(/[\r\n]/g, ' ').trim() || undefined,
    username: env.EMAIL_USERNAME || undefined,
    password: env.EMAIL_PASSWORD || undefined,
    oauth2Token: env.EMAIL_OAUTH2_TOKEN || undefined,
    imap: endpoint(env, 'IMAP'),
    smtp: endpoint(env, 'SMTP'),
    sendMode: mode,
    allow,
    attachmentDir: env.EMAIL_ATTACHMENT_DIR || undefined,
    maxAttachmentBytes: int(env, 'EMAIL_MAX_ATTACHMENT_BYTES', 25 * 1024 * 1024),
    maxMessageBytes: int(env, 'EMAIL_MAX_MESSAGE_BYTES', 50 * 1024 * 1024),
    saveSent: bool(env, 'EMAIL_SAVE_SENT', true),
    draftsMailbox: env.EMAIL_DRAFTS_MAILBOX || undefined,
    sentMailbox: env.EMAIL_SENT_MAILBOX || undefined,
    timeoutMs: int(env, 'EMAIL_TIMEOUT_MS', 20_000, 100),
  };
}

export const isLoopback = (host: string) => /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i.test(host);

export interface Credentials {
  user: string;
  password?: string;
  oauth2Token?: string;
}

/** The login for IMAP or SMTP, or a missing_credentials error naming every variable to set. */
export function requireAccount(config: EmailConfig, kind: 'IMAP' | 'SMTP', purpose = ''): { endpoint: Endpoint; creds: Credentials; address: string } {
  const ep = kind === 'IMAP' ? config.imap : config.smtp;
  const missing: string[] = [];
  if (!config.address) missing.push('EMAIL_ADDRESS');
  if (!config.password && !config.oauth2Token) missing.push('EMAIL_PASSWORD (or EMAIL_OAUTH2_TOKEN)');
  if (!ep) missing.push(`${kind}_HOST`);
  if (missing.length || !ep || !config.address) {
    throw new ToolError(`${kind} is not configured${purpose}: set ${missing.join(', ')} in the server's environment (optionally ${kind}_PORT and ${kind}_SECURE).`, {
      code: 'missing_credentials',
      hint: 'Credentials come from the environment only (the "env" block of the client configuration). Gmail and Microsoft 365 need an app password or an OAuth2 access token; see docs/servers/email.md.',
      details: { missing },
    });
  }
  return { endpoint: ep, creds: { user: config.username ?? config.address, password: config.password, oauth2Token: config.oauth2Token }, address: config.address };
}
