// Bounded retries for calls to remote APIs, and the SDK settings that leave retrying to us.
//
// withRetries() repeats a call only when all of these hold:
//   - the caller says the call is idempotent (a read, or a write made idempotent with a key or a
//     client-chosen id): a write that may have happened is never repeated silently;
//   - the mapped failure says so (details.retryable: 429, 5xx other than 501/505, 408, and network
//     failures other than TLS and cancellation; see upstream.ts);
//   - attempts remain, and the wait (the API's Retry-After, else exponential backoff with full
//     jitter) ends before the deadline: otherwise it gives up at once with the mapped error (for a
//     429 that is rate_limited with details.retryAfterSeconds) instead of sleeping past it.
// Waits are abortable with the call's signal, and an abort is surfaced as the signal's reason.
import { sleep } from './async.js';
import { ToolError } from './errors.js';
import { genericFailure, upstreamError } from './upstream.js';

export interface RetryOptions {
  /** Only idempotent calls are ever repeated. */
  idempotent: boolean;
  /** Total attempts, the first included (default 3). */
  maxAttempts?: number;
  signal?: AbortSignal;
  /** First backoff step (default 500 ms); doubles each attempt, randomised (full jitter). */
  baseDelayMs?: number;
  /** Largest backoff step (default 8 s). */
  maxDelayMs?: number;
  /** Epoch ms after which no attempt starts (the tool call's deadline, ctx.deadline). */
  deadline?: number;
  /** A Retry-After longer than this is not waited for (default 60 s), deadline or not. */
  maxRetryAfterMs?: number;
  /** Turns what `fn` threw into a ToolError (an adapter from upstream.ts through upstreamError);
   *  ToolErrors pass through unchanged. Default: genericFailure for service "the API". */
  mapError?: (err: unknown) => ToolError;
  /** Called before each wait (for a log line). */
  onRetry?: (info: { attempt: number; delayMs: number; error: ToolError }) => void;
  /** Random source in [0, 1) (tests). */
  random?: () => number;
}

const defaultMap = (err: unknown) => upstreamError(genericFailure(err, { service: 'the API' }), err);

/** True when the mapped error says that the same call may succeed if repeated. */
export const isRetryable = (err: ToolError) => err.details?.retryable === true;

/** Runs `fn` (given the attempt number, from 1), repeating it under the rules in the file comment. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const max = Math.max(1, Math.floor(opts.maxAttempts ?? 3));
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 8000;
  const maxRetryAfter = opts.maxRetryAfterMs ?? 60_000;
  const random = opts.random ?? Math.random;
  const map = opts.mapError ?? defaultMap;
  const { signal } = opts;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw signal.reason;
    try {
      return await fn(attempt);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const err = e instanceof ToolError ? e : map(e);
      if (attempt > 1 && err.details) err.details.attempts = attempt;
      if (!opts.idempotent || attempt >= max || !isRetryable(err)) throw err;
      const after = err.details?.retryAfterSeconds;
      let delayMs: number;
      if (typeof after === 'number') {
        if (after * 1000 > maxRetryAfter) throw err;
        // Honour the wait, plus a little spread so that parallel callers do not return together.
        delayMs = after * 1000 + Math.floor(random() * Math.min(250, base));
      } else {
        delayMs = Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
      }
      if (opts.deadline !== undefined && Date.now() + delayMs >= opts.deadline) throw err;
      opts.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, signal);
    }
  }
}

/**
 * Options for each SDK so that its own retry loop stays out of the way of withRetries(): one loop,
 * the one that knows whether the call is idempotent and when the tool call's deadline falls.
 * Spread them into the SDK's constructor (or request options, where noted).
 */
export const sdkRetrySettings = {
  /** `new Stripe(key, { ...sdkRetrySettings.stripe })`. With maxNetworkRetries > 0 the SDK adds a
   *  per-request idempotency key of its own: it protects the SDK's retries but not an agent that
   *  repeats the call, which is the duplicate that matters; the Stripe server sets its own keys
   *  (derived from the call) and retries through withRetries. */
  stripe: { maxNetworkRetries: 0 },
  /** `new WebClient(token, { ...sdkRetrySettings.slack })`. The default retryConfig retries about
   *  ten times over thirty minutes, writes included (Slack has no idempotency key), far past any
   *  tool deadline; and by default a 429 is waited out inside the SDK. Here the SDK throws at once
   *  (rate-limited errors carry retryAfter) and reads are retried by withRetries. */
  slack: { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
  /** Google APIs (`google.options(...)` or per-call options of `@googleapis/*`, and gaxios):
   *  gaxios retries some methods on 429/5xx by itself when `retry` is on. */
  google: { retry: false },
  /** `new Client({ accessToken, ...sdkRetrySettings.hubspot })`: the client repeats 429 and 5xx
   *  answers, creates included, when numberOfApiCallRetries > 0. */
  hubspot: { numberOfApiCallRetries: 0 },
  /** jsforce HTTP request options (its transport retries GET/PUT/DELETE five times on 420/429/5xx
   *  and socket errors by default, within a thirty-minute timeout). */
  jsforce: { retry: { maxRetries: 0 } },
} as const;
