// The Stripe client: configuration, the lazily loaded SDK, idempotency keys, amount caps and
// personal-data masking. The tools only describe what to call and how to show the answer.
import { createHash } from 'node:crypto';
import type StripeSdk from 'stripe';
import {
  ConfigError,
  parseDestinations,
  envBool,
  envSecret,
  envString,
  envUrl,
  missingCredentials,
  readEnv,
  registerSecret,
  sdkRetrySettings,
  stableJson,
  stripeFailure,
  ToolError,
  toUpstreamToolError,
  withRetries,
  type Logger,
  type ParsedArgs,
  type ToolContext,
  type UpstreamContext,
} from '@bizmcp/core';
import type { StripeConfig } from './state.js';

export const stripeEnv = {
  STRIPE_SECRET_KEY: envSecret({
    description:
      'Secret key (sk_test_…) or, better, a restricted key (rk_test_…) with only the permissions of the toolsets you enable. Live keys (sk_live_, rk_live_) are refused unless the server runs with --allow-live.',
    example: 'rk_test_…',
  }),
  STRIPE_API_BASE: envUrl({ description: 'Where Stripe requests go, as scheme://host[:port] without a path (a proxy, or a local fake in tests).', default: 'https://api.stripe.com' }),
  STRIPE_MAX_AMOUNT: envString({
    description:
      'Largest amount one payment, subscription item or refund may move, in major units (euros, not cents): one number for every currency, or per currency as "usd:500,eur:500,jpy:80000,*:300" ("*" for the others).',
    default: '1000',
  }),
  STRIPE_ALLOWED_RECIPIENTS: envString({
    description:
      'Who Stripe may email for this server (finalize_invoice with send, send_invoice, receipt_email of a payment): comma-separated addresses, @domain and @*.domain entries, or *. Unset: any customer address.',
    example: '@example.com,billing@client.com',
  }),
  STRIPE_ACCOUNT: envString({
    description: "Connect: act on this connected account (acct_…) instead of the key's own account (sent as the Stripe-Account header on every request).",
    example: 'acct_1Abc…',
  }),
  STRIPE_API_VERSION: envString({
    description: 'Stripe API version for every request (YYYY-MM-DD or YYYY-MM-DD.name); default: the version the bundled stripe SDK pins. get_account shows the one in use.',
    example: '2026-10-28.endive',
  }),
  STRIPE_SHOW_PII: envBool({ description: 'Show customer names, emails, phone numbers and addresses unmasked in results (masked by default).' }),
};

export const stripeOptions = {
  'allow-live': { type: 'boolean' as const, description: 'Accept a live-mode key (sk_live_/rk_live_): real money moves. Without it only test-mode keys work.' },
};

/** "1000" or "usd:500,eur:400,*:300" → { '*': 1000 } or { usd: 500, eur: 400, '*': 300 }. */
export function parseMaxAmount(raw: string): Record<string, number> {
  const out: Record<string, number> = {};
  const bad = () => new ConfigError(`STRIPE_MAX_AMOUNT must be a number or "usd:500,eur:400,*:300", got "${raw.slice(0, 80)}"`);
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(?:([a-zA-Z]{3}|\*)\s*[:=]\s*)?(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw bad();
    out[(m[1] ?? '*').toLowerCase()] = Number(m[2]);
  }
  if (!Object.keys(out).length) throw bad();
  return out;
}

export function parseStripeConfig(args: ParsedArgs): StripeConfig {
  const v = readEnv(stripeEnv, args.env);
  const base = new URL(v.STRIPE_API_BASE);
  // The SDK takes a host, a port and a protocol: a path or a query would be silently dropped.
  if (base.pathname !== '/' || base.search || base.username)
    throw new ConfigError(`STRIPE_API_BASE must be scheme://host[:port] with no path, query or credentials, got "${v.STRIPE_API_BASE.slice(0, 80)}"`);
  if (v.STRIPE_ACCOUNT !== undefined && !/^acct_[A-Za-z0-9]{1,64}$/.test(v.STRIPE_ACCOUNT.trim()))
    throw new ConfigError(`STRIPE_ACCOUNT must be a connected account id (acct_…), got "${v.STRIPE_ACCOUNT.slice(0, 80)}"`);
  if (v.STRIPE_API_VERSION !== undefined && !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(v.STRIPE_API_VERSION.trim()))
    throw new ConfigError(`STRIPE_API_VERSION must look like 2026-10-28 or 2026-10-28.endive, got "${v.STRIPE_API_VERSION.slice(0, 80)}"`);
  return {
    secretKey: v.STRIPE_SECRET_KEY,
    account: v.STRIPE_ACCOUNT?.trim() || undefined,
    apiVersion: v.STRIPE_API_VERSION?.trim() || undefined,
    apiBase: v.STRIPE_API_BASE,
    allowLive: Boolean(args.flags['allow-live']),
    showPii: v.STRIPE_SHOW_PII,
    maxAmount: parseMaxAmount(v.STRIPE_MAX_AMOUNT),
    recipients: v.STRIPE_ALLOWED_RECIPIENTS?.trim() ? parseDestinations('STRIPE_ALLOWED_RECIPIENTS', v.STRIPE_ALLOWED_RECIPIENTS, { kinds: ['email'] }) : undefined,
  };
}

export const isLiveKey = (key: string) => /^(sk|rk)_live_/.test(key);

// ------------------------------------------------------------------------------------ money

// Currencies whose amounts Stripe counts in whole units, and those with three decimals
// (Stripe's "Zero-decimal" and "Three-decimal" currency lists).
const ZERO_DECIMAL = new Set('bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '));
const THREE_DECIMAL = new Set('bhd jod kwd omr tnd'.split(' '));

/** How many of the smallest unit make one unit of the currency. */
export const minorPerMajor = (currency: string) => (ZERO_DECIMAL.has(currency) ? 1 : THREE_DECIMAL.has(currency) ? 1000 : 100);

/** 1234, "eur" → "12.34 EUR"; 500, "jpy" → "500 JPY". */
export function formatAmount(amount: number, currency: string): string {
  const f = minorPerMajor(currency);
  const digits = Math.round(Math.log10(f));
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const major = Math.floor(abs / f);
  const minor = digits ? `.${String(abs % f).padStart(digits, '0')}` : '';
  return `${sign}${major}${minor} ${currency.toUpperCase()}`;
}

/** Refuses an amount above the cap of its currency (STRIPE_MAX_AMOUNT), and ill-formed amounts. */
export function checkAmount(config: StripeConfig, amount: number, currency: string, what: string): void {
  if (THREE_DECIMAL.has(currency) && amount % 10 !== 0) {
    throw new ToolError(`${currency.toUpperCase()} amounts must end in 0 (Stripe rounds three-decimal currencies to the hundredth): got ${amount}`, {
      code: 'invalid_argument',
      details: { field: 'amount' },
    });
  }
  const capMajor = config.maxAmount[currency] ?? config.maxAmount['*'];
  if (capMajor === undefined) {
    throw new ToolError(`No amount cap is set for ${currency.toUpperCase()}, so ${what} in that currency is refused.`, {
      code: 'access_denied',
      hint: `Add ${currency}:<max> (or *:<max>) to STRIPE_MAX_AMOUNT.`,
    });
  }
  const cap = Math.round(capMajor * minorPerMajor(currency));
  if (amount > cap) {
    throw new ToolError(`${what} of ${formatAmount(amount, currency)} is above this server's cap of ${formatAmount(cap, currency)} (STRIPE_MAX_AMOUNT).`, {
      code: 'access_denied',
      hint: 'Use a smaller amount, or ask the operator to raise STRIPE_MAX_AMOUNT. Amounts are in the smallest unit (cents for EUR/USD, yen for JPY).',
      details: { amount, currency, cap },
    });
  }
}

// ------------------------------------------------------------------------------- personal data

export interface Pii {
  name(v: unknown): string | undefined;
  email(v: unknown): string | undefined;
  phone(v: unknown): string | undefined;
  /** An address object: only the country (and city) unless shown. */
  address(v: unknown): string | undefined;
}

const s = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const maskWord = (w: string) => (w.length <= 1 ? '*' : `${w[0]}${'*'.repeat(Math.min(w.length - 1, 6))}`);

export function piiView(show: boolean): Pii {
  if (show) {
    return {
      name: s,
      email: s,
      phone: s,
      address: (v) => {
        const a = v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
        if (!a) return undefined;
        const parts = [a.line1, a.line2, a.postal_code, a.city, a.state, a.country].map(s).filter(Boolean);
        return parts.length ? parts.join(', ') : undefined;
      },
    };
  }
  return {
    name: (v) => s(v)?.split(/\s+/).map(maskWord).join(' '),
    email: (v) => {
      const e = s(v);
      if (!e) return undefined;
      const at = e.lastIndexOf('@');
      return at < 1 ? maskWord(e) : `${maskWord(e.slice(0, at))}@${e.slice(at + 1)}`;
    },
    phone: (v) => {
      const p = s(v);
      return p ? `***${p.replace(/\D/g, '').slice(-2)}` : undefined;
    },
    address: (v) => {
      const a = v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
      const c = a ? s(a.country) : undefined;
      return a ? (c ? `*** (${c})` : '***') : undefined;
    },
  };
}

// ---------------------------------------------------------------------------- idempotency

/**
 * The Idempotency-Key of a write: the tool, its normalised arguments (without confirm_repeat) and
 * the caller's idempotency_key. The same call within Stripe's 24 hours replays the first answer
 * instead of charging, refunding or creating twice; a different idempotency_key makes a new one.
 */
export function idempotencyKey(tool: string, args: Record<string, unknown>): string {
  const { confirm_repeat: _c, idempotency_key: own, ...rest } = args;
  const digest = createHash('sha256')
    .update(`${tool}\n${stableJson(rest)}\n${typeof own === 'string' ? own : ''}`)
    .digest('base64url');
  return `bizmcp-${tool}-${digest.slice(0, 40)}`;
}

// ------------------------------------------------------------------------------------- client

type Sdk = StripeSdk;
export type StripeObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CallOptions {
  /** What the call is about (named on a 404). */
  resource?: { kind: string; id: string };
  /** Sent as Idempotency-Key: makes a write safe to retry and to repeat. */
  idempotencyKey?: string;
}

export interface CallResult<T> {
  value: T;
  /** Stripe answered with the stored result of an earlier call with the same key. */
  replayed: boolean;
  requestId?: string;
}

const CREDENTIAL_HELP = 'Set STRIPE_SECRET_KEY to a valid key (Dashboard → Developers → API keys; a restricted rk_ key with only the permissions you need is best), then restart the server.';

/** The SDK, loaded at the first call; reads retried, writes only with an idempotency key. */
export class StripeApi {
  private client?: Promise<Sdk>;

  constructor(
    private readonly config: StripeConfig,
    private readonly log: Logger,
  ) {}

  /** The SDK client, after the credential checks. */
  private sdk(): Promise<Sdk> {
    const key = this.config.secretKey;
    if (!key) {
      throw missingCredentials({
        what: 'Stripe',
        vars: ['STRIPE_SECRET_KEY'],
        how: 'Create a key in the Stripe Dashboard (Developers → API keys), preferably a restricted test key (rk_test_…) with the permissions listed in the server docs.',
      });
    }
    if (/^pk_/.test(key))
      throw new ToolError('STRIPE_SECRET_KEY holds a publishable key (pk_…), which cannot call the API from a server.', {
        code: 'missing_credentials',
        hint: 'Use a secret (sk_…) or restricted (rk_…) key.',
        details: { missing: ['STRIPE_SECRET_KEY'] },
      });
    if (isLiveKey(key) && !this.config.allowLive) {
      throw new ToolError('STRIPE_SECRET_KEY is a live-mode key, and this server only uses live keys when started with --allow-live: nothing was sent to Stripe.', {
        code: 'access_denied',
        hint: 'Use a test key (sk_test_/rk_test_) to try things out; the operator adds --allow-live to move real money.',
      });
    }
    this.client ??= (async () => {
      const mod = await import('stripe');
      const Stripe = (mod.default ?? (mod as unknown as { Stripe: typeof StripeSdk }).Stripe) as typeof StripeSdk;
      const url = new URL(this.config.apiBase);
      const protocol = url.protocol === 'http:' ? 'http' : 'https';
      return new Stripe(key, {
        ...sdkRetrySettings.stripe,
        host: url.hostname,
        port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
        protocol,
        telemetry: false,
        ...(this.config.account ? { stripeAccount: this.config.account } : {}),
        ...(this.config.apiVersion ? { apiVersion: this.config.apiVersion as StripeSdk.StripeConfig['apiVersion'] } : {}),
        appInfo: { name: 'bizmcp-stripe', version: '0.1.0' },
      });
    })();
    this.client.catch(() => {
      this.client = undefined;
    });
    return this.client;
  }

  private upstream(resource?: CallOptions['resource']): UpstreamContext {
    return { service: 'Stripe', credentialVar: 'STRIPE_SECRET_KEY', credentialHelp: CREDENTIAL_HELP, ...(resource ? { resource } : {}) };
  }

  /**
   * Runs one SDK call. Reads, and writes with an idempotency key, are retried (429, 5xx, network)
   * within the tool's deadline; the SDK's own retries are off. Errors go through core's mapping.
   */
  async call<T>(
    ctx: Pick<ToolContext, 'signal' | 'deadline' | 'remainingMs'>,
    fn: (sdk: Sdk, opts: StripeSdk.RequestOptions) => Promise<T>,
    opts: CallOptions & { write?: boolean } = {},
  ): Promise<CallResult<T>> {
    const sdk = await this.sdk();
    const ctxUp = this.upstream(opts.resource);
    const value = await withRetries(
      async () => {
        const request: StripeSdk.RequestOptions = { timeout: Math.max(1000, ctx.remainingMs()) };
        if (opts.idempotencyKey) request.idempotencyKey = opts.idempotencyKey;
        return fn(sdk, request);
      },
      {
        idempotent: !opts.write || Boolean(opts.idempotencyKey),
        signal: ctx.signal,
        deadline: ctx.deadline,
        mapError: (e) => toUpstreamToolError(e, stripeFailureNamingParam, ctxUp),
        onRetry: ({ attempt, delayMs, error }) => this.log.warn({ attempt, delayMs, code: error.code }, 'Stripe call retried'),
      },
    );
    const last = (value as { lastResponse?: { headers?: Record<string, string>; requestId?: string } }).lastResponse;
    return { value, replayed: last?.headers?.['idempotent-replayed'] === 'true', requestId: last?.requestId };
  }
}

/**
 * Core's Stripe mapping, with the parameter Stripe names (`param`) said in the hint of a rejected
 * request, where the model reads it (core keeps it in the error details only).
 */
function stripeFailureNamingParam(err: unknown, ctx: UpstreamContext): ReturnType<typeof stripeFailure> {
  const f = stripeFailure(err, ctx);
  const param = f.extra?.param;
  if (typeof param === 'string' && !f.hint && (f.status === 400 || f.status === 402)) return { ...f, hint: `Stripe points at its parameter ${param.slice(0, 100)}: fix that value, then call again.` };
  return f;
}

/** Registers the key as a secret (masked wherever it could appear). */
export function protectKey(config: StripeConfig, log: Logger): void {
  if (!config.secretKey) return;
  registerSecret(config.secretKey);
  if (isLiveKey(config.secretKey)) {
    log.warn(config.allowLive ? 'STRIPE_SECRET_KEY is a LIVE key and --allow-live is set: real money moves' : 'STRIPE_SECRET_KEY is a live key: every call is refused without --allow-live');
  }
}
