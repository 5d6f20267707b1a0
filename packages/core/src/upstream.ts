// Upstream errors: one mapping from "the remote API said no" to a ToolError a model can act on.
//
// Every SaaS server describes a failure as an UpstreamFailure (an adapter below builds it from the
// error its SDK throws) and upstreamError() turns it into a ToolError:
//   401                  → missing_credentials: the credential is wrong, expired or revoked; names
//                          the variable (and the auth command, when the server has one)
//   403                  → access_denied, naming the missing scope or permission when the API says it
//   404                  → not_found, with the id that was asked for
//   409                  → conflict, with the API's own message
//   400 / 422 / other 4xx→ invalid_argument, with the API's own message (402: failed, e.g. a card declined)
//   429 / 503            → rate_limited, with the wait in details.retryAfterSeconds
//   other 5xx            → remote_error: the API failed, with its request id
//   no answer            → unavailable (timeout, reset, refused, DNS)
// The API's message is kept (trimmed, capped, and with every secret masked) and so is its request
// id, which is what the API's support asks for. details.retryable says whether repeating the same
// call may succeed; retry.ts uses it and nothing else.
//
// The adapters read SDK errors by their documented shapes, without importing the SDKs (they load
// lazily in their servers): Stripe (`stripe`), Slack (`@slack/web-api`), Google (gaxios, under
// `@googleapis/*` and `google-auth-library`), HubSpot (`@hubspot/api-client`), Salesforce
// (`jsforce`), and a plain fetch Response.
import { ToolError, type ToolErrorCode } from './errors.js';
import { redactString } from './redact.js';

export type NetworkFailure = 'timeout' | 'reset' | 'refused' | 'dns' | 'tls' | 'aborted' | 'other';

/** What the server knows about the API it talks to, given to every adapter. */
export interface UpstreamContext {
  /** The API as a user names it: "Stripe", "Slack", "Google Sheets", "HubSpot". */
  service: string;
  /** The variable holding the credential (STRIPE_SECRET_KEY), named on a 401. */
  credentialVar?: string;
  /** How to fix a rejected credential, e.g. "Run `bizmcp-google-workspace auth` again." */
  credentialHelp?: string;
  /** What the call was about, named on a 404. */
  resource?: { kind: string; id: string };
}

/** A normalised description of one failed API call. */
export interface UpstreamFailure extends UpstreamContext {
  /** HTTP status, or the status the API's error code stands for. */
  status?: number;
  /** The API's own error code (card_declined, not_in_channel, INVALID_FIELD, rateLimitExceeded). */
  code?: string;
  /** The API's own message. */
  message?: string;
  requestId?: string;
  retryAfterSeconds?: number;
  /** The scope or permission the API says is missing. */
  missingScope?: string;
  /** Set when no answer came back. */
  network?: NetworkFailure;
  /** Overrides the default (429/5xx/network → true): e.g. a daily quota, which a retry cannot fix. */
  retryable?: boolean;
  /** A hint that knows the API better than the generic one (e.g. Slack's not_in_channel). */
  hint?: string;
  /** Further machine-readable detail for the caller (never secrets): param, decline_code, … */
  extra?: Record<string, unknown>;
}

const MAX_MESSAGE = 600;
// Credentials that an API may echo in its messages, whatever the process registered as secret.
const TOKEN_SHAPES =
  /\b((?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{6,}|xox[abposr]-[A-Za-z0-9-]{8,}|ya29\.[A-Za-z0-9._-]{10,}|1\/\/[A-Za-z0-9._-]{20,}|pat-[a-z0-9]{2,4}-[a-f0-9-]{20,}|00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,})/g;

/** The API's message made safe to show: secrets masked, whitespace collapsed, length capped. */
export function cleanApiMessage(message: unknown): string | undefined {
  if (typeof message !== 'string') return undefined;
  let s = redactString(message).replace(TOKEN_SHAPES, '[REDACTED]').replace(/\s+/g, ' ').trim();
  if (!s) return undefined;
  if (s.length > MAX_MESSAGE) s = `${s.slice(0, MAX_MESSAGE)}…`;
  return s;
}

/** Seconds from a Retry-After value (delta-seconds or an HTTP date); undefined when absent or bad. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string' || !v.trim()) return undefined;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Reads a header from a fetch Headers, a plain object (any case) or a Map-like. */
export function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => unknown };
  if (typeof h.get === 'function') {
    const v = h.get(name);
    return v === null || v === undefined ? undefined : String(v);
  }
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === lower && v !== undefined && v !== null) return Array.isArray(v) ? String(v[0]) : String(v);
  }
  return undefined;
}

/** Inverts { key: 'code code …' } into code → key. */
function groupCodes<K extends string>(groups: Partial<Record<K, string>>): Record<string, K> {
  const table: Record<string, K> = {};
  for (const key of Object.keys(groups) as K[]) for (const c of (groups[key] ?? '').split(' ')) table[c] = key;
  return table;
}

// System and undici error codes by the kind of failure they are.
const NETWORK_CODES = groupCodes<NetworkFailure>({
  timeout: 'ETIMEDOUT ESOCKETTIMEDOUT UND_ERR_CONNECT_TIMEOUT UND_ERR_HEADERS_TIMEOUT UND_ERR_BODY_TIMEOUT',
  reset: 'ECONNRESET EPIPE ECONNABORTED UND_ERR_SOCKET UND_ERR_CLOSED',
  refused: 'ECONNREFUSED EHOSTUNREACH ENETUNREACH ENETDOWN EHOSTDOWN',
  dns: 'ENOTFOUND EAI_AGAIN',
  tls: 'CERT_HAS_EXPIRED DEPTH_ZERO_SELF_SIGNED_CERT SELF_SIGNED_CERT_IN_CHAIN UNABLE_TO_VERIFY_LEAF_SIGNATURE ERR_TLS_CERT_ALTNAME_INVALID',
});

/**
 * What kind of "no answer" an error is, looking through `cause` chains (fetch wraps the socket
 * error in a TypeError "fetch failed"); undefined when the error is not a network failure.
 */
export function networkFailureOf(err: unknown, depth = 0): NetworkFailure | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as { name?: unknown; code?: unknown; cause?: unknown; message?: unknown };
  if (e.name === 'TimeoutError') return 'timeout';
  if (e.name === 'AbortError') return 'aborted';
  if (typeof e.code === 'string' && NETWORK_CODES[e.code]) return NETWORK_CODES[e.code];
  const inner = networkFailureOf(e.cause, depth + 1);
  if (inner) return inner;
  if (e.name === 'FetchError' || (e.name === 'TypeError' && e.message === 'fetch failed')) return 'other';
  return undefined;
}

const NETWORK_TEXT: Record<NetworkFailure, string> = {
  timeout: 'the connection timed out',
  reset: 'the connection was closed before the answer',
  refused: 'the connection was refused',
  dns: 'its host name could not be resolved',
  tls: 'its TLS certificate was not accepted',
  aborted: 'the request was cancelled',
  other: 'the request did not get an answer',
};

/** Whether repeating the same call may succeed (before any override). */
function defaultRetryable(f: UpstreamFailure): boolean {
  if (f.network) return f.network !== 'tls' && f.network !== 'aborted';
  const s = f.status;
  if (s === undefined) return false;
  return s === 408 || s === 429 || (s >= 500 && s <= 599 && s !== 501 && s !== 505);
}

/** Turns a failure description into the ToolError the caller sees. */
export function upstreamError(f: UpstreamFailure, cause?: unknown): ToolError {
  const svc = f.service || 'The API';
  const said = cleanApiMessage(f.message);
  const rid = f.requestId ? cleanApiMessage(f.requestId) : undefined;
  const saidPart = said ? ` ${svc} said: "${said}"` : '';
  const ridPart = rid ? ` (request id ${rid})` : '';
  const retryable = f.retryable ?? defaultRetryable(f);
  const details: Record<string, unknown> = {
    service: svc,
    ...(f.status !== undefined ? { status: f.status } : {}),
    ...(f.code ? { apiCode: f.code } : {}),
    ...(rid ? { requestId: rid } : {}),
    ...(f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {}),
    ...(f.missingScope ? { missingScope: f.missingScope } : {}),
    ...(f.resource ? { resource: f.resource } : {}),
    ...(f.network ? { network: f.network } : {}),
    ...(f.extra ?? {}),
    retryable,
  };
  const make = (code: ToolErrorCode, message: string, hint?: string) => new ToolError(message, { code, hint: f.hint ?? hint, details, cause });

  if (f.network && f.status === undefined) {
    if (f.network === 'aborted') return make('cancelled', `The ${svc} request was cancelled.`);
    const unsure = f.network === 'timeout' || f.network === 'reset' ? ` The request may or may not have reached ${svc}.` : '';
    return make(
      'unavailable',
      `Could not reach ${svc}: ${NETWORK_TEXT[f.network]}.${unsure}`,
      f.network === 'tls' ? 'Check the API base URL setting and any proxy in between.' : `Check the network, then try again.`,
    );
  }

  const s = f.status;
  if (s === 401) {
    const v = f.credentialVar ? ` in ${f.credentialVar}` : '';
    return make(
      'missing_credentials',
      `${svc} rejected the credential${v}: it is wrong, expired or revoked.${saidPart}${ridPart}`,
      f.credentialHelp ?? (f.credentialVar ? `Set ${f.credentialVar} to a valid credential, then restart the server.` : 'Renew the credential the server uses, then restart it.'),
    );
  }
  if (s === 403) {
    const scope = f.missingScope ? `: the credential lacks "${f.missingScope}"` : '';
    const grant = f.missingScope
      ? `Grant "${f.missingScope}" to the credential${f.credentialVar ? ` in ${f.credentialVar}` : ''}${f.credentialHelp ? ` (${f.credentialHelp})` : ''}, or use a tool that does not need it.`
      : 'The credential is valid but may not do this: ask for the permission, or use a tool that does not need it.';
    return make('access_denied', `${svc} denied permission${scope}.${saidPart}${ridPart}`, grant);
  }
  if (s === 404) {
    const what = f.resource ? `${f.resource.kind} ${f.resource.id}` : 'what was asked for';
    return make('not_found', `${svc} found no ${what}.${saidPart}${ridPart}`, 'Check the id (list or search to find it); it may have been deleted, or belong to another account.');
  }
  if (s === 429 || s === 503) {
    const wait = f.retryAfterSeconds !== undefined ? ` Retry in ${Math.ceil(f.retryAfterSeconds)} s.` : '';
    const what = s === 429 ? `${svc} is rate limiting these calls` : `${svc} is temporarily unavailable`;
    return make(
      'rate_limited',
      `${what}.${wait}${saidPart}${ridPart}`,
      retryable ? 'Wait, then try again; make fewer calls in a row.' : 'This limit does not reset soon: try again later (for example tomorrow for a daily quota).',
    );
  }
  if (s !== undefined && s >= 500) {
    return make('remote_error', `The ${svc} API failed (HTTP ${s}).${saidPart}${ridPart}`, `This is on the ${svc} side: try again later, and quote the request id if it persists.`);
  }
  if (s === 409) return make('conflict', `${svc} refused the change (conflict).${saidPart}${ridPart}`, 'Read the current state, then decide what to change.');
  if (s === 408) return make('unavailable', `${svc} timed out the request (HTTP 408).${saidPart}${ridPart}`, 'Try again.');
  if (s === 402) return make('failed', `${svc} refused the request (HTTP 402).${saidPart}${ridPart}`);
  if (s !== undefined && s >= 400) {
    return make('invalid_argument', `${svc} rejected the request (HTTP ${s}).${saidPart}${ridPart}`, 'Fix what the message names, then call again.');
  }
  return make('remote_error', `The ${svc} call failed${s !== undefined ? ` (HTTP ${s})` : ''}.${saidPart}${ridPart}`);
}

/** A ToolError passes through; anything else goes through `adapter` and upstreamError(). */
export function toUpstreamToolError(err: unknown, adapter: (err: unknown, ctx: UpstreamContext) => UpstreamFailure, ctx: UpstreamContext): ToolError {
  if (err instanceof ToolError) return err;
  return upstreamError(adapter(err, ctx), err);
}

// ---------------------------------------------------------------------------------------------
// Adapters. Each reads only documented fields and falls back to genericFailure.

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : undefined);
const jsonOf = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/** Any error: status from `status`/`statusCode`/`response.status`, else a network failure. */
export function genericFailure(err: unknown, ctx: UpstreamContext): UpstreamFailure {
  const e = obj(err) ?? {};
  const status = num(e.status) ?? num(e.statusCode) ?? num(obj(e.response)?.status);
  const headers = obj(e.response)?.headers ?? e.headers;
  const network = status === undefined ? networkFailureOf(err) : undefined;
  return {
    ...ctx,
    status,
    network,
    message: str(e.message) ?? (typeof err === 'string' ? err : undefined),
    requestId: headerOf(headers, 'x-request-id') ?? headerOf(headers, 'request-id'),
    retryAfterSeconds: parseRetryAfter(headerOf(headers, 'retry-after')),
  };
}

/**
 * `stripe`: StripeError subclasses carry `type` (the class name: StripeCardError,
 * StripeInvalidRequestError, StripeAuthenticationError, StripePermissionError,
 * StripeRateLimitError, StripeIdempotencyError, StripeAPIError, StripeConnectionError), `rawType`
 * (card_error, …), `statusCode`, `code`, `param`, `decline_code`, `requestId` and `headers`.
 */
export function stripeFailure(err: unknown, ctx: UpstreamContext): UpstreamFailure {
  const e = obj(err);
  if (!e) return genericFailure(err, ctx);
  const type = str(e.type) ?? '';
  if (type === 'StripeConnectionError') return { ...ctx, network: networkFailureOf(e.detail) ?? 'other', message: str(e.message) };
  let status = num(e.statusCode);
  const code = str(e.code);
  const message = str(e.message);
  if (status === undefined) {
    status = {
      StripeAuthenticationError: 401,
      StripePermissionError: 403,
      StripeRateLimitError: 429,
      StripeCardError: 402,
      StripeInvalidRequestError: 400,
      StripeIdempotencyError: 400,
      StripeAPIError: 500,
    }[type];
  }
  // A reused idempotency key with other arguments is a conflict with an earlier call, not a typo.
  if (type === 'StripeIdempotencyError' || str(e.rawType) === 'idempotency_error') status = 409;
  if (status === 400 && (code === 'rate_limit' || code === 'lock_timeout')) status = 429;
  // Restricted keys: "… Having the 'rak_customer_write' permission would allow this request …"
  const perm = status === 403 && message ? /having the '([a-z0-9_]+)' permission/i.exec(message)?.[1] : undefined;
  const extra: Record<string, unknown> = {};
  if (str(e.param)) extra.param = e.param;
  if (str(e.decline_code)) extra.declineCode = e.decline_code;
  if (str(e.doc_url)) extra.docUrl = e.doc_url;
  return {
    ...ctx,
    status,
    code: code ?? str(e.rawType),
    message,
    requestId: str(e.requestId) ?? headerOf(e.headers, 'request-id'),
    retryAfterSeconds: parseRetryAfter(headerOf(e.headers, 'retry-after')),
    missingScope: perm,
    extra,
  };
}

// Slack's `error` strings grouped by the HTTP status they stand for (Slack answers 200 ok:false).
const SLACK_STATUS = groupCodes({
  401: 'invalid_auth not_authed account_inactive token_revoked token_expired invalid_token',
  403: 'missing_scope no_permission not_allowed_token_type restricted_action restricted_action_read_only_channel restricted_action_thread_only_channel restricted_action_non_threadable_channel ekm_access_denied access_denied not_in_channel cant_update_message cant_delete_message edit_window_closed user_is_restricted team_access_not_granted method_not_supported_for_channel_type',
  404: 'channel_not_found user_not_found users_not_found message_not_found thread_not_found file_not_found file_deleted team_not_found no_such_subteam',
  409: 'name_taken already_reacted no_reaction already_in_channel is_archived already_archived cant_invite_self already_pinned not_pinned',
  429: 'ratelimited rate_limited',
  500: 'internal_error fatal_error',
  503: 'service_unavailable',
  504: 'request_timeout',
});

/**
 * `@slack/web-api`: errors carry `code`: slack_webapi_platform_error (`data.error`, with
 * `data.needed` on missing_scope and `data.response_metadata.messages` on invalid_arguments),
 * slack_webapi_rate_limited_error (`retryAfter`, seconds; thrown with rejectRateLimitedCalls),
 * slack_webapi_http_error (`statusCode`, `headers`), slack_webapi_request_error (`original`).
 */
export function slackFailure(err: unknown, ctx: UpstreamContext): UpstreamFailure {
  const e = obj(err);
  if (!e) return genericFailure(err, ctx);
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return { ...ctx, status: 429, code: 'ratelimited', retryAfterSeconds: num(e.retryAfter), message: str(e.message) };
    case 'slack_webapi_request_error':
      return { ...ctx, network: networkFailureOf(e.original) ?? networkFailureOf(err) ?? 'other', message: str(e.original?.message) ?? str(e.message) };
    case 'slack_webapi_http_error':
      return {
        ...ctx,
        status: num(e.statusCode),
        message: str(e.statusMessage) ?? str(e.message),
        requestId: headerOf(e.headers, 'x-slack-req-id'),
        retryAfterSeconds: parseRetryAfter(headerOf(e.headers, 'retry-after')),
      };
    case 'slack_webapi_platform_error': {
      const data = obj(e.data) ?? {};
      const code = str(data.error) ?? 'unknown_error';
      const notes: string[] = Array.isArray(data.response_metadata?.messages) ? data.response_metadata.messages.filter((m: unknown) => typeof m === 'string') : [];
      const status = Number(SLACK_STATUS[code] ?? 400);
      const hint =
        code === 'not_in_channel'
          ? 'The app is not a member of this conversation: invite it (/invite @app) or join the channel first.'
          : code === 'is_archived'
            ? 'The channel is archived: unarchive it in Slack, or choose another channel.'
            : undefined;
      return {
        ...ctx,
        status,
        code,
        message: [code, ...notes].join(': '),
        missingScope: str(data.needed),
        ...(hint ? { hint } : {}),
        extra: str(data.provided) ? { providedScopes: data.provided } : undefined,
      };
    }
    default:
      return genericFailure(err, ctx);
  }
}

/** The scope Google names in `WWW-Authenticate: Bearer …, error="insufficient_scope", scope="…"`. */
function googleScope(headers: unknown): string | undefined {
  const h = headerOf(headers, 'www-authenticate');
  return h ? /scope="([^"]+)"/.exec(h)?.[1] : undefined;
}

const GOOGLE_RATE = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);
const GOOGLE_QUOTA = new Set(['dailyLimitExceeded', 'quotaExceeded', 'dailyLimitExceededUnreg', 'RESOURCE_EXHAUSTED']);
const OAUTH_REJECTED = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_token']);

/**
 * Google (gaxios under `@googleapis/*` and `google-auth-library`): a GaxiosError has `status`
 * (gaxios 6+), `code` (a system error code when no answer came) and `response` with `status`,
 * `headers` (a fetch Headers in gaxios 7, a plain object before) and `data`: for the APIs,
 * `{ error: { code, message, status, errors: [{ reason, domain, message }], details } }`; for the
 * OAuth token endpoint, `{ error: "invalid_grant", error_description }`. Google's JSON APIs
 * document no request-id header: `x-goog-request-id` or `x-request-id` is kept when one is present.
 */
export function googleFailure(err: unknown, ctx: UpstreamContext): UpstreamFailure {
  const e = obj(err);
  if (!e) return genericFailure(err, ctx);
  const res = obj(e.response);
  let status = num(res?.status) ?? num(e.status);
  if (status === undefined) {
    const network = networkFailureOf(err);
    if (network) return { ...ctx, network, message: str(e.message) };
  }
  const headers = res?.headers;
  const data = obj(jsonOf(res?.data));
  let code: string | undefined;
  let message: string | undefined = str(e.message);
  let missingScope: string | undefined;
  let retryable: boolean | undefined;
  if (data && typeof data.error === 'string') {
    code = data.error;
    message = str(data.error_description) ?? data.error;
    if (OAUTH_REJECTED.has(data.error)) status = 401;
  } else if (obj(data?.error)) {
    const ge = data!.error as Obj;
    message = str(ge.message) ?? message;
    const reasons: string[] = [...(Array.isArray(ge.errors) ? ge.errors.map((x: Obj) => x?.reason) : []), ...(Array.isArray(ge.details) ? ge.details.map((x: Obj) => x?.reason) : [])].filter(
      (r): r is string => typeof r === 'string',
    );
    code = reasons[0] ?? str(ge.status);
    if (reasons.some((r) => GOOGLE_QUOTA.has(r))) {
      status = 429;
      retryable = false;
    } else if (reasons.some((r) => GOOGLE_RATE.has(r)) && status === 403) {
      status = 429;
    }
    if (status === 403 && (reasons.includes('insufficientPermissions') || reasons.includes('ACCESS_TOKEN_SCOPE_INSUFFICIENT'))) {
      missingScope = googleScope(headers) ?? 'a scope this call needs (the credential was granted too few scopes)';
    }
  }
  return {
    ...ctx,
    status,
    code,
    message,
    missingScope: missingScope ?? (status === 403 ? googleScope(headers) : undefined),
    requestId: headerOf(headers, 'x-goog-request-id') ?? headerOf(headers, 'x-request-id'),
    retryAfterSeconds: parseRetryAfter(headerOf(headers, 'retry-after')),
    retryable,
  };
}

/**
 * `@hubspot/api-client`: the generated clients throw ApiException with `code` (the HTTP status),
 * `body` (`{ status, message, category, subCategory, correlationId, errors: [{ message, context }] }`,
 * or its text) and `headers`. MISSING_SCOPES lists the scopes in `errors[].context`.
 */
export function hubspotFailure(err: unknown, ctx: UpstreamContext): UpstreamFailure {
  const e = obj(err);
  if (!e || typeof e.code !== 'number') return genericFailure(err, ctx);
  const body = obj(jsonOf(e.body));
  const category = str(body?.category);
  let missingScope: string | undefined;
  if (category === 'MISSING_SCOPES' && Array.isArray(body?.errors)) {
    const scopes = body!.errors.flatMap((x: Obj) => x?.context?.requiredGranularScopes ?? x?.context?.requiredScopes ?? []).filter((s: unknown) => typeof s === 'string');
    missingScope = scopes.length ? scopes.join(' or ') : undefined;
  }
  const status = e.code as number;
  return {
    ...ctx,
    status,
    code: category ?? str(body?.subCategory),
    message: str(body?.message) ?? (typeof e.body === 'string' ? e.body : undefined),
    requestId: str(body?.correlationId) ?? headerOf(e.headers, 'x-hubspot-correlation-id'),
    retryAfterSeconds: parseRetryAfter(headerOf(e.headers, 'retry-after')),
    missingScope,
    // HubSpot's daily limit answers 429 too; only the per-second ("TEN_SECONDLY_ROLLING") one passes.
    retryable: status === 429 && str(body?.policyName) === 'DAILY' ? false : undefined,
    extra: str(body?.policyName) ? { policyName: body!.policyName } : undefined,
  };
}

// Salesforce error codes → the status they stand for, first match wins (jsforce errors carry no
// status); any other upper-case code is a request the API refused (400).
const SF_RULES: [RegExp, number][] = [
  [/^(INVALID_SESSION_ID|INVALID_AUTH_HEADER|invalid_grant|invalid_client(_id)?|unauthorized_client)$/, 401],
  [/^(INSUFFICIENT_ACCESS\w*|API_DISABLED_FOR_ORG|API_CURRENTLY_DISABLED|FUNCTIONALITY_NOT_ENABLED)$/, 403],
  [/^(NOT_FOUND|ENTITY_IS_DELETED)$/, 404],
  [/^(DUPLICATE_VALUE|DUPLICATES_DETECTED|ENTITY_IS_LOCKED|UNABLE_TO_LOCK_ROW)$/, 409],
  [/^REQUEST_LIMIT_EXCEEDED$/, 429],
  [/^SERVER_UNAVAILABLE$/, 503],
  [/^UNKNOWN_EXCEPTION$/, 500],
  [/^[A-Z][A-Z_]+$/, 400],
];

/**
 * `jsforce`: API errors are Errors whose `name` and `errorCode` are Salesforce's code
 * (INVALID_SESSION_ID, INVALID_FIELD, MALFORMED_QUERY, …; ERROR_HTTP_<status> when the body had
 * none; MULTIPLE_API_ERRORS with the list in `data`), with the body in `data`. OAuth failures are
 * named after the OAuth error (invalid_grant). No status and no request id are exposed.
 */
export function salesforceFailure(err: unknown, ctx: UpstreamContext): UpstreamFailure {
  const e = obj(err);
  if (!e) return genericFailure(err, ctx);
  const errorCode = str(e.errorCode) ?? (str(e.name) && /^[A-Z_]{3,}$|^[a-z_]+$/.test(e.name) && e.name !== 'Error' ? e.name : undefined);
  if (!errorCode) return genericFailure(err, ctx);
  let code = errorCode;
  let message = str(e.message);
  if (code === 'MULTIPLE_API_ERRORS' && Array.isArray(e.data) && e.data.length) {
    code = str(e.data[0]?.errorCode) ?? code;
    message = e.data.map((x: Obj) => [x?.errorCode, x?.message].filter(Boolean).join(': ')).join('; ');
  }
  const http = /^ERROR_HTTP_(\d{3})$/.exec(code);
  const status = http ? Number(http[1]) : SF_RULES.find(([re]) => re.test(code))?.[1];
  const fields = obj(e.data)?.fields;
  return {
    ...ctx,
    status,
    code,
    message,
    // The daily API request limit does not reset for hours.
    retryable: code === 'REQUEST_LIMIT_EXCEEDED' ? false : undefined,
    extra: Array.isArray(fields) && fields.length ? { fields } : undefined,
  };
}

/** Reads at most `max` bytes of a body as text (the rest is cancelled). */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * A fetch Response that is not ok: reads at most 64 KiB of its body and takes the message and code
 * from the usual JSON shapes (`error.message`, `message`, `error_description`, `errors[0].message`,
 * problem+json `detail`/`title`), else the text.
 */
export async function fetchResponseFailure(res: Response, ctx: UpstreamContext): Promise<UpstreamFailure> {
  let text = '';
  try {
    text = await readCapped(res, 64 * 1024);
  } catch {
    /* body unreadable: the status still says enough */
  }
  const body = obj(jsonOf(text));
  const err = obj(body?.error);
  const message =
    str(err?.message) ??
    str(body?.message) ??
    str(body?.error_description) ??
    str(obj(Array.isArray(body?.errors) ? body!.errors[0] : undefined)?.message) ??
    str(body?.detail) ??
    str(body?.title) ??
    (typeof body?.error === 'string' ? body.error : undefined) ??
    (body ? undefined : str(text.trim()));
  const code = str(err?.code) ?? str(err?.status) ?? str(err?.type) ?? str(body?.code) ?? (typeof body?.error === 'string' ? body.error : undefined);
  const h = res.headers;
  return {
    ...ctx,
    status: res.status,
    code,
    message: message ?? res.statusText,
    requestId: headerOf(h, 'x-request-id') ?? headerOf(h, 'request-id') ?? headerOf(h, 'x-correlation-id') ?? headerOf(h, 'x-amzn-requestid'),
    retryAfterSeconds: parseRetryAfter(headerOf(h, 'retry-after')),
    missingScope: res.status === 403 ? /scope="([^"]+)"/.exec(headerOf(h, 'www-authenticate') ?? '')?.[1] : undefined,
  };
}
