// The outcome-unknown guard, for writes that must not happen twice by accident (a payment, a message,
// an invitation). When such a call times out, is cancelled, or fails in a way that leaves its effect
// unknown (a lost connection, an error that says so with `details.outcome: 'unknown' | 'unclear'`),
// the result says the outcome is unknown, and the same write — same tool, same arguments, or the
// tool's own `key` — is refused until the caller passes the tool's confirm argument. A call still in
// flight counts as unknown too, so an agent that retries while the first call runs is refused.
import { createHash } from 'node:crypto';
import { isToolError, ToolError } from './errors.js';
import type { Next, ToolCall } from './pipeline.js';

const DAY_MS = 24 * 3600_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  at: number;
  inFlight: boolean;
  why: string;
}

/** Whether a failure leaves the effect of a write unknown. */
export function outcomeIsUnknown(err: unknown): boolean {
  if (!isToolError(err)) return false;
  const said = err.details?.outcome;
  if (said === 'unknown' || said === 'unclear') return true;
  if (said === 'not_sent' || said === 'not_done') return false;
  return err.code === 'timeout' || err.code === 'cancelled' || err.code === 'unavailable' || err.code === 'outcome_unknown';
}

/** JSON with object keys sorted at every level (undefined members left out), so that the order in
 *  which a caller wrote its arguments never changes a key derived from them. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

/** The server-wide memory of writes whose outcome is unknown. */
export class OutcomeGuards {
  private readonly entries = new Map<string, Entry>();

  keyOf(call: ToolCall<any>): string {
    const g = call.tool.outcomeGuard!;
    if (g.key) return `${call.tool.name}:${g.key(call.args)}`;
    const { [g.confirmArg]: _confirm, ...rest } = call.args as Record<string, unknown>;
    return `${call.tool.name}:${createHash('sha256').update(stableJson(rest)).digest('hex')}`;
  }

  /** The pipeline step: refuse a repeat, remember an unknown outcome, forget it after a clear one. */
  async guard(call: ToolCall<any>, next: Next): Promise<unknown> {
    const g = call.tool.outcomeGuard!;
    const key = this.keyOf(call);
    const earlier = this.entries.get(key);
    const ttl = g.ttlMs ?? DAY_MS;
    if (earlier && Date.now() - earlier.at < ttl && call.args[g.confirmArg] !== true) {
      const ago = Math.round((Date.now() - earlier.at) / 1000);
      throw new ToolError(
        earlier.inFlight
          ? `The same ${call.tool.name} call is still running (started ${ago} s ago); it was not repeated.`
          : `The same ${call.tool.name} call ${ago} s ago ended with an UNKNOWN outcome (${earlier.why}); it was not repeated, so that nothing happens twice.`,
        {
          code: 'conflict',
          hint: `Check whether the first call took effect (list or get what it would have created or changed). Only if it did not, call again with ${g.confirmArg}: true.`,
          details: { outcome: 'not_done', earlierOutcome: 'unknown' },
        },
      );
    }
    this.remember(key, { at: Date.now(), inFlight: true, why: 'in flight' });
    try {
      const result = await next(call);
      this.entries.delete(key);
      return result;
    } catch (err) {
      if (!outcomeIsUnknown(err)) {
        this.entries.delete(key);
        throw err;
      }
      const e = err as ToolError;
      const said = e.details?.outcome;
      this.remember(key, { at: Date.now(), inFlight: false, why: said === 'unclear' || said === 'unknown' ? String(said) : e.code });
      if (e.details?.outcome === 'unknown' || e.details?.outcome === 'unclear') throw e;
      throw new ToolError(`${e.message}. The OUTCOME IS UNKNOWN: the write may or may not have happened, and it was not retried.`, {
        code: 'outcome_unknown',
        hint: `Check whether it took effect before anything else; to repeat it anyway, call again with ${g.confirmArg}: true.`,
        details: { outcome: 'unknown', cause: e.code },
        cause: e,
      });
    }
  }

  private remember(key: string, e: Entry) {
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, e);
  }
}
