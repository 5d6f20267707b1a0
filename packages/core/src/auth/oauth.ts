// Access tokens, obtained and refreshed in one place.
//
// - `requestToken`: one form-encoded POST to a token endpoint (RFC 6749 §3.2), with a timeout and
//   the caller's AbortSignal, its failures turned into ToolErrors (invalid_grant → missing
//   credentials naming the command that fixes it; network → unavailable).
// - `OAuthSession`: a stored refresh token (token-store.ts) → a valid access token, refreshed 60 s
//   before expiry, one refresh for any number of concurrent callers, a rotated refresh token
//   persisted, `invalidate()` for the on-401 path.
// - `JwtBearerSession`: the RFC 7523 grant (service accounts, Salesforce JWT flow) with the same
//   caching and single flight; `signJwt` signs RS256 with node:crypto.
import { createSign, randomUUID, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { ToolError, isToolError } from '../errors.js';
import { redactString, registerSecret } from '../redact.js';
import { DEFAULT_ACCOUNT, TokenStore, type StoredToken } from './token-store.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_SKEW_MS = 60_000;
/** A 401 on a token obtained by a forced refresh less than this long ago, and not used successfully
 *  since (`confirm`), means the grant is dead. */
const REVOKED_WINDOW_MS = 10_000;

export interface TokenEndpointResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  [extra: string]: unknown;
}

export interface TokenRequestOptions {
  clientId?: string;
  clientSecret?: string;
  /** How the client authenticates: `post` (client_secret in the body, default) or `basic`. */
  clientAuth?: 'post' | 'basic';
  signal?: AbortSignal;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The error for an `invalid_grant` answer (the grant is revoked, expired or not accepted). */
  invalidGrant?: (description: string) => ToolError;
}

/** POSTs a grant to a token endpoint and returns its JSON answer; every failure is a ToolError. */
export async function requestToken(tokenUrl: string, params: Record<string, string>, opts: TokenRequestOptions = {}): Promise<TokenEndpointResponse> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (opts.clientId !== undefined) {
    if (opts.clientAuth === 'basic' && opts.clientSecret !== undefined) {
      const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
      headers.authorization = `Basic ${Buffer.from(`${enc(opts.clientId)}:${enc(opts.clientSecret)}`).toString('base64')}`;
    } else {
      body.set('client_id', opts.clientId);
      if (opts.clientSecret !== undefined) body.set('client_secret', opts.clientSecret);
    }
  }
  registerSecret(opts.clientSecret);
  const where = originOf(tokenUrl);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  let text: string;
  try {
    res = await (opts.fetch ?? fetch)(tokenUrl, { method: 'POST', headers, body: body.toString(), signal, redirect: 'error' });
    text = await res.text();
  } catch (e) {
    if (opts.signal?.aborted) throw new ToolError('Cancelled while obtaining an access token.', { code: 'cancelled', cause: e });
    if (timeout.aborted) {
      throw new ToolError(`The token endpoint ${where} did not answer within ${Math.round(timeoutMs / 1000)} s.`, { code: 'unavailable', hint: 'Try again later.', cause: e });
    }
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new ToolError(`Could not reach the token endpoint ${where} (${cause}).`, { code: 'unavailable', hint: 'Check the network connection and try again.', cause: e });
  }
  let json: Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  if (res.ok && json && typeof json.access_token === 'string' && json.access_token) {
    const out = json as TokenEndpointResponse;
    registerSecret(out.access_token);
    if (typeof out.refresh_token === 'string') registerSecret(out.refresh_token);
    if (typeof out.id_token === 'string') registerSecret(out.id_token);
    if (out.expires_in !== undefined) out.expires_in = Number(out.expires_in);
    return out;
  }
  const error = typeof json?.error === 'string' ? json.error : undefined;
  const description = redactString(typeof json?.error_description === 'string' ? json.error_description : '').slice(0, 500);
  const said = error ? `${error}${description ? `: ${description}` : ''}` : `HTTP ${res.status}`;
  if (error === 'invalid_grant') {
    throw opts.invalidGrant?.(description) ?? new ToolError(`The token endpoint ${where} refused the grant (${said}).`, { code: 'missing_credentials' });
  }
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    throw new ToolError(`The token endpoint ${where} refused the client${opts.clientId ? ` ${opts.clientId}` : ''} (${said}).`, {
      code: 'missing_credentials',
      hint: 'Check the OAuth client id and secret the server is configured with.',
    });
  }
  if (res.status === 429) throw new ToolError(`The token endpoint ${where} is rate limiting (${said}).`, { code: 'rate_limited', hint: 'Wait a minute and try again.' });
  if (res.status >= 500) throw new ToolError(`The token endpoint ${where} failed (${said}).`, { code: 'unavailable', hint: 'Try again later.' });
  if (res.ok) throw new ToolError(`The token endpoint ${where} answered without an access token.`, { code: 'remote_error' });
  throw new ToolError(`The token endpoint ${where} refused the request (${said}).`, { code: 'remote_error', details: { status: res.status, error } });
}

// ---------------------------------------------------------------------------------------------
// Cached access tokens with single flight

export interface AccessToken {
  accessToken: string;
  /** Epoch ms; undefined when the endpoint did not say (valid until `invalidate()`). */
  expiresAt?: number;
  scopes?: string[];
  /** The endpoint's other answer fields (e.g. Salesforce's `instance_url`), tokens removed. */
  extra: Record<string, unknown>;
}

export interface AccessTokenSource {
  /** A valid access token (cached until shortly before expiry). */
  getAccessToken(opts?: { signal?: AbortSignal }): Promise<string>;
  /**
   * The API answered 401 to `accessToken`: forget it, the next call obtains a new one (one request
   * for all callers). Returns false when that token was itself obtained by an earlier invalidate()
   * moments ago and never accepted since: the authorisation is revoked, and the next
   * getAccessToken() throws the missing_credentials error instead of refreshing in a loop.
   * (`call()` does all of this; callers handling 401 themselves should `confirm()` a token that worked.)
   */
  invalidate(accessToken?: string): boolean;
}

export interface CachedTokenOptions {
  /** Refresh this long before expiry (default 60 s). */
  skewMs?: number;
  /** Timeout of one token request (default 15 s). */
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
  /** Debug records about refreshes (never the tokens). */
  logger?: Logger;
}

interface Flight {
  promise: Promise<AccessToken>;
  controller: AbortController;
  waiters: number;
}

export abstract class CachedTokenSource implements AccessTokenSource {
  protected current?: AccessToken;
  private flight?: Flight;
  private forceNext = false;
  private lastForced?: { token: string; at: number };
  private pendingError?: ToolError;
  /** Tokens the API refused: never reused, even when read back from a store. */
  protected readonly rejected = new Set<string>();
  protected readonly skewMs: number;
  protected readonly timeoutMs: number;
  protected readonly now: () => number;
  protected readonly fetchImpl?: typeof fetch;
  protected readonly logger?: Logger;

  constructor(opts: CachedTokenOptions = {}) {
    this.skewMs = opts.skewMs ?? DEFAULT_SKEW_MS;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
    this.fetchImpl = opts.fetch;
    this.logger = opts.logger;
  }

  /** Obtains a new token (refresh, assertion…). `forced`: the last one was refused by the API. */
  protected abstract obtain(signal: AbortSignal, forced: boolean): Promise<AccessToken>;
  /** The error for credentials the API keeps refusing. */
  abstract revokedError(): ToolError;

  protected isFresh(t: AccessToken | undefined): t is AccessToken {
    if (!t || this.rejected.has(t.accessToken)) return false;
    return t.expiresAt === undefined || t.expiresAt - this.skewMs > this.now();
  }

  async getAccessToken(opts: { signal?: AbortSignal } = {}): Promise<string> {
    return (await this.getToken(opts)).accessToken;
  }

  async getToken(opts: { signal?: AbortSignal } = {}): Promise<AccessToken> {
    if (opts.signal?.aborted) throw cancelled(opts.signal.reason);
    if (this.pendingError) {
      const e = this.pendingError;
      this.pendingError = undefined;
      throw e;
    }
    if (this.isFresh(this.current)) return this.current;
    return this.join(opts.signal);
  }

  invalidate(accessToken?: string): boolean {
    if (accessToken !== undefined && this.current && this.current.accessToken !== accessToken) {
      this.rejected.add(accessToken);
      return true; // already replaced by a newer one
    }
    const token = accessToken ?? this.current?.accessToken;
    if (token) this.rejected.add(token);
    this.current = undefined;
    if (token && this.lastForced?.token === token && this.now() - this.lastForced.at < REVOKED_WINDOW_MS) {
      this.lastForced = undefined;
      this.pendingError = this.revokedError();
      return false;
    }
    this.forceNext = true;
    return true;
  }

  /** The API accepted `accessToken`: a later 401 on it is an expiry, not a revocation. */
  confirm(accessToken: string): void {
    if (this.lastForced?.token === accessToken) this.lastForced = undefined;
  }

  /**
   * Runs `fn` with a token; when it fails as unauthorised (401) it retries once with a new token,
   * and a second 401 becomes the missing_credentials error.
   */
  async call<T>(fn: (accessToken: string) => Promise<T>, opts: { signal?: AbortSignal; isUnauthorized?: (e: unknown) => boolean } = {}): Promise<T> {
    const unauthorized = opts.isUnauthorized ?? isUnauthorizedError;
    for (let attempt = 1; ; attempt++) {
      const token = await this.getAccessToken(opts);
      try {
        const out = await fn(token);
        this.confirm(token);
        return out;
      } catch (e) {
        if (!unauthorized(e)) throw e;
        if (!this.invalidate(token) || attempt === 2) throw this.takePending();
      }
    }
  }

  private takePending(): ToolError {
    const e = this.pendingError ?? this.revokedError();
    this.pendingError = undefined;
    return e;
  }

  /** Joins the one request in flight (or starts it); it is aborted only when every waiter gave up. */
  private join(signal?: AbortSignal): Promise<AccessToken> {
    let flight = this.flight;
    if (!flight) {
      const controller = new AbortController();
      const forced = this.forceNext;
      this.forceNext = false;
      const promise = this.obtain(controller.signal, forced).then(
        (tok) => {
          if (this.flight === flight) this.flight = undefined;
          this.current = tok;
          if (forced) this.lastForced = { token: tok.accessToken, at: this.now() };
          this.logger?.debug({ expiresInSec: tok.expiresAt === undefined ? undefined : Math.round((tok.expiresAt - this.now()) / 1000), forced }, 'access token obtained');
          return tok;
        },
        (e: unknown) => {
          if (this.flight === flight) this.flight = undefined;
          if (forced) this.forceNext = true;
          throw e;
        },
      );
      flight = { promise, controller, waiters: 0 };
      this.flight = flight;
    }
    const f = flight;
    f.waiters++;
    if (!signal) return f.promise;
    return new Promise<AccessToken>((resolve, reject) => {
      const onAbort = () => {
        f.waiters--;
        if (f.waiters === 0) f.controller.abort(signal.reason);
        reject(cancelled(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  protected fromResponse(r: TokenEndpointResponse, requestedScopes?: string[]): AccessToken {
    const { access_token, refresh_token: _r, id_token: _i, expires_in, scope, token_type: _t, ...extra } = r;
    return {
      accessToken: access_token,
      expiresAt: typeof expires_in === 'number' && Number.isFinite(expires_in) ? this.now() + expires_in * 1000 : undefined,
      scopes: typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : requestedScopes,
      extra,
    };
  }
}

/** True for the shapes SDKs use for an HTTP 401 (fetch Response, gaxios, axios, jsforce, Slack…). */
export function isUnauthorizedError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const o = e as { status?: unknown; statusCode?: unknown; code?: unknown; response?: { status?: unknown } };
  return o.status === 401 || o.statusCode === 401 || o.code === 401 || o.code === '401' || o.response?.status === 401;
}

function cancelled(reason: unknown): ToolError {
  return new ToolError('Cancelled while obtaining an access token.', { code: 'cancelled', cause: reason });
}

// ---------------------------------------------------------------------------------------------
// Refresh-token grant from the token store

export interface OAuthSessionOptions extends CachedTokenOptions {
  /** Server name without the `bizmcp-` prefix; names the store and the command in errors. */
  server: string;
  account?: string;
  store?: TokenStore;
  /** Overrides the token URL recorded in the store (e.g. GOOGLE_OAUTH_TOKEN_URL). */
  tokenUrl?: string;
  /** Overrides the client id recorded in the store. */
  clientId?: string;
  clientSecret?: string;
  clientAuth?: 'post' | 'basic';
  /** The command that writes the store (default `bizmcp-<server> auth`, plus `--account` when not default). */
  command?: string;
}

export class OAuthSession extends CachedTokenSource {
  readonly server: string;
  readonly account: string;
  readonly store: TokenStore;
  readonly command: string;

  constructor(private readonly opts: OAuthSessionOptions) {
    super(opts);
    this.server = opts.server;
    this.account = opts.account ?? DEFAULT_ACCOUNT;
    this.store = opts.store ?? new TokenStore({ server: opts.server, command: opts.command });
    this.command = opts.command ?? `bizmcp-${opts.server} auth${this.account === DEFAULT_ACCOUNT ? '' : ` --account ${this.account}`}`;
    registerSecret(opts.clientSecret);
  }

  revokedError(): ToolError {
    return new ToolError(`The stored authorisation of bizmcp-${this.server} (account "${this.account}") was revoked or has expired.`, {
      code: 'missing_credentials',
      hint: `Run \`${this.command}\` in a terminal to authorise again, then retry.`,
      details: { command: this.command },
    });
  }

  private missingError(): ToolError {
    return new ToolError(`bizmcp-${this.server} has no stored authorisation for account "${this.account}".`, {
      code: 'missing_credentials',
      hint: `Run \`${this.command}\` in a terminal to authorise it (the token is kept in ${this.store.file}), then retry.`,
      details: { command: this.command },
    });
  }

  protected async obtain(signal: AbortSignal): Promise<AccessToken> {
    const stored = await this.store.get(this.account);
    if (!stored) throw this.missingError();
    // Another process (or an earlier run) may hold a token that is still good (never one the API
    // refused: those are in `rejected`).
    if (stored.accessToken && stored.expiresAt !== undefined) {
      const cached: AccessToken = { accessToken: stored.accessToken, expiresAt: stored.expiresAt, scopes: stored.scopes, extra: {} };
      if (this.isFresh(cached)) return cached;
    }
    return this.refresh(stored, signal);
  }

  private async refresh(stored: StoredToken, signal: AbortSignal): Promise<AccessToken> {
    const tokenUrl = this.opts.tokenUrl ?? stored.tokenUrl;
    const clientId = this.opts.clientId ?? stored.clientId;
    const r = await requestToken(
      tokenUrl,
      { grant_type: 'refresh_token', refresh_token: stored.refreshToken },
      {
        clientId,
        clientSecret: this.opts.clientSecret,
        clientAuth: this.opts.clientAuth,
        signal,
        timeoutMs: this.timeoutMs,
        fetch: this.fetchImpl,
        invalidGrant: () => this.revokedError(),
      },
    );
    const tok = this.fromResponse(r, stored.scopes);
    const patch: Partial<StoredToken> = { accessToken: tok.accessToken, expiresAt: tok.expiresAt };
    if (typeof r.refresh_token === 'string' && r.refresh_token && r.refresh_token !== stored.refreshToken) {
      patch.refreshToken = r.refresh_token;
      patch.obtainedAt = this.now();
    }
    if (tok.scopes) patch.scopes = tok.scopes;
    try {
      await this.store.update(this.account, patch);
    } catch (e) {
      // The access token is good for this process; a lost rotation is reported loudly.
      this.logger?.error({ err: isToolError(e) ? e.message : e, file: this.store.file, rotated: patch.refreshToken !== undefined }, 'could not save the refreshed token');
    }
    return tok;
  }
}

// ---------------------------------------------------------------------------------------------
// JWT bearer grant (RFC 7523)

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Signs a JWT with RS256 (RSASSA-PKCS1-v1_5 with SHA-256) from a PEM private key. */
export function signJwt(claims: Record<string, unknown>, privateKey: string | KeyObject, opts: { keyId?: string } = {}): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(opts.keyId ? { kid: opts.keyId } : {}) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKey);
  return `${input}.${b64url(signature)}`;
}

export interface JwtBearerOptions extends CachedTokenOptions {
  tokenUrl: string;
  /** `iss`: the service account's e-mail (Google), the connected app's client id (Salesforce). */
  issuer: string;
  /** `sub`: the user acted for (Google delegation, Salesforce username). */
  subject?: string;
  /** `aud` (default: the token URL; Salesforce wants the login URL). */
  audience?: string;
  /** Sent as the space-separated `scope` claim when given. */
  scopes?: string[];
  privateKey: string | KeyObject;
  keyId?: string;
  /** Assertion lifetime in seconds (default 3600, the usual maximum). */
  lifetimeSec?: number;
  extraClaims?: Record<string, unknown>;
  /** Extra form fields of the token request (e.g. a client_id some endpoints want). */
  extraParams?: Record<string, string>;
  /** Added to the error when the endpoint answers invalid_grant (e.g. what to check in the console). */
  invalidGrantHint?: string;
}

export class JwtBearerSession extends CachedTokenSource {
  constructor(private readonly opts: JwtBearerOptions) {
    super(opts);
    if (typeof opts.privateKey === 'string') registerSecret(opts.privateKey);
  }

  revokedError(): ToolError {
    return new ToolError(`The API refused freshly issued access tokens for ${this.opts.issuer}${this.opts.subject ? ` acting as ${this.opts.subject}` : ''}.`, {
      code: 'missing_credentials',
      hint: this.opts.invalidGrantHint ?? 'Check that the key is still valid and that the account is allowed to use the API.',
    });
  }

  protected async obtain(signal: AbortSignal): Promise<AccessToken> {
    const iat = Math.floor(this.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.opts.issuer,
      ...(this.opts.subject ? { sub: this.opts.subject } : {}),
      aud: this.opts.audience ?? this.opts.tokenUrl,
      iat,
      exp: iat + (this.opts.lifetimeSec ?? 3600),
      jti: randomUUID(),
      ...(this.opts.scopes?.length ? { scope: this.opts.scopes.join(' ') } : {}),
      ...this.opts.extraClaims,
    };
    const assertion = signJwt(claims, this.opts.privateKey, { keyId: this.opts.keyId });
    const r = await requestToken(
      this.opts.tokenUrl,
      { ...this.opts.extraParams, grant_type: JWT_BEARER_GRANT, assertion },
      {
        signal,
        timeoutMs: this.timeoutMs,
        fetch: this.fetchImpl,
        invalidGrant: (description) =>
          new ToolError(
            `The token endpoint refused the signed assertion for ${this.opts.issuer}${this.opts.subject ? ` acting as ${this.opts.subject}` : ''} (invalid_grant${description ? `: ${description}` : ''}).`,
            {
              code: 'missing_credentials',
              hint: this.opts.invalidGrantHint,
            },
          ),
      },
    );
    return this.fromResponse(r, this.opts.scopes);
  }
}

function originOf(u: string): string {
  try {
    const url = new URL(u);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(invalid token URL)';
  }
}
