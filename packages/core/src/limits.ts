// Limits: per-tool timeouts and rate limits.
//
// Rate limiting uses rate-limiter-flexible: in memory by default, in Redis (ioredis) when REDIS_URL
// is set so several server processes share one budget. Redis is connected lazily, at the first
// limited call, never before `initialize` is answered; if Redis fails, an in-memory limiter takes
// over (insurance) and the failure is logged.
import type { Logger } from 'pino';
import { ToolError } from './errors.js';
import { cjsExports } from './interop.js';

export interface RateLimit {
  /** Calls allowed per window. */
  points: number;
  /** Window length in seconds. */
  durationSec: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Parses "30/60" (30 calls per 60 s) or "30" (per 60 s). */
export function parseRateLimit(s: string): RateLimit {
  const m = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*s?)?\s*$/.exec(s);
  if (!m) throw new Error(`invalid rate limit "${s}": expected CALLS/SECONDS, e.g. 30/60`);
  const points = Number(m[1]);
  const durationSec = m[2] ? Number(m[2]) : 60;
  if (points < 1 || durationSec < 1) throw new Error(`invalid rate limit "${s}": both numbers must be at least 1`);
  return { points, durationSec };
}

type Consumer = (key: string) => Promise<void>;
interface LimiterLike {
  consume(key: string, points?: number): Promise<unknown>;
}

export class RateLimiters {
  private limiters = new Map<string, Promise<LimiterLike>>();
  private redis: import('ioredis').Redis | undefined;

  constructor(private readonly opts: { redisUrl?: string; prefix: string; log: Logger }) {}

  /** Consumes one point for `key` under `limit`, or throws a rate_limited ToolError. */
  async consume(key: string, limit: RateLimit): Promise<void> {
    const id = `${limit.points}/${limit.durationSec}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = this.create(limit);
      this.limiters.set(id, limiter);
    }
    const l = await limiter;
    try {
      await l.consume(key, 1);
    } catch (rej) {
      if (rej instanceof Error) throw rej;
      const ms = (rej as { msBeforeNext?: number }).msBeforeNext ?? limit.durationSec * 1000;
      const secs = Math.max(1, Math.ceil(ms / 1000));
      throw new ToolError(`Rate limit reached for ${key.split(':').pop()}: ${limit.points} calls per ${limit.durationSec} s.`, {
        code: 'rate_limited',
        hint: `Wait ${secs} s before calling again.`,
        details: { retryAfterSeconds: secs },
      });
    }
  }

  private async create(limit: RateLimit): Promise<LimiterLike> {
    const { RateLimiterMemory, RateLimiterRedis } = cjsExports(await import('rate-limiter-flexible'), 'RateLimiterMemory');
    const base = { points: limit.points, duration: limit.durationSec, keyPrefix: `${this.opts.prefix}:${limit.points}-${limit.durationSec}` };
    if (!this.opts.redisUrl) return new RateLimiterMemory(base);
    if (!this.redis) {
      const { Redis } = cjsExports(await import('ioredis'), 'Redis');
      this.redis = new Redis(this.opts.redisUrl, {
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
        connectTimeout: 3000,
        lazyConnect: false,
      });
      this.redis.on('error', (err: Error) => this.opts.log.warn({ err: err.message }, 'redis error; using in-memory rate limits until it recovers'));
    }
    return new RateLimiterRedis({
      ...base,
      storeClient: this.redis,
      insuranceLimiter: new RateLimiterMemory(base),
    });
  }

  async close(): Promise<void> {
    const r = this.redis;
    this.redis = undefined;
    if (r) {
      try {
        await Promise.race([r.quit(), new Promise((res) => setTimeout(res, 500))]);
      } catch {
        r.disconnect();
      }
      r.disconnect();
    }
  }
}

/** The env name that overrides a tool's timeout: BIZMCP_TIMEOUT_MS_<TOOL_NAME>. */
export const timeoutEnvName = (tool: string) => `BIZMCP_TIMEOUT_MS_${tool.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
export const rateLimitEnvName = (tool: string) => `BIZMCP_RATE_LIMIT_${tool.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export type { Consumer };
