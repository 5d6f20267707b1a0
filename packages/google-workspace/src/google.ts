// The Google API clients: each `@googleapis/*` package loaded at its first use (start-up loads
// none), every call with a fresh access token, GOOGLE_API_ROOT_URL passed per call (media uploads
// ignore a client-level root URL), the SDK's own retries off, reads retried on 429/5xx within the
// deadline, writes never, and every failure mapped by core's Google adapter.
import { googleFailure, isUnauthorizedError, type Logger, sdkRetrySettings, type ToolContext, ToolError, toUpstreamToolError, type UpstreamContext, withRetries } from '@bizmcp/core';
import { AUTH_COMMAND, type Credentials, resolveCredentials } from './auth.js';
import { type ApiName, type GoogleConfig, scopeCovers, TOOLSET_SCOPES } from './config.js';

type Ctx = Pick<ToolContext, 'signal' | 'deadline' | 'remainingMs' | 'log'>;
export type Obj = Record<string, any>;

const SERVICE: Record<ApiName, string> = { sheets: 'Google Sheets', docs: 'Google Docs', drive: 'Google Drive', calendar: 'Google Calendar', gmail: 'Gmail' };

/** Per-call request options given to the generated clients. */
export interface CallOptions {
  rootUrl?: string;
  headers: Record<string, string>;
  retry: boolean;
  signal: AbortSignal;
  timeout: number;
  responseType?: 'arraybuffer' | 'text' | 'json';
}

// The generated clients as loaded (typed loosely: each tool knows the shape it reads).
type Client = any;

const unwrap = <T extends object>(mod: T, key: string): T => ((mod as Obj)[key] ? mod : ((mod as Obj).default as T));

const loaders: Record<ApiName, () => Promise<(o: Obj) => Client>> = {
  sheets: async () => {
    const m = unwrap(await import('@googleapis/sheets'), 'sheets');
    return (o) => m.sheets({ version: 'v4', ...o });
  },
  docs: async () => {
    const m = unwrap(await import('@googleapis/docs'), 'docs');
    return (o) => m.docs({ version: 'v1', ...o });
  },
  drive: async () => {
    const m = unwrap(await import('@googleapis/drive'), 'drive');
    return (o) => m.drive({ version: 'v3', ...o });
  },
  calendar: async () => {
    const m = unwrap(await import('@googleapis/calendar'), 'calendar');
    return (o) => m.calendar({ version: 'v3', ...o });
  },
  gmail: async () => {
    const m = unwrap(await import('@googleapis/gmail'), 'gmail');
    return (o) => m.gmail({ version: 'v1', ...o });
  },
};

export interface CallSpec {
  /** Changes something: never retried, needs the write scope. */
  write?: boolean;
  /** A write that may be repeated safely (a client-chosen id, a PUT of the same values). */
  idempotent?: boolean;
  resource?: { kind: string; id: string };
}

export class Google {
  private creds?: Promise<Credentials>;
  private readonly clients = new Map<ApiName, Promise<Client>>();
  /** APIs whose module has been loaded (for tests of lazy loading). */
  readonly loaded = new Set<ApiName>();

  constructor(
    readonly config: GoogleConfig,
    readonly scopes: string[],
    private readonly log: Logger,
  ) {}

  credentials(): Promise<Credentials> {
    this.creds ??= resolveCredentials(this.config, this.scopes, this.log, this.config.env);
    this.creds.catch(() => {
      this.creds = undefined;
    });
    return this.creds;
  }

  private client(api: ApiName): Promise<Client> {
    let c = this.clients.get(api);
    if (!c) {
      c = loaders[api]().then((make) => {
        this.loaded.add(api);
        return make({ ...(this.config.apiRoot ? { rootUrl: this.config.apiRoot } : {}), ...sdkRetrySettings.google });
      });
      c.catch(() => this.clients.delete(api));
      this.clients.set(api, c);
    }
    return c;
  }

  /**
   * One API call: `fn(client, options)` with the options spread as the second argument of the
   * generated method. Returns the response data and the account the call acted as.
   */
  async call<T = Obj>(ctx: Ctx, api: ApiName, fn: (client: Client, opts: CallOptions) => Promise<{ data: T }>, spec: CallSpec = {}): Promise<{ data: T; account: string }> {
    const creds = await this.credentials();
    const client = await this.client(api);
    const up: UpstreamContext = { service: SERVICE[api], credentialVar: creds.credentialVar, credentialHelp: creds.credentialHelp, resource: spec.resource };
    const data = await withRetries(
      async () => {
        const res = await this.withToken(creds, api, Boolean(spec.write), ctx.signal, (token) =>
          fn(client, {
            ...(this.config.apiRoot ? { rootUrl: this.config.apiRoot } : {}),
            headers: { authorization: `Bearer ${token}` },
            ...sdkRetrySettings.google,
            signal: ctx.signal,
            timeout: Math.max(1000, ctx.remainingMs()),
          }),
        );
        return res.data;
      },
      {
        idempotent: !spec.write || spec.idempotent === true,
        signal: ctx.signal,
        deadline: ctx.deadline,
        mapError: (e) => toUpstreamToolError(e, googleFailure, up),
        onRetry: ({ attempt, delayMs, error }) => this.log.warn({ attempt, delayMs, code: error.code, api }, 'Google call retried'),
      },
    );
    return { data, account: creds.account };
  }

  /**
   * Runs `fn` with a valid access token whose scopes cover the call; on a 401 the token is
   * invalidated and `fn` runs once more with a new one; a token refused right after a refresh
   * means the grant is revoked (the source's error, naming the fix).
   */
  private async withToken<T>(creds: Credentials, api: ApiName, write: boolean, signal: AbortSignal, fn: (token: string) => Promise<T>): Promise<T> {
    const source = creds.source;
    for (let attempt = 1; ; attempt++) {
      const tok = await source.getToken({ signal });
      if (tok.scopes?.length && !scopeCovers(tok.scopes, api, write)) throw scopeError(creds, api, write);
      try {
        const out = await fn(tok.accessToken);
        source.confirm(tok.accessToken);
        return out;
      } catch (e) {
        if (!isUnauthorizedError(e)) throw e;
        const again = source.invalidate(tok.accessToken);
        if (!again) await source.getToken({ signal }); // throws the revoked error it recorded
        if (!again || attempt === 2) throw source.revokedError();
      }
    }
  }
}

function scopeError(creds: Credentials, api: ApiName, write: boolean): ToolError {
  const scope = TOOLSET_SCOPES[api][write ? 'write' : 'read'];
  const fix =
    creds.mode === 'oauth'
      ? `Run \`${AUTH_COMMAND}\` again with the toolsets you use${write ? ' and without --read-only' : ''} (e.g. \`${AUTH_COMMAND} --toolsets ${api}\`).`
      : 'Grant the credential this scope (for delegation: in the Admin console’s domain-wide delegation entry).';
  return new ToolError(`The ${creds.mode === 'oauth' ? 'stored authorisation' : 'credential'} does not include the scope ${scope}, which this ${write ? 'write' : 'read'} needs; nothing was sent.`, {
    code: 'access_denied',
    hint: fix,
    details: { missingScope: scope },
  });
}
