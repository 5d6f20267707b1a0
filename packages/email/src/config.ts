// Configuration from the environment only. Nothing here is required for the server to start: a
// tool that needs a missing setting answers with the variables to set. A setting that is present
// but wrong (a bad port, an unknown send mode, an allow-list entry that is not an address) stops
// the server at start: a misread safety setting must never be silently ignored.
import { ConfigError, envBool, envEnum, envInt, envSecret, envString, missingCredentials, readEnv, type EnvValues } from '@bizmcp/core';
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

const MB = 1024 * 1024;

export const ENV = {
  EMAIL_ADDRESS: envString({ description: 'Your address: the From of what is sent, and the login name unless EMAIL_USERNAME is set.', example: 'ana@example.com' }),
  EMAIL_USERNAME: envString({ description: 'Login name when it differs from EMAIL_ADDRESS.' }),
  EMAIL_DISPLAY_NAME: envString({ description: 'Display name in the From header.', example: 'Ana Lima' }),
  EMAIL_PASSWORD: envSecret({ description: 'Password or app password (IMAP and SMTP).' }),
  EMAIL_OAUTH2_TOKEN: envSecret({ description: 'OAuth2 access token (XOAUTH2), instead of EMAIL_PASSWORD (Gmail, Microsoft 365).' }),
  IMAP_HOST: envString({ description: 'IMAP server host.', example: 'imap.gmail.com' }),
  IMAP_PORT: envInt({ description: 'IMAP port (default 993 when IMAP_SECURE, else 143).', example: '993', min: 1, max: 65535 }),
  IMAP_SECURE: envBool({ description: 'TLS from the start (true, default) or STARTTLS (false; required unless the host is loopback).', default: true }),
  SMTP_HOST: envString({ description: 'SMTP server host (only needed with EMAIL_SEND_MODE=send).', example: 'smtp.gmail.com' }),
  SMTP_PORT: envInt({ description: 'SMTP port (default 465 when SMTP_SECURE, else 587).', example: '465', min: 1, max: 65535 }),
  SMTP_SECURE: envBool({ description: 'TLS from the start (true, default) or STARTTLS (false; required unless the host is loopback).', default: true }),
  EMAIL_SEND_MODE: envEnum({
    description: 'draft (default): send_email, reply_to_email and forward_email save drafts for a person to send; send: they really send over SMTP.',
    values: ['draft', 'send'] as const,
    default: 'draft',
  }),
  EMAIL_ALLOWED_RECIPIENTS: envString({
    description: 'Comma-separated addresses, @domain and @*.domain (subdomains) entries, or * for anyone; any other recipient refuses the whole message (drafts too).',
    example: 'ana@example.com,@example.com',
  }),
  EMAIL_ATTACHMENT_DIR: envString({ description: 'The only directory attachments are read from (send) and saved into (download_attachment).', example: '/home/ana/mail-files' }),
  EMAIL_MAX_ATTACHMENT_BYTES: envInt({ description: "Largest attachment sent or downloaded, and largest total of a message's attachments.", default: 25 * MB, min: 1 }),
  EMAIL_MAX_MESSAGE_BYTES: envInt({ description: 'Largest message get_email or download_attachment will fetch.', default: 50 * MB, min: 1 }),
  EMAIL_SAVE_SENT: envBool({ description: 'Append a copy of each sent message to the Sent mailbox (set false for Gmail, which keeps its own copy).', default: true }),
  EMAIL_DRAFTS_MAILBOX: envString({ description: 'Drafts mailbox when the server does not mark one with the \\Drafts special-use flag.' }),
  EMAIL_SENT_MAILBOX: envString({ description: 'Sent mailbox when the server does not mark one with the \\Sent special-use flag.' }),
  EMAIL_TIMEOUT_MS: envInt({ description: 'Network timeout of IMAP and SMTP operations (connect, greeting, idle socket).', default: 20_000, min: 100 }),
};

type Vars = EnvValues<typeof ENV>;

function endpoint(v: Vars, kind: 'IMAP' | 'SMTP'): Endpoint | undefined {
  const host = v[`${kind}_HOST`]?.trim();
  if (!host) return undefined;
  const secure = v[`${kind}_SECURE`];
  const port = v[`${kind}_PORT`] ?? (kind === 'IMAP' ? (secure ? 993 : 143) : secure ? 465 : 587);
  return { host, port, secure };
}

export function parseEmailConfig(rawEnv: NodeJS.ProcessEnv): EmailConfig {
  const env = readEnv(ENV, rawEnv);
  let address: string | undefined;
  if (env.EMAIL_ADDRESS) {
    try {
      address = parseAddrSpec(env.EMAIL_ADDRESS.trim()).address;
    } catch (e) {
      throw new ConfigError(`EMAIL_ADDRESS: ${(e as Error).message}`);
    }
  }
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
    sendMode: env.EMAIL_SEND_MODE,
    allow,
    attachmentDir: env.EMAIL_ATTACHMENT_DIR || undefined,
    maxAttachmentBytes: env.EMAIL_MAX_ATTACHMENT_BYTES,
    maxMessageBytes: env.EMAIL_MAX_MESSAGE_BYTES,
    saveSent: env.EMAIL_SAVE_SENT,
    draftsMailbox: env.EMAIL_DRAFTS_MAILBOX || undefined,
    sentMailbox: env.EMAIL_SENT_MAILBOX || undefined,
    timeoutMs: env.EMAIL_TIMEOUT_MS,
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
    throw missingCredentials({
      what: `${kind}${purpose}`,
      vars: missing,
      how: `Optionally also ${kind}_PORT and ${kind}_SECURE. Credentials come from the environment only (the "env" block of the client configuration). Gmail and Microsoft 365 need an app password or an OAuth2 access token; see docs/servers/email.md.`,
    });
  }
  return { endpoint: ep, creds: { user: config.username ?? config.address, password: config.password, oauth2Token: config.oauth2Token }, address: config.address };
}
