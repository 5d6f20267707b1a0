// The server's settings and the OAuth scopes each toolset needs.
import { ConfigError, type Destinations, envBool, envEnum, envInt, envList, envSecret, envString, envUrl, type ParsedArgs, parseDestinations, readEnv } from '@bizmcp/core';

export const DEFAULT_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const DEFAULT_AUTHORIZE_URL = 'https://accounts.google.com/o/oauth2/v2/auth';

export const googleEnv = {
  GOOGLE_OAUTH_CLIENT_ID: envString({
    description: 'Client id of a "Desktop app" OAuth client (Google Cloud console > APIs & Services > Credentials), used by `bizmcp-google-workspace auth` and to refresh its token.',
    example: '1234-abc.apps.googleusercontent.com',
  }),
  GOOGLE_OAUTH_CLIENT_SECRET: envSecret({ description: 'The secret of that OAuth client (Google requires it for Desktop clients).' }),
  GOOGLE_ACCOUNT: envString({ description: 'Which stored authorisation to use (`auth --account NAME` stores several).', default: 'default' }),
  GOOGLE_APPLICATION_CREDENTIALS: envString({
    description: 'Path of a service-account JSON key (or an authorized_user file). Takes precedence over the stored authorisation.',
    example: '/secrets/sa-key.json',
  }),
  GOOGLE_IMPERSONATE_USER: envString({
    description: 'With a service-account key: the Workspace user to act as (domain-wide delegation). Shown in every result; an error, never a fallback, when delegation is refused.',
    example: 'ana@example.com',
  }),
  GOOGLE_API_ROOT_URL: envUrl({
    description: 'Send every API call (uploads included) to this root URL instead of Google’s hosts: a proxy, or a local fake in tests.',
    example: 'http://127.0.0.1:8080/',
  }),
  GOOGLE_OAUTH_TOKEN_URL: envUrl({ description: 'Token endpoint for every grant (refresh, service account), instead of the one recorded with the credential.', example: DEFAULT_TOKEN_URL }),
  GOOGLE_OAUTH_AUTHORIZE_URL: envUrl({ description: 'Authorisation endpoint used by `auth`.', default: DEFAULT_AUTHORIZE_URL }),
  GOOGLE_ALLOWED_RECIPIENTS: envString({
    description:
      'Who writes may reach: Drive share targets, Calendar attendees and Gmail recipients. Comma-separated addresses, @domain, @*.domain, or * for anyone. Unset: no sharing, no attendees, no mail recipients.',
    example: '@example.com,partner@other.org',
  }),
  GOOGLE_ALLOW_PUBLIC_SHARING: envBool({ description: 'Let drive_share_file give "anyone with the link" access; refused by default.' }),
  GMAIL_SEND_MODE: envEnum({ description: 'draft: gmail_send is not offered, mail is only drafted. send: gmail_send sends.', values: ['draft', 'send'] as const, default: 'draft' }),
  GOOGLE_FILE_ROOTS: envList({
    description: 'Directories (comma-separated) that drive_upload_file may read from and drive_download_file may write to. Unset: no file transfer.',
    example: '~/drive-files',
  }),
  GOOGLE_MAX_UPLOAD_BYTES: envInt({ description: 'Largest file drive_upload_file sends (and drive_download_file saves), in bytes.', default: 50 * 1024 * 1024, min: 1, max: 5 * 1024 * 1024 * 1024 }),
  GOOGLE_RESUMABLE_ABOVE_BYTES: envInt({
    description: 'drive_upload_file uses a resumable upload (in chunks, resumed after a failure) above this size; one multipart request below.',
    default: 5 * 1024 * 1024,
    min: 0,
    max: 5 * 1024 * 1024 * 1024,
  }),
  GOOGLE_UPLOAD_CHUNK_BYTES: envInt({ description: 'Chunk size of resumable uploads, a multiple of 262144 (256 KiB).', default: 8 * 1024 * 1024, min: 262_144, max: 1024 * 1024 * 1024 }),
  GOOGLE_MAX_CELLS: envInt({ description: 'Most cells one Sheets read or write handles; larger ranges are paged by rows.', default: 10_000, min: 100, max: 1_000_000 }),
  GOOGLE_MAX_TEXT_CHARS: envInt({ description: 'Most characters of document or file text one call returns (the rest is paged).', default: 40_000, min: 1000, max: 2_000_000 }),
};

export interface GoogleConfig {
  clientId?: string;
  clientSecret?: string;
  account: string;
  credentialsFile?: string;
  impersonate?: string;
  /** Root URL for every API (with a trailing slash), when set. */
  apiRoot?: string;
  tokenUrl?: string;
  defaultTokenUrl: string;
  authorizeUrl: string;
  recipients?: Destinations;
  allowPublic: boolean;
  sendMode: 'draft' | 'send';
  fileRoots: string[];
  maxUploadBytes: number;
  resumableAbove: number;
  chunkBytes: number;
  maxCells: number;
  maxTextChars: number;
  env: NodeJS.ProcessEnv;
}

export function parseGoogleConfig(args: ParsedArgs): GoogleConfig {
  const v = readEnv(googleEnv, args.env);
  const impersonate = v.GOOGLE_IMPERSONATE_USER?.trim();
  if (impersonate && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(impersonate)) throw new ConfigError(`GOOGLE_IMPERSONATE_USER must be a user's e-mail address, got "${impersonate.slice(0, 80)}"`);
  let apiRoot: string | undefined;
  if (v.GOOGLE_API_ROOT_URL) {
    const u = new URL(v.GOOGLE_API_ROOT_URL);
    if (u.search || u.hash || u.username || u.password) throw new ConfigError('GOOGLE_API_ROOT_URL must be a plain URL without query or credentials');
    apiRoot = u.href.endsWith('/') ? u.href : `${u.href}/`;
  }
  if (v.GOOGLE_UPLOAD_CHUNK_BYTES % 262_144 !== 0) throw new ConfigError(`GOOGLE_UPLOAD_CHUNK_BYTES must be a multiple of 262144 (256 KiB), got ${v.GOOGLE_UPLOAD_CHUNK_BYTES}`);
  const account = v.GOOGLE_ACCOUNT.trim() || 'default';
  const raw = v.GOOGLE_ALLOWED_RECIPIENTS?.trim();
  return {
    clientId: v.GOOGLE_OAUTH_CLIENT_ID?.trim() || undefined,
    clientSecret: v.GOOGLE_OAUTH_CLIENT_SECRET,
    account,
    credentialsFile: v.GOOGLE_APPLICATION_CREDENTIALS?.trim() || undefined,
    impersonate: impersonate || undefined,
    apiRoot,
    tokenUrl: v.GOOGLE_OAUTH_TOKEN_URL,
    defaultTokenUrl: DEFAULT_TOKEN_URL,
    authorizeUrl: v.GOOGLE_OAUTH_AUTHORIZE_URL,
    recipients: raw ? parseDestinations('GOOGLE_ALLOWED_RECIPIENTS', raw, { kinds: ['email'] }) : undefined,
    allowPublic: v.GOOGLE_ALLOW_PUBLIC_SHARING,
    sendMode: v.GMAIL_SEND_MODE,
    fileRoots: v.GOOGLE_FILE_ROOTS,
    maxUploadBytes: v.GOOGLE_MAX_UPLOAD_BYTES,
    resumableAbove: v.GOOGLE_RESUMABLE_ABOVE_BYTES,
    chunkBytes: v.GOOGLE_UPLOAD_CHUNK_BYTES,
    maxCells: v.GOOGLE_MAX_CELLS,
    maxTextChars: v.GOOGLE_MAX_TEXT_CHARS,
    env: args.env,
  };
}

// ------------------------------------------------------------------------------------- scopes

export type ApiName = 'sheets' | 'docs' | 'drive' | 'calendar' | 'gmail';

const G = 'https://www.googleapis.com/auth/';
/** Per toolset: the scope for writing and the read-only one. */
export const TOOLSET_SCOPES: Record<ApiName, { write: string; read: string }> = {
  sheets: { write: `${G}spreadsheets`, read: `${G}spreadsheets.readonly` },
  docs: { write: `${G}documents`, read: `${G}documents.readonly` },
  drive: { write: `${G}drive`, read: `${G}drive.readonly` },
  calendar: { write: `${G}calendar`, read: `${G}calendar.readonly` },
  gmail: { write: `${G}gmail.modify`, read: `${G}gmail.readonly` },
};

/** The scopes the selected tools need: a toolset's write scope only when one of its write tools is on. */
export function scopesFor(tools: { toolset: string; annotations: { readOnlyHint: boolean } }[]): string[] {
  const need = new Map<ApiName, boolean>();
  for (const t of tools) {
    const api = t.toolset as ApiName;
    if (!TOOLSET_SCOPES[api]) continue;
    need.set(api, (need.get(api) ?? false) || !t.annotations.readOnlyHint);
  }
  return [...need].map(([api, write]) => TOOLSET_SCOPES[api][write ? 'write' : 'read']);
}

/** Whether granted scopes cover an API call (the write scope also covers reads). */
export function scopeCovers(granted: string[], api: ApiName, write: boolean): boolean {
  const s = TOOLSET_SCOPES[api];
  if (granted.includes(s.write)) return true;
  // The full Drive scope covers the Docs and Sheets files a user can open.
  if ((api === 'docs' || api === 'sheets') && granted.includes(TOOLSET_SCOPES.drive.write)) return true;
  if (!write && (api === 'docs' || api === 'sheets') && granted.includes(TOOLSET_SCOPES.drive.read)) return true;
  if (!write && api === 'gmail' && granted.includes(`${G}gmail.readonly`)) return true;
  return !write && granted.includes(s.read);
}
