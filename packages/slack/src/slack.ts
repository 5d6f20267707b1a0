// The Slack client: configuration, the lazily loaded SDK (its own retries off), auth.test once at
// the first call, names resolved on demand through a bounded cache, the write checks (allow-list,
// Slack Connect, broadcast mentions) and the two-step file upload done through core's net guard.
import type { WebClient } from '@slack/web-api';
import {
  abortable,
  ConfigError,
  cleanText,
  type Destinations,
  envBool,
  envInt,
  envList,
  envSecret,
  envString,
  envUrl,
  type Logger,
  missingCredentials,
  NetGuard,
  type ParsedArgs,
  parseDestinations,
  readEnv,
  registerSecret,
  sdkRetrySettings,
  slackFailure,
  type ToolContext,
  ToolError,
  toUpstreamToolError,
  type UpstreamContext,
  withRetries,
} from '@bizmcp/core';
import type { SlackConfig } from './state.js';

export const slackEnv = {
  SLACK_BOT_TOKEN: envSecret({
    description: 'Bot token (xoxb-…) of a Slack app installed in the workspace (OAuth & Permissions page). Give it only the scopes of the toolsets you enable (see the docs).',
    example: 'xoxb-…',
  }),
  SLACK_USER_TOKEN: envSecret({
    description: 'User token (xoxp-…) instead of (or beside) the bot token: acts as that user; needed by search_messages and search_files. When both are set the user token is used.',
    example: 'xoxp-…',
  }),
  SLACK_ALLOWED_CHANNELS: envString({
    description:
      'Where the server may write (post, edit, schedule, react, upload, join, create): comma-separated channel ids (C0123ABCD), #names, #prefix-* (also the names create_channel may use), or * for anywhere. Unset: no write tool is offered.',
    example: '#bot-tests,#proj-*,C0123ABCD',
  }),
  SLACK_ALLOW_BROADCAST: envBool({ description: 'Let posts ping whole channels (<!channel>, <!here>, <!everyone>, @channel); by default these are neutralised.' }),
  SLACK_ALLOW_EXTERNAL: envBool({ description: 'Let writes reach Slack Connect channels (shared with other organisations); refused by default.' }),
  SLACK_FILE_ROOTS: envList({ description: 'Directories (comma-separated) upload_file may read from and download_file may write to. Unset: no file transfer.', example: '~/slack-files' }),
  SLACK_MAX_FILE_BYTES: envInt({ description: 'Largest file upload_file sends or download_file saves, in bytes.', default: 50 * 1024 * 1024, min: 1, max: 1024 * 1024 * 1024 }),
  SLACK_NAME_CACHE_SIZE: envInt({ description: 'User and channel names kept in memory (filled as results need them, never by scanning the workspace).', default: 5000, min: 10, max: 1_000_000 }),
  SLACK_API_URL: envUrl({ description: 'Slack Web API base URL (a proxy, GovSlack https://slack-gov.com/api/, or a local fake in tests).', default: 'https://slack.com/api/' }),
};

export function parseSlackConfig(args: ParsedArgs): SlackConfig {
  const v = readEnv(slackEnv, args.env);
  const url = new URL(v.SLACK_API_URL);
  if (url.search || url.username || url.password || url.hash) throw new ConfigError(`SLACK_API_URL must be a plain base URL without query or credentials, got "${v.SLACK_API_URL.slice(0, 80)}"`);
  const apiUrl = url.href.endsWith('/') ? url.href : `${url.href}/`;
  const [token, tokenVar] = v.SLACK_USER_TOKEN ? [v.SLACK_USER_TOKEN, 'SLACK_USER_TOKEN' as const] : v.SLACK_BOT_TOKEN ? [v.SLACK_BOT_TOKEN, 'SLACK_BOT_TOKEN' as const] : [undefined, undefined];
  const raw = v.SLACK_ALLOWED_CHANNELS?.trim();
  return {
    token,
    tokenVar,
    apiUrl,
    channels: raw ? parseDestinations('SLACK_ALLOWED_CHANNELS', raw, { kinds: ['channel'] }) : undefined,
    allowBroadcast: v.SLACK_ALLOW_BROADCAST,
    allowExternal: v.SLACK_ALLOW_EXTERNAL,
    fileRoots: v.SLACK_FILE_ROOTS,
    maxFileBytes: v.SLACK_MAX_FILE_BYTES,
    cacheSize: v.SLACK_NAME_CACHE_SIZE,
  };
}

/** Write tools exist only when SLACK_ALLOWED_CHANNELS is set. */
export const writesOn = (c: SlackConfig) => c.channels !== undefined;

// ------------------------------------------------------------------------------ helpers

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** "2024-05-01T10:00:00Z" or "1714557600.000100" → a Slack ts string. */
export function toSlackTs(v: string, field: string): string {
  const s = v.trim();
  if (/^\d{1,12}(\.\d{1,6})?$/.test(s)) return s;
  const ms = Date.parse(s);
  if (!Number.isFinite(ms))
    throw new ToolError(`${field} must be an ISO date-time or a Slack timestamp (1714557600.000100), got "${s.slice(0, 40)}"`, { code: 'invalid_argument', details: { field } });
  return (ms / 1000).toFixed(6);
}

/** A Slack ts → ISO time. */
export const tsToIso = (ts: unknown): string | undefined => (typeof ts === 'string' && /^\d+(\.\d+)?$/.test(ts) ? new Date(Math.round(Number(ts) * 1000)).toISOString() : undefined);

const BROADCAST_TOKEN = /<!(channel|here|everyone)(\|[^>]*)?>/g;
const BROADCAST_AT = /(^|[^\w<])@(channel|here|everyone)\b/g;

/** Replaces broadcast mentions by a look-alike that pings nobody ("＠here"); counts them. */
export function neutraliseText(text: string): { text: string; count: number } {
  let count = 0;
  const out = text
    .replace(BROADCAST_TOKEN, (_m, who: string) => {
      count++;
      return `\uFF20${who}`;
    })
    .replace(BROADCAST_AT, (_m, pre: string, who: string) => {
      count++;
      return `${pre}\uFF20${who}`;
    });
  return { text: out, count };
}

/** The same for Block Kit: every string, and rich-text "broadcast" elements turned into text. */
export function neutraliseBlocks(blocks: unknown): { blocks: unknown; count: number } {
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = neutraliseText(v);
      count += r.count;
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Obj;
      if (o.type === 'broadcast') {
        count++;
        return { type: 'text', text: `\uFF20${typeof o.range === 'string' ? o.range : 'here'}` };
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, k === 'type' ? x : walk(x)]));
    }
    return v;
  };
  return { blocks: walk(blocks), count };
}

/** A bounded map that forgets the least recently used entry. */
export class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value as string);
  }
  get size() {
    return this.m.size;
  }
}

// ------------------------------------------------------------------------------------- client

export interface Identity {
  userId?: string;
  botId?: string;
  teamId?: string;
  team?: string;
  url?: string;
  kind: 'bot' | 'user';
}

export interface ChannelInfo {
  id: string;
  name?: string;
  isPrivate: boolean;
  isIm: boolean;
  isMpim: boolean;
  isExtShared: boolean;
  isArchived: boolean;
  isMember?: boolean;
  topic?: string;
  purpose?: string;
  numMembers?: number;
  created?: string;
}

type Ctx = Pick<ToolContext, 'signal' | 'deadline' | 'remainingMs' | 'log'>;

const CREDENTIAL_HELP = 'Set SLACK_BOT_TOKEN (xoxb-, from your Slack app\'s "OAuth & Permissions" page) or SLACK_USER_TOKEN (xoxp-), then restart the server.';
const CHANNEL_ID = /^[CGD][A-Z0-9]{6,20}$/;
const USER_ID = /^[UW][A-Z0-9]{6,20}$/;
/** Pages of conversations.list read at most to find a channel by name (1000 each). */
const NAME_LOOKUP_PAGES = 20;

export function channelOut(c: Obj): ChannelInfo {
  return {
    id: String(c.id),
    name: c.name ? cleanText(c.name) : undefined,
    isPrivate: c.is_private === true || c.is_group === true,
    isIm: c.is_im === true,
    isMpim: c.is_mpim === true,
    isExtShared: c.is_ext_shared === true || c.is_pending_ext_shared === true || c.is_shared === true,
    isArchived: c.is_archived === true,
    isMember: typeof c.is_member === 'boolean' ? c.is_member : undefined,
    topic: c.topic?.value ? cleanText(c.topic.value) : undefined,
    purpose: c.purpose?.value ? cleanText(c.purpose.value) : undefined,
    numMembers: typeof c.num_members === 'number' ? c.num_members : undefined,
    created: typeof c.created === 'number' ? new Date(c.created * 1000).toISOString() : undefined,
  };
}

/** The SDK, loaded at the first call; reads retried within the deadline, writes never. */
export class SlackApi {
  private client?: Promise<WebClient>;
  private identity?: Promise<Identity>;
  private readonly users: Lru<{ name: string; realName?: string }>;
  private readonly channels: Lru<ChannelInfo>;
  private readonly channelIdsByName: Lru<string>;
  private guard?: NetGuard;

  constructor(
    readonly config: SlackConfig,
    private readonly log: Logger,
  ) {
    this.users = new Lru(config.cacheSize);
    this.channels = new Lru(config.cacheSize);
    this.channelIdsByName = new Lru(config.cacheSize);
  }

  get tokenKind(): 'bot' | 'user' | undefined {
    const t = this.config.token;
    return !t ? undefined : t.startsWith('xoxp-') ? 'user' : t.startsWith('xoxb-') ? 'bot' : this.config.tokenVar === 'SLACK_USER_TOKEN' ? 'user' : 'bot';
  }

  private sdk(): Promise<WebClient> {
    const token = this.config.token;
    if (!token) {
      throw missingCredentials({
        what: 'Slack',
        vars: ['SLACK_BOT_TOKEN (or SLACK_USER_TOKEN)'],
        how: 'Create a Slack app (api.slack.com/apps), add the scopes listed in the server docs, install it in the workspace and copy its Bot User OAuth Token (xoxb-…).',
      });
    }
    this.client ??= (async () => {
      const mod = await import('@slack/web-api');
      // Bundled, the CommonJS package may arrive under default.
      const sdk = ((mod as { WebClient?: unknown }).WebClient ? mod : (mod as unknown as { default: typeof mod }).default) as typeof mod;
      const { WebClient, LogLevel } = sdk;
      const log = this.log;
      // The SDK's console logger would write to stdout, which belongs to the protocol.
      const logger = {
        debug: (...m: unknown[]) => log.debug({ sdk: 'slack' }, m.map(String).join(' ')),
        info: (...m: unknown[]) => log.debug({ sdk: 'slack' }, m.map(String).join(' ')),
        warn: (...m: unknown[]) => log.warn({ sdk: 'slack' }, m.map(String).join(' ')),
        error: (...m: unknown[]) => log.error({ sdk: 'slack' }, m.map(String).join(' ')),
        setLevel: () => {},
        getLevel: () => LogLevel.WARN,
        setName: () => {},
      };
      return new WebClient(token, {
        ...sdkRetrySettings.slack,
        slackApiUrl: this.config.apiUrl,
        allowAbsoluteUrls: false,
        logger,
        timeout: 60_000,
      });
    })();
    this.client.catch(() => {
      this.client = undefined;
    });
    return this.client;
  }

  upstream(): UpstreamContext {
    return { service: 'Slack', credentialVar: this.config.tokenVar ?? 'SLACK_BOT_TOKEN', credentialHelp: CREDENTIAL_HELP };
  }

  /** One Web API method. Reads are retried (429 with Retry-After, 5xx, network) within the deadline. */
  async call(ctx: Ctx, method: string, args: Obj = {}, opts: { write?: boolean } = {}): Promise<Obj> {
    const sdk = await this.sdk();
    await this.whoAmI(ctx, sdk);
    return this.raw(ctx, sdk, method, args, opts);
  }

  private async raw(ctx: Ctx, sdk: WebClient, method: string, args: Obj, opts: { write?: boolean }): Promise<Obj> {
    const up = this.upstream();
    const clean = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
    return withRetries(() => abortable(sdk.apiCall(method, clean), ctx.signal) as Promise<Obj>, {
      idempotent: !opts.write,
      signal: ctx.signal,
      deadline: ctx.deadline,
      mapError: (e) => toUpstreamToolError(e, slackFailure, up),
      onRetry: ({ attempt, delayMs, error }) => this.log.warn({ attempt, delayMs, code: error.code, method }, 'Slack call retried'),
    });
  }

  /** auth.test, once (at the first tool call, never at start-up). */
  async whoAmI(ctx: Ctx, sdk?: WebClient): Promise<Identity> {
    const client = sdk ?? (await this.sdk());
    this.identity ??= this.raw(ctx, client, 'auth.test', {}, {}).then((r) => ({
      userId: r.user_id,
      botId: r.bot_id,
      teamId: r.team_id,
      team: r.team ? cleanText(r.team) : undefined,
      url: r.url,
      kind: this.tokenKind ?? 'bot',
    }));
    this.identity.catch(() => {
      this.identity = undefined;
    });
    return this.identity;
  }

  // ---------------------------------------------------------------------------- names

  /** A user's handle (cached; users.info on a miss). Unknown or failing: undefined. */
  async userName(ctx: Ctx, id: unknown): Promise<string | undefined> {
    if (typeof id !== 'string' || !USER_ID.test(id)) return undefined;
    const hit = this.users.get(id);
    if (hit) return hit.name;
    try {
      const r = await this.call(ctx, 'users.info', { user: id });
      return this.rememberUser(r.user)?.name;
    } catch (e) {
      ctx.log.debug({ user: id, err: (e as Error).message }, 'user name not resolved');
      return undefined;
    }
  }

  rememberUser(u: Obj | undefined): { name: string; realName?: string } | undefined {
    if (!u?.id) return undefined;
    const v = { name: cleanText(u.name ?? u.id), realName: u.real_name || u.profile?.real_name ? cleanText(u.real_name || u.profile?.real_name) : undefined };
    this.users.set(u.id, v);
    return v;
  }

  /** Names of many users at once (at most 8 lookups in flight). */
  async userNames(ctx: Ctx, ids: Iterable<unknown>): Promise<Map<string, string>> {
    const want = [...new Set([...ids].filter((x): x is string => typeof x === 'string' && USER_ID.test(x)))];
    const out = new Map<string, string>();
    let i = 0;
    const worker = async () => {
      while (i < want.length) {
        const id = want[i++];
        const n = await this.userName(ctx, id);
        if (n) out.set(id, n);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, want.length) }, worker));
    return out;
  }

  rememberChannel(c: Obj): ChannelInfo {
    const info = channelOut(c);
    this.channels.set(info.id, info);
    if (info.name) this.channelIdsByName.set(info.name.toLowerCase(), info.id);
    return info;
  }

  /** conversations.info (fresh: what the write checks use). */
  async channelInfo(ctx: Ctx, id: string): Promise<ChannelInfo> {
    const r = await this.call(ctx, 'conversations.info', { channel: id });
    return this.rememberChannel(r.channel);
  }

  /** A channel's name for display (cached). */
  async channelName(ctx: Ctx, id: string): Promise<string | undefined> {
    const hit = this.channels.get(id);
    if (hit) return hit.name;
    try {
      return (await this.channelInfo(ctx, id)).name;
    } catch {
      return undefined;
    }
  }

  /**
   * A channel argument (an id, or a name with or without "#") → its id. A name not yet seen is
   * looked up in conversations.list, at most NAME_LOOKUP_PAGES pages, filling the cache.
   */
  async channelId(ctx: Ctx, ref: string): Promise<string> {
    const s = ref.trim();
    if (CHANNEL_ID.test(s)) return s;
    const name = s.replace(/^#/, '').toLowerCase();
    if (!/^[\p{Ll}\p{Lo}\p{N}_.-]{1,80}$/u.test(name))
      throw new ToolError(`channel "${s.slice(0, 60)}" is neither a channel id (C…, G…, D…) nor a channel name`, { code: 'invalid_argument', details: { field: 'channel' } });
    const hit = this.channelIdsByName.get(name);
    if (hit) return hit;
    let cursor: string | undefined;
    for (let p = 0; p < NAME_LOOKUP_PAGES; p++) {
      const r = await this.call(ctx, 'conversations.list', { limit: 1000, exclude_archived: true, types: 'public_channel,private_channel', cursor });
      let found: string | undefined;
      for (const c of r.channels ?? []) {
        const info = this.rememberChannel(c);
        if (info.name?.toLowerCase() === name) found = info.id;
      }
      if (found) return found;
      cursor = r.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    throw new ToolError(`No channel named #${name} was found (or the token cannot see it).`, {
      code: 'not_found',
      hint: 'Check the name with list_channels, or pass the channel id (C…).',
      details: { field: 'channel' },
    });
  }

  // ---------------------------------------------------------------------------- write checks

  /**
   * The channel a write goes to, after the checks: allowed by SLACK_ALLOWED_CHANNELS (by id, or by
   * the name Slack reports for that id, never the name typed), and not a Slack Connect channel
   * unless SLACK_ALLOW_EXTERNAL.
   */
  async writableChannel(ctx: Ctx, ref: string, outcome = 'nothing was sent'): Promise<ChannelInfo> {
    const allow = this.allowList();
    const id = await this.channelId(ctx, ref);
    const info = await this.channelInfo(ctx, id);
    if (!allow.allowsChannel({ id: info.id, name: info.name })) {
      const shown = info.name ? `#${info.name} (${info.id})` : info.id;
      throw new ToolError(`Channel ${shown} is not allowed by SLACK_ALLOWED_CHANNELS; ${outcome}.`, {
        code: 'access_denied',
        hint: `Allowed: ${allow.describe().slice(0, 20).join(', ')}. Choose an allowed channel, or ask the operator to extend SLACK_ALLOWED_CHANNELS.`,
        details: { refused: shown, field: 'channel', variable: 'SLACK_ALLOWED_CHANNELS' },
      });
    }
    if (info.isExtShared && !this.config.allowExternal) {
      throw new ToolError(`#${info.name ?? info.id} is a Slack Connect channel (shared with another organisation); writes to it are refused unless SLACK_ALLOW_EXTERNAL=1; ${outcome}.`, {
        code: 'access_denied',
        details: { field: 'channel', variable: 'SLACK_ALLOW_EXTERNAL' },
      });
    }
    return info;
  }

  allowList(): Destinations {
    const d = this.config.channels;
    if (!d)
      throw new ToolError('Writes are off: SLACK_ALLOWED_CHANNELS is not set.', { code: 'access_denied', hint: 'The operator sets SLACK_ALLOWED_CHANNELS to the channels the server may write to.' });
    return d;
  }

  /** Text and blocks with broadcast mentions neutralised unless SLACK_ALLOW_BROADCAST. */
  neutralise(text: string | undefined, blocks: unknown[] | undefined): { text?: string; blocks?: unknown[]; neutralised: number } {
    if (this.config.allowBroadcast) return { text, blocks, neutralised: 0 };
    const t = text === undefined ? undefined : neutraliseText(text);
    const b = blocks === undefined ? undefined : neutraliseBlocks(blocks);
    return { text: t?.text, blocks: b?.blocks as unknown[] | undefined, neutralised: (t?.count ?? 0) + (b?.count ?? 0) };
  }

  // ---------------------------------------------------------------------------- files

  /** Hosts file bytes may go to or come from: the configured API origin, and https://files.<domain> (slack.com, slack-gov.com). */
  fileHostAllowed(u: URL): boolean {
    const api = new URL(this.config.apiUrl);
    if (u.origin === api.origin) return true;
    if (u.protocol !== 'https:') return false;
    const domain = api.hostname.replace(/^(api|www|app)\./, '');
    return (domain === 'slack.com' || domain === 'slack-gov.com') && u.hostname === `files.${domain}`;
  }

  private netGuard(): NetGuard {
    // The configured API origin is the operator's choice (a proxy, or the local fake in tests).
    this.guard ??= new NetGuard({ allowedOrigins: [new URL(this.config.apiUrl).origin], timeoutMs: 120_000, maxBytes: this.config.maxFileBytes });
    return this.guard;
  }

  /** Sends the bytes to the upload URL files.getUploadURLExternal returned: no token goes with them. */
  async sendUpload(ctx: Ctx, uploadUrl: string, data: Buffer, filename: string): Promise<void> {
    let u: URL;
    try {
      u = new URL(uploadUrl);
    } catch {
      throw new ToolError('Slack returned an upload URL that does not parse; nothing was uploaded.', { code: 'remote_error', details: { outcome: 'not_sent' } });
    }
    if (!this.fileHostAllowed(u)) {
      throw new ToolError(`Slack returned an upload URL on ${u.host}, which is not a Slack file host; the file was not sent there.`, {
        code: 'remote_error',
        hint: 'This should not happen with slack.com; with SLACK_API_URL set, check the proxy in between.',
        details: { host: u.host, outcome: 'not_sent' },
      });
    }
    const r = await this.netGuard().fetch(u, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent(filename) },
      body: data,
      signal: ctx.signal,
      timeoutMs: Math.max(1000, ctx.remainingMs()),
      redirect: 'manual',
      maxBytes: 64 * 1024,
    });
    if (r.status < 200 || r.status >= 300) {
      throw new ToolError(`Slack's upload URL answered HTTP ${r.status}; the file was not shared.`, { code: r.status >= 500 ? 'unavailable' : 'remote_error', details: { status: r.status } });
    }
  }

  /** Downloads a file's bytes from a Slack file host, with the token (the host is checked first). */
  async fetchFile(ctx: Ctx, url: string): Promise<{ data: Buffer; truncated: boolean }> {
    const u = new URL(url);
    if (!this.fileHostAllowed(u)) {
      throw new ToolError(`The file's URL is on ${u.host}, not a Slack file host; it was not downloaded.`, { code: 'access_denied', details: { host: u.host } });
    }
    const r = await this.netGuard().fetch(u, {
      headers: { authorization: `Bearer ${this.config.token}` },
      signal: ctx.signal,
      timeoutMs: Math.max(1000, ctx.remainingMs()),
      redirect: 'manual',
      maxBytes: this.config.maxFileBytes,
      failOnTooLarge: true,
    });
    if (r.status !== 200) throw new ToolError(`Slack answered HTTP ${r.status} for the file.`, { code: r.status === 404 ? 'not_found' : 'remote_error', details: { status: r.status } });
    return { data: r.body, truncated: r.truncated };
  }
}

/** Registers the token as a secret (masked wherever it could appear). */
export function protectToken(config: SlackConfig): void {
  if (config.token) registerSecret(config.token);
}
